"""TLS of the wss endpoint: TLS 1.2+ only, the four mandatory suites (A00.FR.318), an RSA and an
ECDSA server certificate, client certificates checked against the CA it trusts (SP3); and the
CSMS's certificate authority that signs stations' CSRs (A02/A03)."""
from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .config import CsmsConfig
from .registry import fault

if TYPE_CHECKING:
    from .central import CentralSystem

ACCEPT_OLD_TLS = fault("accept_tls_1_1", "the wss endpoint also accepts TLS 1.0/1.1 handshakes")
MAX_TLS_1_1 = fault("tls_max_1_1", "the wss endpoint's highest TLS version is 1.1: it negotiates TLS 1.1 with a "
                    "station that offers 1.0-1.3")
WEAK_SUITE = fault("weak_cipher_suite", "the wss endpoint speaks at most TLS 1.2 and prefers CBC/SHA-1 suites "
                   "(ECDHE-ECDSA-AES128-SHA, AES128-SHA) outside A00.FR.318 to the mandatory ones")
NO_RSA_SUITES = fault("no_rsa_cipher_suites", "the wss endpoint offers only the ECDHE suites, not "
                      "TLS_RSA_WITH_AES_128/256_GCM_SHA256/384")
WRONG_SERVER_CN = fault("server_certificate_wrong_cn", "serves certificates whose subject CN is not its "
                        "host name (the SAN still matches)")
UNVERIFIED_CLIENTS = "accept_unknown_client_certificate"  # declared in handlers/security.py

ECDHE_ECDSA = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384"
TLS_RSA = "AES128-GCM-SHA256:AES256-GCM-SHA384"
TLS12_SUITES = f"{ECDHE_ECDSA}:{TLS_RSA}:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384"
WEAK_SUITES = "ECDHE-ECDSA-AES128-SHA:AES128-SHA"


class AlertingSSLObject(ssl.SSLObject):
    """asyncio closes a connection whose TLS handshake failed without sending the alert OpenSSL
    wrote, so the station would see a bare close or reset. A real CSMS tells the station why: the
    first fatal handshake error is reported as "want read", which makes asyncio send what OpenSSL
    wrote (the alert); the error itself is raised when the station answers or hangs up."""
    _fatal: ssl.SSLError | None = None

    def do_handshake(self) -> None:
        if self._fatal is not None:
            raise self._fatal
        try:
            super().do_handshake()
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            raise
        except ssl.SSLError as e:
            self._fatal = e
            raise ssl.SSLWantReadError("send the alert first") from e


def server_context(config: CsmsConfig, csms: "CentralSystem") -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.sslobject_class = AlertingSSLObject  # type: ignore[assignment]
    ctx.options |= ssl.OP_NO_COMPRESSION | ssl.OP_CIPHER_SERVER_PREFERENCE
    suites = TLS12_SUITES.replace(TLS_RSA + ":", "") if csms.fault(NO_RSA_SUITES) else TLS12_SUITES
    if csms.fault(ACCEPT_OLD_TLS) or csms.fault(MAX_TLS_1_1):
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        if csms.fault(MAX_TLS_1_1):
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        ctx.set_ciphers(suites + ":ALL:@SECLEVEL=0")  # DEFAULT is only valid first in the list
    elif csms.fault(WEAK_SUITE):
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(f"{WEAK_SUITES}:{suites}")
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(suites)
    if csms.fault(WRONG_SERVER_CN):
        _load_renamed(ctx, config)
    else:
        ctx.load_cert_chain(config.server_rsa_cert, config.server_rsa_key)
        if config.server_ec_cert:
            ctx.load_cert_chain(config.server_ec_cert, config.server_ec_key)
    if config.client_ca_cert:
        ctx.load_verify_locations(cafile=config.client_ca_cert)
        # the fault: client certificates are not asked for, so none is checked (see app._check_tls)
        ctx.verify_mode = ssl.CERT_NONE if csms.fault(UNVERIFIED_CLIENTS) else ssl.CERT_OPTIONAL
    return ctx


# ------------------------------------------------------------ the CSMS's certificate authority
def load_ca(cert_file: str, key_file: str) -> tuple[x509.Certificate, Any]:
    cert = x509.load_pem_x509_certificate(Path(cert_file).read_bytes())
    key = serialization.load_pem_private_key(Path(key_file).read_bytes(), password=None)
    return cert, key


def sign(ca: x509.Certificate, ca_key: Any, public_key: Any, subject: x509.Name, *,
         client: bool = True, days: int = 365, san: list[x509.GeneralName] | None = None) -> x509.Certificate:
    """A leaf certificate for ``public_key`` issued by ``ca`` (client or server use)."""
    now = dt.datetime.now(dt.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca.subject)
               .public_key(public_key).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.public_key()), critical=False)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH if client
                                                     else ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
    return builder.sign(ca_key, hashes.SHA256())


def _load_renamed(ctx: ssl.SSLContext, config: CsmsConfig) -> None:
    """Fault server_certificate_wrong_cn: re-issue both server keys with another CN."""
    if not (config.client_ca_cert and config.client_ca_key):
        raise ValueError("fault server_certificate_wrong_cn needs client_ca_cert/client_ca_key to sign with")
    ca, ca_key = load_ca(config.client_ca_cert, config.client_ca_key)
    san: list[x509.GeneralName] = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "csms.invalid")])
    with tempfile.TemporaryDirectory() as tmp:
        for cert_file, key_file in ((config.server_rsa_cert, config.server_rsa_key),
                                    (config.server_ec_cert, config.server_ec_key)):
            if not cert_file:
                continue
            key = serialization.load_pem_private_key(Path(key_file).read_bytes(), password=None)
            cert = sign(ca, ca_key, key.public_key(), subject, client=False, san=san)
            path = Path(tmp) / "renamed.pem"
            path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
            ctx.load_cert_chain(str(path), key_file)
            os.unlink(path)
