"""The TLS procedures of reusable-states.md that look at the CSMS's server side:
ServerCertificateChecks, CipherSuiteProbe and TlsTooLowProbe, plus the Connect-SP2/SP3 variant
that keeps the TLS facts of its own handshake (TC_A_04 checks "this connection").

Failures name the case step that runs the procedure and the procedure itself, e.g.
``TC_A_04 step 3: CipherSuiteProbe TLS_RSA_WITH_AES_128_GCM_SHA256: the handshake failed (...)``.
"""
from __future__ import annotations

import asyncio
import ssl
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .certificates import common_name, key_description, key_strong_enough
from .checks import HarnessError, OneOf, check, check_that, fail, where
from .transport import ConnectError, Credentials, Endpoint, Upgrade, client_tls_context, open_websocket

#: A00.FR.318: IANA name -> (OpenSSL name, key type of the server certificate it needs)
MANDATORY_SUITES: dict[str, tuple[str, str]] = {
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": ("ECDHE-ECDSA-AES128-GCM-SHA256", "EC"),
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": ("ECDHE-ECDSA-AES256-GCM-SHA384", "EC"),
    "TLS_RSA_WITH_AES_128_GCM_SHA256": ("AES128-GCM-SHA256", "RSA"),
    "TLS_RSA_WITH_AES_256_GCM_SHA384": ("AES256-GCM-SHA384", "RSA"),
}
GOOD_VERSIONS = OneOf("TLSv1.2", "TLSv1.3")
_VERSION_NAMES = {0x0300: "SSLv3", 0x0301: "TLSv1.0", 0x0302: "TLSv1.1", 0x0303: "TLSv1.2", 0x0304: "TLSv1.3"}
CANNOT_OFFER_LOW_TLS = "cannot offer TLS < 1.2 on this machine"


@dataclass
class TlsInfo:
    """What one completed handshake negotiated, and the server's leaf certificate (DER)."""
    version: str | None
    cipher: str | None
    compression: str | None
    der: bytes | None


def _info(obj: ssl.SSLObject) -> TlsInfo:
    cipher = obj.cipher()
    return TlsInfo(obj.version(), cipher[0] if cipher else None, obj.compression(), obj.getpeercert(True))


def host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "localhost", parts.port or (443 if parts.scheme == "wss" else 80)


# ---------------------------------------------------------------- Connect-SP2/SP3, keeping TLS facts
def record_handshakes(ctx: ssl.SSLContext) -> list[TlsInfo]:
    """Make ``ctx`` note the TLS facts of every handshake it completes (asyncio wraps each
    connection with ``ctx.sslobject_class``), so they survive a refused upgrade too."""
    seen: list[TlsInfo] = []

    class Recording(ssl.SSLObject):
        def do_handshake(self) -> None:
            super().do_handshake()
            seen.append(_info(self))

    ctx.sslobject_class = Recording  # type: ignore[assignment]
    return seen


async def open_recorded(endpoint: Endpoint, creds: Credentials) -> tuple[Upgrade, TlsInfo | None]:
    """Connect-SP2/SP3 (TLS 1.2+, server verified against TLS_CA_CERT, SP3 with its client
    certificate) and the HTTP upgrade; returns what the upgrade gave and the handshake's facts
    (None when the handshake did not complete)."""
    try:
        ctx = client_tls_context(endpoint.ca_cert, creds.client_cert if creds.profile == 3 else None,
                                 creds.client_key if creds.profile == 3 else None)
    except (OSError, ssl.SSLError) as e:
        raise HarnessError(f"cannot load TLS files for {creds.station_id}: {e}") from None
    seen = record_handshakes(ctx)
    upgrade = await open_websocket(endpoint, creds, tls=ctx)
    return upgrade, (seen[-1] if seen else None)


# ---------------------------------------------------------------- ServerCertificateChecks
def server_certificate_checks(step: int | str, info: TlsInfo, host: str, label: str = "") -> x509.Certificate:
    """ServerCertificateChecks on one completed handshake; returns the parsed certificate."""
    name = "ServerCertificateChecks" + (f" ({label})" if label else "")
    check(step, f"{name}: negotiated TLS version", info.version, GOOD_VERSIONS)
    check_that(step, info.der is not None, f"{name}: the CSMS presented no server certificate")
    try:
        cert = x509.load_der_x509_certificate(info.der)  # type: ignore[arg-type]
        pem = cert.public_bytes(serialization.Encoding.PEM)
        again = x509.load_pem_x509_certificate(pem)
    except ValueError as e:
        fail(step, f"{name}: the server certificate does not parse as X.509 / PEM ({e})")
    check_that(step, again.public_bytes(serialization.Encoding.DER) == info.der,
               f"{name}: the server certificate does not re-encode as the same PEM")
    check_that(step, isinstance(cert.serial_number, int) and cert.serial_number > 0,
               f"{name}: the server certificate has no (positive) serial number, got {cert.serial_number}")
    check(step, f"{name}: subject CN", common_name(cert), host)
    kind, bits = key_description(cert)
    check_that(step, key_strong_enough(cert),
               f"{name}: public key expected RSA/DSA >= 2048 bit or EC >= 224 bit, got {kind} {bits} bit")
    check(step, f"{name} (harness): TLS compression", info.compression, None)
    return cert


# ---------------------------------------------------------------- CipherSuiteProbe
async def tls_handshake(url: str, ctx: ssl.SSLContext, timeout: float) -> tuple[TlsInfo | None, str]:
    """One TLS handshake to the host/port of ``url`` (no HTTP); (facts, "") or (None, why it failed)."""
    host, port = host_port(url)
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=ctx, server_hostname=host, ssl_handshake_timeout=timeout),
            timeout)
    except ssl.SSLError as e:
        return None, f"TLS error {e.reason or e}"
    except ConnectionRefusedError:
        raise ConnectError(f"cannot reach {host}:{port}: connection refused") from None
    except (ConnectionError, EOFError) as e:
        return None, f"connection closed during the handshake ({e.__class__.__name__})"
    except (TimeoutError, asyncio.TimeoutError):
        return None, f"no handshake within {timeout:g} s"
    except OSError as e:
        raise ConnectError(f"cannot reach {host}:{port}: {e.strerror or e}") from None
    info = _info(writer.get_extra_info("ssl_object"))
    writer.close()
    try:
        await asyncio.wait_for(writer.wait_closed(), timeout)
    except (Exception, asyncio.TimeoutError):
        pass
    return info, ""


async def cipher_suite_probe(step: int | str, url: str, ca_cert: Path | None, cert: Path | None = None,
                             key: Path | None = None, timeout: float = 10.0) -> None:
    """CipherSuiteProbe: each mandatory suite alone over TLS 1.2 negotiates, with a certificate
    of the matching key type that passes ServerCertificateChecks."""
    host, _ = host_port(url)
    for iana, (openssl_name, key_kind) in MANDATORY_SUITES.items():
        name = f"CipherSuiteProbe {iana}"
        try:
            ctx = client_tls_context(ca_cert, cert, key, min_version=ssl.TLSVersion.TLSv1_2,
                                     max_version=ssl.TLSVersion.TLSv1_2, ciphers=openssl_name)
        except ssl.SSLError as e:
            raise HarnessError(f"{where(step)}: {name}: this machine's OpenSSL cannot offer {openssl_name} "
                               f"({e.reason or e})") from None
        try:
            info, error = await tls_handshake(url, ctx, timeout)
        except ConnectError as e:
            fail(step, f"{name}: {e}")
        if info is None:
            fail(step, f"{name}: the handshake with only this suite over TLS 1.2 failed ({error})")
        check(step, f"{name}: negotiated cipher", info.cipher, openssl_name)
        server_cert = server_certificate_checks(step, info, host, iana)
        check(step, f"{name}: server certificate key type", key_description(server_cert)[0], key_kind)


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
            raise HarnessError(f"cannot load the client certificate {cert}: {e}") from None
    return ctx


def client_hello_versions(hello: bytes) -> tuple[int, list[int], int]:
    """(legacy client_version, supported_versions entries, number of cipher suites) of the first
    ClientHello in ``hello`` (TLS records as sent); ValueError if it is not one."""
    if len(hello) < 9 or hello[0] != 0x16 or hello[5] != 0x01:
        raise ValueError("no TLS handshake record with a ClientHello")
    body = hello[9:]
    client_version = int.from_bytes(body[0:2], "big")
    at = 2 + 32
    at += 1 + body[at]                                   # session id
    suites = int.from_bytes(body[at:at + 2], "big") // 2
    at += 2 + suites * 2
    at += 1 + body[at]                                   # compression methods
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
    return client_version, supported, suites


def version_name(code: int) -> str:
    return _VERSION_NAMES.get(code, f"0x{code:04x}")


def low_hello_precheck(ctx: ssl.SSLContext, host: str) -> str:
    """TlsTooLowProbe step 2, without network: the context produces a ClientHello whose highest
    version is below TLS 1.2; returns that version's name, else raises HarnessError."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    try:
        obj = ctx.wrap_bio(incoming, outgoing, server_hostname=host)
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    except ssl.SSLError as e:
        raise HarnessError(f"{CANNOT_OFFER_LOW_TLS} (OpenSSL: {e.reason or e})") from None
    try:
        legacy, supported, suites = client_hello_versions(outgoing.read())
    except ValueError as e:
        raise HarnessError(f"{CANNOT_OFFER_LOW_TLS} ({e})") from None
    highest = max([legacy, *supported])
    if highest >= 0x0303 or suites == 0:
        raise HarnessError(f"{CANNOT_OFFER_LOW_TLS} (the ClientHello offers {version_name(highest)} "
                           f"with {suites} cipher suites)")
    return version_name(highest)


async def tls_too_low_probe(step: int | str, url: str, ctx: ssl.SSLContext, timeout: float) -> str:
    """TlsTooLowProbe steps 2-3: offer only TLS 1.0/1.1; the CSMS must not complete the handshake.
    Returns how it refused (alert, reset, close, ...); fails with "CSMS accepted TLSv1.x"."""
    host, port = host_port(url)
    try:
        offered = low_hello_precheck(ctx, host)
    except HarnessError as e:
        raise HarnessError(f"{where(step)}: TlsTooLowProbe: {e}") from None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (OSError, asyncio.TimeoutError) as e:
        fail(step, f"TlsTooLowProbe: cannot reach {host}:{port}: {getattr(e, 'strerror', None) or e!r}")
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname=host)
    try:
        refusal = await _drive_handshake(obj, incoming, outgoing, reader, writer, timeout)
    finally:
        writer.close()
    if refusal is None:
        cipher = obj.cipher()
        fail(step, f"TlsTooLowProbe: CSMS accepted {obj.version()} (offered at most {offered}; cipher "
                   f"{cipher[0] if cipher else '?'})")
    return f"offered at most {offered}; {refusal}"


async def _drive_handshake(obj: ssl.SSLObject, incoming: ssl.MemoryBIO, outgoing: ssl.MemoryBIO,
                           reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                           timeout: float) -> str | None:
    """Run the client handshake over the stream; None when it completed, else why it did not."""
    while True:
        try:
            obj.do_handshake()
            pending = outgoing.read()
            if pending:
                writer.write(pending)
            return None
        except ssl.SSLWantReadError:
            pending = outgoing.read()
            try:
                if pending:
                    writer.write(pending)
                    await writer.drain()
                data = await asyncio.wait_for(reader.read(65536), timeout)
            except (ConnectionError, OSError) as e:
                return f"connection reset by the CSMS ({e.__class__.__name__})"
            except asyncio.TimeoutError:
                return f"the CSMS did not answer within {timeout:g} s"
            if not data:
                return "the CSMS closed the connection without completing the handshake"
            incoming.write(data)
        except ssl.SSLError as e:
            pending = outgoing.read()
            if pending:
                try:
                    writer.write(pending)
                except (ConnectionError, OSError):
                    pass
            return f"handshake aborted: {e.reason or e}"
