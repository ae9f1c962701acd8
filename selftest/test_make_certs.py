"""Certificates for an external CSMS: one command makes them, says what the CSMS trusts and serves,
and never overwrites what exists; the harness's own upkeep keeps the CA a CSMS trusts."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from cryptography import x509

from fixtures.make_certs import _cn, ensure, tls_plan
from selftest.support import ROOT


def make_certs(*args: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CSMS_", "REFERENCE_CSMS"))}
    environment["CSMS_WSS_ADDRESS"] = "wss://csms.test:9443/ocpp"
    return subprocess.run([sys.executable, "-m", "fixtures.make_certs", *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.startswith(".lock")}


def test_twice_in_a_folder_the_second_run_changes_nothing_and_says_so(tmp_path: Path) -> None:
    out = tmp_path / "certs"
    first = make_certs("--out", str(out))
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"made in {out}: CA, server certificates for csms.test"), first.stdout
    assert f"Your CSMS trusts {out / 'ca.pem'} for the station certificates" in first.stdout
    assert (f"Your CSMS serves on wss://csms.test:…: {out / 'csms_csms.test_rsa.pem'} with "
            f"{out / 'csms_csms.test_rsa.key'} (RSA) or {out / 'csms_csms.test_ec.pem'}") in first.stdout
    ca = x509.load_pem_x509_certificate((out / "ca.pem").read_bytes())
    for name in ("csms_csms.test_rsa.pem", "csms_csms.test_ec.pem"):
        server = x509.load_pem_x509_certificate((out / name).read_bytes())
        server.verify_directly_issued_by(ca)
        assert _cn(server) == "csms.test"
        assert server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
            x509.DNSName) == ["csms.test"]
    assert _cn(x509.load_pem_x509_certificate((out / "client.pem").read_bytes())) == "CP_3"
    assert (out / "mo_root.pem").exists() and (out / "firmware" / "firmware-1.1.bin").exists()
    assert oct((out / "ca.key").stat().st_mode & 0o777) == "0o600"
    before = snapshot(tmp_path)
    second = make_certs("--out", str(out))
    assert second.returncode == 0 and second.stdout.startswith(
        f"nothing changed: the material in {out} was already there\n"), second.stdout
    assert "kept as it is" not in second.stdout
    assert snapshot(tmp_path) == before


def test_existing_material_is_kept_and_force_makes_it_anew(tmp_path: Path) -> None:
    out = tmp_path / "certs"
    assert make_certs("--out", str(out)).returncode == 0
    ca = (out / "ca.pem").read_bytes()
    other = make_certs("--out", str(out), "--station-id", "CP_OTHER")
    assert other.returncode == 0 and (out / "ca.pem").read_bytes() == ca
    assert ("kept as it is (--force makes everything anew): station certificates: client.pem names CP_3, not "
            "CP_OTHER (SECURITY_PROFILE_3_CP)") in other.stdout, other.stdout
    forced = make_certs("--out", str(out), "--force")
    assert forced.returncode == 0 and forced.stdout.startswith(f"made in {out}: everything (--force)")
    assert (out / "ca.pem").read_bytes() != ca


def test_the_harness_reissues_below_the_ca_that_is_there(tmp_path: Path) -> None:
    """A run for another SECURITY_PROFILE_3_CP reissues the station certificates, never the CA a CSMS
    trusts; only a missing CA is made anew (and then everything below it)."""
    ensure(tmp_path, "CP_3")
    ca = (tmp_path / "ca.pem").read_bytes()
    server = (tmp_path / "csms_rsa.pem").read_bytes()
    assert set(tls_plan(tmp_path, "CP_9")) == {"station certificates", "untrusted station certificate"}
    ensure(tmp_path, "CP_9")
    assert (tmp_path / "ca.pem").read_bytes() == ca and (tmp_path / "csms_rsa.pem").read_bytes() == server
    assert _cn(x509.load_pem_x509_certificate((tmp_path / "client.pem").read_bytes())) == "CP_9"
    assert tls_plan(tmp_path, "CP_9") == {}
    (tmp_path / "ca.key").unlink()
    assert tls_plan(tmp_path, "CP_9")["server certificates for localhost"] == "below a new CA"
    ensure(tmp_path, "CP_9")
    assert (tmp_path / "ca.pem").read_bytes() != ca and tls_plan(tmp_path, "CP_9") == {}
