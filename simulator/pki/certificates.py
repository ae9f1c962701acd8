"""The simulated station's certificate handling (A02/F06): a fresh key and its CSR, and the checks a
station makes on the chain the CSMS sends back before it uses it for TLS.

Private keys stay in memory or in files the case owns; nothing here logs them.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

_PEM_CERT = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


@dataclass
class CertificateRequest:
    """A fresh EC P-256 key and the PEM PKCS#10 request (SHA-256) for it."""
    key: ec.EllipticCurvePrivateKey
    csr_pem: str

    @property
    def public_der(self) -> bytes:
        return public_key_der(self.key.public_key())


def new_csr(common_name: str, organization: str, country: str,
            organizational_unit: str | None = None) -> CertificateRequest:
    """CSR of a new key with subject CN, O, (OU,) C as the station's SecurityCtrlr says."""
    key = ec.generate_private_key(ec.SECP256R1())
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                  x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization)]
    if organizational_unit:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, organizational_unit))
    attributes.append(x509.NameAttribute(NameOID.COUNTRY_NAME, country))
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attributes)).sign(key, hashes.SHA256())
    return CertificateRequest(key, csr.public_bytes(serialization.Encoding.PEM).decode())


def public_key_der(public_key: object) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER,  # type: ignore[attr-defined]
                                   serialization.PublicFormat.SubjectPublicKeyInfo)


def parse_chain(text: str) -> list[x509.Certificate]:
    """The PEM certificates of a certificateChain, leaf first; ValueError when there are none or
    one does not parse."""
    blocks = _PEM_CERT.findall(text or "")
    if not blocks:
        raise ValueError("no PEM certificate in it")
    chain = []
    for n, block in enumerate(blocks, 1):
        try:
            chain.append(x509.load_pem_x509_certificate(block.encode()))
        except ValueError as e:
            raise ValueError(f"PEM certificate {n} does not parse as X.509 ({e})") from None
    return chain


def common_name(cert: x509.Certificate) -> str | None:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else None


def key_description(cert: x509.Certificate) -> tuple[str, int]:
    """(key type, size in bits) of the certificate's public key. DSA is told by its class name: the
    ``dsa`` module's names warn of DSA's deprecation on every use, in every run."""
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size
    return type(key).__name__.removesuffix("PublicKey").lstrip("_"), getattr(key, "key_size", 0)


def key_strong_enough(cert: x509.Certificate) -> bool:
    """A00.FR.502/503: RSA/DSA at least 2048 bit, EC at least 224 bit."""
    kind, bits = key_description(cert)
    return (kind in ("RSA", "DSA") and bits >= 2048) or (kind == "EC" and bits >= 224)


def _valid_now(cert: x509.Certificate, now: dt.datetime) -> bool:
    return cert.not_valid_before_utc <= now <= cert.not_valid_after_utc


def chain_problem(chain: list[x509.Certificate], ca_file: Path) -> str | None:
    """None when the leaf is valid now and chains, through the other certificates given, to the
    CA in ``ca_file``; else what is wrong, in a few words."""
    try:
        anchors = [x509.load_pem_x509_certificate(b.encode())
                   for b in _PEM_CERT.findall(ca_file.read_text())]
    except (OSError, ValueError) as e:
        return f"cannot read the CA file {ca_file.name}: {e}"
    if not anchors:
        return f"no CA certificate in {ca_file.name}"
    now = dt.datetime.now(dt.timezone.utc)
    leaf = chain[0]
    if not _valid_now(leaf, now):
        return (f"the leaf is not valid now (valid {leaf.not_valid_before_utc:%Y-%m-%d %H:%M} to "
                f"{leaf.not_valid_after_utc:%Y-%m-%d %H:%M} UTC)")
    current = leaf
    rest = list(chain[1:])
    for _ in range(len(chain) + 1):
        for anchor in anchors:
            if issued_by(current, anchor):
                return None
        issuer = next((c for c in rest if issued_by(current, c)), None)
        if issuer is None:
            return (f"{_describe(current)} is not issued by the CA in {ca_file.name} "
                    f"({_describe(anchors[0])}) nor by another certificate of the chain")
        if not _valid_now(issuer, now):
            return f"chain certificate {_describe(issuer)} is not valid now"
        rest.remove(issuer)
        current = issuer
    return "the chain does not end at the CA"


def invalid_fixture_problem(kind: str, cert_file: Path, station_id: str, ca_file: Path) -> str | None:
    """None when the certificate really is invalid in the way ``kind`` says (unknown CA, expired,
    wrong CN), else why not: a CSMS must not be failed for accepting a certificate that is fine."""
    try:
        cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    except (OSError, ValueError) as e:
        return f"cannot read {cert_file}: {e}"
    problem = chain_problem([cert], ca_file)
    now = dt.datetime.now(dt.timezone.utc)
    if kind == "unknown CA" and problem is None:
        return f"{cert_file.name} chains to {ca_file.name}, so its CA is not unknown"
    if kind == "expired" and cert.not_valid_after_utc >= now:
        return f"{cert_file.name} has not expired (valid until {cert.not_valid_after_utc:%Y-%m-%d})"
    if kind == "wrong CN" and common_name(cert) == station_id:
        return f"{cert_file.name} has CN {station_id}, the station id"
    return None


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether ``issuer`` signed ``cert`` (names and signature)."""
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def _describe(cert: x509.Certificate) -> str:
    return f"'{common_name(cert) or cert.subject.rfc4514_string()}'"


def write_credentials(directory: Path, chain_pem: str, key: ec.EllipticCurvePrivateKey,
                      name: str = "renewed") -> tuple[Path, Path]:
    """Store a renewed chain and its key (mode 0600) for Connect-SP3; returns (cert, key) paths."""
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
    cert_path.write_text(chain_pem if chain_pem.endswith("\n") else chain_pem + "\n")
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path
