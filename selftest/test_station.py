"""The simulated station: requests and answers, expectations, defaults, state, schema checks, trace."""
from __future__ import annotations

import asyncio
import json
from typing import Any, AsyncIterator

import pytest
from websockets.asyncio.server import serve

from reference_csms.config import CsmsConfig, StationReg, TokenReg
from reference_csms.embedded import EmbeddedCsms
from simulator import actions
from simulator.checks import CaseFailure, set_case
from simulator.operator import Operator
from simulator.settings import Settings
from simulator.states import authorized, booted, energy_transfer_started
from simulator.station import Station
from simulator.trace import Trace, add_secret, redact
from simulator.transport import Credentials, Endpoint

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
    settings = Settings(_env_file=None, CSMS_ADDRESS=csms.ws_url, CSMS_OPERATOR_URL=csms.api_url,
                        VALID_ID_TOKEN="TOK1", CSMS_ACTION_TIMEOUT=2, CSMS_RESPONSE_TIMEOUT=2,
                        TRANSACTION_DURATION=0, **overrides)
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
        await station.expect("Reset", 3, timeout=0.2)


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
            await station.expect("Reset", 2)
        await station.close()


def test_secrets_and_keys_are_redacted() -> None:
    add_secret("s3cret-Passw0rd-123")
    text = ('{"attributeValue":"s3cret-Passw0rd-123"} Authorization: Basic Q1BfMTpzM2NyZXQ= '
            '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----')
    clean = redact(text + " Basic Q1BfUFdEOm90aGVyLXBhc3N3b3Jk")
    assert "s3cret" not in clean and "Q1BfMTpzM2NyZXQ" not in clean and "MIIB" not in clean
    assert "Q1BfUFdEOm90aGVyLXBhc3N3b3Jk" not in clean  # any user:password, whatever its length
    assert redact("Basic Authentication - Valid username") == "Basic Authentication - Valid username"
