"""No secret in any output or report under any pytest flag a user may add: passwords, Basic
values and private keys are searched in the terminal output and every file of the reports."""
from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from selftest.support import FAST, ROOT, assert_no_secret, report_texts

FLAGS = {"showlocals": ["-l", "--tb=long"], "verbose": ["-vv"], "full-trace": ["--full-trace"],
         "no-capture": ["-s"], "debug-log": ["--log-level=DEBUG", "-o", "log_cli=true", "--log-cli-level=DEBUG"]}


@pytest.mark.parametrize("flags", list(FLAGS.values()), ids=list(FLAGS))
def test_no_secret_under_any_flag(tmp_path: Path, flags: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CSMS_", "REFERENCE_CSMS"))}
    env.update(FAST)
    env["REFERENCE_CSMS_FAULTS"] = "password_wrong_length"  # TC_A_09 fails with the passwords in its locals
    reports = tmp_path / "reports"
    done = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "tests"), "-k", "TC_A_09 or TC_A_10 or TC_B_01",
                           "-rA", "-p", "no:cacheprovider", "-o", "junit_logging=all", "--reports", str(reports),
                           *flags], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    texts = {"terminal": done.stdout + done.stderr}
    texts.update(report_texts(reports))
    assert "TC_A_09" in texts["terminal"] and "failed" in texts["terminal"], texts["terminal"][-2000:]
    assert_no_secret(texts, f" with {' '.join(flags)}")


def _key_and_certificate(kind: str) -> tuple[Any, bytes]:
    """A fresh key of ``kind`` and a self-signed certificate of it (DER)."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import NameOID
    key = {"ec": lambda: ec.generate_private_key(ec.SECP256R1()), "rsa": lambda: rsa.generate_private_key(65537, 2048),
           "ed25519": ed25519.Ed25519PrivateKey.generate}[kind]()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CP_3")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(key, None if kind == "ed25519" else hashes.SHA256()))
    return key, cert.public_bytes(Encoding.DER)


@pytest.mark.parametrize("kind, count", [("ec", 40), ("rsa", 3), ("ed25519", 10)])
def test_secret_search_tells_public_material_from_private_keys(tmp_path: Path, kind: str, count: int) -> None:
    """Parsed keys, not lines: for many fresh keys, the certificate, the public key (PEM, DER, the EC
    point in hex) and a certificate inside a longer base64 text at every alignment (as an EXI request
    carries it) are never flagged; the key's PEM, its PEM body in JSON, and its secret number in hex,
    decimal or base64 always are."""
    import json

    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
    for n in range(count):
        key, cert_der = _key_and_certificate(kind)
        folder = tmp_path / f"k{n}"
        folder.mkdir()
        pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
        (folder / "key.key").write_text(pem)
        public = key.public_key()
        texts = {"certificate": base64.encodebytes(cert_der).decode(),
                 "public key": public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode(),
                 "public der": base64.b64encode(public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)).decode()}
        if kind == "ec":
            texts["point"] = public.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint).hex()
        for skip in range(3):  # a certificate inside an EXI request's base64, at each alignment
            texts[f"exi {skip}"] = base64.b64encode(b"\x80" * skip + cert_der + b"\x01\x02").decode()
        assert_no_secret(texts, keys=folder)
        numbers = key.private_numbers() if kind != "ed25519" else None
        leaks = {"pem": pem, "json": json.dumps({"key": pem}),
                 "der": base64.b64encode(key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())).decode()}
        if kind == "ec":
            leaks |= {"hex": f"priv {numbers.private_value:x}", "decimal": str(numbers.private_value)}
        if kind == "rsa":
            leaks |= {"hex": f"d={numbers.d:X}"}
        if kind == "ed25519":
            leaks |= {"raw": base64.b64encode(key.private_bytes_raw()).decode()}
        for name, text in leaks.items():
            with pytest.raises(AssertionError, match="found in"):
                assert_no_secret({name: text}, keys=folder)


def test_the_fixtures_public_material_is_no_secret() -> None:
    """The certificates, public data and EXI requests under fixtures/ (every file that holds no
    private key) pass the search that the runs' reports get."""
    from fixtures.make_certs import HERE, ensure, ensure_for_settings
    from simulator.settings import Settings
    ensure(HERE / "certs", "CP_3")
    ensure_for_settings(Settings(_env_file=None))
    public = {str(p.relative_to(ROOT)): p.read_text(errors="replace") for p in (ROOT / "fixtures").rglob("*")
              if p.is_file() and p.suffix in (".pem", ".b64", ".json") and "PRIVATE KEY" not in p.read_text(errors="replace")}
    assert len(public) > 20 and any(name.endswith(".b64") for name in public), sorted(public)
    assert_no_secret(public)
