"""The exit codes are a contract (``simulator/reporting/exit_codes.py``): one real run per code gives
it, the README's table is the contract's, and an interrupted run says so in every report with how many
cases ran of how many were selected."""
from __future__ import annotations

import html
import json
import os
import re
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Callable

import pytest

from selftest.support import FAST, ROOT, run_cases
from simulator.reporting import exit_codes


def _openssl_without_old_tls(tmp: Path) -> dict[str, str]:
    """An OpenSSL that refuses TLS < 1.2: TC_A_06 cannot offer it, a harness error (test_faults_A)."""
    conf = tmp / "openssl.cnf"
    conf.write_text("openssl_conf = openssl_init\n[openssl_init]\nssl_conf = ssl_sect\n[ssl_sect]\n"
                    "system_default = system_default_sect\n[system_default_sect]\nProtocol = -TLSv1, -TLSv1.1\n")
    return {"OPENSSL_CONF": str(conf)}


#: exit code -> a run that must end with it (returns the run's exit code and output)
SCENARIOS: dict[int, Callable[[Path], tuple[int, str]]] = {
    exit_codes.OK: lambda tmp: _code(run_cases("TC_B_01")),
    exit_codes.FAILED: lambda tmp: _code(run_cases("TC_E_16", faults=["accept_unknown_tokens"])),
    exit_codes.INTERRUPTED: lambda tmp: _interrupted(tmp / "reports", workers="1")[:2],
    exit_codes.HARNESS_ERROR: lambda tmp: _code(run_cases("TC_A_06", env=_openssl_without_old_tls(tmp))),
    exit_codes.USAGE: lambda tmp: _code(run_cases("TC_B_01", env={"CONFIGURED_EVSE_ID": "abc"})),
    exit_codes.NO_CASE: lambda tmp: _code(run_cases("TC_B_99")),
}


def _code(run) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    return run.returncode, run.output


def test_every_code_of_the_contract_has_a_scenario_and_the_readme_shows_the_contract() -> None:
    assert set(SCENARIOS) == {c.code for c in exit_codes.CONTRACT}
    readme = (ROOT / "README.md").read_text()
    table = readme.split("<!-- exit-codes:start -->\n", 1)[1].split("<!-- exit-codes:end -->", 1)[0]
    assert table == exit_codes.markdown_table(), "README exit-code table is stale: paste exit_codes.markdown_table()"


@pytest.mark.parametrize("code", sorted(SCENARIOS))
def test_the_run_exits_with_the_code_of_the_contract(code: int, tmp_path: Path) -> None:
    returncode, output = SCENARIOS[code](tmp_path)
    assert returncode == code, output[-3000:]
    if code == exit_codes.USAGE:
        assert re.search(r"^ERROR: setting CONFIGURED_EVSE_ID: .*\(got 'abc'\)$", output, re.M), output


def test_a_run_stopped_by_maxfail_exits_1_alike_serial_or_parallel() -> None:
    """pytest-xdist reports a --maxfail stop as an interruption (2); the contract says 1, as serially."""
    for workers in ("1", "2"):
        run = run_cases("TC_E_16 or TC_E_01 or TC_E_02 or TC_E_03", faults=["accept_unknown_tokens"],
                        env={"REFERENCE_CSMS_WORKERS": workers}, args=["--maxfail", "1"])
        assert run.returncode == exit_codes.FAILED, run.output[-2000:]
        assert run.summary["run"]["status"] in ("incomplete", "complete"), run.summary["run"]


def _ctrl_c_as_in_a_terminal() -> None:
    """The run reacts to Ctrl-C as a terminal's: a shell that starts a job in the background (a CI
    script's ``&``, nohup) makes its processes ignore SIGINT, and that is inherited."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupted(reports: Path, workers: str, *args: str) -> tuple[int, str, Path]:
    """``./run pytest tests -k TC_E`` (and ``args``) in its own process group, Ctrl-C (SIGINT to the
    group, as a terminal sends it) once three cases passed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CSMS_", "REFERENCE_CSMS"))}
    env.update(FAST, REFERENCE_CSMS_WORKERS=workers, REFERENCE_CSMS_OPTIONS="busy", REFERENCE_CSMS_SEED="3",
               TRANSACTION_DURATION="1", PYTHONUNBUFFERED="1")
    process = subprocess.Popen(["./run", "pytest", "tests", "-k", "TC_E", "-v", "-p", "no:cacheprovider",
                                "--no-preflight", "--reports", str(reports), *args], cwd=ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                               preexec_fn=_ctrl_c_as_in_a_terminal)
    lines, passed = [], 0
    deadline = time.monotonic() + 120
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        passed += "PASSED" in line
        if passed == 3 or time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGINT)
            break
    rest, _ = process.communicate(timeout=120)
    return process.returncode, "".join(lines) + rest, reports


@pytest.mark.parametrize("workers", ["1", "2"], ids=["serial", "parallel"])
def test_an_interrupted_run_says_so_in_every_report(workers: str, tmp_path: Path) -> None:
    code, output, reports = _interrupted(tmp_path / "reports", workers)
    assert code == exit_codes.INTERRUPTED, output[-3000:]
    state = json.loads((reports / "summary.json").read_text())["run"]
    ran = sum(len(results) for results in json.loads((reports / "summary.json").read_text())["blocks"].values())
    assert state["status"] == "interrupted" and state["selected"] == 27 and 3 <= state["ran"] == ran < 27, state
    line = f"INTERRUPTED: {ran} of 27 selected cases ran (KeyboardInterrupt)"
    assert line in output, output[-3000:]
    assert line in (reports / "summary.md").read_text()
    suite = ET.parse(reports / "junit.xml").getroot().find("testsuite")
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}  # type: ignore[union-attr]
    assert props["ocpp.run"] == "interrupted" and props["ocpp.cases_ran"] == str(ran), props
    assert props["ocpp.cases_selected"] == "27"
    assert line in html.unescape((reports / "report.html").read_text())


@pytest.mark.parametrize("workers", ["1", "2"], ids=["serial", "parallel"])
def test_an_interrupted_run_exits_2_when_pytest_cannot_report_the_interrupt(workers: str, tmp_path: Path) -> None:
    """Under CPython 3.11 pytest's traceback of a Ctrl-C once raised a TypeError (a frame without a
    line number); its terminal then asserted on the report it never got, and the run exited 1."""
    code, output, reports = _interrupted(tmp_path / "reports", workers, "-p", "selftest.broken_interrupt_report")
    assert code == exit_codes.INTERRUPTED, output[-3000:]
    assert "INTERNALERROR" not in output and "AssertionError" not in output, output[-3000:]
    assert re.search(r"^!+ KeyboardInterrupt !+$", output, re.M), output[-3000:]
    assert json.loads((reports / "summary.json").read_text())["run"]["status"] == "interrupted"
