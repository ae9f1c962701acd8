"""OCSP CertID arithmetic both sides of an OCSP exchange need (ISO 15118 contract certificates):
issuer name and key hashes, OCSPRequestDataType in wire form, the responder URL a certificate names.
The harness's OCSP responder, the reference CSMS and ``fixtures/make_certs.py`` share it."""
from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

#: hash algorithms of OCSPRequestDataType (and SHA1, which CertIDs often use)
HASHES: dict[str, type[hashes.HashAlgorithm]] = {"SHA1": hashes.SHA1, "SHA256": hashes.SHA256,
                                                 "SHA384": hashes.SHA384, "SHA512": hashes.SHA512}


def _digest(algorithm: str, data: bytes) -> str:
    h = hashes.Hash(HASHES[algorithm]())
    h.update(data)
    return h.finalize().hex()


def public_key_bits(cert: x509.Certificate) -> bytes:
    """The subjectPublicKey BIT STRING contents of a certificate (what issuerKeyHash hashes)."""
    key = cert.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    if isinstance(key, rsa.RSAPublicKey):
        return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    raise ValueError(f"unsupported issuer key type {type(key).__name__}")


def issuer_hashes(issuer: x509.Certificate, algorithm: str) -> tuple[str, str]:
    """(issuerNameHash, issuerKeyHash) in lowercase hex of certificates issued by ``issuer``."""
    return _digest(algorithm, issuer.subject.public_bytes()), _digest(algorithm, public_key_bits(issuer))


def hash_data(cert: x509.Certificate, issuer: x509.Certificate, responder_url: str,
              algorithm: str = "SHA256") -> dict[str, Any]:
    """OCSPRequestDataType of ``cert`` in wire form (serialNumber uppercase hex, no leading zeros)."""
    name_hash, key_hash = issuer_hashes(issuer, algorithm)
    return {"hashAlgorithm": algorithm, "issuerNameHash": name_hash, "issuerKeyHash": key_hash,
            "serialNumber": format(cert.serial_number, "X"), "responderURL": responder_url}


def ocsp_url(cert: x509.Certificate) -> str | None:
    """The OCSP responder URL of the certificate's Authority Information Access extension."""
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return None
    for description in aia:
        if description.access_method == x509.oid.AuthorityInformationAccessOID.OCSP:
            return str(description.access_location.value)
    return None
