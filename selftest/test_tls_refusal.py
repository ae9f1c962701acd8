"""A client certificate refused the TLS 1.3 way counts as the refusal it is (issue 23, item 4).

Over TLS 1.3 the client has finished its handshake before the server has looked at the client's
certificate; the server's verdict comes after it, on the station's first read: an alert, or (some
TLS terminators) a reset without any alert. A small TLS 1.3 server written here completes the
handshake and, when the client certificate does not verify, resets the connection (SO_LINGER 0,
no alert); the admission probe counts that as a certificate refusal. A server that says nothing
instead is not counted as refused, and a bare reset is no refusal of credentials that are not a
certificate."""
from __future__ import annotations

import base64
import hashlib
import socket
import ssl
import struct
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from fixtures.make_certs import issue, make_ca
from simulator.probes.admission import attempt, require_admission, require_refusal
from simulator.probes.tls_probes import RESET, TIMEOUT
from simulator.verdicts.checks import CaseFailure, set_case
from simulator.verdicts.trace import Trace
from simulator.wire.transport import Credentials, Endpoint

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def _write(path: Path, cert: object = None, key: object = None) -> Path:
    if cert is not None:
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))  # type: ignore[attr-defined]
    else:
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM,  # type: ignore[attr-defined]
                                           serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A CA with a server certificate for localhost and a client certificate; a client certificate
    of another CA (untrusted)."""
    out = tmp_path_factory.mktemp("tls13")
    ca, ca_key = make_ca("Refusal Test CA")
    rogue, rogue_key = make_ca("Rogue CA")
    files = {"ca": _write(out / "ca.pem", ca)}
    for name, (issuer, issuer_key, server) in {"server": (ca, ca_key, True), "client": (ca, ca_key, False),
                                               "untrusted": (rogue, rogue_key, False)}.items():
        key = ec.generate_private_key(ec.SECP256R1())
        files[name] = _write(out / f"{name}.pem", issue(issuer, issuer_key, key.public_key(),
                                                        "localhost" if server else "CP_3", server=server))
        files[name + "_key"] = _write(out / f"{name}.key", key=key)
    return files


class Tls13Server:
    """TLS 1.3 only, client certificate required. A client whose certificate verifies gets HTTP 101
    to its upgrade. One whose certificate does not: ``reset`` sends no alert and resets the
    connection; ``silent`` says nothing at all until the client goes away."""

    def __init__(self, pki: dict[str, Path], mode: str) -> None:
        self.mode = mode
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.minimum_version = self.ctx.maximum_version = ssl.TLSVersion.TLSv1_3
        self.ctx.load_cert_chain(str(pki["server"]), str(pki["server_key"]))
        self.ctx.load_verify_locations(cafile=str(pki["ca"]))
        self.ctx.verify_mode = ssl.CERT_REQUIRED
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.handshakes_refused = 0
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.sock.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = self.ctx.wrap_bio(incoming, outgoing, server_side=True)
        conn.settimeout(10)
        try:
            while True:
                try:
                    tls.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    conn.sendall(outgoing.read())
                    data = conn.recv(65536)
                    if not data:
                        return
                    incoming.write(data)
                except ssl.SSLError:  # the client's certificate does not verify; its alert is never sent
                    self.handshakes_refused += 1
                    if self.mode == "reset":
                        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    else:
                        while conn.recv(65536):
                            pass
                    return
            conn.sendall(outgoing.read())
            self._upgrade(conn, tls, incoming, outgoing)
        except OSError:
            pass
        finally:
            conn.close()

    def _upgrade(self, conn: socket.socket, tls: ssl.SSLObject, incoming: ssl.MemoryBIO,
                 outgoing: ssl.MemoryBIO) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            try:
                head += tls.read(65536)
            except ssl.SSLWantReadError:
                conn.sendall(outgoing.read())
                data = conn.recv(65536)
                if not data:
                    return
                incoming.write(data)
        key = next(line.split(b":", 1)[1].strip() for line in head.split(b"\r\n")
                   if line.lower().startswith(b"sec-websocket-key:"))
        accept = base64.b64encode(hashlib.sha1(key + GUID.encode()).digest())
        tls.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  b"Sec-WebSocket-Accept: " + accept + b"\r\nSec-WebSocket-Protocol: ocpp2.0.1\r\n\r\n")
        conn.sendall(outgoing.read())
        while conn.recv(65536):  # the client's close frame, then its end of stream
            pass


def endpoint(server: Tls13Server, pki: dict[str, Path]) -> Endpoint:
    return Endpoint(None, f"wss://localhost:{server.port}", pki["ca"], open_timeout=1.5)


def creds(pki: dict[str, Path], which: str) -> Credentials:
    return Credentials("CP_3", 3, None, pki[which], pki[which + "_key"])


async def test_a_reset_right_after_the_tls13_handshake_is_a_certificate_refusal(pki: dict[str, Path]) -> None:
    server = Tls13Server(pki, "reset")
    try:
        where = endpoint(server, pki)
        set_case("TC_A_08")
        await require_admission("before step 1", where, creds(pki, "client"), "the valid certificate")
        result = await attempt(where, creds(pki, "untrusted"))
        assert server.handshakes_refused == 1
        assert result.tls is not None and result.tls.version == "TLSv1.3", result  # the client finished its handshake
        assert (result.outcome, result.at_tls, result.certificate_refusal) == (RESET, True, True), result
        assert not result.explicit_refusal  # not for credentials that are no certificate (TC_A_02/03)
        trace = Trace()
        await require_refusal(2, where, creds(pki, "untrusted"), trace, "with an untrusted certificate: ",
                              certificate=True)
        assert "the CSMS refused (the CSMS reset the connection" in trace.text()
        with pytest.raises(CaseFailure, match=r"^TC_A_08 step 2: .*reset the connection.*; an explicit refusal "):
            await require_refusal(2, where, creds(pki, "untrusted"), trace)
    finally:
        server.close()


async def test_a_server_that_stays_silent_is_no_refusal(pki: dict[str, Path]) -> None:
    server = Tls13Server(pki, "silent")
    try:
        where = endpoint(server, pki)
        set_case("TC_A_08")
        result = await attempt(where, creds(pki, "untrusted"))
        assert (result.outcome, result.certificate_refusal) == (TIMEOUT, False), result
        with pytest.raises(CaseFailure, match=r"^TC_A_08 step 2: with an untrusted certificate: the CSMS gave no "
                                              r"answer to the upgrade within 1.5 s; an explicit refusal of the "
                                              r"client certificate"):
            await require_refusal(2, where, creds(pki, "untrusted"), Trace(), "with an untrusted certificate: ",
                                  certificate=True)
    finally:
        server.close()
