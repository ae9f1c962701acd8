"""The harness's OCSP responder (RFC 6960 over HTTP) for the ISO 15118 contract-certificate cases
(TC_C_50 – TC_C_52), and the CertID arithmetic both sides of an OCSP exchange need.

The responder listens on the host/port of CONFIGURED_OCSP_RESPONDER_URL, answers POST
(application/ocsp-request) and GET (base64 request in the path), signs BasicOCSPResponses with the
MO root key (thisUpdate now, no nextUpdate, nonce echoed), and records every request so that a
case can check that the CSMS really asked. Status: good for the serials of
ISO15118_CERT_HASH_DATA_FILE and CONTRACT_CERT_FILE, revoked (keyCompromise, at the time the
revoked hash-data file was written) for the leaf of ISO15118_REVOKED_CERT_HASH_DATA_FILE, unknown
for anything else. It reads only the files those settings name.
"""
from __future__ import annotations

import base64
import datetime as dt
import fcntl
import json
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from simulator.pki.ocsp_ids import HASHES, issuer_hashes, ocsp_url
from simulator.verdicts.checks import HarnessError


# ---------------------------------------------------------------- what a case looks for
@dataclass
class ContractTarget:
    """A contract certificate as the OCSP step must name it: its serial and its issuer's hashes per
    hash algorithm (those of the hash data, and, when they are the MO root's, every other one)."""
    name: str
    serial: int
    issuer: dict[str, tuple[str, str]]

    def matches(self, record: "OcspRecord") -> bool:
        return (record.serial == self.serial and record.algorithm in self.issuer
                and self.issuer[record.algorithm] == (record.issuer_name_hash, record.issuer_key_hash))


def target_from_hash_data(name: str, entry: dict[str, Any], mo_root: x509.Certificate) -> ContractTarget:
    algorithm = entry["hashAlgorithm"]
    given = (entry["issuerNameHash"].lower(), entry["issuerKeyHash"].lower())
    known = {algorithm: given}
    if issuer_hashes(mo_root, algorithm) == given:
        known = {a: issuer_hashes(mo_root, a) for a in HASHES}
    return ContractTarget(name, int(entry["serialNumber"], 16), known)


def target_from_certificate(name: str, cert: x509.Certificate, mo_root: x509.Certificate) -> ContractTarget:
    issued = cert.issuer == mo_root.subject
    return ContractTarget(name, cert.serial_number,
                          {a: issuer_hashes(mo_root, a) for a in HASHES} if issued else {})


# ---------------------------------------------------------------- the responder
@dataclass
class OcspRecord:
    at: float
    algorithm: str
    issuer_name_hash: str
    issuer_key_hash: str
    serial: int

    def __str__(self) -> str:
        return f"{self.algorithm} serial {self.serial:X}"


@dataclass
class OcspResponder:
    url: str
    root: x509.Certificate
    root_key: Any
    good: set[int] = field(default_factory=set)
    revoked: dict[int, dt.datetime] = field(default_factory=dict)
    records: list[OcspRecord] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._port_lock: Any = None
        #: other answerers of the harness (block M's V2G Sub-CAs) tried first; None: not theirs
        self.delegates: list[Callable[[bytes], bytes | None]] = []
        self.wait = 30.0  # how long start() waits for another run on this machine to free the port

    # ------------------------------------------------------------ lifecycle
    def start(self) -> None:
        parsed = urllib.parse.urlsplit(self.url)
        if parsed.scheme != "http" or not parsed.hostname:
            raise HarnessError(f"CONFIGURED_OCSP_RESPONDER_URL {self.url!r}: the harness serves OCSP over http:// only")
        responder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._answer(body)

            def do_GET(self) -> None:  # noqa: N802
                prefix = urllib.parse.urlsplit(responder.url).path.rstrip("/") + "/"
                raw = self.path[len(prefix):] if self.path.startswith(prefix) else self.path.lstrip("/")
                encoded = urllib.parse.unquote(raw)
                try:
                    body = base64.b64decode(encoded + "=" * (-len(encoded) % 4))
                except ValueError:
                    body = b""
                self._answer(body)

            def _answer(self, body: bytes) -> None:
                der = responder.answer(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/ocsp-response")
                self.send_header("Content-Length", str(len(der)))
                self.end_headers()
                self.wfile.write(der)

            def log_message(self, *args: Any) -> None:
                pass

        self._port_lock = hold_port(parsed.port or 80, self.wait)
        try:
            self._server = ThreadingHTTPServer((parsed.hostname, parsed.port or 80), Handler)
        except OSError as e:
            self._port_lock.close()
            raise HarnessError(f"cannot start the OCSP responder on {parsed.hostname}:{parsed.port or 80} "
                               f"(CONFIGURED_OCSP_RESPONDER_URL): {e.strerror or e}") from None
        self._server.daemon_threads = True
        # a short poll so that stop() (shutdown waits for the next poll) costs a case milliseconds
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                         name="ocsp-responder", daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._port_lock is not None:
            self._port_lock.close()  # closing the file releases the lock
            self._port_lock = None

    # ------------------------------------------------------------ answering
    def answer(self, body: bytes) -> bytes:
        """The DER OCSPResponse for a DER OCSPRequest (malformedRequest when it does not parse)."""
        for delegate in self.delegates:
            answer = delegate(body)
            if answer is not None:
                return answer
        try:
            request = ocsp.load_der_ocsp_request(body)
            algorithm = request.hash_algorithm.name.upper().replace("-", "")
            serial = request.serial_number
            name_hash, key_hash = request.issuer_name_hash.hex(), request.issuer_key_hash.hex()
        except Exception:
            return ocsp.OCSPResponseBuilder.build_unsuccessful(
                ocsp.OCSPResponseStatus.MALFORMED_REQUEST).public_bytes(serialization.Encoding.DER)
        with self._lock:
            self.records.append(OcspRecord(time.time(), algorithm, name_hash, key_hash, serial))
        ours = algorithm in HASHES and issuer_hashes(self.root, algorithm) == (name_hash, key_hash)
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        status, revoked_at, reason = ocsp.OCSPCertStatus.UNKNOWN, None, None
        if ours and serial in self.revoked:
            status, revoked_at, reason = ocsp.OCSPCertStatus.REVOKED, self.revoked[serial], x509.ReasonFlags.key_compromise
        elif ours and serial in self.good:
            status = ocsp.OCSPCertStatus.GOOD
        builder = (ocsp.OCSPResponseBuilder()
                   .add_response_by_hash(request.issuer_name_hash, request.issuer_key_hash, serial,
                                         request.hash_algorithm, status, now, None, revoked_at, reason)
                   .responder_id(ocsp.OCSPResponderEncoding.HASH, self.root))
        try:
            nonce = request.extensions.get_extension_for_class(x509.OCSPNonce).value
            builder = builder.add_extension(nonce, critical=False)
        except x509.ExtensionNotFound:
            pass
        return builder.sign(self.root_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    # ------------------------------------------------------------ what was asked
    def mark(self) -> int:
        with self._lock:
            return len(self.records)

    def since(self, mark: int) -> list[OcspRecord]:
        with self._lock:
            return list(self.records[mark:])


# ---------------------------------------------------------------- the suite's contract material
def read_hash_data(path: Path, setting: str, responder_url: str) -> list[dict[str, Any]]:
    """The entries of a hash-data file (wire form of OCSPRequestDataType); HarnessError with one line
    when it cannot be read or names another responder than the harness's."""
    try:
        entries = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise HarnessError(f"{setting} {path}: cannot read it as JSON ({e})") from None
    if not isinstance(entries, list) or not 1 <= len(entries) <= 4:
        raise HarnessError(f"{setting} {path}: expected a JSON array of 1-4 OCSPRequestData objects")
    for entry in entries:
        if entry.get("responderURL") != responder_url:
            raise HarnessError(f"{setting}: responderURL {entry.get('responderURL')!r} is not "
                               f"CONFIGURED_OCSP_RESPONDER_URL {responder_url!r}; the harness could not "
                               f"observe the OCSP step")
    return entries


def read_certificate(path: Path, setting: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError) as e:
        raise HarnessError(f"{setting} {path}: cannot read a PEM certificate ({e})") from None


def ensure_fixtures(settings: Any) -> None:
    """Generate the contract material into fixtures/certs/ when the settings point there and it is
    missing or stale (another eMAID or responder URL)."""
    from fixtures.make_certs import ensure_contracts
    certs = settings.path("fixtures/certs")
    names = ("ISO15118_CERT_HASH_DATA_FILE", "ISO15118_REVOKED_CERT_HASH_DATA_FILE", "CONTRACT_CERT_FILE",
             "CONFIGURED_MO_ROOT_CERT_FILE", "CONFIGURED_MO_ROOT_KEY_FILE")
    if any(settings.path(getattr(settings, n)).resolve().parent == certs.resolve() for n in names):
        ensure_contracts(certs, settings.CONFIGURED_CONTRACT_EMAID, settings.CONFIGURED_OCSP_RESPONDER_URL)


def hold_port(port: int, wait: float) -> Any:
    """An exclusive lock on this machine for the responder's port, so that runs in parallel (the
    selftests) take turns instead of failing to bind; the open lock file, closed to release."""
    path = Path(tempfile.gettempdir()) / f"ocpp-harness-port-{port}.lock"
    handle = open(path, "w")
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except OSError:
            if time.monotonic() > deadline:
                handle.close()
                raise HarnessError(f"the OCSP responder's port {port} stayed taken by another run on this "
                                   f"machine for {wait:g} s") from None
            time.sleep(0.05)


def responder_from_settings(settings: Any) -> OcspResponder:
    """The responder for the suite's settings, not yet started."""
    ensure_fixtures(settings)
    url = settings.CONFIGURED_OCSP_RESPONDER_URL
    root = read_certificate(settings.path(settings.CONFIGURED_MO_ROOT_CERT_FILE), "CONFIGURED_MO_ROOT_CERT_FILE")
    key_path = settings.path(settings.CONFIGURED_MO_ROOT_KEY_FILE)
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), None)
    except (OSError, ValueError, TypeError) as e:
        raise HarnessError(f"CONFIGURED_MO_ROOT_KEY_FILE: cannot read the MO root's private key "
                           f"({e.__class__.__name__})") from None
    good_path = settings.path(settings.ISO15118_CERT_HASH_DATA_FILE)
    revoked_path = settings.path(settings.ISO15118_REVOKED_CERT_HASH_DATA_FILE)
    good = {int(e["serialNumber"], 16) for e in read_hash_data(good_path, "ISO15118_CERT_HASH_DATA_FILE", url)}
    good.add(read_certificate(settings.path(settings.CONTRACT_CERT_FILE), "CONTRACT_CERT_FILE").serial_number)
    revoked_entries = read_hash_data(revoked_path, "ISO15118_REVOKED_CERT_HASH_DATA_FILE", url)
    revoked_at = dt.datetime.fromtimestamp(int(revoked_path.stat().st_mtime), dt.timezone.utc)
    good |= {int(e["serialNumber"], 16) for e in revoked_entries[1:]}  # the leaf's issuers stay good
    responder = OcspResponder(url, root, key, good, {int(revoked_entries[0]["serialNumber"], 16): revoked_at})
    # another run on this machine (the selftests run side by side) holds the port for one of its cases at
    # most; the lock is the harness's own, so a port some other program holds still fails at once (bind)
    responder.wait = settings.case_time_limit
    return responder


@dataclass
class ContractMaterial:
    """What TC_C_50 – TC_C_52 send and look for: the hash data of good-A and revoked-B, the PEM of
    good-C, and each one's CertID target at the responder."""
    good_a: list[dict[str, Any]]
    revoked_b: list[dict[str, Any]]
    good_c_pem: str
    target_a: ContractTarget
    target_b: ContractTarget
    target_c: ContractTarget


def contract_material(settings: Any) -> ContractMaterial:
    """Read the settings' contract files; HarnessError (one line) when one is unreadable or names a
    responder other than CONFIGURED_OCSP_RESPONDER_URL."""
    ensure_fixtures(settings)
    url = settings.CONFIGURED_OCSP_RESPONDER_URL
    root = read_certificate(settings.path(settings.CONFIGURED_MO_ROOT_CERT_FILE), "CONFIGURED_MO_ROOT_CERT_FILE")
    good_a = read_hash_data(settings.path(settings.ISO15118_CERT_HASH_DATA_FILE), "ISO15118_CERT_HASH_DATA_FILE", url)
    revoked_b = read_hash_data(settings.path(settings.ISO15118_REVOKED_CERT_HASH_DATA_FILE),
                               "ISO15118_REVOKED_CERT_HASH_DATA_FILE", url)
    cert_path = settings.path(settings.CONTRACT_CERT_FILE)
    good_c = read_certificate(cert_path, "CONTRACT_CERT_FILE")
    if ocsp_url(good_c) != url:
        raise HarnessError(f"CONTRACT_CERT_FILE: AIA OCSP URL {ocsp_url(good_c)!r} is not CONFIGURED_OCSP_RESPONDER_URL "
                           f"{url!r}; the harness could not observe the OCSP step")
    pem = good_c.public_bytes(serialization.Encoding.PEM).decode()
    return ContractMaterial(good_a, revoked_b, pem, target_from_hash_data("good-A", good_a[0], root),
                            target_from_hash_data("revoked-B", revoked_b[0], root),
                            target_from_certificate("good-C", good_c, root))


def check_ocsp_request(step: int | str, records: list[OcspRecord], target: ContractTarget) -> None:
    """"OCSP request seen for X": the responder recorded a CertID for X's serial and issuer."""
    from simulator.verdicts.checks import check_that
    check_that(step, any(target.matches(r) for r in records),
               f"OCSP request for {target.name} (serial {target.serial:X}) expected at the responder while the "
               f"AuthorizeRequest was open, got {', '.join(map(str, records)) or 'none'}")
