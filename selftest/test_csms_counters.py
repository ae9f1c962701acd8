"""The reference CSMS takes a request's numbers (local list version, requestId, profile id, display
message id) when it sends the request, not when the operator asks: two actions asked back to back
against a station that answers slowly never share a number, and the numbers increase in the order
the requests go out."""
from __future__ import annotations

import asyncio
import time
from typing import Any, AsyncIterator, Callable, Iterator

import pytest

from reference_csms.config import CsmsConfig, StationReg, TokenReg
from reference_csms.embedded import EmbeddedCsms
from simulator.operators import actions
from simulator.operators.operator import Operator
from simulator.settings import Settings
from simulator.station import smart_charging as sc
from simulator.station.station import DEFAULT_REPLIES, Station
from simulator.station.states import booted
from simulator.verdicts.checks import set_case
from simulator.verdicts.trace import Trace
from simulator.wire.transport import Credentials, Endpoint

PASSWORD = "0123456789abcdefXYZ"
STATION = "CP_SLOW"
#: how long the station takes to answer each request (the 150 ms of the report that found the race)
SLOW = 0.15


@pytest.fixture
def csms() -> Iterator[EmbeddedCsms]:
    config = CsmsConfig(wss_port=None, request_timeout=3, stations=[StationReg(STATION, PASSWORD, 1)],
                        tokens=[TokenReg("TOK1", "Central", "Accepted", "G1"),
                                TokenReg("TOK2", "Central", "Accepted", "G1")])
    embedded = EmbeddedCsms(config)
    embedded.start()
    yield embedded
    embedded.stop()


@pytest.fixture
async def station(csms: EmbeddedCsms) -> AsyncIterator[Station]:
    set_case("TC_X_01")
    settings = Settings(_env_file=None, CSMS_ADDRESS=csms.ws_url, CSMS_OPERATOR_URL=csms.api_url,
                        CSMS_OPERATOR="http", VALID_ID_TOKEN="TOK1", CSMS_ACTION_TIMEOUT=5, CSMS_RESPONSE_TIMEOUT=5)
    trace = Trace()
    cp = Station(settings, Credentials(STATION, 1, PASSWORD), Endpoint(csms.ws_url, None, None, 3), trace,
                 Operator(settings, trace))
    await cp.connect()
    await booted(cp)
    yield cp
    await cp.close()


def answer_slowly(cp: Station, action: str) -> list[dict[str, Any]]:
    """The station answers ``action`` with its normal answer after SLOW s; returns the requests it got."""
    got: list[dict[str, Any]] = []

    async def slow(station: Station, payload: dict[str, Any]) -> dict[str, Any]:
        got.append(payload)
        await asyncio.sleep(SLOW)
        return DEFAULT_REPLIES[action](station, payload)
    cp.replies[action] = slow
    return got


async def asked_back_to_back(cp: Station, action: str, *asked: actions.Action,
                             number: Callable[[dict[str, Any]], int]) -> list[int]:
    """Ask the operator for ``asked`` one right after the other (each returns once the CSMS took it),
    then the numbers of the ``action`` requests the station got, in the order they came."""
    got = answer_slowly(cp, action)
    for a in asked:
        await cp.operator.request(a)
    deadline = time.monotonic() + 5 + SLOW * 4 * len(asked)
    while len(got) < len(asked) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert len(got) == len(asked), f"{action}: the CSMS sent {len(got)} of {len(asked)} requests: {got}"
    await asyncio.sleep(SLOW * 2)  # the last answer reaches the CSMS
    return [number(p) for p in got]


def increasing(numbers: list[int]) -> bool:
    return all(b > a for a, b in zip(numbers, numbers[1:]))


async def test_local_list_versions(station: Station) -> None:
    """TC_D_02's pair (a Full list, then a differential update) and one more update, back to back."""
    cp = station
    token1, token2 = {"idToken": "TOK1", "type": "Central"}, {"idToken": "TOK2", "type": "Central"}
    versions = await asked_back_to_back(
        cp, "SendLocalList", actions.send_local_list(cp.id, [token1]),
        actions.update_local_list(cp.id, add=[token2]), actions.update_local_list(cp.id, remove=[token2]),
        number=lambda p: p["versionNumber"])
    assert increasing(versions) and versions[0] > 0, versions


async def test_charging_profile_ids(station: Station) -> None:
    """Two new profiles (no id given) of different stackLevel on one EVSE get different ids."""
    cp = station
    start = sc.utc_now()
    profiles = [sc.profile("TxDefaultProfile", "Absolute", level, sc.schedule(cp, "A", 6 + level, start=start))
                for level in (1, 2)]
    ids = await asked_back_to_back(cp, "SetChargingProfile",
                                   *(actions.set_charging_profile(cp.id, 1, p) for p in profiles),
                                   number=lambda p: p["chargingProfile"]["id"])
    assert increasing(ids), ids


async def test_display_message_ids(station: Station) -> None:
    cp = station
    ids = await asked_back_to_back(cp, "SetDisplayMessage",
                                   *(actions.set_display_message(cp.id, "NormalCycle", f"message {n}", "UTF8")
                                     for n in (1, 2)),
                                   number=lambda p: p["message"]["id"])
    assert increasing(ids), ids


@pytest.mark.parametrize("action, asked", [
    ("GetDisplayMessages", lambda cp: [actions.get_display_messages(cp.id), actions.get_display_messages(cp.id)]),
    ("GetChargingProfiles", lambda cp: [actions.get_charging_profiles(cp.id, {"chargingProfilePurpose": p})
                                        for p in ("TxDefaultProfile", "TxProfile")]),
    ("GetBaseReport", lambda cp: [actions.get_base_report(cp.id, b) for b in ("SummaryInventory", "FullInventory")]),
])
async def test_request_ids(station: Station, action: str, asked: Any) -> None:
    numbers = await asked_back_to_back(station, action, *asked(station), number=lambda p: p["requestId"])
    assert increasing(numbers), numbers
