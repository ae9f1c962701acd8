"""The station's installed certificates (M, A): install, list by type with certificateHashData,
delete by hash data — the data GetInstalledCertificateIds and DeleteCertificate work on."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

HASHES = {"SHA256": hashlib.sha256, "SHA384": hashlib.sha384, "SHA512": hashlib.sha512}


@dataclass
class Installed:
    certificate_type: str
    certificate: x509.Certificate

    def hash_data(self, algorithm: str = "SHA256") -> dict[str, Any]:
        """issuerNameHash over the DER issuer name, issuerKeyHash over the issuer's public key bits
        (the certificate's own for a self-signed root), serialNumber in hex without leading zeroes."""
        h = HASHES[algorithm]
        cert = self.certificate
        key_bits = cert.public_key().public_bytes(serialization.Encoding.DER,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo)
        spki = _subject_public_key_bits(key_bits)
        return {"hashAlgorithm": algorithm, "issuerNameHash": h(cert.issuer.public_bytes()).hexdigest(),
                "issuerKeyHash": h(spki).hexdigest(), "serialNumber": format(cert.serial_number, "x")}


def _subject_public_key_bits(spki_der: bytes) -> bytes:
    """The BIT STRING contents of a SubjectPublicKeyInfo (what OCSP's issuerKeyHash hashes)."""
    # SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
    def read(buf: bytes, i: int) -> tuple[int, int, int]:
        tag, length = buf[i], buf[i + 1]
        i += 2
        if length & 0x80:
            n = length & 0x7F
            length = int.from_bytes(buf[i:i + n], "big")
            i += n
        return tag, length, i
    _, _, i = read(spki_der, 0)
    _, alg_len, j = read(spki_der, i)
    _, bits_len, k = read(spki_der, j + alg_len)
    return spki_der[k + 1:k + bits_len]  # skip the unused-bits octet


@dataclass
class CertificateStore:
    installed: list[Installed] = field(default_factory=list)

    def install(self, certificate_type: str, pem: str) -> str:
        try:
            cert = x509.load_pem_x509_certificate(pem.encode())
        except ValueError:
            return "Rejected"
        self.installed.append(Installed(certificate_type, cert))
        return "Accepted"

    def ids(self, types: list[str] | None, algorithm: str = "SHA256") -> list[dict[str, Any]]:
        return [{"certificateType": c.certificate_type, "certificateHashData": c.hash_data(algorithm)}
                for c in self.installed if not types or c.certificate_type in types]

    def delete(self, hash_data: dict[str, Any]) -> str:
        for c in self.installed:
            if c.hash_data(hash_data["hashAlgorithm"]) == {k: hash_data[k] for k in
                                                          ("hashAlgorithm", "issuerNameHash", "issuerKeyHash",
                                                           "serialNumber")}:
                self.installed.remove(c)
                return "Accepted"
        return "NotFound"
