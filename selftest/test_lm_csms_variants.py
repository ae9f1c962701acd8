"""Blocks L and M against a busier reference CSMS (a base report after every boot, status queries
after reconnects) and against the standalone ``python -m reference_csms --suite`` over the network."""
from __future__ import annotations

import re
import subprocess
import sys

from selftest.support import ROOT, assert_block_passes, run_cases

LM_CASES = 37
SHORT_SCHEDULE = {"CONFIGURED_FIRMWARE_SCHEDULE_DELAY": "2"}  # TC_L_02/TC_L_03 wait this long


def test_blocks_l_and_m_pass_a_busier_csms() -> None:
    assert_block_passes("TC_L or TC_M", LM_CASES, env={
        "REFERENCE_CSMS_OPTIONS": "base_report_at_boot,query_on_reconnect", **SHORT_SCHEDULE})


def test_blocks_l_and_m_against_the_standalone_csms() -> None:
    server = subprocess.Popen([sys.executable, "-m", "reference_csms", "--suite", "--port", "0", "--wss-port", "0",
                               "--api-port", "0"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = server.stdout.readline()
        match = re.search(r"ws://127\.0\.0\.1:(\d+) wss://127\.0\.0\.1:(\d+) actions (http://\S+)", line)
        assert match, line
        run = run_cases("TC_L or TC_M", env={
            "CSMS_ADDRESS": f"ws://127.0.0.1:{match.group(1)}", "CSMS_WSS_ADDRESS": f"wss://localhost:{match.group(2)}",
            "CSMS_OPERATOR": "http", "CSMS_OPERATOR_URL": match.group(3), **SHORT_SCHEDULE})
        assert run.returncode == 0 and len(run.verdicts()) == LM_CASES, run.output[-3000:]
    finally:
        server.terminate()
        server.wait(10)
