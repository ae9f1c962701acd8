"""Block J — Meter Values (catalogue: J.md).

Every case runs on BASIC_AUTH_CP (security profile 1) from Booted. The station reports its energy
registers (Energy.Active.Import.Register in Wh, never decreasing; evseId 0 is the main meter, the
sum of the EVSEs) and sends each reading when its timestamp comes: clock-aligned instants are whole
multiples of CLOCK_ALIGNED_METER_VALUES_INTERVAL (or TX_ENDED_METER_VALUES_INTERVAL) from midnight
UTC. The verdict of every step is that each request gets a schema-valid CALLRESULT (``Station.send``
fails the step on a CALLERROR or silence).

A transaction whose Ended event carries a series of n readings lasts TRANSACTION_DURATION and at
least until its n-th reading has been taken: readings are never invented for instants to come.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from simulator.verdicts.checks import check, check_fields, in_round, in_state
from simulator.station.metering import (ended_series_length, fiscal_meter_event, iso, meter_values_request, next_aligned,
                                now, reading, sample_series, until)
from simulator.settings import Settings
from simulator.station.states import authorize, booted, energy_transfer_started
from simulator.station.states import transaction_still_running
from simulator.station.station import Station


# ---------------------------------------------------------------- helpers
def configured(settings: Settings) -> tuple[int, int]:
    """(e, c): the EVSE and connector the cases act on."""
    return settings.CONFIGURED_EVSE_ID, settings.CONFIGURED_CONNECTOR_ID


async def clock_aligned_meter_values(cp: Station, evses: list[int], at: datetime, step: int) -> None:
    """MeterValuesRequest {evseId e, Sample.Clock reading at ``at``} for each of ``evses``, then the
    fiscal meter's NotifyEventRequest; each must get its CALLRESULT (J01.FR.18)."""
    for evse in evses:
        await cp.send("MeterValues", meter_values_request(cp, evse, "Sample.Clock", at), step)
    await cp.send("NotifyEvent", fiscal_meter_event(cp, at), step)


async def plug_in(cp: Station, step: int) -> None:
    """Report Occupied for the configured connector: the EV's cable is plugged in."""
    e, c = configured(cp.settings)
    await cp.report_status(e, c, "Occupied", step)
    cp.model.evses[e].ev_connected = True


async def unplug_with_series(cp: Station, context: str, aligned: bool, signed: bool = False) -> None:
    """Step 1 of J_03/J_04/J_10/J_11: EVDisconnected after TRANSACTION_DURATION; the Ended event
    carries n readings TX_ENDED_METER_VALUES_INTERVAL apart (``context``; clock-aligned when
    ``aligned``), then the Transaction.End reading; ``signed``: each with its signedMeterValue.
    Step 2: every request gets its CALLRESULT."""
    s = cp.settings
    e, c = configured(s)
    started = now()
    count = ended_series_length(s.TRANSACTION_DURATION, s.TX_ENDED_METER_VALUES_INTERVAL)
    series = await sample_series(cp, e, context, s.TX_ENDED_METER_VALUES_INTERVAL, count, aligned, signed)
    await until(started + timedelta(seconds=s.TRANSACTION_DURATION))
    await cp.report_status(e, c, "Available", 2)
    cp.model.evses[e].ev_connected = False
    ended = now()  # the Transaction.End reading carries the Ended event's own timestamp
    await cp.transaction_event("Ended", "EVCommunicationLost", 2, charging_state="Idle", stopped_reason="EVDisconnected",
                               meter=[*series, reading(cp, e, "Transaction.End", ended, signed)], timestamp=iso(ended))


# ---------------------------------------------------------------- J01 clock-aligned
async def test_TC_J_01_clock_aligned_no_transaction(cp: Station, settings: Settings) -> None:
    """Clock-aligned Meter Values - No transaction ongoing"""
    await booted(cp)
    interval = timedelta(seconds=settings.CLOCK_ALIGNED_METER_VALUES_INTERVAL)
    first = next_aligned(settings.CLOCK_ALIGNED_METER_VALUES_INTERVAL)
    for k in range(3):
        at = first + k * interval
        with in_round(f"t{k + 1}"):
            await until(at)
            await clock_aligned_meter_values(cp, [0, *cp.model.evses], at, 2)


async def test_TC_J_02_clock_aligned_transaction(cp: Station, settings: Settings) -> None:
    """Clock-aligned Meter Values - Transaction ongoing"""
    e, c = configured(settings)
    await booted(cp)
    await energy_transfer_started(cp)
    seconds = settings.CLOCK_ALIGNED_METER_VALUES_INTERVAL
    rounds = max(1, math.ceil(settings.TRANSACTION_DURATION / seconds))
    first = next_aligned(seconds)
    idle = [evse for evse in cp.model.evses if evse != e]
    for k in range(rounds):
        at = first + timedelta(seconds=k * seconds)
        with in_round(f"t{k + 1}"):
            await until(at)
            await clock_aligned_meter_values(cp, [0, *idle], at, 2)
            await cp.transaction_event("Updated", "MeterValueClock", 4, charging_state="Charging",
                                       meter=[reading(cp, e, "Sample.Clock", at)])
    await transaction_still_running(cp)


async def test_TC_J_03_clock_aligned_ended(cp: Station) -> None:
    """Clock-aligned Meter Values - EventType Ended"""
    await booted(cp)
    await energy_transfer_started(cp)
    await unplug_with_series(cp, "Sample.Clock", aligned=True)


async def test_TC_J_04_clock_aligned_signed(cp: Station) -> None:
    """Clock-aligned Meter Values - Signed"""
    await booted(cp)
    await energy_transfer_started(cp)
    await unplug_with_series(cp, "Sample.Clock", aligned=True, signed=True)


# ---------------------------------------------------------------- J02 sampled
async def test_TC_J_07_sampled_started_evse_known(cp: Station) -> None:
    """Sampled Meter Values - EventType Started - EVSE known"""
    await booted(cp)
    await plug_in(cp, 2)  # step 1: EVConnectedPreSession
    await cp.transaction_event("Started", "CablePluggedIn", 2, charging_state="EVConnected")  # with its Begin reading
    await transaction_still_running(cp)


async def test_TC_J_08_sampled_begin_evse_not_known(cp: Station, settings: Settings) -> None:
    """Sampled Meter Values - Context Transaction.Begin - EVSE not known"""
    e, _ = configured(settings)
    await booted(cp)
    token = cp.id_token()
    with in_state("Authorized"):  # step 1, the EVSE not yet known: evse omitted
        response = await authorize(cp, token, 2)
        check(2, "idTokenInfo.status", response["idTokenInfo"]["status"], "Accepted")
        event = cp.transaction_event_payload("Started", "Authorized", id_token=token, meter=None)
        del event["evse"]
        response = await cp.send("TransactionEvent", event, 4)
        check_fields(4, response, {"idTokenInfo.status": "Accepted"})
    await plug_in(cp, 2)  # step 2: EVConnectedPreSession, the EVSE now known with the Begin reading
    await cp.transaction_event("Updated", "CablePluggedIn", 2, charging_state="EVConnected",
                               meter=[reading(cp, e, "Transaction.Begin", now())])
    await cp.transaction_event("Updated", "ChargingStateChanged", 3, charging_state="Charging")  # step 3
    await transaction_still_running(cp)


async def test_TC_J_09_sampled_updated(cp: Station, settings: Settings) -> None:
    """Sampled Meter Values - EventType Updated"""
    e, _ = configured(settings)
    await booted(cp)
    await energy_transfer_started(cp)
    start = now()
    for k in range(3):
        at = start + timedelta(seconds=k * settings.SAMPLED_METER_VALUES_INTERVAL)
        with in_round(f"t{k + 1}"):
            await until(at)
            await cp.transaction_event("Updated", "MeterValuePeriodic", 2, charging_state="Charging",
                                       meter=[reading(cp, e, "Sample.Periodic", at)])
    await transaction_still_running(cp)


async def test_TC_J_10_sampled_ended(cp: Station) -> None:
    """Sampled Meter Values - EventType Ended"""
    await booted(cp)
    await energy_transfer_started(cp)
    await unplug_with_series(cp, "Sample.Periodic", aligned=False)


async def test_TC_J_11_sampled_signed(cp: Station) -> None:
    """Sampled Meter Values - Signed"""
    await booted(cp)
    await energy_transfer_started(cp)
    await unplug_with_series(cp, "Sample.Periodic", aligned=False, signed=True)
