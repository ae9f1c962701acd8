"""Authorization (C): the idTokenInfo of a token from what is stored (status, groupIdToken,
expiry: C01, C09, C16), AuthorizeRequests with ISO 15118 contract-certificate data checked by an
OCSP query of the CSMS's own (C07), and ClearCache (C11).

Contract certificates: a PEM certificate must chain to a trusted MO/V2G root (config
``mo_root_cert``) and be valid now; the CSMS builds the OCSP request itself (CertID from the
certificate and its issuer) and posts it to the URL of the certificate's AIA extension. With
``iso15118CertificateHashData`` the station already validated the chain locally; the CSMS builds
one OCSP request per entry and posts it to the entry's responderURL. Every answer must be signed by
a trusted root (or a responder certificate it issued) and name the asked CertID. certificateStatus:
Accepted when every answer is good, CertificateRevoked when one is revoked, CertificateExpired for
an expired PEM certificate, CertChainError otherwise (unknown, no answer, untrusted answer or
chain); any status but Accepted makes idTokenInfo.status Invalid.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import urllib.error
import urllib.request
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp

from simulator.pki.certificates import issued_by
from simulator.services.ocsp import HASHES, ocsp_url

from ..registry import fault, on, operator_action
from .common import send_request

if TYPE_CHECKING:
    from ..central import CentralSystem, CsmsSession

ACCEPT_BAD = fault("accept_bad_tokens", "answers Accepted for id tokens it does not know or holds as Invalid, "
                                        "Blocked or past their expiry")
IGNORE_GROUP = fault("ignore_group_id", "leaves groupIdToken out of every idTokenInfo")
MASTER_PASS_IGNORED = fault("master_pass_not_honoured", "does not know the MasterPassGroupId: answers the master "
                                                        "pass without its groupIdToken")
MASTER_PASS_STOP_REFUSED = fault("master_pass_stop_refused", "answers Invalid when a master pass ends a transaction "
                                                             "another idToken started")
ONLY_AUTHORIZED = fault("trust_only_authorized_tokens", "answers Unknown for an idToken in a TransactionEvent that the "
                                                        "station did not send in an AuthorizeRequest first (ignores "
                                                        "tokens from the station's cache or local list)")
NO_CLEAR_CACHE = fault("never_clear_cache", "accepts ClearCache actions but sends no ClearCacheRequest")
NO_CERT_STATUS = fault("omit_certificate_status", "answers AuthorizeRequests with contract-certificate data "
                                                  "without certificateStatus")
ACCEPT_REVOKED = fault("accept_revoked_certificate", "takes a revoked answer of the OCSP responder for good")
NO_OCSP = fault("skip_ocsp_check", "answers contract certificates Accepted without asking the OCSP responder")

BAD_STATUSES = ("Unknown", "Invalid", "Blocked", "Expired")
_PEM_CERT = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


# ------------------------------------------------------------ idTokenInfo
def token_info(session: "CsmsSession", id_token: dict[str, Any]) -> dict[str, Any]:
    """idTokenInfo of a token: its stored status (Expired once its expiry has passed, Unknown when
    not stored) and groupIdToken (C09.FR.02, E01.FR.12)."""
    csms = session.csms
    info = session.store.token_info(id_token)
    if csms.fault(ACCEPT_BAD) and info["status"] in BAD_STATUSES:
        info = {**info, "status": "Accepted"}
    group = (info.get("groupIdToken") or {}).get("idToken")
    master = csms.config.master_pass_group_id
    if group and (csms.fault(IGNORE_GROUP) or (group == master and csms.fault(MASTER_PASS_IGNORED))):
        info = {k: v for k, v in info.items() if k != "groupIdToken"}
    return info


def for_event(session: "CsmsSession", payload: dict[str, Any], before: Any, info: dict[str, Any]) -> dict[str, Any]:
    """The idTokenInfo of a TransactionEventRequest's idToken (C12.FR.03: re-checked, also when the
    station authorized it from its cache or local list); only faults change ``info`` here."""
    csms = session.csms
    id_token = payload["idToken"]
    if csms.fault(ONLY_AUTHORIZED) and not _authorized_before(session, id_token):
        return {"status": "Unknown"}
    stopping = payload["eventType"] == "Ended" or payload["triggerReason"] == "StopAuthorized"
    started_by = json.loads(before["id_token"]) if before is not None and before["id_token"] else None
    group = (session.store.token_info(id_token).get("groupIdToken") or {}).get("idToken")
    if (stopping and csms.fault(MASTER_PASS_STOP_REFUSED) and group == csms.config.master_pass_group_id
            and started_by not in (None, id_token)):
        return {**info, "status": "Invalid"}
    return info


AUTHORIZED = "authorized_tokens"  # session attribute: the idTokens of this connection's AuthorizeRequests


def _authorized_before(session: "CsmsSession", id_token: dict[str, Any]) -> bool:
    return id_token in getattr(session, AUTHORIZED, [])


@on("Authorize")
async def authorize(session: "CsmsSession", payload: dict[str, Any]) -> dict[str, Any]:
    """C01/C07: the token's idTokenInfo; with contract-certificate data also certificateStatus."""
    info = token_info(session, payload["idToken"])
    setattr(session, AUTHORIZED, getattr(session, AUTHORIZED, []) + [payload["idToken"]])
    if "certificate" not in payload and "iso15118CertificateHashData" not in payload:
        return {"idTokenInfo": info}
    status = await contract_status(session.csms, payload)
    if status != "Accepted":
        info = {**info, "status": "Invalid"}
    response: dict[str, Any] = {"idTokenInfo": info}
    if not session.csms.fault(NO_CERT_STATUS):
        response["certificateStatus"] = status
    return response


# ------------------------------------------------------------ contract certificates (C07)
def _roots(path: str | None) -> tuple[x509.Certificate, ...]:
    """The trusted MO/V2G roots of the configured PEM file (read again when the file changes)."""
    try:
        return _read_roots(path, os.stat(path).st_mtime_ns) if path else ()
    except OSError:
        return ()


@lru_cache(maxsize=8)
def _read_roots(path: str, mtime: int) -> tuple[x509.Certificate, ...]:
    with open(path) as f:
        text = f.read()
    return tuple(x509.load_pem_x509_certificate(b.encode()) for b in _PEM_CERT.findall(text))


def _valid_now(cert: x509.Certificate) -> bool:
    now = dt.datetime.now(dt.timezone.utc)
    return cert.not_valid_before_utc <= now <= cert.not_valid_after_utc


def _chain_issuer(chain: list[x509.Certificate], roots: tuple[x509.Certificate, ...]) -> x509.Certificate | None:
    """The leaf's issuer when the leaf chains (through the other certificates) to a trusted root."""
    current, rest, issuer_of_leaf = chain[0], list(chain[1:]), None
    for _ in range(len(chain) + 1):
        root = next((r for r in roots if issued_by(current, r)), None)
        issuer = root or next((c for c in rest if issued_by(current, c) and _valid_now(c)), None)
        if issuer is None:
            return None
        issuer_of_leaf = issuer_of_leaf or issuer
        if root is not None:
            return issuer_of_leaf
        rest.remove(issuer)
        current = issuer
    return None


async def contract_status(csms: "CentralSystem", payload: dict[str, Any]) -> str:
    """certificateStatus of the contract certificate (PEM) or hash data of an AuthorizeRequest."""
    if csms.fault(NO_OCSP):
        return "Accepted"
    roots = _roots(csms.config.mo_root_cert)
    queries: list[tuple[str, ocsp.OCSPRequestBuilder]] = []
    if "certificate" in payload:
        try:
            chain = [x509.load_pem_x509_certificate(b.encode()) for b in _PEM_CERT.findall(payload["certificate"])]
        except ValueError:
            return "CertChainError"
        if not chain:
            return "CertChainError"
        if not _valid_now(chain[0]):
            return "CertificateExpired"
        issuer = _chain_issuer(chain, roots)
        url = ocsp_url(chain[0])
        if issuer is None or url is None:
            return "CertChainError"
        queries.append((url, ocsp.OCSPRequestBuilder().add_certificate(chain[0], issuer, hashes.SHA256())))
    else:
        for entry in payload["iso15118CertificateHashData"]:
            try:
                builder = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
                    bytes.fromhex(entry["issuerNameHash"]), bytes.fromhex(entry["issuerKeyHash"]),
                    int(entry["serialNumber"], 16), HASHES[entry["hashAlgorithm"]]())
            except (ValueError, KeyError):
                return "CertChainError"
            queries.append((entry["responderURL"], builder))
    timeout = csms.config.request_timeout
    answers = await asyncio.gather(*(asyncio.to_thread(_ask, url, builder, roots, timeout) for url, builder in queries))
    if "revoked" in answers and not csms.fault(ACCEPT_REVOKED):
        return "CertificateRevoked"
    if all(a in ("good", "revoked") for a in answers):
        return "Accepted"
    return "CertChainError"


def _ask(url: str, builder: ocsp.OCSPRequestBuilder, roots: tuple[x509.Certificate, ...], timeout: float) -> str:
    """One OCSP query (HTTP POST of the DER request): good, revoked, unknown or error."""
    nonce = os.urandom(16)
    request = builder.add_extension(x509.OCSPNonce(nonce), critical=False).build()
    http = urllib.request.Request(url, data=request.public_bytes(Encoding.DER), method="POST",
                                  headers={"Content-Type": "application/ocsp-request",
                                           "Accept": "application/ocsp-response"})
    try:
        with urllib.request.urlopen(http, timeout=timeout) as answer:
            body = answer.read()
        response = ocsp.load_der_ocsp_response(body)
    except (urllib.error.URLError, OSError, ValueError):
        return "error"
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL or not _signed_by_trusted(response, roots):
        return "error"
    try:
        echoed = response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
        if echoed != nonce:
            return "error"
    except x509.ExtensionNotFound:
        pass
    for single in response.responses:
        if (single.serial_number == request.serial_number and single.issuer_name_hash == request.issuer_name_hash
                and single.issuer_key_hash == request.issuer_key_hash):
            return {ocsp.OCSPCertStatus.GOOD: "good", ocsp.OCSPCertStatus.REVOKED: "revoked"}.get(
                single.certificate_status, "unknown")
    return "error"


def _signed_by_trusted(response: ocsp.OCSPResponse, roots: tuple[x509.Certificate, ...]) -> bool:
    """Signed by a trusted root itself, or by a responder certificate a trusted root issued."""
    signers = list(roots) + [c for c in response.certificates if _valid_now(c) and any(issued_by(c, r) for r in roots)]
    for signer in signers:
        key = signer.public_key()
        try:
            if isinstance(key, ec.EllipticCurvePublicKey):
                key.verify(response.signature, response.tbs_response_bytes, ec.ECDSA(response.signature_hash_algorithm))
            elif isinstance(key, rsa.RSAPublicKey):
                key.verify(response.signature, response.tbs_response_bytes, padding.PKCS1v15(),
                           response.signature_hash_algorithm)
            else:
                continue
            return True
        except InvalidSignature:
            continue
    return False


# ------------------------------------------------------------ ClearCache (C11)
@operator_action("ClearCache")
async def clear_cache(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """Ask the station to clear its Authorization Cache; either answer is fine (C11)."""
    if csms.fault(NO_CLEAR_CACHE):
        csms.session(station_id)
        return {"status": "sent", "request": "ClearCache"}
    return send_request(csms, station_id, "ClearCache", {})
