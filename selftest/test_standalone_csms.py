"""``python -m reference_csms`` alone, and the suite pointed at it as at any external CSMS."""
from __future__ import annotations

import re
import subprocess
import sys

from selftest.support import ROOT, implemented_case_items, run_cases


def test_suite_against_the_standalone_reference_csms() -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "reference_csms", "--port", "0", "--wss-port", "0", "--api-port", "0",
         "--station", "EXT_1:ext-password-0123456789:1", "--token", "EXT_TOKEN:Central:Accepted"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = server.stdout.readline()
        match = re.search(r"ws://127\.0\.0\.1:(\d+) .* actions (http://\S+)", line)
        assert match, line
        run = run_cases("TC_B_01 or TC_B_06 or TC_P_02 or TC_E_02", env={
            "CSMS_ADDRESS": f"ws://127.0.0.1:{match.group(1)}", "CSMS_OPERATOR": "http",
            "CSMS_OPERATOR_URL": match.group(2), "BASIC_AUTH_CP": "EXT_1",
            "BASIC_AUTH_CP_PASSWORD": "ext-password-0123456789", "VALID_ID_TOKEN": "EXT_TOKEN"})
        assert run.verdicts() == {"TC_B_01": "passed", "TC_B_06": "passed", "TC_P_02": "passed",
                                  "TC_E_02": "passed"}, run.output[-3000:]
        assert "ext-password-0123456789" not in run.output
    finally:
        server.terminate()
        server.wait(10)


def test_faults_are_listed() -> None:
    done = subprocess.run([sys.executable, "-m", "reference_csms", "--list-faults"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "reject_every_boot" in done.stdout and "accept_tls_1_1" in done.stdout


def test_unknown_fault_is_refused_in_one_line() -> None:
    done = subprocess.run([sys.executable, "-m", "reference_csms", "--port", "0", "--api-port", "0",
                           "--fault", "no_such_fault"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.startswith("reference CSMS: unknown reference CSMS fault(s): "
                                                           "no_such_fault"), done.stderr


def test_whole_suite_twice_against_the_standalone_csms_with_suite_registrations() -> None:
    """``--suite`` registers what the settings need; every block passes against it over the network
    as against any external CSMS, TLS cases included, and a second run against the same CSMS gives
    the same verdicts (the cases leave it as they found it)."""
    server = subprocess.Popen([sys.executable, "-m", "reference_csms", "--suite", "--port", "0", "--wss-port", "0",
                               "--api-port", "0"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = server.stdout.readline()
        match = re.search(r"(ws://127\.0\.0\.1:\d+) (wss://localhost:\d+) actions (http://\S+)", line)
        assert match, line
        env = {"CSMS_ADDRESS": match.group(1), "CSMS_WSS_ADDRESS": match.group(2),  # exactly the printed addresses
               "CSMS_OPERATOR": "http", "CSMS_OPERATOR_URL": match.group(3)}
        items = len(implemented_case_items())
        first = run_cases("TC_", env=env, timeout=900)
        assert first.returncode == 0 and len(first.verdicts()) == items, first.output[-3000:]
        second = run_cases("TC_", env=env, timeout=900)
        assert second.verdicts() == first.verdicts(), {
            case: (verdict, second.reasons()[case]) for case, verdict in second.verdicts().items()
            if first.verdicts().get(case) != verdict}
    finally:
        server.terminate()
        server.wait(10)
