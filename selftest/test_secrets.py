"""No secret in any output or report under any pytest flag a user may add: passwords, Basic
values and private keys are searched in the terminal output and every file of the reports."""
from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from selftest.support import FAST, ROOT

SECRETS = ("0123456789123456", "new_Passw0rd.0123456789",
           base64.b64encode(b"CP_1:0123456789123456").decode(),
           base64.b64encode(b"CP_PWD:0123456789123456").decode(),
           base64.b64encode(b"CP_PWD:new_Passw0rd.0123456789").decode(), "PRIVATE KEY")
FLAGS = {"showlocals": ["-l", "--tb=long"], "verbose": ["-vv"], "full-trace": ["--full-trace"],
         "no-capture": ["-s"], "debug-log": ["--log-level=DEBUG", "-o", "log_cli=true", "--log-cli-level=DEBUG"]}


def private_key_lines() -> list[str]:
    """Every base64 body line of every private key under fixtures/ (any file holding one), but those
    that are public anyway: an EC key's last line is its public point, which its certificate (and an
    EXI request carrying that certificate) holds as well."""
    keys, public = [], []
    for path in (ROOT / "fixtures").rglob("*"):
        if not path.is_file() or path.suffix not in (".key", ".pem", ".b64", ".json", ".crt"):
            continue
        text = path.read_text(errors="replace")
        blocks = re.findall(r"-----BEGIN [A-Z ]*PRIVATE KEY-----(.*?)-----END", text, re.S)
        keys += [ln for block in blocks for ln in block.split() if len(ln) >= 16]
        if not blocks:
            public.append(text.replace("\n", ""))
    everything_public = "".join(public)
    return [ln for ln in keys if ln not in everything_public]


def assert_no_secret(texts: dict[str, str], how: str = "") -> None:
    """No password, Basic value of one, Authorization value or private-key line in any of ``texts``
    (name -> text); prose such as "Basic base64(…)" is no value."""
    secrets = (*SECRETS, *private_key_lines())
    for name, text in texts.items():
        for secret in secrets:
            assert secret not in text, f"{secret[:4]}… found in {name}{how}"
        for value in re.findall(r"Authorization\W{1,4}Basic\s+([A-Za-z0-9+/]{8,}={0,2})", text):
            assert ":" not in base64.b64decode(value + "==", validate=False).decode("latin-1"), \
                f"an Authorization value in {name}{how}"


def report_texts(reports: Path) -> dict[str, str]:
    """Every file under a run's reports, by its path below ``reports``."""
    return {str(p.relative_to(reports)): p.read_text(errors="replace") for p in reports.rglob("*") if p.is_file()}


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
