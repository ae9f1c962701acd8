"""Certificate management (M): installing root certificates (M05), retrieving the installed ones'
hash data (M03), deleting one with exactly the hash data the station reported (M04.FR.07), OCSP
status of the station's V2G Sub-CAs from the responder the station names (M06), and EV contract
certificates from the back end's contract certificate service (M01, M02)."""
from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import hashlib
import logging
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID

from simulator.pki.cert_store import HASHES, hash_data, same_hash_data
from simulator.wire.protocol import CALL, schema_problem

from ..registry import ActionError, fault, on, operator_action
from .common import send_request

if TYPE_CHECKING:
    from ..central import CentralSystem, CsmsSession

log = logging.getLogger("reference_csms")

WRONG_TYPE = fault("install_wrong_certificate_type", "InstallCertificate sends the certificate under another "
                   "certificateType (CSMS and manufacturer roots swapped, V2G and MO roots swapped)")
OWN_HASH_DATA = fault("delete_wrong_hash_data", "DeleteCertificate sends hash data it computed itself (issuerKeyHash "
                      "over the issuer's whole SubjectPublicKeyInfo) instead of the hash data the station reported")
IDS_WITHOUT_TYPE = fault("installed_ids_without_type", "GetInstalledCertificateIds leaves certificateType out "
                         "whatever types were asked for")
IDS_EVERY_TYPE = fault("installed_ids_every_type_listed", "GetInstalledCertificateIds lists every certificate type "
                       "when asked for all (instead of leaving certificateType out)")
NO_OCSP_RESULT = fault("ocsp_result_missing", "answers GetCertificateStatusRequest Accepted without ocspResult")
EV_CERTIFICATE_FAILED = fault("ev_certificate_failed", "answers every Get15118EVCertificateRequest Failed "
                              "(no contract certificate service)")

INSTALL_TYPES = ("V2GRootCertificate", "MORootCertificate", "CSMSRootCertificate", "ManufacturerRootCertificate")
ALL_TYPES = ("V2GRootCertificate", "MORootCertificate", "CSMSRootCertificate", "V2GCertificateChain",
             "ManufacturerRootCertificate")
SWAPPED = {"CSMSRootCertificate": "ManufacturerRootCertificate", "ManufacturerRootCertificate": "CSMSRootCertificate",
           "V2GRootCertificate": "MORootCertificate", "MORootCertificate": "V2GRootCertificate"}
EXI_HEADER = b"$EXI\x80"  # the EXI cookie and distinguishing bits of the back end's streams


def _checked(action: str, payload: dict[str, Any]) -> dict[str, Any]:
    problem = schema_problem(action, CALL, payload)
    if problem:
        raise ActionError(f"{action}Request would break the OCPP 2.0.1 schema: {problem}")
    return payload


def _certificate(params: dict[str, Any]) -> tuple[x509.Certificate, str]:
    pem = params.get("certificate")
    try:
        return x509.load_pem_x509_certificate(str(pem).encode()), str(pem)
    except ValueError:
        raise ActionError("certificate must be one PEM X.509 certificate") from None


def _fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


# ------------------------------------------------------------ M05 install
@operator_action("InstallCertificate")
async def install_certificate(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """M05: InstallCertificateRequest with the PEM under the asked type; stored as installed when
    the station answers Accepted, as failed otherwise."""
    kind = params.get("certificateType")
    if kind not in INSTALL_TYPES:
        raise ActionError(f"certificateType must be one of {', '.join(INSTALL_TYPES)}")
    cert, pem = _certificate(params)
    sent = SWAPPED[kind] if csms.fault(WRONG_TYPE) else kind
    fingerprint = _fingerprint(cert)
    csms.store.set_certificate(station_id, sent, fingerprint, pem, "Pending")

    def answered(answer: dict[str, Any]) -> None:
        status = "Installed" if answer.get("status") == "Accepted" else f"Install{answer.get('status')}"
        csms.store.set_certificate(station_id, sent, fingerprint, pem, status)
    return send_request(csms, station_id, "InstallCertificate",
                        _checked("InstallCertificate", {"certificateType": sent, "certificate": pem}), answered)


# ------------------------------------------------------------ M03 retrieve
def _ids_request(csms: "CentralSystem", types: list[str] | None) -> dict[str, Any]:
    if csms.fault(IDS_WITHOUT_TYPE):
        return {}
    if not types:
        return {"certificateType": list(ALL_TYPES)} if csms.fault(IDS_EVERY_TYPE) else {}
    return {"certificateType": types}


async def _retrieve(session: "CsmsSession", types: list[str] | None) -> list[dict[str, Any]]:
    """GetInstalledCertificateIds; what the station reports is stored per type (NotFound: nothing)."""
    answer = await session.request("GetInstalledCertificateIds",
                                   _checked("GetInstalledCertificateIds", _ids_request(session.csms, types)))
    entries = answer.get("certificateHashDataChain") or [] if answer.get("status") == "Accepted" else []
    session.store.set_reported_certificates(session.id, entries)
    return entries


@operator_action("GetInstalledCertificateIds")
async def get_installed_certificate_ids(csms: "CentralSystem", station_id: str,
                                        params: dict[str, Any]) -> dict[str, Any]:
    """M03: one GetInstalledCertificateIdsRequest for the asked types (none: every type)."""
    types = params.get("certificateType")
    if types is not None and (not isinstance(types, list) or not set(types) <= set(ALL_TYPES)):
        raise ActionError(f"certificateType must be a list of {', '.join(ALL_TYPES)}")
    session = csms.session(station_id)
    session.later(_retrieve(session, types or None))
    return {"status": "sent", "request": "GetInstalledCertificateIds"}


# ------------------------------------------------------------ M04 delete
def _own_hash_data(cert: x509.Certificate, algorithm: str) -> dict[str, Any]:
    """Fault delete_wrong_hash_data: the issuer key hashed as the whole SubjectPublicKeyInfo."""
    h = HASHES[algorithm]
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return {"hashAlgorithm": algorithm, "issuerNameHash": h(cert.issuer.public_bytes()).hexdigest(),
            "issuerKeyHash": h(spki).hexdigest(), "serialNumber": format(cert.serial_number, "x")}


async def _delete(session: "CsmsSession", kind: str, cert: x509.Certificate, pem: str) -> None:
    """Ask for the installed ids of the type, find the entry of this certificate (hashed with the
    algorithm the station used), and delete it with exactly the hash data reported (M04.FR.07)."""
    entries = await _retrieve(session, [kind])
    issuer = cert if cert.issuer == cert.subject else None
    for entry in entries:
        reported = entry["certificateHashData"]
        if reported.get("hashAlgorithm") not in HASHES:
            continue
        if same_hash_data(hash_data(cert, issuer, reported["hashAlgorithm"]), reported):
            data = _own_hash_data(cert, reported["hashAlgorithm"]) if session.csms.fault(OWN_HASH_DATA) else reported
            answer = await session.request("DeleteCertificate", {"certificateHashData": data})
            if answer.get("status") == "Accepted":
                session.store.set_certificate(session.id, kind, _fingerprint(cert), pem, "Deleted")
            return
    log.info("%s: the station reports no %s matching the certificate to delete", session.id, kind)


@operator_action("DeleteCertificate")
async def delete_certificate(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """M04: delete the given certificate of the given type from the station."""
    kind = params.get("certificateType")
    if kind not in ALL_TYPES:
        raise ActionError(f"certificateType must be one of {', '.join(ALL_TYPES)}")
    cert, pem = _certificate(params)
    session = csms.session(station_id)
    session.later(_delete(session, kind, cert, pem))
    return {"status": "sent", "request": "GetInstalledCertificateIds"}


# ------------------------------------------------------------ M06 OCSP
def _ocsp_request(data: dict[str, Any]) -> bytes:
    algorithm = {"SHA256": hashes.SHA256(), "SHA384": hashes.SHA384(), "SHA512": hashes.SHA512()}[data["hashAlgorithm"]]
    builder = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        bytes.fromhex(data["issuerNameHash"]), bytes.fromhex(data["issuerKeyHash"]), int(data["serialNumber"], 16),
        algorithm)
    return builder.build().public_bytes(serialization.Encoding.DER)


def _fetch(url: str, body: bytes, timeout: float) -> bytes:
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/ocsp-request"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


@on("GetCertificateStatus")
async def certificate_status(session: "CsmsSession", payload: dict[str, Any]) -> dict[str, Any]:
    """M06: build the OCSP request from the hash data, ask the responder the station names, and pass
    its DER answer on Base64-encoded; Failed when the responder cannot be reached or answers no success."""
    data = payload["ocspRequestData"]
    try:
        der = await asyncio.to_thread(_fetch, data["responderURL"], _ocsp_request(data), session.csms.config.ocsp_timeout)
        response = ocsp.load_der_ocsp_response(der)
    except (urllib.error.URLError, OSError, ValueError) as e:
        log.info("%s: OCSP request to %s failed: %s", session.id, data.get("responderURL"), e)
        return {"status": "Failed", "statusInfo": {"reasonCode": "OCSPUnreachable", "additionalInfo": str(e)[:500]}}
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        return {"status": "Failed", "statusInfo": {"reasonCode": "OCSPError",
                                                   "additionalInfo": response.response_status.name}}
    result = base64.b64encode(der).decode()
    session.store.remember_ocsp(data, result)
    if session.csms.fault(NO_OCSP_RESULT):
        return {"status": "Accepted"}
    return {"status": "Accepted", "ocspResult": result}


# ------------------------------------------------------------ M01 / M02 EV contract certificates
def _parts(body: bytes) -> list[bytes]:
    parts, i = [], 0
    while i < len(body):
        n = int.from_bytes(body[i:i + 2], "big")
        parts.append(body[i + 2:i + 2 + n])
        i += 2 + n
        if i > len(body):
            raise ValueError("truncated")
    return parts


def _read_ev_request(exi_b64: str) -> tuple[list[x509.Certificate], list[bytes]]:
    """The EV's request stream: EXI header, its certificate chain (DER), the trusted roots' names, and
    a signature by the EV's key over all of it. Raises ValueError when it is not such a stream."""
    try:
        raw = base64.b64decode(exi_b64, validate=True)
    except binascii.Error:
        raise ValueError("exiRequest is not Base64") from None
    if not raw.startswith(EXI_HEADER):
        raise ValueError("exiRequest is not an EXI stream of the back end's format")
    parts = _parts(raw[len(EXI_HEADER):])
    *content, signature = parts
    certs, names = [], []
    for part in content:
        try:
            certs.append(x509.load_der_x509_certificate(part))
        except ValueError:
            names.append(part)
    if not certs:
        raise ValueError("exiRequest carries no certificate")
    body = b"".join(len(p).to_bytes(2, "big") + p for p in content)
    key = certs[0].public_key()
    try:
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise InvalidSignature
        key.verify(signature, body, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise ValueError("the EV's signature over the request does not verify") from None
    return certs, names


def _issue_contract(csms: "CentralSystem", emaid: str) -> bytes:
    """A new contract certificate for ``emaid`` from the MO Sub-CA, framed for the EV: EXI header, then
    the contract certificate and the Sub-CA, length-prefixed (the new key travels encrypted for the
    EV in ISO 15118; this service keeps it and never logs it)."""
    config = csms.config
    if not (config.contract_ca_cert and config.contract_ca_key):
        raise ValueError("no contract certificate service configured")
    with open(config.contract_ca_cert, "rb") as f:
        ca = x509.load_pem_x509_certificate(f.read())
    with open(config.contract_ca_key, "rb") as f:
        ca_key = serialization.load_pem_private_key(f.read(), None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, emaid)]))
            .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=730))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256()))  # type: ignore[arg-type]
    parts = [cert.public_bytes(serialization.Encoding.DER), ca.public_bytes(serialization.Encoding.DER)]
    return EXI_HEADER + b"".join(len(p).to_bytes(2, "big") + p for p in parts)


@on("Get15118EVCertificate")
def ev_certificate(session: "CsmsSession", payload: dict[str, Any]) -> dict[str, Any]:
    """M01/M02: forward the EV's request to the contract certificate service: Install provisions the
    back end's eMAID for the EV; Update renews the contract of the eMAID in the EV's current contract
    certificate, which must be an Accepted eMAID token. Failed when the request cannot be served."""
    csms = session.csms
    if csms.fault(EV_CERTIFICATE_FAILED):
        return {"status": "Failed", "exiResponse": ""}
    try:
        certs, _ = _read_ev_request(payload["exiRequest"])
        if payload["action"] == "Update":
            names = certs[0].subject.get_attributes_for_oid(NameOID.COMMON_NAME)
            emaid = str(names[0].value) if names else ""
            info = session.store.token_info({"idToken": emaid, "type": "eMAID"})
            if info["status"] != "Accepted":
                raise ValueError(f"contract {emaid!r} is {info['status']}")
        else:
            emaid = csms.config.contract_emaid or ""
            if not emaid:
                raise ValueError("no eMAID to provision")
        stream = _issue_contract(csms, emaid)
    except (ValueError, OSError) as e:
        log.info("%s: Get15118EVCertificate %s failed: %s", session.id, payload["action"], e)
        return {"status": "Failed", "exiResponse": "",
                "statusInfo": {"reasonCode": "ContractService", "additionalInfo": str(e)[:500]}}
    session.store.log(session.id, "note", "ContractCertificateIssued",
                      {"emaid": emaid, "sha256": hashlib.sha256(stream).hexdigest()})
    return {"status": "Accepted", "exiResponse": base64.b64encode(stream).decode()}

