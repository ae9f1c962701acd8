"""The reference CSMS decides remote starts, availability and reservations (blocks F, G, H) from what
it stores: tokens and their groups, the reservations it made, the operational status it set and the
connector states the station reported."""
from __future__ import annotations

from typing import Any, AsyncIterator

import pytest

from reference_csms.config import CsmsConfig, StationReg, TokenReg
from reference_csms.embedded import EmbeddedCsms
from simulator.operators import actions
from simulator.verdicts.checks import CaseFailure, set_case
from simulator.operators.operator import Operator
from simulator.settings import Settings
from simulator.station.states import booted, change_availability, reservation
from simulator.station.station import Station
from simulator.verdicts.trace import Trace
from simulator.wire.transport import Credentials, Endpoint

PASSWORD = "0123456789abcdefXYZ"
OWNER, MEMBER, STRANGER = ({"idToken": t, "type": "Central"} for t in ("TOK1", "TOK2", "TOK3"))


@pytest.fixture(scope="module")
def csms() -> Any:
    config = CsmsConfig(wss_port=None, stations=[StationReg("CP_R", PASSWORD, 1)],
                        tokens=[TokenReg("TOK1", "Central", "Accepted", "G1"),
                                TokenReg("TOK2", "Central", "Accepted", "G1"),
                                TokenReg("TOK3", "Central", "Accepted"), TokenReg("TOK4", "Central", "Blocked")])
    embedded = EmbeddedCsms(config)
    embedded.start()
    yield embedded
    embedded.stop()


@pytest.fixture
async def station(csms: Any) -> AsyncIterator[Station]:
    set_case("TC_X_01")
    settings = Settings(_env_file=None, CSMS_ADDRESS=csms.ws_url, CSMS_OPERATOR_URL=csms.api_url,
                        VALID_ID_TOKEN="TOK1", CSMS_ACTION_TIMEOUT=2, CSMS_RESPONSE_TIMEOUT=2)
    trace = Trace()
    s = Station(settings, Credentials("CP_R", 1, PASSWORD), Endpoint(csms.ws_url, None, None, 2), trace,
                Operator(settings, trace))
    await s.connect()
    await booted(s)
    yield s
    await s.close()


async def remote_start(station: Station, token: dict[str, str]) -> dict:
    return await station.expect(actions.request_start_transaction(station.id, token, 1), 1)


async def test_a_reservation_holds_its_evse_for_its_token_and_group(station: Station) -> None:
    await reservation(station, actions.reserve_now(station.id, OWNER, 60, evse=1,
                                                   group_id_token={"idToken": "G1", "type": "Central"}))
    await station.report_status(1, 1, "Reserved", 4)
    with pytest.raises(CaseFailure, match=r"RequestStartTransaction refused by the CSMS: HTTP 409 .*reserved"):
        await station.operator.request(actions.request_start_transaction(station.id, STRANGER, 1), 1)
    assert (await remote_start(station, MEMBER))["idToken"] == MEMBER
    with pytest.raises(CaseFailure, match=r"ReserveNow refused by the CSMS: HTTP 409 .*reserved for another"):
        await station.operator.request(actions.reserve_now(station.id, STRANGER, 60, evse=1), 1)
    await station.report_status(1, 1, "Available", 6)  # the station no longer holds it
    assert (await remote_start(station, STRANGER))["idToken"] == STRANGER


async def test_reservations_need_a_valid_token_of_the_asked_group(station: Station) -> None:
    blocked, group = {"idToken": "TOK4", "type": "Central"}, {"idToken": "G1", "type": "Central"}
    for token, asked, why in ((OWNER | {"idToken": "NOPE"}, None, "Unknown"), (blocked, None, "Blocked"),
                              (STRANGER, group, "does not belong")):
        with pytest.raises(CaseFailure, match=rf"ReserveNow refused by the CSMS: HTTP 409 .*{why}"):
            await station.operator.request(actions.reserve_now(station.id, token, 60, evse=1, group_id_token=asked), 1)
    with pytest.raises(CaseFailure, match=r"CancelReservation refused by the CSMS: HTTP 404"):
        await station.operator.request(actions.cancel_reservation(station.id, 999), 1)


async def test_an_inoperative_evse_is_not_started_or_reserved(station: Station) -> None:
    await change_availability(station, "Inoperative", 1)
    await station.report_status(1, 1, "Unavailable", 4)
    for action in (actions.request_start_transaction(station.id, OWNER, 1),
                   actions.reserve_now(station.id, OWNER, 60, evse=1)):
        with pytest.raises(CaseFailure, match=r"refused by the CSMS: HTTP 409 .*Inoperative"):
            await station.operator.request(action, 1)
    await change_availability(station, "Operative", 1)
    await station.report_status(1, 1, "Available", 4)
    assert (await remote_start(station, OWNER))["evseId"] == 1
