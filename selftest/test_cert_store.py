"""Installed certificates: hash data as OCPP defines it, listing and deleting by it."""
from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import serialization

from fixtures.make_certs import make_ca
from simulator.pki.cert_store import CertificateStore


def test_install_list_delete_by_hash_data() -> None:
    ca, key = make_ca("Test Root")
    pem = ca.public_bytes(serialization.Encoding.PEM).decode()
    store = CertificateStore()
    assert store.install("CSMSRootCertificate", "not a certificate") == "Rejected"
    assert store.install("CSMSRootCertificate", pem) == "Accepted"
    [entry] = store.ids(["CSMSRootCertificate"])
    data = entry["certificateHashData"]
    assert data["issuerNameHash"] == hashlib.sha256(ca.issuer.public_bytes()).hexdigest()
    point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    assert data["issuerKeyHash"] == hashlib.sha256(point).hexdigest()
    assert data["serialNumber"] == format(ca.serial_number, "x") and not data["serialNumber"].startswith("0")
    assert store.ids(["V2GRootCertificate"]) == []
    assert store.delete(data) == "Accepted" and store.delete(data) == "NotFound"


def test_no_dsa_deprecation_warning_in_a_run() -> None:
    """Telling key types apart touches none of cryptography's deprecated DSA names: a run that checks
    the CSMS's server certificates (TC_A_04) warns of nothing about DSA; other warnings stay visible."""
    import warnings

    from cryptography import x509

    from selftest.support import run_cases
    from selftest.test_secrets import _key_and_certificate
    from simulator.pki.certificates import key_description
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for kind, expected in (("ec", ("EC", 256)), ("rsa", ("RSA", 2048))):
            _, der = _key_and_certificate(kind)
            assert key_description(x509.load_der_x509_certificate(der)) == expected
    run = run_cases("TC_A_04")
    assert run.returncode == 0 and "warnings" in run.output, run.output[-2000:]  # the suite's own warnings show
    assert "DSA is deprecated" not in run.output, run.output[-2000:]
