"""The TLS side of block A (reusable-states.md "Connection procedures"): what a real station offers
and what the CSMS chooses from it, ServerCertificateChecks, CipherSuiteProbe, TlsTooLowProbe, and a
hand-driven TLS channel that tells a TLS alert from a close, a reset or silence.

Only checks that can fail are made: the station offers TLS 1.0-1.3 and its whole cipher list, so the
version and suite the CSMS picks are the CSMS's choice; what this machine cannot offer (a version
below 1.2, compression) turns the check into a warning, never a pass. Failures name the case step
and the procedure, e.g. ``TC_A_04 step 3: CipherSuiteProbe TLS_RSA_WITH_AES_128_GCM_SHA256: ...``.
"""
from __future__ import annotations

import asyncio
import ssl
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509

from simulator.pki.certificates import common_name, key_description, key_strong_enough
from simulator.verdicts.checks import HarnessError, OneOf, check, check_that, fail, where
from simulator.wire import connections
from simulator.wire.transport import ConnectError

#: A00.FR.318: IANA name -> OpenSSL name of the four suites the CSMS must support over TLS 1.2
MANDATORY_SUITES: dict[str, str] = {
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": "ECDHE-ECDSA-AES128-GCM-SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": "ECDHE-ECDSA-AES256-GCM-SHA384",
    "TLS_RSA_WITH_AES_128_GCM_SHA256": "AES128-GCM-SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384": "AES256-GCM-SHA384",
}
#: TLS 1.3 suites (all AEAD; Part 2 names none for TLS 1.3, so any of them is the CSMS's right)
TLS13_SUITES = ("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256")
GOOD_VERSIONS = OneOf("TLSv1.2", "TLSv1.3")
#: a station's whole offer: the OCPP suites first, then everything its OpenSSL has by default (the
#: expansion of DEFAULT, which OpenSSL accepts only at the start of a list)
STATION_CIPHERS = ":".join(MANDATORY_SUITES.values()) + ":ALL:!COMPLEMENTOFDEFAULT:!eNULL:@SECLEVEL=0"
_VERSION_NAMES = {0x0300: "SSLv3", 0x0301: "TLSv1.0", 0x0302: "TLSv1.1", 0x0303: "TLSv1.2", 0x0304: "TLSv1.3"}
CANNOT_OFFER_LOW_TLS = "cannot offer TLS < 1.2 on this machine"
_ALERT, _HANDSHAKE, _CERTIFICATE_REQUEST = 21, 22, 13

# how an attempt ended when the CSMS gave no answer at the protocol level
ALERT, CLOSED, RESET, TIMEOUT, LOCAL = "tls alert", "closed", "reset", "timeout", "local tls"
#: the endings that are the CSMS saying no (the others may be an outage or a crash)
EXPLICIT_ENDINGS = (ALERT, CLOSED)


# ---------------------------------------------------------------- what one handshake negotiated
@dataclass
class TlsInfo:
    """What one completed handshake negotiated, and the server's leaf certificate (DER)."""
    version: str | None
    cipher: str | None
    compression: str | None
    der: bytes | None
    certificate_requested: bool | None = None  # None: this Python cannot see handshake messages


class TlsObserver:
    """Watches the connections made with one client context: the facts of each completed
    handshake, the alerts the CSMS sent, and whether it asked for a client certificate (TLS 1.3
    hides that message on the wire; OpenSSL's message callback sees it decrypted)."""

    def __init__(self, ctx: ssl.SSLContext) -> None:
        self.handshakes: list[TlsInfo] = []
        self.alerts_received: list[str] = []
        self.certificate_requests = 0
        self.sees_messages = hasattr(ssl.SSLContext, "_msg_callback")
        observer = self

        class Observed(ssl.SSLObject):
            def do_handshake(self) -> None:
                super().do_handshake()
                observer.handshakes.append(observer.facts(self))

        ctx.sslobject_class = Observed  # type: ignore[assignment]
        if self.sees_messages:
            ctx._msg_callback = self._message  # type: ignore[attr-defined]

    def _message(self, conn: Any, direction: str, version: Any, content_type: Any, msg_type: Any,
                 data: bytes) -> None:
        if direction != "read":
            return
        if content_type == _ALERT:
            self.alerts_received.append(getattr(msg_type, "name", str(msg_type)).lower())
        elif content_type == _HANDSHAKE and msg_type == _CERTIFICATE_REQUEST:
            self.certificate_requests += 1

    def facts(self, obj: ssl.SSLObject) -> TlsInfo:
        cipher = obj.cipher()
        return TlsInfo(obj.version(), cipher[0] if cipher else None, obj.compression(), obj.getpeercert(True),
                       self.certificate_requests > 0 if self.sees_messages else None)

    @property
    def last(self) -> TlsInfo | None:
        return self.handshakes[-1] if self.handshakes else None

    @property
    def alert(self) -> str | None:
        return self.alerts_received[0] if self.alerts_received else None


def host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "localhost", parts.port or (443 if parts.scheme == "wss" else 80)


def _load_client_certificate(step: int | str, ctx: ssl.SSLContext, cert: Path | None, key: Path | None) -> None:
    """A client certificate the station cannot load fails the step (a setting to fix), one line."""
    if cert is None:
        return
    try:
        ctx.load_cert_chain(str(cert), str(key) if key else None)
    except (OSError, ssl.SSLError) as e:
        fail(step, f"cannot load the client certificate {cert} / key {key}: {getattr(e, 'reason', None) or e}")


def _load_ca(step: int | str, ctx: ssl.SSLContext, ca_cert: Path | None) -> None:
    if ca_cert is None:
        fail(step, "TLS_CA_CERT is not set or its file does not exist: the CSMS's server certificate cannot "
                   "be verified")
    try:
        ctx.load_verify_locations(cafile=str(ca_cert))
    except (OSError, ssl.SSLError) as e:
        fail(step, f"cannot load TLS_CA_CERT {ca_cert}: {getattr(e, 'reason', None) or e}")
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED


# ---------------------------------------------------------------- a real station's offer
@dataclass
class ClientHello:
    legacy_version: int
    supported_versions: list[int]
    suites: int
    compression_methods: list[int]

    @property
    def lowest(self) -> int:
        return min(self.supported_versions or [self.legacy_version])

    @property
    def highest(self) -> int:
        return max([self.legacy_version, *self.supported_versions])


@dataclass
class Offer:
    """What the station's ClientHello really offers (read from the bytes, not from the settings)."""
    lowest: str
    highest: str
    compression: bool


def station_offer(step: int | str, ca_cert: Path | None, cert: Path | None = None,
                  key: Path | None = None, host: str = "localhost") -> tuple[ssl.SSLContext, Offer]:
    """A station's whole offer, so that what the CSMS negotiates is its own choice: TLS 1.0-1.3 where
    this OpenSSL allows it (security level 0 for the old versions), the OCPP suites first and then
    every default suite, compression if the library has any; the server verified against
    TLS_CA_CERT and, for SP3, the client certificate. The Offer says what really went out."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
    except ValueError:
        pass
    ctx.maximum_version = ssl.TLSVersion.MAXIMUM_SUPPORTED
    ctx.options &= ~ssl.OP_NO_COMPRESSION
    try:
        ctx.set_ciphers(STATION_CIPHERS)
    except ssl.SSLError as e:
        raise HarnessError(f"{where(step)}: this machine's OpenSSL refuses the cipher list {STATION_CIPHERS} "
                           f"({e.reason or e})") from None
    _load_ca(step, ctx, ca_cert)
    _load_client_certificate(step, ctx, cert, key)
    try:
        hello = client_hello(ctx, host)
    except (ValueError, ssl.SSLError) as e:
        raise HarnessError(f"{where(step)}: this machine produces no ClientHello for the station's offer "
                           f"({getattr(e, 'reason', None) or e})") from None
    return ctx, Offer(version_name(hello.lowest), version_name(hello.highest),
                      any(m != 0 for m in hello.compression_methods))


def chosen_checks(step: int | str, info: TlsInfo, offer: Offer) -> list[str]:
    """What the CSMS picked from the station's whole offer: TLS 1.2 or higher (A00.FR.313/416) and
    a suite Part 2 requires for that version (A00.FR.318 over TLS 1.2). Returns a warning when this
    machine makes the version check impossible to fail (then it is not counted as a pass)."""
    notes = []
    check(step, "negotiated TLS version", info.version, GOOD_VERSIONS)
    if offer.lowest in ("TLSv1.2", "TLSv1.3"):
        notes.append(f"the negotiated TLS version could not be tested: this machine offers nothing below "
                     f"{offer.lowest}, so the CSMS could not choose less")
    if info.version == "TLSv1.3":
        check_that(step, info.cipher in TLS13_SUITES, f"negotiated cipher suite expected a TLS 1.3 suite "
                                                      f"({' / '.join(TLS13_SUITES)}), got {info.cipher}")
    else:
        check_that(step, info.cipher in MANDATORY_SUITES.values(),
                   f"negotiated cipher suite expected one of the four A00.FR.318 suites over {info.version}, got "
                   f"{info.cipher} (OpenSSL name) from the station's whole cipher list, the OCPP suites first")
    return notes


def compression_check(step: int | str, info: TlsInfo, offer: Offer) -> list[str]:
    """(harness) A00.FR.321: no TLS compression. Where the station's TLS library offers no
    compression method the CSMS cannot choose one: a warning then, never a pass."""
    check_that(step, info.compression is None,
               f"(harness) TLS compression expected none (A00.FR.321), got {info.compression}")
    if offer.compression:
        return []
    return ["(harness) A00.FR.321 no TLS compression could not be tested: this machine's TLS library offers no "
            "compression method, so the CSMS could not choose one"]


def certificate_request_check(step: int | str, info: TlsInfo) -> list[str]:
    """Security profile 3 (TC_A_07 step 2): the CSMS asks for the station's certificate."""
    if info.certificate_requested is None:
        return ["whether the CSMS sent a CertificateRequest could not be seen: this Python's ssl module has "
                "no message callback"]
    check_that(step, info.certificate_requested,
               "CertificateRequest expected in the CSMS's TLS handshake, got none: the CSMS did not ask for the "
               "station's client certificate")
    return []


# ---------------------------------------------------------------- ServerCertificateChecks
def server_certificate_checks(step: int | str, info: TlsInfo, host: str, label: str = "") -> x509.Certificate:
    """ServerCertificateChecks on one completed handshake; returns the parsed certificate. (The
    negotiated version is checked where the station offered more than TLS 1.2+; the key type
    matches the suite by construction of a completed TLS handshake.)"""
    name = "ServerCertificateChecks" + (f" ({label})" if label else "")
    check_that(step, info.der is not None, f"{name}: the CSMS presented no server certificate")
    try:
        cert = x509.load_der_x509_certificate(info.der)  # type: ignore[arg-type]
    except ValueError as e:
        fail(step, f"{name}: the server certificate does not parse as X.509 ({e})")
    check_that(step, cert.serial_number > 0,
               f"{name}: the server certificate has no (positive) serial number, got {cert.serial_number}")
    check(step, f"{name}: subject CN", common_name(cert), host)
    kind, bits = key_description(cert)
    check_that(step, key_strong_enough(cert),
               f"{name}: public key expected RSA/DSA >= 2048 bit or EC >= 224 bit, got {kind} {bits} bit")
    return cert


# ---------------------------------------------------------------- CipherSuiteProbe
async def tls_handshake(url: str, ctx: ssl.SSLContext, timeout: float, *, station: str,
                        settle: float = 0.0) -> tuple[TlsInfo | None, str]:
    """One TLS handshake of ``station`` to the host/port of ``url`` (no HTTP), paced as every
    connection of that station; (facts, "") or (None, why it failed)."""
    observer = TlsObserver(ctx)
    host, port = host_port(url)
    channel = await Channel.open(host, port, timeout, station=station, settle=settle, via="tls probe")
    try:
        info = await channel.start_tls(ctx, host, observer)
    except Ended as e:
        return None, e.detail
    finally:
        await channel.close()
    return info, ""


async def cipher_suite_probe(step: int | str, url: str, ca_cert: Path | None, cert: Path | None = None,
                             key: Path | None = None, timeout: float = 10.0, *, station: str,
                             settle: float = 0.0) -> None:
    """CipherSuiteProbe: each mandatory suite offered alone over TLS 1.2 negotiates, and the
    certificate served then passes ServerCertificateChecks. Each handshake is a connection of
    ``station``, started CSMS_SETTLE_TIME (``settle``) after its previous one closed."""
    host, _ = host_port(url)
    for iana, openssl_name in MANDATORY_SUITES.items():
        name = f"CipherSuiteProbe {iana}"
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        try:
            ctx.set_ciphers(openssl_name)
        except ssl.SSLError as e:
            raise HarnessError(f"{where(step)}: {name}: this machine's OpenSSL cannot offer {openssl_name} "
                               f"({e.reason or e})") from None
        _load_ca(step, ctx, ca_cert)
        _load_client_certificate(step, ctx, cert, key)
        try:
            info, error = await tls_handshake(url, ctx, timeout, station=station, settle=settle)
        except ConnectError as e:
            fail(step, f"{name}: {e}")
        if info is None:
            fail(step, f"{name}: the handshake with only this suite over TLS 1.2 failed ({error})")
        server_certificate_checks(step, info, host, iana)


# ---------------------------------------------------------------- TlsTooLowProbe
def low_tls_context(cert: Path | None = None, key: Path | None = None) -> ssl.SSLContext:
    """TlsTooLowProbe step 1: TLS 1.0-1.1 only, no verification, SECLEVEL 0 (else OpenSSL refuses
    TLS < 1.2); with the client certificate for SP3."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    except (ssl.SSLError, ValueError) as e:
        raise HarnessError(f"{CANNOT_OFFER_LOW_TLS} ({e})") from None
    if cert is not None:
        try:
            ctx.load_cert_chain(str(cert), str(key) if key else None)
        except (OSError, ssl.SSLError) as e:
            raise ValueError(f"cannot load the client certificate {cert} / key {key}: "
                             f"{getattr(e, 'reason', None) or e}") from None
    return ctx


def low_tls_offer(step: int | str, cert: Path | None = None, key: Path | None = None) -> ssl.SSLContext:
    """TlsTooLowProbe step 1 as a step of a case: this machine's inability to offer TLS < 1.2 is a
    harness error (never a pass); a client certificate that cannot be loaded fails the step."""
    try:
        return low_tls_context(cert, key)
    except HarnessError as e:
        raise HarnessError(f"{where(step)}: TlsTooLowProbe: {e}") from None
    except ValueError as e:
        fail(step, f"TlsTooLowProbe: {e}")


def parse_client_hello(hello: bytes) -> ClientHello:
    """The offer in the first ClientHello of ``hello`` (TLS records as sent); ValueError if none."""
    if len(hello) < 9 or hello[0] != 0x16 or hello[5] != 0x01:
        raise ValueError("no TLS handshake record with a ClientHello")
    body = hello[9:]
    client_version = int.from_bytes(body[0:2], "big")
    at = 2 + 32
    at += 1 + body[at]                                   # session id
    suites = int.from_bytes(body[at:at + 2], "big") // 2
    at += 2 + suites * 2
    compression = list(body[at + 1:at + 1 + body[at]])
    at += 1 + body[at]
    supported: list[int] = []
    if at + 2 <= len(body):
        end = at + 2 + int.from_bytes(body[at:at + 2], "big")
        at += 2
        while at + 4 <= min(end, len(body)):
            kind, size = int.from_bytes(body[at:at + 2], "big"), int.from_bytes(body[at + 2:at + 4], "big")
            data = body[at + 4:at + 4 + size]
            if kind == 0x002B and data:                  # supported_versions
                supported = [int.from_bytes(data[i:i + 2], "big") for i in range(1, 1 + data[0], 2)]
            at += 4 + size
    return ClientHello(client_version, supported, suites, compression)


def client_hello_versions(hello: bytes) -> tuple[int, list[int], int]:
    """(legacy client_version, supported_versions entries, number of cipher suites)."""
    parsed = parse_client_hello(hello)
    return parsed.legacy_version, parsed.supported_versions, parsed.suites


def client_hello(ctx: ssl.SSLContext, host: str) -> ClientHello:
    """The ClientHello ``ctx`` really produces, without network (ssl.SSLError if it produces none)."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    try:
        ctx.wrap_bio(incoming, outgoing, server_hostname=host).do_handshake()
    except ssl.SSLWantReadError:
        pass
    return parse_client_hello(outgoing.read())


def version_name(code: int) -> str:
    return _VERSION_NAMES.get(code, f"0x{code:04x}")


def low_hello_precheck(ctx: ssl.SSLContext, host: str) -> str:
    """TlsTooLowProbe step 2, without network: the context produces a ClientHello whose highest
    version is below TLS 1.2; returns that version's name, else raises HarnessError."""
    try:
        hello = client_hello(ctx, host)
    except ssl.SSLError as e:
        raise HarnessError(f"{CANNOT_OFFER_LOW_TLS} (OpenSSL: {e.reason or e})") from None
    except ValueError as e:
        raise HarnessError(f"{CANNOT_OFFER_LOW_TLS} ({e})") from None
    if hello.highest >= 0x0303 or hello.suites == 0:
        raise HarnessError(f"{CANNOT_OFFER_LOW_TLS} (the ClientHello offers {version_name(hello.highest)} "
                           f"with {hello.suites} cipher suites)")
    return version_name(hello.highest)


async def tls_too_low_probe(step: int | str, url: str, ctx: ssl.SSLContext, timeout: float, *, station: str,
                            settle: float = 0.0) -> str:
    """TlsTooLowProbe steps 2-3: offer only TLS 1.0/1.1; the CSMS must refuse explicitly: an alert,
    a close or a reset during the handshake (it had the ClientHello in hand; the catalogue counts
    all three), or an answer at TLS >= 1.2 the probe must abort. Returns how it refused; fails with
    "CSMS accepted TLSv1.x", and on silence (no refusal one can tell from an outage). TC_A_06 then
    shows that the same CSMS completes a valid handshake."""
    host, port = host_port(url)
    try:
        offered = low_hello_precheck(ctx, host)
    except HarnessError as e:
        raise HarnessError(f"{where(step)}: TlsTooLowProbe: {e}") from None
    observer = TlsObserver(ctx)
    try:
        channel = await Channel.open(host, port, timeout, station=station, settle=settle, via="tls too low probe")
    except ConnectError as e:
        fail(step, f"TlsTooLowProbe: {e}")
    try:
        info = await channel.start_tls(ctx, host, observer)
    except Ended as e:
        if e.kind in EXPLICIT_ENDINGS or e.kind in (LOCAL, RESET):
            return f"offered at most {offered}; {e.detail}"
        fail(step, f"TlsTooLowProbe (offered at most {offered}): {e.detail}; an explicit refusal "
                   f"(protocol_version or handshake_failure alert, a close or a reset) was expected")
    finally:
        await channel.close()
    fail(step, f"TlsTooLowProbe: CSMS accepted {info.version} (offered at most {offered}; cipher {info.cipher})")


# ---------------------------------------------------------------- a TLS channel driven by hand
class Ended(Exception):
    """The connection ended without an answer at the protocol level; ``kind`` says how (ALERT,
    CLOSED, RESET, TIMEOUT, LOCAL) and ``detail`` is one line for the verdict."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


class Channel:
    """One TCP connection to the CSMS, with TLS driven through memory buffers, so that how the
    CSMS ends it is known exactly: a TLS alert, a close, a reset or silence (asyncio and the
    WebSocket client report all of them as one "connection closed")."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout: float,
                 link: connections.Link | None = None) -> None:
        self.reader, self.writer, self.timeout = reader, writer, timeout
        self.link = link or connections.Link("", "channel")
        self.tls: ssl.SSLObject | None = None
        self.observer: TlsObserver | None = None
        self.phase = "before any answer"
        self.handshake_done = False  # the TLS handshake completed (from this side)
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()

    @classmethod
    async def open(cls, host: str, port: int, timeout: float, *, station: str, settle: float = 0.0,
                   via: str = "probe") -> "Channel":
        """A TCP connection of ``station`` (its identity; "" for none), started CSMS_SETTLE_TIME
        (``settle``) after the station's previous connection closed; ConnectError (one line) when
        the host cannot be reached."""
        link = await connections.open_link(station, settle, via)
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        except ConnectionRefusedError:
            link.close()
            connections.trouble("connection refused")
            raise ConnectError(f"cannot reach {host}:{port}: connection refused") from None
        except (TimeoutError, asyncio.TimeoutError):
            link.close()
            connections.trouble(f"no TCP connection within {timeout:g} s")
            raise ConnectError(f"cannot reach {host}:{port}: no TCP connection within {timeout:g} s") from None
        except OSError as e:
            link.close()
            connections.trouble(e.strerror or str(e))
            raise ConnectError(f"cannot reach {host}:{port}: {e.strerror or e}") from None
        except asyncio.CancelledError:
            link.close()
            raise
        return cls(reader, writer, timeout, link)

    async def close(self) -> None:
        """End the connection on both sides: the station's side first (TLS close_notify after a
        completed handshake, end of stream), then the CSMS's (its end of stream, a reset, or
        CSMS_RESPONSE_TIMEOUT); the link records the moment."""
        try:
            if self.tls is not None and self.handshake_done and not self.writer.is_closing():
                try:
                    self.tls.unwrap()
                except ssl.SSLError:  # want-read: the close_notify is out, the CSMS's may follow
                    pass
                self.writer.write(self._outgoing.read())
            if not self.writer.is_closing() and self.writer.can_write_eof():
                self.writer.write_eof()
            await asyncio.wait_for(self._until_end(), self.timeout)
        except (OSError, ConnectionError, TimeoutError, asyncio.TimeoutError, RuntimeError):
            pass
        finally:
            self.writer.close()
            try:
                await asyncio.wait_for(self.writer.wait_closed(), self.timeout)
            except (OSError, ConnectionError, TimeoutError, asyncio.TimeoutError, ssl.SSLError):
                pass
            self.link.close()

    async def _until_end(self) -> None:
        while await self.reader.read(65536):
            pass

    def _ended(self, kind: str, what: str) -> Ended:
        """An alert the CSMS sent outranks the close or reset that follows it. An ending without
        an answer is noted as a connection trouble (a hint for the harness, never a verdict)."""
        if self.observer is not None and self.observer.alert:
            return Ended(ALERT, f"the CSMS sent TLS alert {self.observer.alert} {self.phase}")
        if kind in (RESET, TIMEOUT, CLOSED):
            connections.trouble(what)
        return Ended(kind, what)

    async def _raw_send(self, data: bytes) -> None:
        try:
            self.writer.write(data)
            await self.writer.drain()
        except (ConnectionError, OSError):
            raise self._ended(RESET, f"the CSMS reset the connection {self.phase} (no TLS alert, no HTTP "
                                     f"answer)") from None

    async def _raw_receive(self, waiting_for: str) -> bytes:
        try:
            data = await asyncio.wait_for(self.reader.read(65536), self.timeout)
        except (TimeoutError, asyncio.TimeoutError):
            raise self._ended(TIMEOUT, f"the CSMS gave no answer to {waiting_for} within {self.timeout:g} s") \
                from None
        except (ConnectionError, OSError):
            raise self._ended(RESET, f"the CSMS reset the connection {self.phase} (no TLS alert, no HTTP "
                                     f"answer)") from None
        if not data:
            raise self._ended(CLOSED, f"the CSMS closed the connection {self.phase}"
                                      f"{' without a TLS alert' if self.tls else ''}")
        return data

    def _tls_error(self, e: ssl.SSLError) -> Ended:
        if isinstance(e, (ssl.SSLZeroReturnError, ssl.SSLEOFError)):
            return self._ended(CLOSED, f"the CSMS closed the TLS connection {self.phase}")
        ended = self._ended(LOCAL, f"this station aborted the TLS handshake: {e.reason or e}")
        if ended.kind == LOCAL and "ALERT" in str(e.reason or ""):  # no message callback: OpenSSL names it
            return Ended(ALERT, f"the CSMS sent TLS alert {str(e.reason).lower()} {self.phase}")
        return ended

    async def start_tls(self, ctx: ssl.SSLContext, host: str, observer: TlsObserver) -> TlsInfo:
        """The client handshake; the facts of the completed handshake, or Ended."""
        self.observer = observer
        self.phase = "during the TLS handshake"
        self.tls = ctx.wrap_bio(self._incoming, self._outgoing, server_hostname=host)
        while True:
            try:
                self.tls.do_handshake()
            except ssl.SSLWantReadError:
                await self._raw_send(self._outgoing.read())
                self._incoming.write(await self._raw_receive("the TLS handshake"))
                continue
            except ssl.SSLError as e:
                pending = self._outgoing.read()
                if pending:
                    try:
                        await self._raw_send(pending)  # our own alert, if any
                    except Ended:
                        pass
                raise self._tls_error(e) from None
            self.handshake_done = True
            self.phase = "right after the TLS handshake"
            await self._raw_send(self._outgoing.read())
            return observer.last or observer.facts(self.tls)

    async def send(self, data: bytes, phase: str) -> None:
        self.phase = phase
        if self.tls is None:
            await self._raw_send(data)
            return
        self.tls.write(data)
        await self._raw_send(self._outgoing.read())

    async def receive(self, waiting_for: str) -> bytes:
        """Some application bytes, or Ended."""
        while True:
            if self.tls is None:
                return await self._raw_receive(waiting_for)
            try:
                data = self.tls.read(65536)
            except ssl.SSLWantReadError:
                pending = self._outgoing.read()
                if pending:
                    await self._raw_send(pending)
                self._incoming.write(await self._raw_receive(waiting_for))
                continue
            except ssl.SSLError as e:
                raise self._tls_error(e) from None
            if not data:
                raise self._ended(CLOSED, f"the CSMS closed the TLS connection {self.phase}")
            return data

