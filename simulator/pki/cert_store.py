"""The station's installed certificates (M, A): install, list by type with certificateHashData,
delete by hash data — the data GetInstalledCertificateIds and DeleteCertificate work on."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

HASHES = {"SHA256": hashlib.sha256, "SHA384": hashlib.sha384, "SHA512": hashlib.sha512}
HASH_FIELDS = ("hashAlgorithm", "issuerNameHash", "issuerKeyHash", "serialNumber")
_PEM_CERT = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


def hash_data(cert: x509.Certificate, issuer: x509.Certificate | None = None,
              algorithm: str = "SHA256") -> dict[str, Any]:
    """certificateHashData as OCSP's CertID: issuerNameHash over the DER issuer name, issuerKeyHash
    over the issuer's public key bits (the certificate's own for a self-signed root), serialNumber
    in lowercase hex without leading zeroes."""
    h = HASHES[algorithm]
    issuer_key = (issuer or cert).public_key().public_bytes(serialization.Encoding.DER,
                                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    return {"hashAlgorithm": algorithm, "issuerNameHash": h(cert.issuer.public_bytes()).hexdigest(),
            "issuerKeyHash": h(_subject_public_key_bits(issuer_key)).hexdigest(),
            "serialNumber": format(cert.serial_number, "x")}


def same_hash_data(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Equal hashAlgorithm and the three hex fields equal ignoring case."""
    return a.get("hashAlgorithm") == b.get("hashAlgorithm") and all(
        str(a.get(k, "")).lower() == str(b.get(k, "")).lower() for k in HASH_FIELDS[1:])


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


def load_pem_chain(text: str) -> list[x509.Certificate]:
    return [x509.load_pem_x509_certificate(b.encode()) for b in _PEM_CERT.findall(text)]


@dataclass
class Installed:
    certificate_type: str
    certificate: x509.Certificate
    issuer: x509.Certificate | None = None  # None: self-signed (or issuer unknown)
    children: list["Installed"] = field(default_factory=list)  # V2GCertificateChain: the Sub-CAs

    def hash_data(self, algorithm: str = "SHA256") -> dict[str, Any]:
        return hash_data(self.certificate, self.issuer, algorithm)

    def entry(self, algorithm: str) -> dict[str, Any]:
        """One certificateHashDataChain entry (M03.FR.05: a chain lists its Sub-CAs as children)."""
        entry: dict[str, Any] = {"certificateType": self.certificate_type,
                                 "certificateHashData": self.hash_data(algorithm)}
        if self.children:
            entry["childCertificateHashData"] = [c.hash_data(algorithm) for c in self.children]
        return entry


@dataclass
class CertificateStore:
    installed: list[Installed] = field(default_factory=list)
    #: hashAlgorithm of GetInstalledCertificateIds answers (a case may switch it, M03)
    algorithm: str = "SHA256"

    @classmethod
    def truststore(cls, settings: Any) -> "CertificateStore":
        """Block M's start state, in order: CSMSRootCertificate TLS_CA_CERT, ManufacturerRootCertificate,
        V2GRootCertificate, MORootCertificate, V2GCertificateChain (files that do not exist are left out)."""
        store = cls()
        for kind, name in (("CSMSRootCertificate", "TLS_CA_CERT"),
                           ("ManufacturerRootCertificate", "CONFIGURED_MANUFACTURER_ROOT_CERT"),
                           ("V2GRootCertificate", "CONFIGURED_V2G_ROOT_CERT"),
                           ("MORootCertificate", "CONFIGURED_MO_ROOT_CERT_FILE"),
                           ("V2GCertificateChain", "CONFIGURED_V2G_CERT_CHAIN")):
            path = Path(settings.path(getattr(settings, name)))
            try:
                chain = load_pem_chain(path.read_text())
            except (OSError, ValueError):
                continue
            if chain:
                store.installed.append(_entry(kind, chain))
        store._link_issuers()
        return store

    def _link_issuers(self) -> None:
        """A chain's top certificate is hashed with its issuer's key: a root the store holds."""
        roots = {c.certificate.subject.public_bytes(): c.certificate for c in self.installed}
        for c in self.installed:
            for item in [c, *c.children]:
                if item.issuer is None and item.certificate.issuer != item.certificate.subject:
                    item.issuer = roots.get(item.certificate.issuer.public_bytes())

    def install(self, certificate_type: str, pem: str) -> str:
        """An Accepted install puts the certificate first under its type (an identical one is replaced)."""
        try:
            cert = x509.load_pem_x509_certificate(pem.encode())
        except ValueError:
            return "Rejected"
        self.installed = [c for c in self.installed
                          if not (c.certificate_type == certificate_type and c.certificate == cert)]
        self.installed.insert(0, Installed(certificate_type, cert))
        return "Accepted"

    def remove(self, certificate_type: str) -> None:
        self.installed = [c for c in self.installed if c.certificate_type != certificate_type]

    def ids(self, types: list[str] | None, algorithm: str | None = None) -> list[dict[str, Any]]:
        algorithm = algorithm or self.algorithm
        return [c.entry(algorithm) for c in self.installed if not types or c.certificate_type in types]

    def find(self, data: dict[str, Any]) -> Installed | None:
        if data.get("hashAlgorithm") not in HASHES:
            return None
        return next((c for c in self.installed if same_hash_data(c.hash_data(data["hashAlgorithm"]), data)), None)

    def delete(self, data: dict[str, Any]) -> str:
        found = self.find(data)
        if found is None:
            return "NotFound"
        self.installed.remove(found)
        return "Accepted"


def _entry(kind: str, chain: list[x509.Certificate]) -> Installed:
    """A stored certificate; a chain (leaf first) keeps its Sub-CAs as children, each hashed with its issuer."""
    def issuer_of(i: int) -> x509.Certificate | None:
        return chain[i + 1] if i + 1 < len(chain) else None
    children = [Installed(kind, chain[i], issuer_of(i)) for i in range(1, len(chain))]
    return Installed(kind, chain[0], issuer_of(0), children)


def install_check_problem(certificate: Any, expected_file: Path) -> str | None:
    """"Install check (F)": certificate holds one PEM X.509 certificate whose DER equals that of F."""
    try:
        expected = x509.load_pem_x509_certificate(expected_file.read_bytes())
    except (OSError, ValueError) as e:
        return f"cannot read {expected_file.name}: {e}"
    try:
        chain = load_pem_chain(certificate if isinstance(certificate, str) else "")
    except ValueError as e:
        return f"expected one PEM X.509 certificate, got one that does not parse ({e})"
    if len(chain) != 1:
        return f"expected one PEM X.509 certificate, got {len(chain)}"
    if chain[0] != expected:
        return (f"expected the certificate of {expected_file.name} ({expected.subject.rfc4514_string()}), "
                f"got {chain[0].subject.rfc4514_string()} serial {chain[0].serial_number:x}")
    return None
