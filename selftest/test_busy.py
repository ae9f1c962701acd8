"""Option ``busy`` of the reference CSMS: requests no case asked for, at seeded random moments, to
accepted stations only, and optional fields in its answers; the suite still passes against it."""
from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any, AsyncIterator, Iterator

import pytest

from reference_csms.busy import ANSWER_TIMEOUT, KINDS, plan
from reference_csms.config import CsmsConfig, StationReg, TokenReg
from reference_csms.embedded import EmbeddedCsms
from selftest.support import run_cases
from simulator.operators import actions
from simulator.verdicts.checks import set_case
from simulator.operators.operator import Operator
from simulator.settings import SettingError, Settings, load_settings
from simulator.station.states import authorize, boot_notification, booted, energy_transfer_started
from simulator.station.station import Station
from simulator.verdicts.trace import Trace
from simulator.wire.transport import Credentials, Endpoint

PASSWORD = "0123456789abcdefXYZ"
STATION = "CP_B"
#: what the station sees of each kind of busy request
SEEN_AS = {"GetVariables": ["GetVariables"], "SetVariables": ["GetVariables", "SetVariables"],
           "GetBaseReport": ["GetBaseReport"], "GetReport": ["GetReport"],
           "TriggerHeartbeat": ["TriggerMessage Heartbeat"],
           "TriggerStatusNotification": ["TriggerMessage StatusNotification"],
           "GetTransactionStatus": ["GetTransactionStatus"], "GetVariablesUnrelated": ["GetVariables"],
           "GetReportUnrelated": ["GetReport"]}


def quick_seed(station_id: str, steps: int = 15) -> int:
    """A seed whose plan for the station has every kind within ``steps`` requests."""
    for seed in range(1000):
        kinds = {step.kind for _, step in zip(range(steps), plan(seed, station_id))}
        if kinds == set(KINDS):
            return seed
    raise AssertionError("no seed covers every kind")


def start_csms(seed: int, boot_plan: list[str] | None = None) -> EmbeddedCsms:
    config = CsmsConfig(wss_port=None, options=["busy"], seed=seed, request_timeout=3,
                        stations=[StationReg(STATION, PASSWORD, 1, boot_plan=boot_plan or [])],
                        tokens=[TokenReg("TOK1", "Central", "Accepted", "G1")])
    embedded = EmbeddedCsms(config)
    embedded.start()
    return embedded


@pytest.fixture
def csms_factory() -> Iterator[Any]:
    started: list[EmbeddedCsms] = []

    def make(seed: int, boot_plan: list[str] | None = None) -> EmbeddedCsms:
        started.append(start_csms(seed, boot_plan))
        return started[-1]
    yield make
    for embedded in started:
        embedded.stop()


@pytest.fixture
async def connect() -> AsyncIterator[Any]:
    stations: list[Station] = []

    async def make(csms: EmbeddedCsms) -> Station:
        set_case("TC_X_01")
        settings = Settings(_env_file=None, CSMS_ADDRESS=csms.ws_url, CSMS_OPERATOR_URL=csms.api_url,
                            VALID_ID_TOKEN="TOK1", CSMS_ACTION_TIMEOUT=3, CSMS_RESPONSE_TIMEOUT=3,
                            TRANSACTION_DURATION=0)
        trace = Trace()
        station = Station(settings, Credentials(STATION, 1, PASSWORD), Endpoint(csms.ws_url, None, None, 3),
                          trace, Operator(settings, trace))
        await station.connect()
        stations.append(station)
        return station
    yield make
    for station in stations:
        await station.close()


def seen(station: Station) -> list[str]:
    """The CSMS's requests no case waited for, as the station saw them."""
    return [f"{a} {p['requestedMessage']}" if a == "TriggerMessage" else a for a, p in station.unexpected]


async def until(condition: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def test_every_kind_of_busy_request_reaches_an_accepted_station(csms_factory: Any, connect: Any) -> None:
    """Every kind within a few seconds, schema-valid, follow-ups answered, nothing in the station changed."""
    csms = csms_factory(quick_seed(STATION))
    station = await connect(csms)
    await booted(station)
    await energy_transfer_started(station)
    ongoing = station.model.transaction(1).id
    wanted = {"GetVariables", "SetVariables", "GetBaseReport", "GetReport", "TriggerMessage Heartbeat",
              "TriggerMessage StatusNotification", "GetTransactionStatus"}

    def unrelated_variable_asked() -> bool:  # one the station does not have
        return any(station.device.find(d["component"], d["variable"]) is None
                   for a, p in station.unexpected if a == "GetVariables" for d in p["getVariableData"])
    assert await until(lambda: wanted <= set(seen(station)) and unrelated_variable_asked(), 20), \
        (sorted(wanted - set(seen(station))), unrelated_variable_asked())
    await station.finish()  # every follow-up (NotifyReport parts, triggered messages) was answered
    assert station.problem is None
    for action, payload in station.unexpected:
        if action == "GetTransactionStatus":
            assert payload["transactionId"] != ongoing, "busy query about the ongoing transaction"
        if action == "SetVariables":  # only a value the station already has
            for item in payload["setVariableData"]:
                variable = station.device.find(item["component"], item["variable"])
                assert variable is not None and variable.value == item["attributeValue"], item


async def test_same_seed_same_sequence(csms_factory: Any, connect: Any) -> None:
    runs = []
    for seed in (7, 7, 8):
        csms = csms_factory(seed)
        station = await connect(csms)
        await booted(station)
        assert await until(lambda: len(station.unexpected) >= 10, 15), seen(station)
        runs.append(seen(station)[:10])
        await station.close()
    expanded = [s for step in itertools.islice(plan(7, STATION), 10) for s in SEEN_AS[step.kind]]
    assert runs[0] == runs[1] == expanded[:10]
    assert runs[2] != runs[0]


async def test_no_busy_request_to_a_station_that_is_not_accepted(csms_factory: Any, connect: Any) -> None:
    csms = csms_factory(quick_seed(STATION), boot_plan=["Pending"])
    station = await connect(csms)
    response = await boot_notification(station)
    assert response["status"] == "Pending"
    await asyncio.sleep(1.0)
    assert station.unexpected == []
    response = await boot_notification(station)
    assert response["status"] == "Accepted"
    assert await until(lambda: station.unexpected, 3)


async def test_answers_carry_optional_fields(csms_factory: Any, connect: Any) -> None:
    csms = csms_factory(1)
    station = await connect(csms)
    boot = await booted(station)
    assert boot["status"] == "Accepted" and boot["interval"] > 0
    assert boot["customData"]["vendorId"] == "org.reference.csms" and "reasonCode" in boot["statusInfo"]
    info = (await authorize(station, station.id_token("TOK1", "Central")))["idTokenInfo"]
    assert info["status"] == "Accepted" and info["groupIdToken"]["idToken"] == "G1"
    assert {"cacheExpiryDateTime", "language1", "customData"} <= set(info)
    heartbeat = await station.send("Heartbeat", {})
    assert heartbeat["customData"]["vendorId"] == "org.reference.csms"


async def test_operator_requests_are_not_held_up(csms_factory: Any, connect: Any) -> None:
    """Busy traffic delays a request the operator asked for by ANSWER_TIMEOUT at most."""
    csms = csms_factory(quick_seed(STATION))
    station = await connect(csms)
    await booted(station)
    asked = actions.get_variables(station.id, [actions.cv("OCPPCommCtrlr", "OfflineThreshold")])
    for _ in range(5):
        started = time.monotonic()
        await station.expect("GetVariables", 1, timeout=ANSWER_TIMEOUT + 1, trigger=asked,
                             match=lambda p: p["getVariableData"][0]["variable"]["name"] == "OfflineThreshold")
        assert time.monotonic() - started < ANSWER_TIMEOUT + 1
        await asyncio.sleep(0.2)


def test_seed_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFERENCE_CSMS_SEED", "")
    assert load_settings(_env_file=None).REFERENCE_CSMS_SEED is None
    monkeypatch.setenv("REFERENCE_CSMS_SEED", "42")
    assert load_settings(_env_file=None).REFERENCE_CSMS_SEED == 42
    monkeypatch.setenv("REFERENCE_CSMS_SEED", "x")
    with pytest.raises(SettingError, match="^setting REFERENCE_CSMS_SEED: "):
        load_settings(_env_file=None)


@pytest.mark.parametrize("seed", ["1", "2"])
def test_cases_pass_against_a_busy_csms(seed: str) -> None:
    run = run_cases("TC_B_01 or TC_E_03 or TC_P", env={"REFERENCE_CSMS_OPTIONS": "busy", "REFERENCE_CSMS_SEED": seed})
    assert f"options: busy; REFERENCE_CSMS_SEED={seed}" in run.summary["target"]  # the pytest header's line
    verdicts = run.verdicts()
    assert run.returncode == 0 and len(verdicts) == 4 and set(verdicts.values()) == {"passed"}, run.output[-3000:]
