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
