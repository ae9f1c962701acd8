"""Block I — Tariff and Cost (catalogue: I.md).

Both cases run on BASIC_AUTH_CP (security profile 1) from Booted, with VALID_ID_TOKEN known as
Accepted and an energy tariff of CONFIGURED_TARIFF_PRICE_PER_KWH per kWh for its transactions.
The station's meter reads the catalogue's figures (1000 Wh at Transaction.Begin, then 2000/3000 or
6000 Wh), reported as Energy.Active.Import.Register in Wh; every cost the CSMS sends is checked as
a number: the energy the station reported × the price, within a cent
(``simulator.metering.check_cost``).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from simulator.verdicts.checks import PRESENT, check, check_fields, in_round
from simulator.station.metering import check_cost, fixed_reading, now, until
from simulator.station.model import Transaction
from simulator.settings import Settings
from simulator.station.states import (authorize, authorized, booted, energy_transfer_started, ev_connected_post_session,
                              ev_connected_pre_session, stop_authorized)
from simulator.station.states import transaction_still_running
from simulator.station.station import Station


def configured(settings: Settings) -> tuple[int, int]:
    """(e, c): the EVSE and connector the cases act on."""
    return settings.CONFIGURED_EVSE_ID, settings.CONFIGURED_CONNECTOR_ID


async def running_cost_round(cp: Station, tx: Transaction, wh: float, at: datetime) -> None:
    """Steps 7–10: a periodic reading of ``wh`` at ``at``; the running cost comes as totalCost in
    the answer or in a CostUpdatedRequest for T sent after step 7 (earlier ones do not count)."""
    s = cp.settings
    cost = cp.expecting("CostUpdated", match={"transactionId": tx.id}, armed=False)
    cost.arm()
    response = await cp.transaction_event("Updated", "MeterValuePeriodic", 8, charging_state="Charging",
                                          meter=[fixed_reading(cp, tx.evse, wh, "Sample.Periodic", at)])
    if "totalCost" in response:
        cp.forget(cost)
        check_cost(8, "totalCost", response["totalCost"], tx, s.CONFIGURED_TARIFF_PRICE_PER_KWH)
        return
    request = await cost.wait(9)
    check_cost(9, "CostUpdatedRequest.totalCost", request["totalCost"], tx, s.CONFIGURED_TARIFF_PRICE_PER_KWH)


async def test_TC_I_01_running_cost_cost_updated(cp: Station, settings: Settings) -> None:
    """Show EV Driver running total cost during charging - costUpdatedRequest"""
    e, c = configured(settings)
    await booted(cp)
    token = cp.id_token()
    response = await authorize(cp, token, 2)
    check(2, "idTokenInfo.status", response["idTokenInfo"]["status"], "Accepted")
    tx = cp.model.open_transaction(e, c)  # T is new; the catalogue's first event of T is Updated
    response = await cp.transaction_event("Updated", "Authorized", 4, id_token=token,
                                          meter=[fixed_reading(cp, e, 1000, "Transaction.Begin")])
    check_fields(4, response, {"idTokenInfo.status": "Accepted"})
    await ev_connected_pre_session(cp)  # step 5
    await energy_transfer_started(cp)  # step 6: part 2 only (authorized, EV connected)
    t1 = now()
    interval = timedelta(seconds=settings.SAMPLED_METER_VALUES_INTERVAL)
    for k, (wh, at) in enumerate(((2000, t1), (3000, t1 + interval)), start=1):
        with in_round(f"round {k}"):
            await until(at)  # round 2: one interval after round 1, once round 1's cost has arrived
            await running_cost_round(cp, tx, wh, at)
    await transaction_still_running(cp)


async def test_TC_I_02_final_total_cost(cp: Station, settings: Settings) -> None:
    """Show EV Driver Final Total Cost After Charging"""
    e, c = configured(settings)
    await booted(cp)
    cp.model.evses[e].set_register(1000)  # the Transaction.Begin reading of step 1
    await ev_connected_pre_session(cp)  # step 1: Started, CablePluggedIn, EVConnected
    tx = cp.model.transaction(e)
    await authorized(cp)  # step 2
    await energy_transfer_started(cp)  # step 3: part 2 only
    await stop_authorized(cp)  # step 4
    await ev_connected_post_session(cp)  # step 5
    await cp.report_status(e, c, "Available", 7)  # steps 6-7
    cp.model.evses[e].ev_connected = False
    response = await cp.transaction_event("Ended", "EVCommunicationLost", 9, charging_state="Idle",
                                          stopped_reason="EVDisconnected",
                                          meter=[fixed_reading(cp, e, 6000, "Transaction.End")])
    check_fields(9, response, {"totalCost": PRESENT})
    check_cost(9, "totalCost", response["totalCost"], tx, settings.CONFIGURED_TARIFF_PRICE_PER_KWH)
