"""A CSMS that disappears mid-run is named once (issue 23, item 7): a standalone reference CSMS is
killed by the operator's first action (TC_B_06); the run says "the CSMS stopped answering at TC_B_06
(connection refused)" once, in the terminal and in summary.md/json, every later case fails at once
with that reason, and JUnit's failure message of every case is its one-line reason."""
from __future__ import annotations

import re
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterator

import pytest

from selftest.support import run_cases, standalone_csms

SELECT = "TC_B_01 or TC_B_06 or TC_B_07 or TC_C_02 or TC_E_02 or TC_P_02"
LATER = ("TC_B_07", "TC_C_02", "TC_E_02", "TC_P_02")
GONE = "the CSMS stopped answering at TC_B_06 (connection refused)"


@pytest.fixture
def doomed_csms() -> Iterator[tuple[subprocess.Popen, dict[str, str]]]:
    """A standalone reference CSMS with the suite's registrations, and the settings of a run whose
    operator kills it at the first action it is asked for."""
    with standalone_csms() as csms:
        yield csms.process, csms.env(CSMS_OPERATOR="command", CSMS_OPERATOR_COMMAND=f"kill -9 {csms.process.pid}")


def junit_messages(path: Path) -> dict[str, str]:
    """case id -> the message of its JUnit failure."""
    messages = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        failure = case.find("failure")
        if failure is not None:
            messages[re.search(r"TC_[A-P]_\d+", case.get("name", "")).group(0)] = failure.get("message", "")
    return messages


def test_a_csms_that_dies_mid_run_is_named_once(doomed_csms: tuple[subprocess.Popen, dict[str, str]],
                                               tmp_path: Path) -> None:
    server, env = doomed_csms
    started = time.monotonic()
    run = run_cases(SELECT, env=env, keep=tmp_path, timeout=120, preflight=True)
    elapsed = time.monotonic() - started
    assert server.poll() is not None, "the operator did not kill the CSMS"
    verdicts, reasons = run.verdicts(), run.reasons()
    assert verdicts["TC_B_01"] == "passed" and verdicts["TC_B_06"] == "failed", run.output[-3000:]
    assert "TC_B_06 step 1: " in reasons["TC_B_06"], reasons["TC_B_06"]  # its own reason: the connection it lost
    for case in LATER:
        assert reasons[case] == f"{case} before step 1: {GONE}", (case, reasons[case])
    later = [r for results in run.summary["blocks"].values() for r in results if r["case"] in LATER]
    assert all(r["duration"] == 0.0 for r in later), later  # failed at once: no station, no timeout
    assert run.summary["csms_gone"] == GONE
    assert run.output.count(f"ERROR: {GONE}") == 1, run.output[-3000:]  # said once in the terminal
    summary = (tmp_path / "summary.md").read_text()
    assert summary.count("**The CSMS stopped answering at TC_B_06 (connection refused).**") == 1, summary[:800]
    assert elapsed < 60, elapsed
    messages = junit_messages(tmp_path / "junit.xml")
    assert set(messages) == {"TC_B_06", *LATER}
    assert messages == {case: reasons[case] for case in messages}, messages


def test_stop_on_csms_gone_stops_the_run(doomed_csms: tuple[subprocess.Popen, dict[str, str]],
                                         tmp_path: Path) -> None:
    _, env = doomed_csms
    run = run_cases(SELECT, env=env, keep=tmp_path, timeout=120, preflight=True, args=["--stop-on-csms-gone"])
    assert run.returncode == 1, run.output[-3000:]
    assert run.verdicts() == {"TC_B_01": "passed", "TC_B_06": "failed"}, run.output[-3000:]
    assert run.summary["csms_gone"] == GONE
    assert f"{GONE} (--stop-on-csms-gone)" in run.output
