"""Block N — Diagnostics and Monitoring (catalogue: N.md)."""
from __future__ import annotations

from typing import Any

from simulator.operators import actions
from simulator.operators.actions import cv
from simulator.verdicts.checks import ABSENT, PRESENT, CaseFailure, Rule, check, check_fields, check_that, fail, get_path
from simulator.station.diagnostics import (customer_text, install_monitor, log_status, monitoring_data,
                                   notify_customer_information, send_monitoring_report)
from simulator.settings import Settings
from simulator.station.states import booted
from simulator.station.station import Station, now_iso

CS = {"name": "ChargingStation"}
POWER = {"name": "Power"}
AVAILABILITY = {"name": "AvailabilityState"}


def evse(settings: Settings) -> dict[str, Any]:
    return {"name": "EVSE", "evse": {"id": settings.CONFIGURED_EVSE_ID}}


# ---------------------------------------------------------------- helpers that read like the catalogue
def has_entry(step: int | str, request: dict[str, Any], component: str, variable: str,
              evse_id: int | None = None) -> None:
    """componentVariable has an entry naming component (of EVSE ``evse_id``) / variable, at any index."""
    entries = request.get("componentVariable") or []
    for entry in entries:
        if (get_path(entry, "component.name") == component and get_path(entry, "variable.name") == variable
                and (evse_id is None or get_path(entry, "component.evse.id") == evse_id)):
            return
    where = f" (evse.id {evse_id})" if evse_id is not None else ""
    fail(step, f"componentVariable expected an entry {component}{where}/{variable}, got {entries}")


def report_parts(station: Station, step: int, request: dict[str, Any], per_part: int | None = None) -> list[list[dict]]:
    """The station's monitors the request (of ``step``) asks for, in parts of ``per_part`` entries
    (one part: all). A request that selects none of them got EmptyResultSet: no report
    follows, and the step fails saying what the request asked for."""
    criteria, targets = request.get("monitoringCriteria"), request.get("componentVariable")
    data = monitoring_data(station, criteria, targets)
    if not data:
        held = "; ".join(f"{m['component']['name']}/{m['variable']['name']} {m['type']}"
                         for m in station.model.monitors.values())
        fail(step, f"monitoringCriteria {criteria if criteria is not None else 'absent'} and componentVariable "
                   f"{targets if targets is not None else 'absent'} select none of the station's monitors ({held}): "
                   f"it answered EmptyResultSet, and no NotifyMonitoringReport follows")
    size = per_part or len(data)
    return [data[i:i + size] for i in range(0, len(data), size)]


async def two_reports(cp: Station, first: actions.Action, second: actions.Action) -> tuple[dict, dict]:
    """Steps 1-4 of N02: the first request (the station answers EmptyResultSet from its monitors),
    then, once that is answered, the second (Accepted: its monitors match)."""
    r1 = await cp.expect(first, 1)
    r2 = await cp.expect(second, 3)
    return r1, r2


def empty_answer(step: int | str, response: dict[str, Any]) -> None:
    """A NotifyEventResponse has no content beyond optional customData."""
    check_that(step, set(response) <= {"customData"},
               f"NotifyEventResponse expected an empty payload, got {response}")


async def notify_event(cp: Station, step: int, **event: Any) -> None:
    """Step 1: one NotifyEventRequest (seqNo 0, eventId ``event['eventId']``); step ``step``: its answer."""
    payload = {"generatedAt": now_iso(), "seqNo": 0, "tbc": False,
               "eventData": [{"timestamp": now_iso(), **event}]}
    empty_answer(step, await cp.send("NotifyEvent", payload, step))


def check_log_request(step: int | str, request: dict[str, Any], log_type: str, settings: Settings) -> None:
    check_fields(step, request, {"logType": log_type, "log.remoteLocation": settings.CONFIGURED_LOG_LOCATION})


def token_request(step: int | str, request: dict[str, Any], settings: Settings, report: bool,
                  clear: bool | None = None) -> None:
    expected: dict[str, Any] = {"report": report, "idToken.idToken": settings.VALID_ID_TOKEN,
                                "idToken.type": settings.VALID_ID_TOKEN_TYPE}
    if clear is not None:
        expected["clear"] = clear
    check_fields(step, request, expected)


async def customer_report(cp: Station, action: actions.Action, found: bool, check_request: Any,
                          reply: str = "Accepted") -> dict:
    """Steps 1-4 of N09/N10: the request (checked by ``check_request``), Accepted, then one
    NotifyCustomerInformation part (data or the no-data text) whose answer is step 4."""
    request = await cp.expect(action, 1, reply={"status": reply})
    check_request(request)
    customer = {k: request[k] for k in ("idToken", "customerIdentifier", "customerCertificate") if k in request}
    await notify_customer_information(cp, request["requestId"], customer_text(customer, found, request["clear"]), 4)
    return request


# ---------------------------------------------------------------- N02 monitoring reports
async def test_TC_N_01_monitoring_report_criteria(cp: Station) -> None:
    """Get Monitoring Report - with monitoringCriteria"""
    install_monitor(cp, CS, POWER, "UpperThreshold", 100.0, 5, monitor_id=1)  # what step 5 reports
    await booted(cp)
    r1, r2 = await two_reports(cp, actions.get_monitoring_report(cp.id, ["DeltaMonitoring"]),
                               actions.get_monitoring_report(cp.id, ["ThresholdMonitoring"]))
    check(1, "monitoringCriteria", r1.get("monitoringCriteria", ABSENT), ["DeltaMonitoring"])
    check(3, "monitoringCriteria", r2.get("monitoringCriteria", ABSENT), ["ThresholdMonitoring"])
    await send_monitoring_report(cp, r2["requestId"], report_parts(cp, 3, r2), 6)


async def test_TC_N_02_monitoring_report_component_variable(cp: Station, settings: Settings) -> None:
    """Get Monitoring Report - with component/variable"""
    e = settings.CONFIGURED_EVSE_ID
    install_monitor(cp, evse(settings), AVAILABILITY, "Delta", 1, 5, monitor_id=2)
    await booted(cp)
    r1, r2 = await two_reports(
        cp, actions.get_monitoring_report(cp.id, None, [cv("ChargingStation", "Power")]),
        actions.get_monitoring_report(cp.id, None, [cv("EVSE", "AvailabilityState", evse=e)]))
    has_entry(1, r1, "ChargingStation", "Power")
    has_entry(3, r2, "EVSE", "AvailabilityState", evse_id=e)
    await send_monitoring_report(cp, r2["requestId"], report_parts(cp, 3, r2), 6)


async def test_TC_N_03_monitoring_report_criteria_and_component(cp: Station, settings: Settings) -> None:
    """Get Monitoring Report - with component criteria and component/variable"""
    e = settings.CONFIGURED_EVSE_ID
    install_monitor(cp, CS, POWER, "UpperThreshold", 100.0, 5, monitor_id=1)
    await booted(cp)
    r1, r2 = await two_reports(
        cp, actions.get_monitoring_report(cp.id, ["DeltaMonitoring"], [cv("EVSE", "AvailabilityState", evse=e)]),
        actions.get_monitoring_report(cp.id, ["ThresholdMonitoring"], [cv("ChargingStation", "Power")]))
    check_fields(1, r1, {"monitoringCriteria": ["DeltaMonitoring"], "componentVariable[0].component.name": "EVSE",
                         "componentVariable[0].component.evse.id": e,
                         "componentVariable[0].variable.name": "AvailabilityState"})
    check_fields(3, r2, {"monitoringCriteria": ["ThresholdMonitoring"],
                         "componentVariable[0].component.name": "ChargingStation",
                         "componentVariable[0].variable.name": "Power"})
    await send_monitoring_report(cp, r2["requestId"], report_parts(cp, 3, r2), 6)


async def test_TC_N_47_monitoring_report_all(cp: Station, settings: Settings) -> None:
    """Get Monitoring report - Report all"""
    install_monitor(cp, CS, POWER, "UpperThreshold", 100.0, 5, monitor_id=1)
    install_monitor(cp, evse(settings), AVAILABILITY, "Delta", 1, 5, monitor_id=2)
    await booted(cp)
    request = await cp.expect(actions.get_monitoring_report(cp.id), 1)
    check_fields(1, request, {"monitoringCriteria": ABSENT, "componentVariable": ABSENT})
    await send_monitoring_report(cp, request["requestId"], report_parts(cp, 1, request, per_part=1), 4)


async def test_TC_N_60_monitoring_report_component_list(cp: Station, settings: Settings) -> None:
    """Get Monitoring Report - with component criteria and list of components/variables"""
    e = settings.CONFIGURED_EVSE_ID
    install_monitor(cp, CS, AVAILABILITY, "UpperThreshold", 1, 5, monitor_id=1)
    install_monitor(cp, evse(settings), AVAILABILITY, "UpperThreshold", 1, 5, monitor_id=2)
    targets = [cv("ChargingStation", "AvailabilityState"), cv("EVSE", "AvailabilityState", evse=e)]
    await booted(cp)
    r1, r2 = await two_reports(cp, actions.get_monitoring_report(cp.id, ["DeltaMonitoring"], targets),
                               actions.get_monitoring_report(cp.id, ["ThresholdMonitoring"], targets))
    listed = {"componentVariable[0].component.name": "ChargingStation",
              "componentVariable[0].variable.name": "AvailabilityState",
              "componentVariable[1].component.name": "EVSE", "componentVariable[1].component.evse.id": e,
              "componentVariable[1].variable.name": "AvailabilityState"}
    check_fields(1, r1, {"monitoringCriteria": ["DeltaMonitoring"], **listed})
    check_fields(3, r2, {"monitoringCriteria": ["ThresholdMonitoring"], **listed})
    await send_monitoring_report(cp, r2["requestId"], report_parts(cp, 3, r2), 6)


# ---------------------------------------------------------------- N03 / N05 base and level
async def test_TC_N_05_set_monitoring_base(cp: Station) -> None:
    """Set Monitoring Base - success"""
    await booted(cp)
    for step, base in ((1, "All"), (3, "FactoryDefault"), (5, "HardWiredOnly")):
        request = await cp.expect(actions.set_monitoring_base(cp.id, base), step, reply={"status": "Accepted"})
        check(step, "monitoringBase", request["monitoringBase"], base)


async def test_TC_N_16_set_monitoring_level(cp: Station) -> None:
    """Set Monitoring Level - Success"""
    await booted(cp)
    request = await cp.expect(actions.set_monitoring_level(cp.id, 4), 1, reply={"status": "Accepted"})
    check(1, "severity", request["severity"], 4)


async def test_TC_N_17_set_monitoring_level_out_of_range(cp: Station) -> None:
    """Set Monitoring Level - Out of range"""
    await booted(cp)
    request = await cp.expect(actions.set_monitoring_level(cp.id, 4), 1, reply={"status": "Rejected"})
    check(1, "severity", request["severity"], 4)
    await cp.still_connected()


# ---------------------------------------------------------------- N04 / N06 monitors
def check_monitor(step: int | str, request: dict[str, Any], index: int, component: str, evse_id: int | None) -> None:
    expected: dict[str, Any] = {"value": 1, "type": "Delta", "severity": 8, "component.name": component,
                                "variable.name": "AvailabilityState"}
    if evse_id is not None:
        expected["component.evse.id"] = evse_id
    check_fields(step, request["setMonitoringData"][index], expected, prefix=f"setMonitoringData[{index}].")


def count_elements(step: int | str, request: dict[str, Any], expected: int) -> None:
    got = len(request["setMonitoringData"])
    check_that(step, got == expected, f"setMonitoringData expected exactly {expected} element(s), got {got}")


async def test_TC_N_08_set_variable_monitoring_one(cp: Station, settings: Settings) -> None:
    """Set Variable Monitoring - One SetMonitoringData element"""
    e = settings.CONFIGURED_EVSE_ID
    await booted(cp)
    request = await cp.expect(actions.set_variable_monitoring(cp.id, [
        actions.monitor(evse(settings), AVAILABILITY, "Delta", 1, 8)]), 1)
    count_elements(1, request, 1)
    check_monitor(1, request, 0, "EVSE", e)


async def test_TC_N_09_set_variable_monitoring_multiple(cp: Station, settings: Settings) -> None:
    """Set Variable Monitoring - Multiple elements on different component and variable"""
    e = settings.CONFIGURED_EVSE_ID
    await booted(cp)
    request = await cp.expect(actions.set_variable_monitoring(cp.id, [
        actions.monitor(evse(settings), AVAILABILITY, "Delta", 1, 8),
        actions.monitor(CS, AVAILABILITY, "Delta", 1, 8)]), 1)
    count_elements(1, request, 2)
    check_monitor(1, request, 0, "EVSE", e)
    check_monitor(1, request, 1, "ChargingStation", None)


CLEAR_LIMIT = ("MonitoringCtrlr", "ItemsPerMessage", "ClearVariableMonitoring")
CLEAR_BYTES = ("MonitoringCtrlr", "BytesPerMessage", "ClearVariableMonitoring")


def _names(entry: dict[str, Any]) -> tuple[Any, Any, Any]:
    return (get_path(entry, "component.name"), get_path(entry, "variable.name"), get_path(entry, "variable.instance"))


def monitoring_limits(settings: Settings) -> Any:
    """Step 2: ItemsPerMessage / BytesPerMessage of ClearVariableMonitoring; anything else unknown."""
    values = {CLEAR_LIMIT: str(settings.CONFIGURED_CLEAR_MONITORING_ITEMS_PER_MESSAGE), CLEAR_BYTES: "65000"}

    def answer(payload: dict[str, Any]) -> dict[str, Any]:
        results = []
        for data in payload["getVariableData"]:
            result = {"component": data["component"], "variable": data["variable"],
                      "attributeType": data.get("attributeType", "Actual")}
            value = values.get(_names(data))
            if value is not None and result["attributeType"] == "Actual":
                result.update(attributeStatus="Accepted", attributeValue=value)
            else:
                known = data["component"]["name"] == "MonitoringCtrlr"
                result["attributeStatus"] = "UnknownVariable" if known else "UnknownComponent"
            results.append(result)
        return {"getVariableResult": results}
    return answer


async def test_TC_N_18_clear_monitoring_too_many(cp: Station, settings: Settings) -> None:
    """Clear Monitoring - Too many elements"""
    ids, limit = settings.monitor_ids, settings.CONFIGURED_CLEAR_MONITORING_ITEMS_PER_MESSAGE
    for monitor_id in ids:  # the monitors the CSMS is asked to clear
        install_monitor(cp, CS, AVAILABILITY, "Delta", 1, 5, monitor_id=monitor_id)
    await booted(cp)
    asks_limit = Rule("an entry MonitoringCtrlr/ItemsPerMessage[ClearVariableMonitoring]",
                      lambda entries: any(_names(e) == CLEAR_LIMIT for e in entries))
    limits = cp.expecting("GetVariables", reply=monitoring_limits(settings), match={"getVariableData": asks_limit})
    clears = [cp.expecting("ClearVariableMonitoring",
                           why="a CSMS clears monitors only when asked (this case's action)") for _ in ids]
    request = await limits.wait(1, trigger=actions.clear_variable_monitoring(cp.id, ids))
    check_that(1, any(_names(e) == CLEAR_LIMIT for e in request["getVariableData"]),
               f"getVariableData expected an entry MonitoringCtrlr/ItemsPerMessage[ClearVariableMonitoring], "
               f"got {request['getVariableData']}")
    sent: list[int] = []
    for count, clear in enumerate(clears, start=1):
        try:
            request = await clear.wait(3)
        except CaseFailure:
            missing = sorted(set(ids) - set(sent))
            fail(3, f"ids {missing} of {ids} were never sent in a ClearVariableMonitoringRequest within "
                    f"{settings.CSMS_ACTION_TIMEOUT:g} s (request {count}; sent so far {sent})")
        check_that(3, len(request["id"]) <= limit, f"id has {len(request['id'])} entries, more than "
                                                    f"ItemsPerMessage[ClearVariableMonitoring] = {limit}")
        check(3, "id", request["id"], Rule(f"ids among {ids} not sent before {sent}",
                                           lambda got: all(i in ids and i not in sent for i in got)))
        sent += request["id"]
        if set(sent) == set(ids):
            break
    for clear in clears[count:]:
        cp.forget(clear)
    check_that("steps 3", count >= 2, f"expected at least 2 ClearVariableMonitoringRequests, got {count}")
    check_that("steps 3", sorted(sent) == sorted(ids), f"ids of all requests expected {ids}, got {sent}")


async def test_TC_N_44_clear_monitoring_rejected(cp: Station, settings: Settings) -> None:
    """Clear Monitoring - Rejected"""
    first = settings.monitor_ids[0]
    install_monitor(cp, CS, AVAILABILITY, "Delta", 1, 5, monitor_id=first)
    await booted(cp)
    request = await cp.expect(actions.clear_variable_monitoring(cp.id, [first]), 1, reply=lambda p: {
        "clearMonitoringResult": [{"status": "Rejected", "id": i} for i in p["id"]]})
    check(1, "id", request["id"], Rule("at least one id", lambda ids: len(ids) >= 1))
    check(1, "id", request["id"], [first])
    await cp.still_connected()


# ---------------------------------------------------------------- N07 / N08 events
async def test_TC_N_21_alert_event_hardwired_monitor(cp: Station, settings: Settings) -> None:
    """Alert Event - HardWiredMonitor"""
    await booted(cp)
    # only HardWiredMonitor is essential; the component (EVSE or its connector) is the station's choice
    e, c = settings.CONFIGURED_EVSE_ID, settings.CONFIGURED_CONNECTOR_ID
    component = cp.choose("component", (evse(settings), {"name": "Connector", "evse": {"id": e, "connectorId": c}}))
    await notify_event(cp, 2, eventId=cp.next_event_id(), trigger="Alerting", actualValue="Faulted",
                       eventNotificationType="HardWiredMonitor", component=component, variable=AVAILABILITY)


async def test_TC_N_24_periodic_event(cp: Station) -> None:
    """Set Variable Monitoring - Periodic event"""
    await booted(cp)
    for value in ("7200", "7400", "7100"):  # eventIds 1, 2, 3 of Part 6: three new ones of the station's run
        await notify_event(cp, 2, eventId=cp.next_event_id(), trigger="Periodic", actualValue=value,
                           eventNotificationType="CustomMonitor", variableMonitoringId=1, component=CS, variable=POWER)


async def test_TC_N_48_alert_event_write_only(cp: Station) -> None:
    """Alert Event - Variable monitoring on write only"""
    await booted(cp)
    await notify_event(cp, 2, eventId=cp.next_event_id(), trigger="Delta", actualValue="", eventNotificationType="CustomMonitor",
                       variableMonitoringId=1, component={"name": "SecurityCtrlr"},
                       variable={"name": "BasicAuthPassword"})


async def test_TC_N_49_alert_event_threshold_cleared(cp: Station) -> None:
    """Alert Event - LowerThreshold/UpperThreshold cleared after reboot"""
    await booted(cp)
    await notify_event(cp, 2, eventId=cp.next_event_id(), trigger="Alerting", actualValue="50", cleared=True,
                       eventNotificationType="CustomMonitor", variableMonitoringId=1, component=CS, variable=POWER)


async def test_TC_N_50_alert_event_periodic(cp: Station) -> None:
    """Alert Event - Periodic Triggered"""
    await booted(cp)
    await notify_event(cp, 2, eventId=cp.next_event_id(), trigger="Periodic", actualValue="7200",
                       eventNotificationType="CustomMonitor", variableMonitoringId=1, component=CS, variable=POWER)


# ---------------------------------------------------------------- N01 logs
async def log_upload(cp: Station, settings: Settings, log_type: str) -> None:
    """Steps 1-6 of a successful upload: GetLog Accepted, then Uploading and Uploaded."""
    request = await cp.expect(actions.get_log(cp.id, log_type, settings.CONFIGURED_LOG_LOCATION), 1)
    check_log_request(1, request, log_type, settings)
    await log_status(cp, "Uploading", request["requestId"], 4)
    await log_status(cp, "Uploaded", request["requestId"], 6)


async def test_TC_N_25_get_log_diagnostics(cp: Station, settings: Settings) -> None:
    """Retrieve Log Information - Diagnostics Log - Success"""
    await booted(cp)
    await log_upload(cp, settings, "DiagnosticsLog")


async def test_TC_N_35_get_log_security(cp: Station, settings: Settings) -> None:
    """Retrieve Log Information - Security Log - Success"""
    await booted(cp)
    await log_upload(cp, settings, "SecurityLog")


async def test_TC_N_34_get_log_rejected(cp: Station, settings: Settings) -> None:
    """Retrieve Log Information - Rejected"""
    await booted(cp)
    request = await cp.expect(actions.get_log(cp.id, "DiagnosticsLog", settings.CONFIGURED_LOG_LOCATION), 1,
                              reply={"status": "Rejected"})
    check_log_request(1, request, "DiagnosticsLog", settings)
    await cp.still_connected()


async def test_TC_N_36_get_log_second_request(cp: Station, settings: Settings) -> None:
    """Retrieve Log Information - Second Request"""
    action = actions.get_log(cp.id, "DiagnosticsLog", settings.CONFIGURED_LOG_LOCATION)
    await booted(cp)
    first = await cp.expect(action, 1)
    check_log_request(1, first, "DiagnosticsLog", settings)
    r1 = first["requestId"]
    await log_status(cp, "Uploading", r1, 4)
    second = await cp.expect(action, 5)  # the station answers AcceptedCanceled: r1 is still uploading
    check_log_request(5, second, "DiagnosticsLog", settings)
    r2 = second["requestId"]
    check(5, "requestId", r2, Rule(f"a requestId other than r1 = {r1}", lambda v: v != r1))
    await log_status(cp, "AcceptedCanceled", r1, 8)
    await log_status(cp, "Uploading", r2, 10)
    await log_status(cp, "Uploaded", r2, 12)


# ---------------------------------------------------------------- N09 / N10 customer information
def by_token(cp: Station, report: bool, clear: bool) -> actions.Action:
    return actions.customer_information(cp.id, {"idToken": cp.id_token()}, report, clear)


async def test_TC_N_27_customer_information_data(cp: Station, settings: Settings) -> None:
    """Get Customer Information - Accepted + data"""
    await booted(cp)
    await customer_report(cp, by_token(cp, True, False), True, lambda r: token_request(1, r, settings, True))


async def test_TC_N_28_customer_information_no_data(cp: Station, settings: Settings) -> None:
    """Get Customer Information - Accepted + no data"""
    await booted(cp)
    await customer_report(cp, by_token(cp, True, False), False, lambda r: token_request(1, r, settings, True))


async def test_TC_N_29_customer_information_rejected(cp: Station, settings: Settings) -> None:
    """Get Customer Information - Not Accepted"""
    await booted(cp)
    request = await cp.expect(by_token(cp, True, False), 1, reply={"status": "Rejected"})
    token_request(1, request, settings, True)
    await cp.still_connected()


async def test_TC_N_30_clear_customer_information_data(cp: Station, settings: Settings) -> None:
    """Clear Customer Information - Clear and report + data"""
    await booted(cp)
    await customer_report(cp, by_token(cp, True, True), True, lambda r: token_request(1, r, settings, True, True))


async def test_TC_N_31_clear_customer_information_no_data(cp: Station, settings: Settings) -> None:
    """Clear Customer Information - Clear and report + no data"""
    await booted(cp)
    await customer_report(cp, by_token(cp, True, True), False, lambda r: token_request(1, r, settings, True, True))


async def test_TC_N_32_clear_customer_information_no_report(cp: Station, settings: Settings) -> None:
    """Clear Customer Information - Clear and no report"""
    await booted(cp)
    request = await cp.expect(by_token(cp, False, True), 1, reply={"status": "Accepted"})
    token_request(1, request, settings, False, True)


async def test_TC_N_46_clear_customer_local_list(cp: Station, settings: Settings) -> None:
    """Clear Customer Information - Update Local Authorization List"""
    token = cp.id_token()
    await booted(cp)
    prepared = await cp.expect(actions.send_local_list(cp.id, [token]), "preparation P", reply={"status": "Accepted"})
    version = prepared["versionNumber"]  # the version the CSMS installed (LOCAL_LIST_VERSION in Part 6's setup)
    update = cp.expecting("SendLocalList", match={"localAuthorizationList[0].idToken.idToken": token["idToken"]},
                          describe=f"removing {token['idToken']}")
    await customer_report(cp, by_token(cp, True, True), True, lambda r: token_request(1, r, settings, True, True))
    request = await update.wait(5)
    check_fields(5, request, {"updateType": "Differential", "versionNumber": version + 1,
                              "localAuthorizationList[0].idToken.idToken": token["idToken"],
                              "localAuthorizationList[0].idToken.type": token["type"],
                              "localAuthorizationList[0].idTokenInfo": ABSENT})
    listed = (token["idToken"], token["type"]) in cp.local_list.entries
    check_that("Post", cp.local_list.version == version + 1 and not listed,
               f"local list expected version {version + 1} without {token['idToken']}, got version "
               f"{cp.local_list.version}{' with it' if listed else ''}")


async def test_TC_N_62_clear_customer_identifier(cp: Station) -> None:
    """Clear Customer Information - Clear and report - customerIdentifier"""
    await booted(cp)
    await customer_report(cp, actions.customer_information(cp.id, {"customerIdentifier": "OpenChargeAlliance"},
                                                           True, True), True,
                          lambda r: check_fields(1, r, {"report": True, "clear": True,
                                                        "customerIdentifier": "OpenChargeAlliance"}))


async def test_TC_N_63_clear_customer_certificate(cp: Station, settings: Settings) -> None:
    """Clear Customer Information - Clear and report - customerCertificate"""
    s = settings
    certificate = {"hashAlgorithm": s.CONFIGURED_CUSTOMER_CERT_HASH_ALGORITHM,
                   "issuerNameHash": s.CONFIGURED_CUSTOMER_CERT_ISSUER_NAME_HASH,
                   "issuerKeyHash": s.CONFIGURED_CUSTOMER_CERT_ISSUER_KEY_HASH,
                   "serialNumber": s.CONFIGURED_CUSTOMER_CERT_SERIAL_NUMBER}

    def same_hex(value: str) -> Rule:
        return Rule(f"{value!r} (any case)", lambda got: isinstance(got, str) and got.lower() == value.lower())

    def check_request(request: dict[str, Any]) -> None:
        check_fields(1, request, {"report": True, "clear": True, "customerCertificate": PRESENT,
                                  "customerCertificate.hashAlgorithm": certificate["hashAlgorithm"],
                                  **{f"customerCertificate.{k}": same_hex(certificate[k])
                                     for k in ("issuerNameHash", "issuerKeyHash", "serialNumber")}})
    await booted(cp)
    await customer_report(cp, actions.customer_information(cp.id, {"customerCertificate": certificate}, True, True),
                          True, check_request)

