"""Blocks L and M material is real: the firmware signature verifies with the signing certificate that
chains to the manufacturer root, the truststore's hash data follow OCSP's CertID, and the OCSP
responder answers with a response signed by the issuer's key."""
from __future__ import annotations

import base64

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp

from fixtures.make_certs import ensure_for_settings
from simulator.pki.cert_store import CertificateStore, hash_data, load_pem_chain, same_hash_data
from simulator.pki.certificates import chain_problem
from simulator.station.firmware import signature_problem, signing_material
from simulator.services.certificate_status import OcspResponder, ocsp_result_problem
from simulator.settings import Settings


def settings() -> Settings:
    s = Settings(_env_file=None)
    ensure_for_settings(s)
    return s


def test_firmware_signature_verifies_and_certificate_chains_to_manufacturer_root() -> None:
    s = settings()
    pem, signature = signing_material(s)  # raises HarnessError otherwise
    cert = x509.load_pem_x509_certificate(pem.encode())
    image = s.path(s.CONFIGURED_FIRMWARE_IMAGE).read_bytes()
    assert signature_problem(cert, signature, image) is None
    assert signature_problem(cert, signature, image + b"x") is not None
    assert chain_problem([cert], s.path(s.CONFIGURED_MANUFACTURER_ROOT_CERT)) is None
    assert x509.oid.ExtendedKeyUsageOID.CODE_SIGNING in cert.extensions.get_extension_for_class(
        x509.ExtendedKeyUsage).value


def test_truststore_order_and_chain_children() -> None:
    s = settings()
    store = CertificateStore.truststore(s)
    assert [c.certificate_type for c in store.installed] == [
        "CSMSRootCertificate", "ManufacturerRootCertificate", "V2GRootCertificate", "MORootCertificate",
        "V2GCertificateChain"]
    [entry] = store.ids(["V2GCertificateChain"], "SHA384")
    leaf, sub2, sub1 = load_pem_chain(s.path(s.CONFIGURED_V2G_CERT_CHAIN).read_text())
    root = x509.load_pem_x509_certificate(s.path(s.CONFIGURED_V2G_ROOT_CERT).read_bytes())
    assert same_hash_data(entry["certificateHashData"], hash_data(leaf, sub2, "SHA384"))
    assert entry["childCertificateHashData"] == [hash_data(sub2, sub1, "SHA384"), hash_data(sub1, root, "SHA384")]
    # issuerKeyHash hashes the issuer's key bits, as OCSP's CertID (cross-checked with cryptography's builder)
    request = ocsp.OCSPRequestBuilder().add_certificate(sub2, sub1, hashes.SHA256()).build()
    assert hash_data(sub2, sub1)["issuerKeyHash"] == request.issuer_key_hash.hex()
    assert hash_data(sub2, sub1)["issuerNameHash"] == request.issuer_name_hash.hex()


def test_ocsp_responder_signs_good_answers_with_the_issuer_key() -> None:
    s = settings()
    leaf, sub2, sub1 = load_pem_chain(s.path(s.CONFIGURED_V2G_CERT_CHAIN).read_text())
    responder = OcspResponder(s)
    request = ocsp.OCSPRequestBuilder().add_certificate(sub2, sub1, hashes.SHA256()).build()
    der = responder.answer(request.public_bytes(serialization.Encoding.DER))
    response = ocsp.load_der_ocsp_response(der)
    assert response.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert response.certificate_status == ocsp.OCSPCertStatus.GOOD and response.serial_number == sub2.serial_number
    key = sub1.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    key.verify(response.signature, response.tbs_response_bytes, ec.ECDSA(hashes.SHA256()))
    assert ocsp_result_problem(base64.b64encode(der).decode(), sub2.serial_number) is None
    assert "serialNumber" in ocsp_result_problem(base64.b64encode(der).decode(), sub1.serial_number)[0]
    unknown = ocsp.OCSPRequestBuilder().add_certificate(leaf, sub2, hashes.SHA256()).build()
    assert ocsp.load_der_ocsp_response(responder.answer(unknown.public_bytes(serialization.Encoding.DER))) \
        .response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED
