"""Diagnostics and monitoring (N): log uploads, monitoring reports, base and level, variable
monitors, events, and customer information.

What the CSMS sends and decides comes from its store: the log requests it made (their status
follows the station's LogStatusNotifications), the monitors the station confirmed or reported (ids
as the station gave them), the customer-information requests and the data parts reported for them,
and the station's local list as the CSMS installed it (a cleared idToken on it is removed with a
Differential SendLocalList, N10.FR.08 / D01)."""
from __future__ import annotations

import itertools
import json
from typing import TYPE_CHECKING, Any

from simulator.wire.protocol import CALL, schema_problem

from ..registry import ActionError, CallErrorReply, fault, on, operator_action
from .common import numbered, send_request

if TYPE_CHECKING:
    from ..central import CentralSystem, CsmsSession

LOG_WRONG_TYPE = fault("get_log_wrong_type", "GetLog asks for the other log type (DiagnosticsLog <-> SecurityLog)")
LOG_WRONG_LOCATION = fault("get_log_wrong_location", "GetLog puts its own upload URL in log.remoteLocation instead of the asked one")
LOG_SAME_ID = fault("get_log_reuses_request_id", "every GetLog carries the same requestId")
REPORT_ALL_CRITERIA = fault("monitoring_report_all_criteria", "GetMonitoringReport asks for every monitoring criterion whatever was asked")
REPORT_NO_COMPONENTS = fault("monitoring_report_drops_components", "GetMonitoringReport leaves out the asked componentVariable list")
REPORT_ADDS_CRITERION = fault("monitoring_report_adds_threshold_criterion", "GetMonitoringReport for a componentVariable list without criteria also asks for ThresholdMonitoring")
REPORT_ONE_PART = fault("monitoring_report_single_part", "answers NotifyMonitoringReport parts after the first (seqNo > 0) with a CALLERROR")
BASE_ALWAYS_ALL = fault("monitoring_base_always_all", "SetMonitoringBase always asks for All")
LEVEL_OFF = fault("monitoring_level_off_by_one", "SetMonitoringLevel sends the asked severity + 1")
MONITOR_WRONG_TYPE = fault("monitor_wrong_type", "SetVariableMonitoring sends UpperThreshold where Delta was asked (Delta otherwise)")
MONITOR_WRONG_VALUE = fault("monitor_wrong_value", "SetVariableMonitoring sends the asked value + 1")
MONITOR_WRONG_SEVERITY = fault("monitor_wrong_severity", "SetVariableMonitoring sends severity 0 whatever was asked")
CLEAR_WRONG_IDS = fault("clear_monitoring_wrong_ids", "ClearVariableMonitoring sends the asked monitor ids + 1")
CLEAR_ONE_REQUEST = fault("clear_monitoring_ignores_items_per_message", "ClearVariableMonitoring puts every id in one request, ignoring MonitoringCtrlr.ItemsPerMessage")
EVENTS_REFUSED = fault("monitor_events_refused", "answers NotifyEvent with monitor events (HardWiredMonitor, PreconfiguredMonitor, CustomMonitor) by a CALLERROR")
CUSTOMER_WRONG = fault("customer_info_wrong_identifier", "CustomerInformation names another customer: the idToken with another type, the customerIdentifier or the certificate serial number with a suffix")
CUSTOMER_NOTIFY_REFUSED = fault("customer_info_notify_refused", "answers NotifyCustomerInformation with a CALLERROR")
KEEP_LOCAL_LIST = fault("customer_clear_keeps_local_list", "does not remove a cleared customer's idToken from the station's local list")

LOG_TYPES = ("DiagnosticsLog", "SecurityLog")
CRITERIA = ("ThresholdMonitoring", "DeltaMonitoring", "PeriodicMonitoring")
MONITOR_EVENTS = ("HardWiredMonitor", "PreconfiguredMonitor", "CustomMonitor")
OWN_UPLOAD_URL = "https://reference-csms.invalid/logs"

_log_ids = itertools.count(1)
_report_ids = itertools.count(1)
_customer_ids = itertools.count(1)


def _checked(csms: "CentralSystem", action: str, payload: dict[str, Any]) -> dict[str, Any]:
    """An operator action whose request would break the schema is refused (HTTP 400)."""
    problem = schema_problem(action, CALL, payload)
    if problem:
        raise ActionError(f"{action}Request would break the OCPP 2.0.1 schema: {problem}")
    return payload


# ------------------------------------------------------------ N01 logs
@operator_action("GetLog")
async def get_log(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """N01: ask for a log upload with a requestId of its own; the answer and every
    LogStatusNotification of that requestId are stored."""
    log_type, location = params.get("logType"), params.get("remoteLocation")
    if log_type not in LOG_TYPES or not location:
        raise ActionError("GetLog needs logType (DiagnosticsLog or SecurityLog) and remoteLocation")
    if csms.fault(LOG_WRONG_TYPE):
        log_type = LOG_TYPES[1 - LOG_TYPES.index(log_type)]
    if csms.fault(LOG_WRONG_LOCATION):
        location = OWN_UPLOAD_URL
    request_id = 1 if csms.fault(LOG_SAME_ID) else next(_log_ids)
    log: dict[str, Any] = {"remoteLocation": location}
    for key in ("oldestTimestamp", "latestTimestamp"):
        if params.get(key):
            log[key] = params[key]
    payload: dict[str, Any] = {"logType": log_type, "requestId": request_id, "log": log}
    for key in ("retries", "retryInterval"):
        if params.get(key) is not None:
            payload[key] = params[key]
    csms.store.add_log_request(station_id, request_id, log_type, location)

    def remember(answer: dict[str, Any]) -> None:
        csms.store.update_log_request(station_id, request_id, status=answer.get("status"),
                                      filename=answer.get("filename"))
    return send_request(csms, station_id, "GetLog", _checked(csms, "GetLog", payload), remember)


@on("LogStatusNotification")
def log_status_notification(session: "CsmsSession", payload: dict[str, Any]) -> dict[str, Any]:
    if "requestId" in payload and session.store.log_request(session.id, payload["requestId"]):
        session.store.update_log_request(session.id, payload["requestId"], upload_status=payload["status"])
    return {}


# ------------------------------------------------------------ N02 monitoring reports
@operator_action("GetMonitoringReport")
async def get_monitoring_report(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = {"requestId": 0}  # the number is taken when the request goes out
    if params.get("monitoringCriteria"):
        payload["monitoringCriteria"] = list(params["monitoringCriteria"])
    if params.get("componentVariable"):
        payload["componentVariable"] = params["componentVariable"]
    if csms.fault(REPORT_ALL_CRITERIA):
        payload["monitoringCriteria"] = list(CRITERIA)
    if csms.fault(REPORT_ADDS_CRITERION) and "componentVariable" in payload and "monitoringCriteria" not in payload:
        payload["monitoringCriteria"] = ["ThresholdMonitoring"]
    if csms.fault(REPORT_NO_COMPONENTS):
        payload.pop("componentVariable", None)
    return send_request(csms, station_id, "GetMonitoringReport",
                        numbered(_checked(csms, "GetMonitoringReport", payload), _report_ids))


@on("NotifyMonitoringReport")
def notify_monitoring_report(session: "CsmsSession", payload: dict[str, Any]) -> Any:
    """N02: every part is answered; the monitors it reports are stored with the station's ids."""
    if payload["seqNo"] > 0 and session.csms.fault(REPORT_ONE_PART):
        return CallErrorReply("InternalError", f"monitoring report {payload['requestId']} is already complete")
    for data in payload.get("monitor", []):
        for m in data["variableMonitoring"]:
            session.store.save_monitor(session.id, m["id"], data["component"], data["variable"], m["type"],
                                       m["value"], m["severity"], m["transaction"])
    return {}


# ------------------------------------------------------------ N03 / N05 base and level
@operator_action("SetMonitoringBase")
async def set_monitoring_base(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    base = "All" if csms.fault(BASE_ALWAYS_ALL) else params.get("monitoringBase")
    payload = _checked(csms, "SetMonitoringBase", {"monitoringBase": base})

    def remember(answer: dict[str, Any]) -> None:
        if answer.get("status") == "Accepted":
            csms.store.set_station_data(station_id, monitoring_base=base)
    return send_request(csms, station_id, "SetMonitoringBase", payload, remember)


@operator_action("SetMonitoringLevel")
async def set_monitoring_level(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    severity = params.get("severity")
    if not isinstance(severity, int) or not 0 <= severity <= 9:
        raise ActionError("severity must be an integer 0-9")
    if csms.fault(LEVEL_OFF):
        severity = (severity + 1) % 10
    payload = _checked(csms, "SetMonitoringLevel", {"severity": severity})

    def remember(answer: dict[str, Any]) -> None:
        if answer.get("status") == "Accepted":
            csms.store.set_station_data(station_id, monitoring_level=severity)
    return send_request(csms, station_id, "SetMonitoringLevel", payload, remember)


# ------------------------------------------------------------ N04 / N06 monitors
def _monitor_request(csms: "CentralSystem", item: dict[str, Any]) -> dict[str, Any]:
    data = {k: item[k] for k in ("id", "transaction", "value", "type", "severity", "component", "variable")
            if k in item}
    if csms.fault(MONITOR_WRONG_TYPE):
        data["type"] = "UpperThreshold" if data.get("type") == "Delta" else "Delta"
    if csms.fault(MONITOR_WRONG_VALUE):
        data["value"] = data.get("value", 0) + 1
    if csms.fault(MONITOR_WRONG_SEVERITY):
        data["severity"] = 0
    return data


@operator_action("SetVariableMonitoring")
async def set_variable_monitoring(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """N04: one request with the asked monitors, in the asked order; each Accepted result is stored
    under the id the station gave it."""
    items = params.get("setMonitoringData") or []
    if not items:
        raise ActionError("setMonitoringData is empty")
    data = [_monitor_request(csms, i) for i in items]

    def remember(answer: dict[str, Any]) -> None:
        for result, asked in zip(answer.get("setMonitoringResult", []), data):
            if result.get("status") == "Accepted" and "id" in result:
                csms.store.save_monitor(station_id, result["id"], result["component"], result["variable"],
                                        result["type"], asked["value"], result["severity"],
                                        asked.get("transaction", False))
    return send_request(csms, station_id, "SetVariableMonitoring",
                        _checked(csms, "SetVariableMonitoring", {"setMonitoringData": data}), remember)


ITEMS_PER_CLEAR = {"component": {"name": "MonitoringCtrlr"},
                   "variable": {"name": "ItemsPerMessage", "instance": "ClearVariableMonitoring"}}


def _items_per_clear(answer: dict[str, Any]) -> int | None:
    for result in answer.get("getVariableResult", []):
        value = result.get("attributeValue", "")
        if result.get("attributeStatus") == "Accepted" and value.isdigit() and int(value) > 0:
            return int(value)
    return None


@operator_action("ClearVariableMonitoring")
async def clear_variable_monitoring(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """N06: read the station's MonitoringCtrlr.ItemsPerMessage[ClearVariableMonitoring] first
    (N06.FR.04), then clear the ids in requests of at most that many; monitors the station cleared
    are removed from the store."""
    ids = params.get("id") or []
    if not ids or not all(isinstance(i, int) and i >= 0 for i in ids):
        raise ActionError("id must be a non-empty list of monitor ids")
    if csms.fault(CLEAR_WRONG_IDS):
        ids = [i + 1 for i in ids]
    session = csms.session(station_id)

    async def run() -> None:
        answer = await session.request("GetVariables", {"getVariableData": [ITEMS_PER_CLEAR]})
        limit = _items_per_clear(answer)
        if limit:
            csms.store.set_variable(station_id, "MonitoringCtrlr", "ItemsPerMessage[ClearVariableMonitoring]",
                                    str(limit))
        size = len(ids) if csms.fault(CLEAR_ONE_REQUEST) or not limit else limit
        for start in range(0, len(ids), size):
            result = await session.request("ClearVariableMonitoring", {"id": ids[start:start + size]})
            for entry in result.get("clearMonitoringResult", []):
                if entry.get("status") in ("Accepted", "NotFound"):
                    csms.store.remove_monitor(station_id, entry["id"])
    session.later(run())
    return {"status": "sent", "request": "ClearVariableMonitoring"}


# ------------------------------------------------------------ N07 / N08 events
def monitor_event_refusal(session: "CsmsSession", payload: dict[str, Any]) -> CallErrorReply | None:
    """N07/N08: the faulty CSMS that refuses event reports of monitors (the NotifyEvent handler,
    availability.py, asks this first; the events themselves are in the message log)."""
    if session.csms.fault(EVENTS_REFUSED) and any(e["eventNotificationType"] in MONITOR_EVENTS
                                                  for e in payload["eventData"]):
        return CallErrorReply("InternalError", "monitor events are not handled")
    return None


# ------------------------------------------------------------ N09 / N10 customer information
def _customer(csms: "CentralSystem", params: dict[str, Any]) -> dict[str, Any]:
    """The one customer reference of the action (idToken, customerIdentifier or customerCertificate)."""
    refs = {k: params[k] for k in ("idToken", "customerIdentifier", "customerCertificate") if params.get(k)}
    if len(refs) != 1:
        raise ActionError("CustomerInformation needs exactly one of idToken, customerIdentifier, customerCertificate")
    if "idToken" in refs:
        token = refs["idToken"]
        if csms.store.token(token.get("idToken"), token.get("type")) is None:
            raise ActionError(f"idToken {token.get('idToken')} is not known to the CSMS", 404)
    if csms.fault(CUSTOMER_WRONG):
        if "idToken" in refs:
            refs["idToken"] = {**refs["idToken"], "type": "Local" if refs["idToken"]["type"] != "Local" else "Central"}
        elif "customerIdentifier" in refs:
            refs["customerIdentifier"] = refs["customerIdentifier"] + "-1"
        else:
            refs["customerCertificate"] = {**refs["customerCertificate"],
                                           "serialNumber": refs["customerCertificate"]["serialNumber"] + "0"}
    return refs


@operator_action("CustomerInformation")
async def customer_information(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """N09/N10: ask the station to report and/or clear what it holds about one customer."""
    customer = _customer(csms, params)
    report, clear = bool(params.get("report")), bool(params.get("clear"))
    request_id = next(_customer_ids)
    payload = _checked(csms, "CustomerInformation",
                       {"requestId": request_id, "report": report, "clear": clear, **customer})
    csms.store.add_customer_request(station_id, request_id, customer, report, clear)

    def remember(answer: dict[str, Any]) -> None:
        csms.store.update_customer_request(station_id, request_id, status=answer.get("status"))
        if answer.get("status") == "Accepted" and clear and not report:
            _forget_customer(csms, station_id, customer)
    return send_request(csms, station_id, "CustomerInformation", payload, remember)


@on("NotifyCustomerInformation")
def notify_customer_information(session: "CsmsSession", payload: dict[str, Any]) -> Any:
    """N09/N10: every part is stored with its request; when the last part of a clearing request
    has come, the customer is cleared on the CSMS side too."""
    if session.csms.fault(CUSTOMER_NOTIFY_REFUSED):
        return CallErrorReply("InternalError", "customer information is not accepted")
    request = session.store.customer_request(session.id, payload["requestId"])
    if request is not None:
        parts = json.loads(request["data"]) + [{"seqNo": payload["seqNo"], "data": payload["data"]}]
        complete = not payload.get("tbc", False)
        session.store.update_customer_request(session.id, payload["requestId"], data=json.dumps(parts),
                                              complete=int(complete))
        if complete and request["clear"] and request["status"] == "Accepted":
            session.later(_remove_from_local_list(session.csms, session.id, json.loads(request["customer"])))
    return {}


def _forget_customer(csms: "CentralSystem", station_id: str, customer: dict[str, Any]) -> None:
    session = csms.session(station_id)
    session.later(_remove_from_local_list(csms, station_id, customer))


def station_local_list(csms: "CentralSystem", station_id: str) -> tuple[int, dict[tuple[str, str], dict]]:
    """The station's local list as this CSMS installed it: every SendLocalListRequest it sent,
    applied when the station answered it Accepted (the answer follows its request in the log)."""
    version, entries = 0, {}
    sent: dict[str, Any] | None = None
    for row in csms.store.messages(station_id):
        if row["direction"] == "out" and row["action"] == "SendLocalList":
            sent = json.loads(row["payload"])
        elif row["direction"] == "in" and row["action"] == "SendLocalListResponse" and sent is not None:
            if json.loads(row["payload"]).get("status") == "Accepted":
                if sent["updateType"] == "Full":
                    entries = {}
                for entry in sent.get("localAuthorizationList", []):
                    key = (entry["idToken"]["idToken"], entry["idToken"]["type"])
                    if "idTokenInfo" in entry:
                        entries[key] = entry
                    else:
                        entries.pop(key, None)
                version = sent["versionNumber"]
            sent = None
    return version, entries


async def _remove_from_local_list(csms: "CentralSystem", station_id: str, customer: dict[str, Any]) -> None:
    """N10.FR.08: a cleared idToken that is on the station's local list is removed from it with a
    Differential update of a higher version."""
    token = customer.get("idToken")
    if token is None or csms.fault(KEEP_LOCAL_LIST):
        return
    version, entries = station_local_list(csms, station_id)
    if (token["idToken"], token["type"]) not in entries:
        return
    await csms.session(station_id).request("SendLocalList", {
        "versionNumber": version + 1, "updateType": "Differential",
        "localAuthorizationList": [{"idToken": {"idToken": token["idToken"], "type": token["type"]}}]})
