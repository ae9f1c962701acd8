"""Block F — Remote Control (catalogue: F.md).

Every case runs on BASIC_AUTH_CP (security profile 1) from Booted. A remote start is answered
Accepted (with the transaction's id when the cable was plugged in first) and its remoteStartId R
comes back in the transaction's TransactionEventRequest (F02.FR.01); a triggered message is sent
by the case as the step that follows the TriggerMessageResponse.
"""
from __future__ import annotations

from simulator.operators import actions
from simulator.verdicts.checks import ABSENT, PRESENT, OneOf, check_fields
from simulator.settings import Settings
from simulator.station.states import (authorize, booted, energy_transfer_started, ev_connected_pre_session,
                              wait_transaction_duration)
from simulator.station.states import transaction_still_running
from simulator.station.station import Station


# ---------------------------------------------------------------- helpers that read like the catalogue
async def remote_start(station: Station, reply: dict) -> dict:
    """Steps 1-2: the CSMS's RequestStartTransactionRequest for <VALID_ID_TOKEN> on the configured
    EVSE, answered ``reply``; checks the token and (harness) the EVSE."""
    s = station.settings
    token = station.id_token()
    request = await station.expect(actions.request_start_transaction(station.id, token, s.CONFIGURED_EVSE_ID), 1,
                                   reply=reply)
    check_fields(1, request, {"idToken.idToken": token["idToken"], "idToken.type": token["type"],
                              "evseId": OneOf(ABSENT, s.CONFIGURED_EVSE_ID)})
    return request


async def remote_started(station: Station, request: dict, step: int) -> dict:
    """CS→CSMS TransactionEventRequest Started, triggerReason RemoteStart, echoing remoteStartId R,
    with the remote-start idToken (the EV is not connected yet)."""
    return await station.transaction_event("Started", "RemoteStart", step, id_token=station.id_token(),
                                           transaction_info={"remoteStartId": request["remoteStartId"]})


async def trigger(station: Station, requested: str, evse: int | None = None, connector: int | None = None,
                  step: int = 1, whole_station: bool = False) -> dict:
    """Steps 1-2: the CSMS's TriggerMessageRequest for ``requested`` (of the EVSE, when given),
    answered Accepted; checks requestedMessage, the EVSE, and ((harness) ``whole_station``: "all
    EVSE") that evse is absent. Where the catalogue checks requestedMessage alone, nothing else
    identifies the step's request either."""
    action = actions.trigger_message(station.id, requested, evse, connector)
    match = None if evse is not None or whole_station else {"requestedMessage": requested}
    request = await station.expect(action, step, reply={"status": "Accepted"}, match=match)
    where = {"evse.id": evse} if evse is not None else {"evse": ABSENT} if whole_station else {}
    check_fields(step, request, {"requestedMessage": requested, **where})
    return request


def trigger_reading(station: Station, evse: int) -> list[dict]:
    """meterValue[0] of a triggered message: now, the EVSE's current reading, context Trigger."""
    return [station.meter_value(evse, "Trigger")]


# ---------------------------------------------------------------- F01/F02 remote start
async def test_TC_F_01_remote_start_cable_plugin_first(cp: Station, settings: Settings) -> None:
    """Remote start transaction - Cable plugin first"""
    await booted(cp)
    await ev_connected_pre_session(cp)
    tx = cp.model.transaction(settings.CONFIGURED_EVSE_ID)
    request = await remote_start(cp, {"status": "Accepted", "transactionId": tx.id})
    await cp.transaction_event("Updated", "RemoteStart", 4, id_token=cp.id_token(), charging_state="EVConnected",
                               transaction_info={"remoteStartId": request["remoteStartId"]})
    await energy_transfer_started(cp)  # part 2 only: EV connected, T authorized
    await cp.still_connected()
    await transaction_still_running(cp)


async def test_TC_F_02_remote_start_authorize_remote_start_true(cp: Station) -> None:
    """Remote start transaction - Remote start first - AuthorizeRemoteStart is true"""
    await booted(cp)
    request = await remote_start(cp, {"status": "Accepted"})
    response = await authorize(cp, cp.id_token(), 4)
    check_fields(4, response, {"idTokenInfo.status": "Accepted"})
    await remote_started(cp, request, 6)
    await energy_transfer_started(cp)  # parts 1 and 2: the EV plugs in, then charges
    await transaction_still_running(cp)


async def test_TC_F_03_remote_start_authorize_remote_start_false(cp: Station) -> None:
    """Remote start transaction - Remote start first - AuthorizeRemoteStart is false"""
    await booted(cp)
    request = await remote_start(cp, {"status": "Accepted"})
    await remote_started(cp, request, 4)  # no AuthorizeRequest (F01.FR.02)
    await energy_transfer_started(cp)
    await transaction_still_running(cp)


async def test_TC_F_04_remote_start_cable_plugin_timeout(cp: Station) -> None:
    """Remote start transaction - Remote start first - Cable plugin timeout"""
    await booted(cp)
    request = await remote_start(cp, {"status": "Accepted"})
    await remote_started(cp, request, 4)
    await wait_transaction_duration(cp)  # the station's EV connection timeout passes without a plug-in
    await cp.transaction_event("Updated", "EVConnectTimeout", 6)


# ---------------------------------------------------------------- F05 unlock connector
async def test_TC_F_06_unlock_connector_no_transaction(cp: Station, settings: Settings) -> None:
    """Remote unlock Connector - Without ongoing transaction - Accepted"""
    await booted(cp)
    e, c = settings.CONFIGURED_EVSE_ID, settings.CONFIGURED_CONNECTOR_ID
    request = await cp.expect(actions.unlock_connector(cp.id, e, c), 1, reply={"status": "Unlocked"})
    check_fields(1, request, {"evseId": e, "connectorId": c})
    await cp.still_connected()


# ---------------------------------------------------------------- F06 trigger message
async def test_TC_F_11_trigger_meter_values_evse(cp: Station, settings: Settings) -> None:
    """Trigger message - MeterValues - Specific EVSE"""
    await booted(cp)
    e = settings.CONFIGURED_EVSE_ID
    await trigger(cp, "MeterValues", e)
    await cp.send("MeterValues", {"evseId": e, "meterValue": trigger_reading(cp, e)}, 4)


async def test_TC_F_12_trigger_meter_values_all(cp: Station) -> None:
    """Trigger message - MeterValues - All EVSE"""
    await booted(cp)
    await trigger(cp, "MeterValues", whole_station=True)
    for e in cp.model.evses:  # Part 6's "evseId omitted" breaks the schema: each EVSE's own id
        await cp.send("MeterValues", {"evseId": e, "meterValue": trigger_reading(cp, e)}, 4)


async def test_TC_F_13_trigger_transaction_event_evse(cp: Station, settings: Settings) -> None:
    """Trigger message - TransactionEvent - Specific EVSE"""
    await booted(cp)
    await energy_transfer_started(cp)
    e = settings.CONFIGURED_EVSE_ID
    await trigger(cp, "TransactionEvent", e)
    await cp.transaction_event("Updated", "Trigger", 4, charging_state="Charging", meter=trigger_reading(cp, e))
    await transaction_still_running(cp)


async def test_TC_F_14_trigger_transaction_event_all(cp: Station, settings: Settings) -> None:
    """Trigger message - TransactionEvent - All EVSE"""
    await booted(cp)
    await energy_transfer_started(cp)
    await trigger(cp, "TransactionEvent", whole_station=True)
    for evse in cp.model.evses.values():  # every EVSE with a transaction: here only T
        if evse.transaction is not None:
            await cp.transaction_event("Updated", "Trigger", 4, evse=evse.id, charging_state="Charging",
                                       meter=trigger_reading(cp, evse.id), omit_evse=True)
    await transaction_still_running(cp)


async def test_TC_F_15_trigger_log_status_idle(cp: Station) -> None:
    """Trigger message - LogStatusNotification - Idle"""
    await booted(cp)
    await trigger(cp, "LogStatusNotification")
    await cp.send("LogStatusNotification", {"status": "Idle"}, 4)


async def test_TC_F_18_trigger_firmware_status_idle(cp: Station) -> None:
    """Trigger message - FirmwareStatusNotification - Idle"""
    await booted(cp)
    await trigger(cp, "FirmwareStatusNotification")
    await cp.send("FirmwareStatusNotification", {"status": "Idle"}, 4)


async def test_TC_F_20_trigger_heartbeat(cp: Station) -> None:
    """Trigger message - Heartbeat"""
    await booted(cp)
    await trigger(cp, "Heartbeat")
    response = await cp.send("Heartbeat", {}, 4)  # currentTime must be a date-time: schema-checked
    check_fields(4, response, {"currentTime": PRESENT})


async def test_TC_F_23_trigger_status_notification_available(cp: Station, settings: Settings) -> None:
    """Trigger message - StatusNotification - Specific EVSE - Available"""
    await booted(cp)
    e, c = settings.CONFIGURED_EVSE_ID, settings.CONFIGURED_CONNECTOR_ID
    request = await trigger(cp, "StatusNotification", e, c)
    check_fields(1, request, {"evse": PRESENT, "evse.connectorId": OneOf(ABSENT, c)})
    await cp.report_status(e, c, "Available", 4)


async def test_TC_F_24_trigger_status_notification_occupied(cp: Station, settings: Settings) -> None:
    """Trigger message - StatusNotification - Specific EVSE - Occupied"""
    await booted(cp)
    e, c = settings.CONFIGURED_EVSE_ID, settings.CONFIGURED_CONNECTOR_ID
    await cp.report_status(e, c, "Occupied", 2)
    request = await trigger(cp, "StatusNotification", e, c, step=3)  # the operator acts after step 2
    check_fields(3, request, {"evse": PRESENT, "evse.connectorId": OneOf(ABSENT, c)})
    await cp.report_status(e, c, "Occupied", 6)


async def test_TC_F_27_trigger_not_implemented(cp: Station, settings: Settings) -> None:
    """Trigger message - NotImplemented"""
    await booted(cp)
    # any requestedMessage is acceptable (catalogue); the station refuses whatever arrives
    await cp.expect("TriggerMessage", 1, trigger=actions.trigger_message(
        cp.id, settings.CONFIGURED_UNSUPPORTED_TRIGGER_MESSAGE), reply={"status": "NotImplemented"},
        match={"requestedMessage": PRESENT})
    await cp.still_connected("Post (harness)")
    await cp.send("Heartbeat", {}, "Post (harness)")
