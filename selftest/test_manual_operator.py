"""Manual mode at a terminal, as the README writes it (``CSMS_OPERATOR=manual ./run pytest tests -k
TC_F_06``), driven through a pseudo-terminal against a standalone reference CSMS: the instruction
appears while the case waits although pytest captures the output; Enter confirms (the person then
makes the CSMS act, here through its action API), ``s`` + Enter skips the case ("operator skipped"),
and no answer fails it ("the operator did not act within N s")."""
from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from selftest.support import ROOT, standalone_csms


class Terminal:
    """``pytest tests -k SELECT`` in a process whose controlling terminal is a pseudo-terminal."""

    def __init__(self, select: str, env: dict[str, str], reports: Path) -> None:
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("CSMS_", "REFERENCE_CSMS"))}
        environment.update(env)
        argv = [sys.executable, "-m", "pytest", "tests", "-k", select, "-q", "-p", "no:cacheprovider",
                "--reports", str(reports)]
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: its terminal is the pty, as a person's would be
            os.chdir(ROOT)
            os.execve(sys.executable, argv, environment)
        self.output = ""

    def read_until(self, pattern: str, timeout: float) -> str:
        """The output up to and including ``pattern`` (a regex); fails after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while not (match := re.search(pattern, self.output)):
            left = deadline - time.monotonic()
            assert left > 0, f"{pattern!r} did not appear within {timeout} s:\n{self.output[-3000:]}"
            if not self._read(left):
                raise AssertionError(f"the run ended before {pattern!r}:\n{self.output[-3000:]}")
        return self.output[:match.end()]

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            return False
        self.output += chunk.decode(errors="replace").replace("\r\n", "\n")
        return bool(chunk)

    def type(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def finish(self, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._read(deadline - time.monotonic()):
            pass
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        while pid == 0 and time.monotonic() < deadline:  # the terminal closes just before the process ends
            time.sleep(0.05)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
        if pid == 0:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            raise AssertionError(f"the run did not end within {timeout} s:\n{self.output[-3000:]}")
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status)


@pytest.fixture(scope="module")
def csms() -> Iterator[dict[str, str]]:
    """A standalone reference CSMS with the suite's registrations: its addresses."""
    with standalone_csms() as csms:
        yield {"ws": csms.ws, "api": csms.api}


def verdict(reports: Path) -> tuple[str, str]:
    case = json.loads((reports / "summary.json").read_text())["blocks"]["F"][0]
    return case["verdict"], case["reason"]


INSTRUCTION = (r"TC_F_06 step 1: OPERATOR ACTION for station CP_1\n"
               r"    Do in your CSMS: unlock connector 1 of EVSE 1\n"
               r'    Action UnlockConnector \{"evseId": 1, "connectorId": 1\}\n'
               r"    The station has just sent: (StatusNotification|Heartbeat|NotifyEvent)Request \{.*[}…] \([\d.]+ s ago\)\n"
               r"    The harness waits up to (\d+) s for the CSMS's UnlockConnectorRequest\.\n"
               r"    Press Enter when done, or s \+ Enter to skip this case\.\n")


def manual_run(csms: dict[str, str], tmp_path: Path, timeout: str) -> Terminal:
    return Terminal("TC_F_06", {"CSMS_OPERATOR": "manual", "CSMS_ADDRESS": csms["ws"],
                                "CSMS_ACTION_TIMEOUT": timeout, "CSMS_SETTLE_TIME": "0"}, tmp_path)


def test_enter_confirms_and_the_case_goes_on(csms: dict[str, str], tmp_path: Path) -> None:
    run = manual_run(csms, tmp_path, "30")
    run.read_until(INSTRUCTION, 60)
    started = time.monotonic()
    run.type("\n")  # "done" — then the person has the CSMS act (here through its action API)
    action = {"action": "UnlockConnector", "stationId": "CP_1", "params": {"evseId": 1, "connectorId": 1}}
    request = urllib.request.Request(csms["api"], json.dumps(action).encode(), {"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).close()
    assert run.finish() == 0, run.output[-3000:]
    assert verdict(tmp_path) == ("passed", "")
    assert time.monotonic() - started < 20


def test_s_skips_the_case(csms: dict[str, str], tmp_path: Path) -> None:
    run = manual_run(csms, tmp_path, "30")
    run.read_until(INSTRUCTION, 60)
    run.type("s\n")
    assert run.finish() == 0, run.output[-3000:]
    assert verdict(tmp_path) == ("skipped", "operator skipped")


def test_no_answer_fails_the_case_after_the_action_timeout(csms: dict[str, str], tmp_path: Path) -> None:
    run = manual_run(csms, tmp_path, "2")
    shown = run.read_until(INSTRUCTION, 60)
    assert "did not act" not in shown  # the instruction came while the case waited, not in the failure report
    assert run.finish() == 1, run.output[-3000:]
    assert verdict(tmp_path) == ("failed", "TC_F_06 step 1: the operator did not act within 2 s "
                                           "(operator action UnlockConnector)")
    assert "No answer within 2 s." in run.output
