"""Block B — Provisioning (catalogue: B.md)."""
from __future__ import annotations

from collections import Counter
from typing import Any, Awaitable, Callable

from simulator.operators import actions
from simulator.operators.actions import cv
from simulator.verdicts.checks import ABSENT, OneOf, Rule, check, check_fields, check_that, fail, get_path, in_state
from simulator.station.replies import send_report
from simulator.settings import Settings
from simulator.station.states import boot_notification, booted, energy_transfer_started, report_connectors
from simulator.station.station import CallError, Expectation, Station
from simulator.wire.transport import ConnectError, open_websocket

READ_TYPES = OneOf(ABSENT, "Actual", "Target", "MinSet", "MaxSet")
#: a TriggerMessage for a BootNotification: the catalogue names requestedMessage alone (evse free)
BOOT_TRIGGER = {"requestedMessage": "BootNotification"}
REQUEST_ID = Rule("an integer >= 0", lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0)


# ---------------------------------------------------------------- helpers that read like the catalogue


async def pending_wait(station: Station, interval: int, step: int, until: Expectation) -> bool:
    """B02: wait the Pending answer's interval (CONFIGURED_HEARTBEAT_INTERVAL when 0, at most
    CSMS_ACTION_TIMEOUT) before booting again; True when the CSMS triggered the boot first."""
    s = station.settings
    seconds = min(interval if interval > 0 else s.CONFIGURED_HEARTBEAT_INTERVAL, s.CSMS_ACTION_TIMEOUT)
    return await station.stay_connected(seconds, step, until, during="while the station is Pending",
                                        setting="the Pending interval")


async def reboot(station: Station, reason: str, step: int,
                 statuses: dict[tuple[int, int], str] | None = None) -> None:
    """After a reset: close, reconnect (Connect-SP1), boot with ``reason`` (answer at ``step``,
    Accepted), then report every connector (answers at ``step`` + 2)."""
    await station.reconnect(step=step - 2)
    response = await boot_notification(station, reason, step)
    check(step, "status", response["status"], "Accepted")
    await report_connectors(station, step + 2, statuses)


def name_of(entry: dict[str, Any]) -> str:
    """``DeviceDataCtrlr/ItemsPerMessage[GetReport]`` for a component/variable entry."""
    component, variable = entry.get("component", {}), entry.get("variable", {})
    evse = component.get("evse")
    where = f"(EVSE {evse.get('id')})" if evse else ""
    instance = f"[{variable['instance']}]" if variable.get("instance") else ""
    return f"{component.get('name')}{where}/{variable.get('name')}{instance}"


def entry_index(step: int | str, field: str, entries: list[dict[str, Any]], component: str,
                variable: str) -> int:
    """Index of the entry naming component/variable (any order); fails naming what was there."""
    for i, entry in enumerate(entries):
        if get_path(entry, "component.name") == component and get_path(entry, "variable.name") == variable:
            return i
    fail(step, f"{field} expected an entry {component}/{variable}, got "
               f"[{', '.join(name_of(e) for e in entries)}]")


def count_entries(step: int | str, field: str, entries: list[dict[str, Any]], expected: int) -> None:
    check_that(step, len(entries) == expected,
               f"{field} expected exactly {expected} entr{'y' if expected == 1 else 'ies'}, got {len(entries)}: "
               f"[{', '.join(name_of(e) for e in entries)}]")


def expect_security_error(step: int, request: str, answer: dict | CallError) -> None:
    """B02.FR.09 / B03.FR.07: a CALLERROR SecurityError, not a CALLRESULT."""
    if not isinstance(answer, CallError):
        fail(step, f"{request} expected a CALLERROR SecurityError, got a CALLRESULT {answer}")
    check(step, f"{request} CALLERROR errorCode", answer.code, "SecurityError")


def network_profile(settings: Settings) -> dict[str, Any]:
    """The connection data of the CONFIGURED_* network profile settings."""
    return {"ocppVersion": "OCPP20", "ocppTransport": "JSON",
            "ocppCsmsUrl": settings.ocpp_csms_url,
            "messageTimeout": settings.CONFIGURED_MESSAGE_TIMEOUT,
            "securityProfile": settings.CONFIGURED_SECURITY_PROFILE,
            "ocppInterface": settings.CONFIGURED_OCPP_INTERFACE}


# ---------------------------------------------------------------- B01-B03 boot
async def test_TC_B_01_cold_boot_accepted(cp: Station) -> None:
    """Cold Boot Charging Station - Accepted"""
    response = await booted(cp)
    with in_state(""):
        check(2, "interval", response["interval"], Rule("an integer > 0", lambda v: v > 0))
    await cp.still_connected()


async def test_TC_B_02_cold_boot_pending(cp: Station, operator: Any) -> None:
    """Cold Boot Charging Station - Pending"""
    await operator.request(actions.boot_response(cp.id, "Pending"), "before step 1")
    trigger = cp.expecting(actions.trigger_message(cp.id, "BootNotification"), reply={"status": "Accepted"},
                           match=BOOT_TRIGGER)
    response = await boot_notification(cp, "PowerUp", 2)
    check(2, "status", response["status"], "Pending")
    triggered = await pending_wait(cp, response["interval"], 3, trigger)
    response = await boot_notification(cp, "Triggered" if triggered else "PowerUp", 5)
    check(5, "status", response["status"], "Accepted")
    await report_connectors(cp, 7)
    await cp.still_connected()


async def test_TC_B_30_pending_security_error(cp: Station, operator: Any, settings: Settings) -> None:
    """Cold Boot Charging Station - Pending/Rejected - SecurityError"""
    await operator.request(actions.boot_response(cp.id, "Pending"), "before step 1")
    response = await boot_notification(cp, "PowerUp", 2)
    check(2, "status", response["status"], OneOf("Pending", "Rejected"))
    for action, payload in cp.status_report(settings.CONFIGURED_EVSE_ID, settings.CONFIGURED_CONNECTOR_ID,
                                            "Available"):
        answer = await cp.send(action, payload, 4, allow_error=True)
        expect_security_error(4, action + "Request", answer)
    await cp.disconnect()
    # Post "the next boot is answered Accepted": the station comes back and boots as the next case would
    await cp.connect()
    response = await boot_notification(cp, "PowerUp", "Post")
    check("Post", "status", response["status"], "Accepted")


async def test_TC_B_31_pending_trigger_message(cp: Station, operator: Any) -> None:
    """Cold Boot Charging Station - Pending/Rejected - TriggerMessage"""
    await operator.request(actions.boot_response(cp.id, "Pending"), "before step 1")
    trigger = cp.expecting(actions.trigger_message(cp.id, "BootNotification"), reply={"status": "Accepted"},
                           match=BOOT_TRIGGER)
    response = await boot_notification(cp, "PowerUp", 2)
    check(2, "status", response["status"], OneOf("Pending", "Rejected"))
    request = await trigger.wait(3)
    check(3, "requestedMessage", request["requestedMessage"], "BootNotification")
    response = await boot_notification(cp, "Triggered", 6)
    check(6, "status", response["status"], "Accepted")
    await report_connectors(cp, 8)
    await cp.still_connected()


# ---------------------------------------------------------------- B05/B06 variables
async def test_TC_B_06_get_variables_single(cp: Station) -> None:
    """Get Variables - single value"""
    await booted(cp)
    request = await cp.expect("GetVariables", 1, trigger=actions.get_variables(
        cp.id, [cv("OCPPCommCtrlr", "OfflineThreshold")]))
    check_fields(1, request, {"getVariableData[0].component.name": "OCPPCommCtrlr",
                              "getVariableData[0].variable.name": "OfflineThreshold",
                              "getVariableData[0].attributeType": READ_TYPES})
    count_entries(1, "getVariableData", request["getVariableData"], 1)


async def test_TC_B_07_get_variables_multiple(cp: Station) -> None:
    """Get Variables - multiple values"""
    await booted(cp)
    request = await cp.expect("GetVariables", 1, trigger=actions.get_variables(
        cp.id, [cv("OCPPCommCtrlr", "OfflineThreshold"), cv("AuthCtrlr", "AuthorizeRemoteStart")]))
    entries = request["getVariableData"]
    for component, variable in (("OCPPCommCtrlr", "OfflineThreshold"), ("AuthCtrlr", "AuthorizeRemoteStart")):
        i = entry_index(1, "getVariableData", entries, component, variable)
        check(1, f"getVariableData[{i}].attributeType", entries[i].get("attributeType", ABSENT), READ_TYPES)
    count_entries(1, "getVariableData", entries, 2)


async def test_TC_B_08_get_variables_limit(cp: Station) -> None:
    """Get Variables - limit to maximum number of values"""
    asked = [cv("DeviceDataCtrlr", "ItemsPerMessage", "GetReport"),
             cv("DeviceDataCtrlr", "ItemsPerMessage", "GetVariables"),
             cv("DeviceDataCtrlr", "BytesPerMessage", "GetReport"),
             cv("DeviceDataCtrlr", "BytesPerMessage", "GetVariables"),
             cv("AuthCtrlr", "AuthorizeRemoteStart")]
    limit = int(cp.device.value("DeviceDataCtrlr", "ItemsPerMessage", "GetVariables") or 0)  # 4, as Part 6
    await booted(cp)
    action = actions.get_variables(cp.id, asked)  # the CSMS's own GetVariables of other variables do not count
    first, second = cp.expecting(action), cp.expecting("GetVariables", match=action.identity)
    requests: list[list[dict[str, Any]]] = []
    for step, part in ((1, first), (3, second)):
        request = await part.wait(step)
        entries = request["getVariableData"]
        check_that(step, len(entries) <= limit, f"getVariableData has {len(entries)} entries, more than "
                                                f"ItemsPerMessage[GetVariables] = {limit}")
        requests.append(entries)
    sizes = sorted((len(r) for r in requests), reverse=True)
    check_that("steps 1, 3", sizes == [limit, len(asked) - limit],
               f"the two GetVariablesRequests expected {limit} and {len(asked) - limit} entries, "
               f"got {len(requests[0])} and {len(requests[1])}")
    got = Counter(name_of(e) for r in requests for e in r)
    want = Counter(name_of(e) for e in asked)
    missing, extra = sorted((want - got).elements()), sorted((got - want).elements())
    check_that("steps 1, 3", got == want,
               f"getVariableData of both requests expected exactly the {len(asked)} asked variables; "
               f"missing [{', '.join(missing)}], not asked [{', '.join(extra)}]")


async def test_TC_B_09_set_variables_single(cp: Station) -> None:
    """Set Variables - single value"""
    await booted(cp)
    item = {**cv("OCPPCommCtrlr", "OfflineThreshold"), "attributeValue": "123"}
    request = await cp.expect("SetVariables", 1, trigger=actions.set_variables(cp.id, [item]))
    check_fields(1, request, {"setVariableData[0].component.name": "OCPPCommCtrlr",
                              "setVariableData[0].variable.name": "OfflineThreshold",
                              "setVariableData[0].attributeValue": "123",
                              "setVariableData[0].attributeType": OneOf(ABSENT, "Actual")})
    count_entries(1, "setVariableData", request["setVariableData"], 1)
    held = cp.device.value("OCPPCommCtrlr", "OfflineThreshold")
    check_that("Post", held == "123", f"the simulator's OfflineThreshold expected '123', got {held!r}")


async def test_TC_B_10_set_variables_multiple(cp: Station) -> None:
    """Set Variables - multiple values"""
    await booted(cp)
    items = [{**cv("OCPPCommCtrlr", "OfflineThreshold"), "attributeValue": "123"},
             {**cv("AuthCtrlr", "AuthorizeRemoteStart"), "attributeValue": "false"}]
    request = await cp.expect("SetVariables", 1, trigger=actions.set_variables(cp.id, items))
    entries = request["setVariableData"]
    for item in items:
        i = entry_index(1, "setVariableData", entries, item["component"]["name"], item["variable"]["name"])
        check_fields(1, entries[i], {"attributeValue": item["attributeValue"],
                                     "attributeType": OneOf(ABSENT, "Actual")}, prefix=f"setVariableData[{i}].")
    count_entries(1, "setVariableData", entries, 2)


# ---------------------------------------------------------------- B07/B08 reports
async def base_report(cp: Station, report_base: str) -> None:
    """GetBaseReport of ``report_base``, Accepted, then its NotifyReport parts (each answered)."""
    await booted(cp)
    request = await cp.expect("GetBaseReport", 1, trigger=actions.get_base_report(cp.id, report_base),
                              reply={"status": "Accepted"})
    check_fields(1, request, {"requestId": REQUEST_ID, "reportBase": report_base})
    await send_report(cp, request["requestId"], cp.device.base_report(report_base), step=4)


async def test_TC_B_12_base_report_configuration(cp: Station) -> None:
    """Get Base Report - ConfigurationInventory"""
    await base_report(cp, "ConfigurationInventory")


async def test_TC_B_13_base_report_full(cp: Station) -> None:
    """Get Base Report - FullInventory"""
    await base_report(cp, "FullInventory")


async def test_TC_B_14_base_report_summary(cp: Station) -> None:
    """Get Base Report - SummaryInventory"""
    await base_report(cp, "SummaryInventory")


async def test_TC_B_18_custom_report(cp: Station, settings: Settings) -> None:
    """Get Custom Report - with componentCriteria and component/variables"""
    e = settings.CONFIGURED_EVSE_ID
    target = [cv("EVSE", "AvailabilityState", evse=e)]
    named = {"componentVariable[0].component.name": "EVSE", "componentVariable[0].component.evse.id": e,
             "componentVariable[0].variable.name": "AvailabilityState"}
    await booted(cp)
    # the catalogue names componentVariable[0] and the criterion; further entries are not judged
    first_entry = {"componentVariable[0].component.name": "EVSE", "componentVariable[0].variable.name":
                   "AvailabilityState"}
    problem = await cp.expect("GetReport", 1, trigger=actions.get_report(cp.id, ["Problem"], target),
                              match=first_entry)
    check_fields(1, problem, {"componentCriteria": ["Problem"], **named})
    available = await cp.expect("GetReport", 3, trigger=actions.get_report(cp.id, ["Available"], target),
                                match=first_entry)
    check_fields(3, available, {"componentCriteria": ["Available"], **named})
    report = cp.device.custom_report(available["componentCriteria"], available["componentVariable"])
    await send_report(cp, available["requestId"], report, step=6)


# ---------------------------------------------------------------- B11/B12 reset
#: "evseId absent" of a reset of the whole station: OCPP addresses the entire Charging Station in a
#: request of the CSMS by leaving the EVSE out or by evseId 0 (Part 1, Numbering)
WHOLE_STATION = OneOf(ABSENT, 0)


async def reset_request(cp: Station, reset_type: str, evse: int | None, answer: str) -> None:
    """Steps 1-2: the CSMS's ResetRequest (type, evseId checked), answered ``answer``."""
    request = await cp.expect("Reset", 1, trigger=actions.reset(cp.id, reset_type, evse), reply={"status": answer})
    check_fields(1, request, {"type": reset_type, "evseId": WHOLE_STATION if evse is None else evse})


async def end_on_idle(cp: Station, settings: Settings) -> None:
    """OnIdle with a transaction (steps 3-6): stop authorized, then the EV leaves."""
    e = settings.CONFIGURED_EVSE_ID
    await cp.transaction_event("Updated", "StopAuthorized", 4, charging_state="EVConnected", id_token=cp.id_token())
    cp.model.evses[e].ev_connected = False
    await cp.transaction_event("Ended", "EVCommunicationLost", 6, charging_state="Idle",
                               stopped_reason="EVDisconnected")


async def end_immediately(cp: Station) -> None:
    """Immediate with a transaction (steps 3-4): the reset ends it, the EV stays plugged in."""
    await cp.transaction_event("Ended", "ResetCommand", 4, charging_state="EVConnected",
                               stopped_reason="ImmediateReset")


async def test_TC_B_20_reset_station_idle_on_idle(cp: Station) -> None:
    """Reset Charging Station - Without ongoing transaction - OnIdle"""
    await booted(cp)
    await reset_request(cp, "OnIdle", None, "Accepted")
    await reboot(cp, "RemoteReset", 4)
    await cp.still_connected()


async def test_TC_B_21_reset_station_transaction_on_idle(cp: Station, settings: Settings) -> None:
    """Reset Charging Station - With Ongoing Transaction - OnIdle"""
    await booted(cp)
    await energy_transfer_started(cp)
    await reset_request(cp, "OnIdle", None, "Scheduled")
    await end_on_idle(cp, settings)
    await reboot(cp, "ScheduledReset", 8)
    await cp.still_connected()


async def test_TC_B_22_reset_station_transaction_immediate(cp: Station, settings: Settings) -> None:
    """Reset Charging Station - With Ongoing Transaction - Immediate"""
    await booted(cp)
    await energy_transfer_started(cp)
    await reset_request(cp, "Immediate", None, "Accepted")
    await end_immediately(cp)
    plugged = (settings.CONFIGURED_EVSE_ID, settings.CONFIGURED_CONNECTOR_ID)
    await reboot(cp, "RemoteReset", 6, statuses={plugged: "Occupied"})
    await cp.still_connected()


async def test_TC_B_25_reset_evse_idle(cp: Station, settings: Settings) -> None:
    """Reset EVSE - Without ongoing transaction"""
    await booted(cp)
    await reset_request(cp, "OnIdle", settings.CONFIGURED_EVSE_ID, "Accepted")
    await cp.still_connected()


async def test_TC_B_26_reset_evse_transaction_on_idle(cp: Station, settings: Settings) -> None:
    """Reset EVSE - With Ongoing Transaction - OnIdle"""
    await booted(cp)
    await energy_transfer_started(cp)
    await reset_request(cp, "OnIdle", settings.CONFIGURED_EVSE_ID, "Scheduled")
    await end_on_idle(cp, settings)
    await cp.still_connected()


async def test_TC_B_27_reset_evse_transaction_immediate(cp: Station, settings: Settings) -> None:
    """Reset EVSE - With Ongoing Transaction - Immediate"""
    await booted(cp)
    await energy_transfer_started(cp)
    await reset_request(cp, "Immediate", settings.CONFIGURED_EVSE_ID, "Accepted")
    await end_immediately(cp)
    await cp.still_connected()


# ---------------------------------------------------------------- B09 network profile
async def set_network_profile(cp: Station, settings: Settings, answer: str) -> dict[str, Any]:
    """Steps 1-2: the CSMS's SetNetworkProfileRequest for the configured profile, answered ``answer``."""
    await booted(cp)
    slot, data = settings.CONFIGURED_CONFIGURATION_SLOT, network_profile(settings)
    reply = None if answer == "Accepted" else {"status": answer}  # the default reply stores the profile
    return await cp.expect("SetNetworkProfile", 1, trigger=actions.set_network_profile(cp.id, slot, data),
                           reply=reply)


async def test_TC_B_42_network_profile_accepted(cp: Station, settings: Settings) -> None:
    """Set new NetworkConnectionProfile - Accepted"""
    request = await set_network_profile(cp, settings, "Accepted")
    data = network_profile(settings)
    check_fields(1, request, {"configurationSlot": settings.CONFIGURED_CONFIGURATION_SLOT,
                              **{f"connectionData.{k}": data[k] for k in
                                 ("messageTimeout", "ocppCsmsUrl", "ocppInterface", "ocppTransport",
                                  "ocppVersion", "securityProfile")}})
    await cp.still_connected()


async def test_TC_B_44_network_profile_failed(cp: Station, settings: Settings) -> None:
    """Set new NetworkConnectionProfile - Failed"""
    await set_network_profile(cp, settings, "Failed")
    await cp.quiet_for()  # the CSMS copes with Failed without dropping the station
    await cp.still_connected()


# ---------------------------------------------------------------- Part 4 subprotocol
async def test_TC_B_58_websocket_subprotocol(make_station: Callable[..., Awaitable[Station]]) -> None:
    """WebSocket Subprotocol validation"""
    station = await make_station(1, connect=False)
    try:
        refused = await open_websocket(station.endpoint, station.creds, subprotocols=["ocpp0.1"])
    except ConnectError as e:
        fail(1, str(e))
    station.trace.note(station.id, f"upgrade offering only ocpp0.1: "
                                   f"{'opened' if refused.opened else 'refused, ' + str(refused.error)}")
    if refused.opened:
        await refused.connection.close()
        fail(2, f"the CSMS upgraded (HTTP {refused.status}, Sec-WebSocket-Protocol "
                f"{refused.subprotocol or 'absent'}) although only ocpp0.1 was offered")
    if refused.upgraded:
        fail(2, f"the CSMS upgraded (HTTP 101) although only ocpp0.1 was offered; the client refused it: "
                f"{refused.error}")
    try:
        upgrade = await open_websocket(station.endpoint, station.creds, subprotocols=["ocpp0.1", "ocpp2.0.1"])
    except ConnectError as e:
        fail(3, str(e))
    if not upgrade.opened:
        fail(4, f"HTTP status expected 101, got {upgrade.error}")
    station.attach(upgrade.connection)  # the harness closes it at the end of the case
    check(4, "Sec-WebSocket-Protocol", upgrade.subprotocol, "ocpp2.0.1")
