"""Each named reference-CSMS fault of block I makes the right case fail, naming step and field,
and the fault-free block passes.

Double counting of replayed offline events cannot show in a block I case (neither replays events),
and block E has no cost check; it is proven by a scenario of its own below (offline charging,
a replay whose answer is lost, the replay again) with the same cost check the cases use."""
from __future__ import annotations

import re
import uuid
from typing import Any, AsyncIterator

import pytest

from reference_csms.config import CsmsConfig, StationReg, TariffReg, TokenReg
from reference_csms.embedded import EmbeddedCsms
from simulator.verdicts.checks import CaseFailure, set_case
from simulator.station.metering import check_cost, fixed_reading
from simulator.operators.operator import Operator
from simulator.wire.protocol import CALL, dumps
from simulator.settings import Settings
from simulator.station.states import authorized, booted, energy_transfer_started
from simulator.station.station import Station
from simulator.verdicts.trace import Trace
from simulator.wire.transport import Credentials, Endpoint

COST = r"expected {want} ± 0\.01 \({wh} Wh × 0\.25 per kWh\), got {got}"

# fault -> {case: regex the one-line reason must match}
FAULTS = {
    "omit_total_cost": {"TC_I_02": r"TC_I_02 step 9: totalCost expected present, got absent"},
    "cost_from_register": {
        "TC_I_01": r"TC_I_01 \[round 1\] step 9: CostUpdatedRequest\.totalCost "
                   + COST.format(want=r"0\.25", wh="1000", got=r"0\.5$"),
        "TC_I_02": r"TC_I_02 step 9: totalCost " + COST.format(want=r"1\.25", wh="5000", got=r"1\.5$")},
    "no_cost_updated": {"TC_I_01": r"TC_I_01 \[round 1\] step 9: no CostUpdatedRequest with transactionId "
                                   r"'[0-9a-f-]{36}' from the CSMS within 3 s"},
}

#: faults no catalogue case can show, proven by a scenario of this module: fault -> regex of its reason
SCENARIOS = {
    "double_count_replayed_events": r"offline replay step 6: totalCost "
                                    + COST.format(want=r"1\.00", wh="4000", got=r"1\.25$"),
}

CASES = 2
MODULES = ("reference_csms.handlers.tariff",)

PASSWORD = "0123456789abcdefXYZ"
PRICE = 0.25


@pytest.fixture(params=[None, "double_count_replayed_events"], ids=["no fault", "double_count_replayed_events"])
def csms(request: pytest.FixtureRequest) -> Any:
    config = CsmsConfig(wss_port=None, stations=[StationReg("CP_R", PASSWORD, 1)],
                        tokens=[TokenReg("TOK1", "Central", "Accepted")], tariff_price_per_kwh=PRICE,
                        tariffs=[TariffReg("CP_R", "TOK1", "Central")],
                        faults=[request.param] if request.param else [])
    embedded = EmbeddedCsms(config)
    embedded.start()
    yield embedded, request.param
    embedded.stop()


@pytest.fixture
async def station(csms: Any) -> AsyncIterator[Station]:
    embedded, _ = csms
    settings = Settings(_env_file=None, CSMS_ADDRESS=embedded.ws_url, VALID_ID_TOKEN="TOK1",
                        VALID_ID_TOKEN_TYPE="Central", CSMS_ACTION_TIMEOUT=3, CSMS_RESPONSE_TIMEOUT=3,
                        TRANSACTION_DURATION=0)
    trace = Trace()
    s = Station(settings, Credentials("CP_R", 1, PASSWORD), Endpoint(embedded.ws_url, None, None, 3), trace,
                Operator(settings, trace))
    await s.connect()
    yield s
    await s.close()


async def offline_replay(cp: Station) -> None:
    """Begin 1000 Wh, 2000 online; offline 3000, 4000 and the End at 5000 are queued; the replay's
    first event is sent but its answer is lost with the connection, so after the next reconnect
    the station replays its whole queue again. The final totalCost must count 4000 Wh once."""
    e = cp.settings.CONFIGURED_EVSE_ID
    await booted(cp)
    cp.model.evses[e].set_register(1000)
    await authorized(cp)  # Started with the Transaction.Begin reading
    await energy_transfer_started(cp)
    tx = cp.model.transaction(e)
    await cp.transaction_event("Updated", "MeterValuePeriodic", 1, meter=[fixed_reading(cp, e, 2000, "Sample.Periodic")])
    await cp.disconnect()
    for wh in (3000, 4000):
        cp.queue_transaction_event("Updated", "MeterValuePeriodic", meter=[fixed_reading(cp, e, wh, "Sample.Periodic")])
    cp.queue_transaction_event("Ended", "EVCommunicationLost", charging_state="Idle", stopped_reason="EVDisconnected",
                               meter=[fixed_reading(cp, e, 5000, "Transaction.End")])
    await cp.connect(step=3)
    await cp._send(dumps([CALL, str(uuid.uuid4()), "TransactionEvent", cp.queue[0]]))  # its answer never arrives
    await cp.disconnect()
    await cp.connect(step=5)
    for payload in list(cp.queue):
        response = await cp.send_queued(payload, 6)
    check_cost(6, "totalCost", response.get("totalCost"), tx, PRICE)


async def test_replayed_offline_events_count_once(csms: Any, station: Station) -> None:
    _, fault = csms
    set_case("offline replay")
    if fault is None:
        await offline_replay(station)
        return
    with pytest.raises(CaseFailure) as failure:
        await offline_replay(station)
    assert re.search(SCENARIOS[fault], str(failure.value)), str(failure.value)
