"""Block G — Availability (catalogue: G.md).

Every case runs on BASIC_AUTH_CP (security profile 1) from Booted. The station answers a
ChangeAvailabilityRequest from its state (Accepted, or Scheduled while a transaction runs on the
target, as the entries say) and reports the new state of every connector of the target. A "Memory
State Unavailable" is set up without the CSMS: the station boots with the target Inoperative and
reports its connectors Unavailable instead of Available.
"""
from __future__ import annotations

from simulator.settings import Settings
from simulator.station.states import (booted, change_availability, energy_transfer_started, ev_connected_post_session,
                              ev_disconnected, report_availability, stop_authorized, unavailable)
from simulator.station.station import Station, now_iso


# ---------------------------------------------------------------- helpers that read like the catalogue
async def booted_with_memory_state_unavailable(station: Station, evse: int, connector: int | None = None) -> None:
    """Booted with Memory State Unavailable for EVSE e (or connector (e, c)): the station was made
    Inoperative before, so it reports those connectors Unavailable after the boot."""
    station.model.set_operative(False, evse, connector)
    await booted(station, statuses={t: "Unavailable" for t in station.model.targets(evse, connector)})


async def transaction_ends(station: Station) -> None:
    """StopAuthorized, EVConnectedPostSession, EVDisconnected for T (with their checks)."""
    await stop_authorized(station)
    await ev_connected_post_session(station)
    await ev_disconnected(station)


# ---------------------------------------------------------------- G03/G04 without a transaction
async def test_TC_G_03_evse_operative_to_inoperative(cp: Station, settings: Settings) -> None:
    """Change Availability EVSE - Operative to inoperative"""
    await booted(cp)
    e = settings.CONFIGURED_EVSE_ID
    await change_availability(cp, "Inoperative", e)
    await report_availability(cp, "Unavailable", e)


async def test_TC_G_04_evse_inoperative_to_operative(cp: Station, settings: Settings) -> None:
    """Change Availability EVSE - Inoperative to operative"""
    e = settings.CONFIGURED_EVSE_ID
    await booted_with_memory_state_unavailable(cp, e)
    await change_availability(cp, "Operative", e)
    await report_availability(cp, "Available", e)


async def test_TC_G_05_station_operative_to_inoperative(cp: Station) -> None:
    """Change Availability Charging Station - Operative to inoperative"""
    await booted(cp)
    await change_availability(cp, "Inoperative")
    await report_availability(cp, "Unavailable")


async def test_TC_G_06_station_inoperative_to_operative(cp: Station) -> None:
    """Change Availability Charging Station - Inoperative to operative"""
    await booted(cp)
    await unavailable(cp)
    await change_availability(cp, "Operative")
    await report_availability(cp, "Available")


async def test_TC_G_07_connector_operative_to_inoperative(cp: Station, settings: Settings) -> None:
    """Change Availability Connector - Operative to inoperative"""
    await booted(cp)
    e, c = settings.CONFIGURED_EVSE_ID, settings.CONFIGURED_CONNECTOR_ID
    await change_availability(cp, "Inoperative", e, c)
    await report_availability(cp, "Unavailable", e, c)


async def test_TC_G_08_connector_inoperative_to_operative(cp: Station, settings: Settings) -> None:
    """Change Availability Connector - Inoperative to operative"""
    e, c = settings.CONFIGURED_EVSE_ID, settings.CONFIGURED_CONNECTOR_ID
    await booted_with_memory_state_unavailable(cp, e, c)
    await change_availability(cp, "Operative", e, c)
    await report_availability(cp, "Available", e, c)


# ---------------------------------------------------------------- with an ongoing transaction (Scheduled)
async def test_TC_G_11_evse_with_ongoing_transaction(cp: Station, settings: Settings) -> None:
    """Change Availability EVSE - With ongoing transaction"""
    await booted(cp)
    await energy_transfer_started(cp)
    e = settings.CONFIGURED_EVSE_ID
    await change_availability(cp, "Inoperative", e, reply="Scheduled")
    await transaction_ends(cp)  # steps 3-5
    cp.model.set_operative(False, e)  # the scheduled change takes effect
    await report_availability(cp, "Unavailable", e, step=7)  # every connector of the EVSE (Post)


async def test_TC_G_14_station_with_ongoing_transaction(cp: Station, settings: Settings) -> None:
    """Change Availability Charging Station - With ongoing transaction"""
    await booted(cp)
    await energy_transfer_started(cp)
    e = settings.CONFIGURED_EVSE_ID
    await change_availability(cp, "Inoperative", reply="Scheduled")
    for other in cp.model.evses:  # the unoccupied connectors go Unavailable at once (none with one EVSE)
        if other != e:
            await report_availability(cp, "Unavailable", other, step=4, notify_event=False)
    await transaction_ends(cp)  # steps 5-7
    cp.model.set_operative(False)
    for connector in cp.model.evses[e].connectors:  # c, and any other connector of the EVSE (Post)
        await cp.report_status(e, connector, "Unavailable", 9, notify_event=False)


async def test_TC_G_17_connector_with_ongoing_transaction(cp: Station, settings: Settings) -> None:
    """Change Availability Connector - With ongoing transaction"""
    await booted(cp)
    await energy_transfer_started(cp)
    e, c = settings.CONFIGURED_EVSE_ID, settings.CONFIGURED_CONNECTOR_ID
    await change_availability(cp, "Inoperative", e, c, reply="Scheduled")
    await transaction_ends(cp)  # steps 3-5
    cp.model.set_operative(False, e, c)
    await cp.report_status(e, c, "Unavailable", 7, notify_event=False)


# ---------------------------------------------------------------- G05 lock failure
async def test_TC_G_20_lock_failure(cp: Station, settings: Settings) -> None:
    """Connector status Notification - Lock Failure"""
    await booted(cp)
    e, c = settings.CONFIGURED_EVSE_ID, settings.CONFIGURED_CONNECTOR_ID
    # the evse of the component and the notification type are the station's choice: they vary (CONTENT_SEED)
    where = cp.choose("component.evse", ({"id": e, "connectorId": c}, {"id": e}))
    await cp.send("NotifyEvent", {
        "generatedAt": now_iso(), "seqNo": 0, "tbc": False,
        "eventData": [{"eventId": cp.next_event_id(), "timestamp": now_iso(), "trigger": "Delta", "actualValue": "true",
                       "eventNotificationType": cp.choose("eventNotificationType", (
                           "HardWiredNotification", "HardWiredMonitor", "PreconfiguredMonitor")),
                       "component": {"name": "ConnectorPlugRetentionLock", "evse": dict(where)},
                       "variable": {"name": "Problem"}}]}, 2)
    await cp.still_connected()
