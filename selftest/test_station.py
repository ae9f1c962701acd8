"""The simulated station: requests and answers, expectations, defaults, state, schema checks, trace."""
from __future__ import annotations

import asyncio
import json
from typing import Any, AsyncIterator

import pytest
from websockets.asyncio.server import serve

from reference_csms.config import CsmsConfig, StationReg, TokenReg
from reference_csms.embedded import EmbeddedCsms
from simulator.operators import actions
from simulator.verdicts.checks import CaseFailure, HarnessError, set_case
from simulator.operators.operator import Operator
from simulator.settings import Settings
from simulator.station.states import authorized, booted, energy_transfer_started
from simulator.station.station import Station
from simulator.verdicts.trace import Trace, add_secret, redact
from simulator.wire.transport import Credentials, Endpoint

PASSWORD = "0123456789abcdefXYZ"


@pytest.fixture(scope="module")
def csms() -> Any:
    config = CsmsConfig(wss_port=None, stations=[StationReg("CP_T", PASSWORD, 1)],
                        tokens=[TokenReg("TOK1", "Central", "Accepted", "G1")])
    embedded = EmbeddedCsms(config)
    embedded.start()
    yield embedded
    embedded.stop()


def make(csms: Any, **overrides: Any) -> Station:
    values = {"CSMS_ACTION_TIMEOUT": 2, "CSMS_RESPONSE_TIMEOUT": 2, "TRANSACTION_DURATION": 0, **overrides}
    settings = Settings(_env_file=None, CSMS_ADDRESS=csms.ws_url, CSMS_OPERATOR_URL=csms.api_url,
                        VALID_ID_TOKEN="TOK1", **values)
    trace = Trace()
    return Station(settings, Credentials("CP_T", 1, PASSWORD), Endpoint(csms.ws_url, None, None, 2), trace,
                   Operator(settings, trace))


@pytest.fixture
async def station(csms: Any) -> AsyncIterator[Station]:
    set_case("TC_X_01")
    s = make(csms)
    await s.connect()
    yield s
    await s.close()


async def test_send_returns_the_answer_and_the_trace_records_both_directions(station: Station) -> None:
    response = await booted(station)
    assert response["status"] == "Accepted"
    directions = [f.direction for f in station.trace.frames]
    assert directions.count("CS->CSMS") == directions.count("CSMS->CS") == 3


async def test_expectation_is_registered_before_the_operator_acts(station: Station) -> None:
    await booted(station)
    request = await station.expect("GetVariables", 1, trigger=actions.get_variables(
        station.id, [actions.cv("OCPPCommCtrlr", "OfflineThreshold")]))
    assert request["getVariableData"][0]["variable"]["name"] == "OfflineThreshold"
    answer = next(json.loads(f.text) for f in station.trace.frames
                  if f.direction == "CS->CSMS" and '"getVariableResult"' in f.text)
    assert answer[2]["getVariableResult"][0]["attributeValue"] == "60"


async def test_unexpected_requests_get_defaults_and_are_recorded(station: Station) -> None:
    await booted(station)
    await station.operator.request(actions.trigger_message(station.id, "Heartbeat"))
    for _ in range(50):
        if station.unexpected:
            break
        await asyncio.sleep(0.02)
    await station.settle()
    assert station.unexpected[0][0] == "TriggerMessage"
    assert any('"Heartbeat"' in f.text and f.direction == "CS->CSMS" for f in station.trace.frames)


async def test_no_request_within_timeout_fails_the_step(station: Station) -> None:
    await booted(station)
    with pytest.raises(CaseFailure, match=r"TC_X_01 step 3: no ResetRequest from the CSMS within 0.2 s"):
        await station.expect("Reset", 3, timeout=0.2, why="nothing sends a Reset here")


async def test_transactions_follow_the_rules(station: Station) -> None:
    await booted(station)
    await energy_transfer_started(station)
    tx = station.model.transaction(1)
    assert tx.seq_no == 2 and tx.charging_state == "Charging" and tx.id_token == {"idToken": "TOK1", "type": "Central"}
    payload = station.transaction_event_payload("Ended", "StopAuthorized", stopped_reason="Local")
    assert payload["seqNo"] == 3 and payload["meterValue"][0]["sampledValue"][0]["context"] == "Transaction.End"
    assert station.model.transaction(1) is None
    await authorized(station)
    assert station.model.transaction(1).seq_no == 0 and station.model.transaction(1).id != tx.id


async def test_schema_invalid_request_from_the_csms_fails_the_case() -> None:
    async def bad_csms(ws: Any) -> None:
        frame = json.loads(await ws.recv())
        await ws.send(json.dumps([3, frame[1], {"currentTime": "2026-01-01T00:00:00Z", "interval": 10,
                                               "status": "Accepted"}]))
        await ws.send(json.dumps([2, "x1", "GetVariables", {"getVariableData": [{"component": {}}]}]))
        await asyncio.sleep(1)

    async with serve(bad_csms, "127.0.0.1", 0, subprotocols=["ocpp2.0.1"]) as server:
        port = server.sockets[0].getsockname()[1]
        url = f"ws://127.0.0.1:{port}"
        settings = Settings(_env_file=None, CSMS_ADDRESS=url, CSMS_ACTION_TIMEOUT=2, CSMS_RESPONSE_TIMEOUT=2)
        station = Station(settings, Credentials("CP_T", 1, PASSWORD), Endpoint(url, None, None, 2), Trace())
        set_case("TC_X_02")
        await station.connect()
        await station.send("BootNotification", {"reason": "PowerUp", "chargingStation": {
            "model": "m", "vendorName": "v"}}, 1)
        with pytest.raises(CaseFailure, match=r"TC_X_02 step 2: the CSMS sent a GetVariablesRequest that "
                                              r"breaks the OCPP 2.0.1 schema: getVariableData\[0\]"):
            await station.expect("Reset", 2, why="the scripted CSMS sends no Reset")
        await station.close()


# ---------------------------------------------------------------- true verdicts against a busy CSMS
async def test_a_wait_takes_only_the_request_its_step_asks_for(station: Station) -> None:
    """A GetVariables of other variables (a busy CSMS's own) gets the default answer, is recorded
    and does not consume the step; the asked one does."""
    await booted(station)
    asked = actions.get_variables(station.id, [actions.cv("OCPPCommCtrlr", "OfflineThreshold")])
    other = actions.get_variables(station.id, [actions.cv("AuthCtrlr", "AuthorizeRemoteStart")])
    step = station.expecting(asked)
    await station.operator.request(other)
    request = await step.wait(1)
    assert request["getVariableData"][0]["variable"]["name"] == "OfflineThreshold"
    assert [a for a, _ in station.unexpected] == ["GetVariables"]


async def test_a_wait_that_gets_only_other_requests_names_them_and_the_field(station: Station) -> None:
    await booted(station)
    asked = actions.get_variables(station.id, [actions.cv("OCPPCommCtrlr", "OfflineThreshold")])
    other = actions.get_variables(station.id, [actions.cv("AuthCtrlr", "AuthorizeRemoteStart")])
    step = station.expecting("GetVariables", match=asked.identity)  # the CSMS is not asked for it
    await station.operator.request(other)
    with pytest.raises(CaseFailure, match=r"TC_X_01 step 1: getVariableData expected entries among "
                                          r"\[OCPPCommCtrlr.OfflineThreshold\], got \[AuthCtrlr.AuthorizeRemoteStart\] "
                                          r"\(in the GetVariablesRequest the CSMS sent; no GetVariablesRequest .* "
                                          r"within 0.5 s \(waited 0.[5-9] s\)\)"):
        await step.wait(1, timeout=0.5)


async def test_an_expectation_must_match_on_content_or_say_why(station: Station) -> None:
    with pytest.raises(HarnessError, match="must match on content"):
        station.expecting("GetVariables")
    assert station.expecting("GetVariables", why="unit test").match is None


async def test_an_unarmed_expectation_takes_nothing_that_came_before(station: Station) -> None:
    """"After step N": a matching request that arrives before the expectation is armed does not count."""
    await booted(station)
    action = actions.trigger_message(station.id, "Heartbeat")
    later = station.expecting(action, armed=False)
    await station.operator.request(action)
    for _ in range(100):
        if station.unexpected:
            break
        await asyncio.sleep(0.02)
    assert not later.arrived and station.unexpected[0][0] == "TriggerMessage"
    await later.wait(2)  # armed now: the operator asks again and this one counts
    assert later.arrived


async def test_an_action_without_content_counts_only_what_comes_after_it_was_asked(station: Station) -> None:
    """GetLocalListVersion carries nothing of the operator's: one the CSMS sent before the operator
    was asked (its own read-back after a write) is no answer, the one after is."""
    await booted(station)
    action = actions.get_local_list_version(station.id)
    step = station.expecting(action)
    assert not step.armed
    await station.operator.request(action)  # the CSMS sends one before the step asks
    for _ in range(100):
        if station.unexpected:
            break
        await asyncio.sleep(0.02)
    assert not step.arrived and station.unexpected[-1][0] == "GetLocalListVersion"
    await step.wait(1)  # the operator is asked now: the next one counts
    assert step.arrived


async def test_a_read_back_is_told_from_the_step_by_its_filters(station: Station) -> None:
    """GetDisplayMessages by priority: a request by id and priority (a CSMS's read-back) is not the step's."""
    await booted(station)
    step = station.expecting(actions.get_display_messages(station.id, priority="InFront"))
    assert not step.matches({"requestId": 1, "id": [1], "priority": "InFront"})
    assert not step.matches({"requestId": 1})
    assert step.matches({"requestId": 2, "priority": "InFront"})
    profiles = station.expecting(actions.get_charging_profiles(station.id, {"chargingProfileId": [3]}))
    assert not profiles.matches({"requestId": 1, "evseId": 1, "chargingProfile": {"chargingProfileId": [3]}})
    assert profiles.matches({"requestId": 2, "chargingProfile": {"chargingProfileId": [3]}})
    station.forget(step)
    station.forget(profiles)


async def test_the_operator_time_counts_inside_the_wait(csms: Any) -> None:
    """A blocking operator hook does not double the wait: the step fails at CSMS_ACTION_TIMEOUT."""
    set_case("TC_X_03")
    station = make(csms, CSMS_OPERATOR="command", CSMS_OPERATOR_COMMAND="sleep 5", CSMS_ACTION_TIMEOUT=1)
    await station.connect()
    await booted(station)
    started = asyncio.get_running_loop().time()
    with pytest.raises(CaseFailure, match=r"TC_X_03 step 1: "):
        await station.expect("GetVariables", 1, trigger=actions.get_variables(
            station.id, [actions.cv("OCPPCommCtrlr", "OfflineThreshold")]))
    assert asyncio.get_running_loop().time() - started < 1.5
    await station.close()


async def test_a_follow_up_error_is_kept_when_the_station_goes_offline() -> None:
    """The CSMS refuses a NotifyReport part of its own GetBaseReport; the station then disconnects:
    the refusal still fails the case."""
    from selftest.misbehaving_csms import MisbehavingCsms
    with MisbehavingCsms("report_then_callerror") as scripted:
        settings = Settings(_env_file=None, CSMS_ADDRESS=scripted.url, CSMS_ACTION_TIMEOUT=2, CSMS_RESPONSE_TIMEOUT=2)
        station = Station(settings, Credentials("CP_T", 1, PASSWORD), Endpoint(scripted.url, None, None, 2), Trace())
        set_case("TC_X_04")
        await station.connect()
        await booted(station)
        for _ in range(100):
            if any('"report not stored"' in f.text for f in station.trace.frames):
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0)
        await station.disconnect()
        with pytest.raises(CaseFailure, match=r"TC_X_04 Post: in a follow-up message: CSMS answered "
                                              r"NotifyReportRequest with CALLERROR InternalError"):
            await station.finish()


def test_schemas_are_checked_in_full_formats_included() -> None:
    from simulator.wire.protocol import CALL, CALLRESULT, error_code_problem, schema_problem
    boot = {"currentTime": "not-a-date", "interval": 10, "status": "Accepted"}
    assert schema_problem("BootNotification", CALLRESULT, boot) == "currentTime: 'not-a-date' is not a 'date-time'"
    assert schema_problem("BootNotification", CALLRESULT, {**boot, "currentTime": "2026-01-01T00:00:00Z"}) is None
    assert "status" in schema_problem("BootNotification", CALLRESULT, {**boot, "currentTime": "2026-01-01T00:00:00Z",
                                                                       "status": "Maybe"})
    firmware = {"requestId": 1, "firmware": {"location": "not a uri", "retrieveDateTime": "2026-01-01T00:00:00Z"}}
    assert "firmware.location" in schema_problem("UpdateFirmware", CALL, firmware)
    assert schema_problem("DataTransfer", CALL, {"vendorId": "v" * 256}) == \
        "vendorId: 256 characters, longer than maxLength 255"
    assert error_code_problem("FormatViolation") is None
    assert "OCPP 1.6 spelling" in error_code_problem("FormationViolation")


def test_secrets_and_keys_are_redacted() -> None:
    add_secret("s3cret-Passw0rd-123")
    text = ('{"attributeValue":"s3cret-Passw0rd-123"} Authorization: Basic Q1BfMTpzM2NyZXQ= '
            '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----')
    clean = redact(text + " Basic Q1BfUFdEOm90aGVyLXBhc3N3b3Jk")
    assert "s3cret" not in clean and "Q1BfMTpzM2NyZXQ" not in clean and "MIIB" not in clean
    assert "Q1BfUFdEOm90aGVyLXBhc3N3b3Jk" not in clean  # any user:password, whatever its length
    assert redact("Basic Authentication - Valid username") == "Basic Authentication - Valid username"
