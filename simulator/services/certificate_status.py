"""The harness's OCSP responder (RFC 6960 over HTTP, POST and GET) for the V2G chain's CA
certificates (M06), and the checks on the OCSP result a CSMS passes on.

It answers "good" for every CA certificate of CONFIGURED_V2G_CERT_CHAIN (the Sub-CAs), each response
signed by the key of the certificate's issuer (found beside the certificates), and "unauthorized" for
anything else. It listens on the host and port of CONFIGURED_OCSP_RESPONDER_URL while a case runs.
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from simulator.pki.cert_store import hash_data, load_pem_chain, same_hash_data
from simulator.verdicts.checks import HarnessError

ALGORITHMS = {"SHA1": hashes.SHA1, "SHA256": hashes.SHA256, "SHA384": hashes.SHA384, "SHA512": hashes.SHA512}


def _keys_beside(directory: Path) -> list[Any]:
    keys = []
    for path in sorted(directory.glob("*.key")):
        try:
            keys.append(serialization.load_pem_private_key(path.read_bytes(), None))
        except (OSError, ValueError, TypeError):
            continue
    return keys


def _der_public(key: Any) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


class OcspResponder:
    """``async with OcspResponder(settings):`` serves the V2G chain's OCSP answers for the case."""

    def __init__(self, settings: Any) -> None:
        self.url = settings.CONFIGURED_OCSP_RESPONDER_URL
        chain_file = settings.path(settings.CONFIGURED_V2G_CERT_CHAIN)
        root_file = settings.path(settings.CONFIGURED_V2G_ROOT_CERT)
        try:
            chain = load_pem_chain(chain_file.read_text())
            roots = load_pem_chain(root_file.read_text())
        except (OSError, ValueError) as e:
            raise HarnessError(f"OCSP responder: cannot read the V2G certificates: {e}") from None
        certs = chain + roots
        keys = {_der_public(k.public_key()): k for d in {chain_file.parent, root_file.parent} for k in _keys_beside(d)}
        # (certificate, issuer, issuer key) for each CA certificate of the chain
        self.known: list[tuple[x509.Certificate, x509.Certificate, Any]] = []
        for cert in chain[1:]:
            issuer = next((c for c in certs if c.subject == cert.issuer), None)
            key = keys.get(_der_public(issuer.public_key())) if issuer is not None else None
            if issuer is None or key is None:
                raise HarnessError(f"OCSP responder: no issuer certificate and key for {cert.subject.rfc4514_string()}")
            self.known.append((cert, issuer, key))
        self.requests: list[dict[str, Any]] = []
        self._server: asyncio.AbstractServer | None = None

    async def __aenter__(self) -> "OcspResponder":
        parsed = urlparse(self.url)
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            self._server = await asyncio.start_server(self._serve, parsed.hostname, port)
        except OSError as e:
            raise HarnessError(f"cannot host the OCSP responder at {self.url} (CONFIGURED_OCSP_RESPONDER_URL): "
                               f"{e.strerror or e}") from None
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def answer_known(self, der_request: bytes) -> bytes | None:
        """As a delegate of the harness's responder (simulator.services.ocsp): the answer for a Sub-CA of the
        V2G chain, None for any other request."""
        answer = self.answer(der_request)
        return None if answer == _UNAUTHORIZED else answer

    def answer(self, der_request: bytes) -> bytes:
        """The DER OCSPResponse for a DER OCSPRequest."""
        try:
            request = ocsp.load_der_ocsp_request(der_request)
        except ValueError:
            return ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST).public_bytes(
                serialization.Encoding.DER)
        algorithm = type(request.hash_algorithm).__name__.upper()
        asked = {"hashAlgorithm": algorithm, "issuerNameHash": request.issuer_name_hash.hex(),
                 "issuerKeyHash": request.issuer_key_hash.hex(), "serialNumber": format(request.serial_number, "x")}
        self.requests.append(asked)
        for cert, issuer, key in self.known:
            if algorithm in ("SHA256", "SHA384", "SHA512") and same_hash_data(hash_data(cert, issuer, algorithm), asked):
                now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
                builder = (ocsp.OCSPResponseBuilder()
                           .add_response(cert=cert, issuer=issuer, algorithm=ALGORITHMS[algorithm](),
                                         cert_status=ocsp.OCSPCertStatus.GOOD, this_update=now,
                                         next_update=now + dt.timedelta(days=1), revocation_time=None,
                                         revocation_reason=None)
                           .responder_id(ocsp.OCSPResponderEncoding.HASH, issuer))
                return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
        return ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED).public_bytes(
            serialization.Encoding.DER)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        status, body = "200 OK", b""
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            length = next((int(line.split(":", 1)[1]) for line in lines[1:]
                           if line.lower().startswith("content-length:")), 0)
            if method == "POST":
                body = self.answer(await reader.readexactly(length))
            elif method == "GET":  # RFC 6960 A.1: the Base64 (URL-encoded) request after the path
                body = self.answer(base64.b64decode(unquote(path.rsplit("/", 1)[-1])))
            else:
                status = "405 Method Not Allowed"
        except (ValueError, binascii.Error, asyncio.IncompleteReadError, asyncio.TimeoutError):
            status = "400 Bad Request"
        writer.write(f"HTTP/1.1 {status}\r\nContent-Type: application/ocsp-response\r\n"
                     f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
        try:
            await writer.drain()
        finally:
            writer.close()


_UNAUTHORIZED = ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED).public_bytes(
    serialization.Encoding.DER)


def ocsp_result_problem(result: Any, serial_number: int) -> tuple[str, str] | None:
    """M06 step checks on ocspResult: (field, what is wrong) or None. Base64 of a DER OCSPResponse;
    (harness) responseStatus successful with a SingleResponse for the asked serial."""
    if result is None:
        return "ocspResult", "expected present, got absent"
    if not isinstance(result, str) or not result:
        return "ocspResult", f"expected present and not empty, got {result!r}"
    try:
        der = base64.b64decode(result, validate=True)
    except (binascii.Error, ValueError):
        return "ocspResult", "expected valid Base64, got text that does not decode"
    try:
        response = ocsp.load_der_ocsp_response(der)
    except ValueError as e:
        return "ocspResult", f"expected a DER OCSPResponse (RFC 6960), got bytes that do not parse ({e})"
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        return "(harness) ocspResult responseStatus", f"expected successful, got {response.response_status.name}"
    serials = [single.serial_number for single in response.responses]
    if serial_number not in serials:
        return ("(harness) ocspResult certID.serialNumber",
                f"expected {serial_number:x}, got {', '.join(format(s, 'x') for s in serials) or 'none'}")
    return None
