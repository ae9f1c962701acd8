"""TLS of the wss endpoint: TLS 1.2+ only, the four mandatory suites (A00.FR.318), an RSA and an
ECDSA server certificate, client certificates checked against the CA it trusts (SP3)."""
from __future__ import annotations

import ssl
from typing import TYPE_CHECKING

from .config import CsmsConfig
from .registry import fault

if TYPE_CHECKING:
    from .app import CentralSystem

ACCEPT_OLD_TLS = fault("accept_tls_1_1", "the wss endpoint also accepts TLS 1.0/1.1 handshakes")
TLS12_SUITES = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:AES128-GCM-SHA256:"
                "AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384")


def server_context(config: CsmsConfig, csms: "CentralSystem") -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.options |= ssl.OP_NO_COMPRESSION | ssl.OP_CIPHER_SERVER_PREFERENCE
    if csms.fault(ACCEPT_OLD_TLS):
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.set_ciphers(TLS12_SUITES + ":DEFAULT:@SECLEVEL=0")
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(TLS12_SUITES)
    ctx.load_cert_chain(config.server_rsa_cert, config.server_rsa_key)
    if config.server_ec_cert:
        ctx.load_cert_chain(config.server_ec_cert, config.server_ec_key)
    if config.client_ca_cert:
        ctx.load_verify_locations(cafile=config.client_ca_cert)
        ctx.verify_mode = ssl.CERT_OPTIONAL
    return ctx
