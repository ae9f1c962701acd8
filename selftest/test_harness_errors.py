"""A harness fault is an ``error`` labelled harness, one line naming case and step, wherever it is
raised (a case's step, a follow-up the station runs in the background, a fixture), never a failure
blamed on the CSMS and never an object's repr."""
from __future__ import annotations

import asyncio
import re
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from selftest.support import run_cases
from simulator.verdicts.checks import HarnessError, harness_reason, set_case
from simulator.settings import Settings
from simulator.station.station import Station
from simulator.verdicts.trace import Trace
from simulator.wire.transport import Credentials, Endpoint


def test_the_reason_names_case_and_step() -> None:
    assert harness_reason(HarnessError("TC_N_02 step 6: the station's own X fails")) == \
        "harness error in TC_N_02 step 6: the station's own X fails"
    assert harness_reason(HarnessError("TC_E_53 [T2] Authorized step 4: harness bug: boom")) == \
        "harness error in TC_E_53 [T2] Authorized step 4: boom"
    assert harness_reason(HarnessError("CONFIGURED_OCSP_RESPONDER_URL 'https://x': http:// only"), "TC_M_24",
                          "setup") == "harness error in TC_M_24 before step 1: CONFIGURED_OCSP_RESPONDER_URL " \
                                      "'https://x': http:// only"
    assert harness_reason(HarnessError("TC_C_50: CONTRACT_CERT_FILE: unreadable"), "TC_C_50", "setup") == \
        "harness error in TC_C_50 before step 1: CONTRACT_CERT_FILE: unreadable"
    assert harness_reason(HarnessError("two\nlines"), "TC_A_01") == "harness error in TC_A_01: two lines"


def _station() -> Station:
    settings = Settings(_env_file=None, CSMS_ADDRESS="ws://127.0.0.1:9/ocpp", CSMS_RESPONSE_TIMEOUT=1)
    return Station(settings, Credentials("CP_T", 1, "0123456789abcdef"), Endpoint(settings.CSMS_ADDRESS, None, None, 1),
                   Trace())


async def test_an_own_request_that_breaks_its_schema_is_a_harness_error_at_its_step() -> None:
    set_case("TC_X_05")
    with pytest.raises(HarnessError, match=r"^TC_X_05 step 3: the station's own HeartbeatRequest fails its schema "
                                           r"self-check: "):
        await _station().send("Heartbeat", {"bogus": 1}, 3)


async def test_a_follow_up_that_fails_in_the_station_is_a_harness_error_at_the_settling_step() -> None:
    set_case("TC_X_06")
    station = _station()

    async def follow_up() -> None:
        await station.send("NotifyMonitoringReport", {"requestId": 1, "generatedAt": "2026-01-01T00:00:00Z",
                                                      "seqNo": 0, "tbc": False, "monitor": []}, "follow-up")
    station.later(follow_up())
    with pytest.raises(HarnessError, match=r"^TC_X_06 step 4: in a follow-up message: the station's own "
                                           r"NotifyMonitoringReportRequest fails its schema self-check: monitor"):
        await station.settle(4)
    station.later(follow_up())  # the station goes offline: kept as a harness error, not as the CSMS's problem
    await asyncio.sleep(0)
    await station.close()
    assert station.problem is None
    with pytest.raises(HarnessError, match=r"^TC_X_06 Post: in a follow-up message: the station's own"):
        await station.finish()


def test_a_case_whose_station_self_check_fails_is_reported_error_with_one_line() -> None:
    """TC_N_02's own NotifyMonitoringReportRequest (step 6) breaks its schema: the case errors (also on
    parallel workers), summary and JUnit carry the one-line reason, nothing blames the CSMS."""
    with tempfile.TemporaryDirectory() as keep:
        run = run_cases("TC_N_02 or TC_O_03", env={"SELFTEST_BREAK_OWN_REQUEST": "NotifyMonitoringReport"},
                        args=["-p", "selftest.break_self_check", "-n", "2"], keep=Path(keep))
        junit = ET.parse(Path(keep) / "junit.xml").getroot()
    assert run.verdicts() == {"TC_N_02": "error", "TC_O_03": "passed"}, run.output[-3000:]
    reason = run.reasons()["TC_N_02"]
    assert re.fullmatch(r"harness error in TC_N_02 step 6: the station's own NotifyMonitoringReportRequest fails "
                        r"its schema self-check: .*selftestBroken.*", reason), reason
    assert "1 error" in run.output and "failed" not in run.output.splitlines()[-1], run.output[-1500:]
    case = next(c for c in junit.iter("testcase") if "TC_N_02" in c.get("name", ""))
    errors, failures = case.findall("error"), case.findall("failure")
    assert not failures and len(errors) == 1 and errors[0].get("message") == reason, ET.tostring(case)[:1500]
    assert " object at 0x" not in run.output
