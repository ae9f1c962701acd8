"""The station answers every schema-valid CSMS request (of every CSMS→CS action of OCPP 2.0.1) with a
schema-valid answer, and every follow-up message it then sends (NotifyReport, NotifyMonitoringReport,
ReportChargingProfiles, the triggered messages, …) is schema-valid too. Requests are drawn from the
official JSON schemas (selftest.schema_strategy) and fed to a station's default replies through its
message loop, over a link that records what the station sends and answers its requests at once;
the station holds some state (a transaction, profiles, monitors, a display message, a reservation)
in half of the examples, so that answers built from state are drawn as well."""
from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings as hypothesis_settings, strategies as st

from selftest.schema_strategy import minimal, requests
from simulator.settings import Settings
from simulator.station import diagnostics, smart_charging
from simulator.station.counters import EMBEDDED
from simulator.station.device_model import DeviceModel
from simulator.station.model import Reservation
from simulator.station.station import DEFAULT_REPLIES, Station
from simulator.verdicts.trace import Trace
from simulator.wire.protocol import CALL, CALLERROR, CALLRESULT, dumps, schema_problem
from simulator.wire.transport import Credentials, Endpoint

#: OCPP 2.0.1 Part 2: every request a CSMS sends to a charging station
CSMS_TO_CS = {
    "CancelReservation", "CertificateSigned", "ChangeAvailability", "ClearCache", "ClearChargingProfile",
    "ClearDisplayMessage", "ClearVariableMonitoring", "CostUpdated", "CustomerInformation", "DataTransfer",
    "DeleteCertificate", "GetBaseReport", "GetChargingProfiles", "GetCompositeSchedule", "GetDisplayMessages",
    "GetInstalledCertificateIds", "GetLocalListVersion", "GetLog", "GetMonitoringReport", "GetReport",
    "GetTransactionStatus", "GetVariables", "InstallCertificate", "PublishFirmware", "RequestStartTransaction",
    "RequestStopTransaction", "ReserveNow", "Reset", "SendLocalList", "SetChargingProfile", "SetDisplayMessage",
    "SetMonitoringBase", "SetMonitoringLevel", "SetNetworkProfile", "SetVariableMonitoring", "SetVariables",
    "TriggerMessage", "UnlockConnector", "UnpublishFirmware", "UpdateFirmware"}
EXAMPLES = 20  # per action: the whole module stays within some tens of seconds
#: actions whose answers and follow-ups are built from the request and the station's state get more
RICH = {"TriggerMessage": 120, "GetReport": 60, "GetMonitoringReport": 60, "SetVariableMonitoring": 60,
        "SetChargingProfile": 60, "GetCompositeSchedule": 60, "GetChargingProfiles": 60, "SetVariables": 60,
        "GetVariables": 60, "CustomerInformation": 40, "GetDisplayMessages": 40, "ChangeAvailability": 40,
        "ReserveNow": 40, "RequestStartTransaction": 40, "InstallCertificate": 40, "DeleteCertificate": 40}


def _no_json(constant: str) -> Any:
    raise AssertionError(f"the station sent {constant}, which is no JSON number")


class Link:
    """The WebSocket as the station sees it: frames it sends are kept (and checked), each request it
    sends gets a minimal schema-valid CALLRESULT at once, as from a terse CSMS."""

    def __init__(self) -> None:
        self.station: Station | None = None
        self.sent: list[list[Any]] = []
        self.subprotocol = "ocpp2.0.1"
        self._closed = asyncio.Event()

    async def send(self, text: str) -> None:
        frame = json.loads(text, parse_constant=_no_json)  # NaN and Infinity are no JSON
        self.sent.append(frame)
        if frame[0] == CALL:
            answer = dumps([CALLRESULT, frame[1], minimal(frame[2])])
            asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(self.station.route_message(answer)))

    async def close(self) -> None:
        self._closed.set()

    def __aiter__(self) -> "Link":
        return self

    async def __anext__(self) -> str:
        await self._closed.wait()
        raise StopAsyncIteration


STATE = Path(tempfile.mkdtemp(prefix="ocpp-properties-"))  # the stations' counters


@pytest.fixture(scope="module")
def base_settings() -> Settings:
    return Settings(_env_file=None, CSMS_ADDRESS="ws://127.0.0.1:9/ocpp", CSMS_RESPONSE_TIMEOUT=2,
                    CONFIGURED_NUMBER_OF_EVSES=2, STATION_STATE_DIR=str(STATE))


def prepare(station: Station) -> None:
    """State a station may hold when a request comes: a charging transaction on EVSE 1, a CSO and an
    EMS profile, two monitors, a display message, a reservation of EVSE 2 and a local list."""
    tx = station.model.open_transaction(1, 1)
    tx.id_token = station.id_token()
    station.model.evses[1].set_charging(True)
    smart_charging.hold(station, 1)
    smart_charging.hold(station, 1, "ChargingStationExternalConstraints", stack_level=0, source="EMS")
    diagnostics.install_monitor(station, {"name": "ChargingStation"}, {"name": "Power"}, "UpperThreshold", 100.0, 5, 1)
    diagnostics.install_monitor(station, {"name": "EVSE", "evse": {"id": 1}}, {"name": "AvailabilityState"},
                                "Delta", 1, 5, 2)
    station.model.display_messages[3] = {"id": 3, "priority": "InFront", "state": "Idle",
                                         "message": {"format": "UTF8", "content": "hello"}}
    station.model.reserve(Reservation(4, "2099-01-01T00:00:00Z", station.id_token(), 2))
    station.local_list.hold({("1000C006", "ISO14443"): {"status": "Accepted"}}, 2)


async def exchange(settings: Settings, action: str, payload: dict, prepared: bool) -> list[list[Any]]:
    """The station takes ``payload`` as a CSMS request and finishes every follow-up; what it sent."""
    return await exchanges(settings, [(action, payload)], prepared)


async def exchanges(settings: Settings, sequence: list[tuple[str, dict]], prepared: bool) -> list[list[Any]]:
    """The station takes the requests one after another (each answered and its follow-ups finished
    before the next); what it sent."""
    station = Station(settings, Credentials("CP_P", 1, "0123456789abcdef"),
                      Endpoint(settings.CSMS_ADDRESS, None, None, 2), Trace(), csms=EMBEDDED)
    if prepared:
        prepare(station)
    link = Link()
    link.station = station
    station.attach(link)
    try:
        for n, (action, payload) in enumerate(sequence, 1):
            await station.route_message(dumps([CALL, f"csms-{n}", action, payload]))
            await station.settle()
            await asyncio.sleep(0)
    finally:
        await station.close()
    return link.sent


def test_every_csms_request_has_a_default_answer() -> None:
    assert set(DEFAULT_REPLIES) == CSMS_TO_CS


@pytest.mark.parametrize("action", sorted(CSMS_TO_CS))
def test_every_schema_valid_request_gets_a_schema_valid_answer(action: str, base_settings: Settings) -> None:
    @hypothesis_settings(max_examples=RICH.get(action, EXAMPLES), deadline=None, database=None,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(payload=drawn(action), prepared=st.booleans())
    def answers(payload: dict, prepared: bool) -> None:
        assert schema_problem(action, CALL, payload) is None, payload  # the strategy's own promise
        check_sent(asyncio.run(exchange(base_settings, action, payload, prepared)), [(action, payload)])
    answers()


def check_sent(sent: list[list[Any]], sequence: list[tuple[str, dict]]) -> None:
    """Each request got one CALLRESULT that fits its action's schema; every request the station
    sent fits its own; the station sent no CALLERROR."""
    for n, (action, _) in enumerate(sequence, 1):
        answers = [f for f in sent if f[1] == f"csms-{n}"]
        assert len(answers) == 1 and answers[0][0] == CALLRESULT, f"{action}: the station answered {answers}"
        assert schema_problem(action, CALLRESULT, answers[0][2]) is None, answers[0]
    for frame in sent:
        assert frame[0] != CALLERROR, frame
        if frame[0] == CALL:
            assert schema_problem(frame[2], CALL, frame[3]) is None, frame


#: names the station's device model has, half of the time, so that requests meet its variables
_MODEL = DeviceModel.for_station(2, {1: 1, 2: 1}, "cType2")
COMPONENTS = st.one_of(st.sampled_from(sorted({v.component["name"] for v in _MODEL.variables.values()})),
                       st.text(max_size=5))
VARIABLES = st.one_of(st.sampled_from(sorted({v.variable["name"] for v in _MODEL.variables.values()})),
                      st.text(max_size=5))
NAMED = {f"{p}.{part}.name": s for p in ("getVariableData", "setVariableData", "componentVariable",
                                         "setMonitoringData")
         for part, s in (("component", COMPONENTS), ("variable", VARIABLES))}


def _valid_periods(request: dict) -> dict:
    """A SetChargingProfileRequest whose periods a station can take: the first at 0, increasing."""
    for schedule in request["chargingProfile"]["chargingSchedule"]:
        periods = schedule["chargingSchedulePeriod"]
        starts = sorted({max(0, p["startPeriod"]) for p in periods} | {0})
        for period, start in zip(periods, starts):
            period["startPeriod"] = start
        del periods[len(starts):]
    return request


SHAPES = {"SetChargingProfile": _valid_periods}


def drawn(action: str) -> st.SearchStrategy[dict]:
    """Schema-valid requests of ``action``, steered towards what the station holds."""
    return requests(action, NAMED).map(SHAPES.get(action, lambda r: r))


#: requests that change what later answers are built from, with those that read it, by subject
GROUPS = [
    ["SetChargingProfile", "ClearChargingProfile", "GetChargingProfiles", "GetCompositeSchedule",
     "RequestStartTransaction", "RequestStopTransaction"],
    ["SetVariableMonitoring", "ClearVariableMonitoring", "GetMonitoringReport", "SetMonitoringBase",
     "SetMonitoringLevel"],
    ["SetDisplayMessage", "GetDisplayMessages", "ClearDisplayMessage"],
    ["SetVariables", "GetVariables", "GetReport", "GetBaseReport"],
    ["ReserveNow", "CancelReservation", "ChangeAvailability", "TriggerMessage", "RequestStartTransaction",
     "UnlockConnector", "Reset"],
    ["InstallCertificate", "GetInstalledCertificateIds", "DeleteCertificate"],
    ["SendLocalList", "GetLocalListVersion", "CustomerInformation", "ClearCache"],
]
_PROFILE = {"evseId": 1, "chargingProfile": {"id": 5, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute", "chargingSchedule": [{"id": 1, "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 1e308}]}]}}


def _sequences() -> st.SearchStrategy[list[tuple[str, dict]]]:
    request = lambda action: st.tuples(st.just(action), drawn(action))  # noqa: E731
    return st.sampled_from(GROUPS).flatmap(
        lambda group: st.lists(st.sampled_from(group).flatmap(request), min_size=2, max_size=6))


@hypothesis_settings(max_examples=120, deadline=None, database=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(sequence=_sequences(), prepared=st.booleans())
# found before: a limit the station cannot convert to W without overflow (Infinity is no JSON)
@example(sequence=[("SetChargingProfile", _PROFILE),
                   ("GetCompositeSchedule", {"evseId": 1, "duration": 100, "chargingRateUnit": "W"})], prepared=False)
# found before: a Recurring profile over a window of 68 years (the composite must not take minutes)
@example(sequence=[("SetChargingProfile", {**_PROFILE, "chargingProfile": {
    **_PROFILE["chargingProfile"], "chargingProfileKind": "Recurring", "recurrencyKind": "Daily"}}),
    ("GetCompositeSchedule", {"evseId": 1, "duration": 2 ** 31 - 1})], prepared=True)
def test_a_sequence_of_requests_keeps_every_answer_schema_valid(sequence: list[tuple[str, dict]],
                                                                prepared: bool) -> None:
    """What one request leaves (a profile, a monitor, a message, a variable's value) is what the
    answers to the next ones are built from."""
    settings = Settings(_env_file=None, CSMS_ADDRESS="ws://127.0.0.1:9/ocpp", CSMS_RESPONSE_TIMEOUT=2,
                        CONFIGURED_NUMBER_OF_EVSES=2, STATION_STATE_DIR=str(STATE))
    check_sent(asyncio.run(exchanges(settings, sequence, prepared)), sequence)
