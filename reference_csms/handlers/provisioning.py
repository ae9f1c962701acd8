"""Provisioning (B): boot, heartbeat, reports, variables, resets and network profiles (connector
status and events: availability.py; TriggerMessage: remote_control.py)."""
from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from ..registry import ActionError, CallErrorReply, fault, on, operator_action
from simulator.wire.protocol import CALL, schema_problem

from .common import now_iso, numbered, send_request

if TYPE_CHECKING:
    from ..central import CentralSystem, CsmsSession

REJECT_BOOT = fault("reject_every_boot", "answers every BootNotificationRequest with Rejected")
ZERO_INTERVAL = fault("boot_interval_zero", "accepts boots with interval 0")
IGNORE_BOOT_PLAN = fault("boot_always_accepted", "answers Accepted even when told to answer the next boot Pending")
NO_SECURITY_ERROR = fault("pending_accepts_messages", "answers requests of a Pending/Rejected station normally instead of a SecurityError CALLERROR")
CLOSE_PENDING = fault("close_pending_station", "closes the connection of a station it answered Pending")
WRONG_VARIABLE = fault("get_set_wrong_variable", "GetVariables/SetVariables name OCPPCommCtrlr/OfflineThresholds instead of the asked variable")
WRONG_SET_VALUE = fault("set_wrong_value", "SetVariables sends a value other than the one asked for")
IGNORE_ITEMS_LIMIT = fault("ignore_items_per_message", "puts every GetVariables item in one request, ignoring ItemsPerMessage")
WRONG_REPORT_BASE = fault("wrong_report_base", "GetBaseReport always asks for FullInventory")
NO_RESET = fault("never_reset", "accepts Reset actions but never sends a ResetRequest")
WRONG_NETWORK_PROFILE = fault("wrong_network_profile", "SetNetworkProfile sends messageTimeout+1 and interface Wireless0")
KEEP_BOOT_PLAN = fault("boot_plan_not_consumed", "keeps answering the planned Pending/Rejected to every later boot")
REJECT_RESET_BOOT = fault("reject_reset_boot", "answers BootNotificationRequests with reason RemoteReset or ScheduledReset with Rejected")
SINGLE_REPORT_PART = fault("notify_report_single_part", "answers NotifyReport parts after the first (seqNo > 0) with a CALLERROR")
WRONG_CRITERIA = fault("wrong_report_criteria", "GetReport asks for every component criterion instead of the asked ones")
SWAP_RESET_TYPE = fault("reset_type_swapped", "Reset sends Immediate when asked for OnIdle and OnIdle when asked for Immediate")
IGNORE_RESET_EVSE = fault("reset_evse_ignored", "Reset of one EVSE is sent without evseId (the whole station resets)")
LOCAL_HEARTBEAT_TIME = fault("heartbeat_local_time", "answers HeartbeatRequest with a currentTime without time zone (local time)")
CLOSE_ON_PROFILE_FAILED = fault("close_after_network_profile_failed", "closes the connection of a station that answers SetNetworkProfile with Failed")
fault("accept_any_subprotocol", "upgrades connections that do not offer ocpp2.0.1")
fault("single_subprotocol_only", "refuses an upgrade whose Sec-WebSocket-Protocol offers more than one subprotocol")

_request_ids = itertools.count(1)


def _checked(csms: "CentralSystem", action: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Refuse an operator action whose request would break the schema (HTTP 400, not silence)."""
    problem = schema_problem(action, CALL, payload)
    if problem and not csms.fault("schema_invalid_requests"):
        raise ActionError(f"{action}Request would break the OCPP 2.0.1 schema: {problem}")
    return payload


def _send(csms: "CentralSystem", station_id: str, action: str, payload: dict[str, Any],
          on_answer: Any = None) -> dict[str, Any]:
    """Send the operator's request; a requestId in the payload is a placeholder for the number
    the request gets when it goes out."""
    _checked(csms, action, payload)
    built = numbered(payload, _request_ids) if "requestId" in payload else payload
    return send_request(csms, station_id, action, built, on_answer)


# ------------------------------------------------------------ CS → CSMS
@on("BootNotification")
def boot_notification(session: "CsmsSession", payload: dict[str, Any]) -> dict[str, Any]:
    """B01-B03: the answer planned for the station (SetBootResponse), else Accepted; until a boot is
    Accepted the session refuses other CALLs with SecurityError."""
    csms = session.csms
    status = session.store.next_boot_status(session.id)
    if csms.fault(KEEP_BOOT_PLAN) and status != "Accepted":
        session.store.update_station(session.id, boot_plan=[status])
    if csms.fault(IGNORE_BOOT_PLAN):
        status = "Accepted"
    after_reset = payload["reason"] in ("RemoteReset", "ScheduledReset")
    if csms.fault(REJECT_BOOT) or (after_reset and csms.fault(REJECT_RESET_BOOT)):
        status = "Rejected"
    session.store.update_station(session.id, accepted=1 if status == "Accepted" else 0)
    if status == "Accepted":
        interval = 0 if csms.fault(ZERO_INTERVAL) else csms.config.heartbeat_interval
        session.store.set_station_data(session.id, model=payload["chargingStation"]["model"],
                                       vendor=payload["chargingStation"]["vendorName"])
        if session.profile > (session.store.station(session.id)["security_profile"] or 1):
            session.csms.raise_profile(session.id, session.profile)
        if csms.option("base_report_at_boot"):
            session.later(session.request("GetBaseReport", numbered({"reportBase": "FullInventory"}, _request_ids)))
    else:
        interval = csms.config.pending_interval
        if status == "Pending" and csms.fault(CLOSE_PENDING):
            session.later(session.close())
    if csms.fault(NO_SECURITY_ERROR):
        session.store.update_station(session.id, accepted=1)
    return {"currentTime": now_iso(), "interval": interval, "status": status}


@on("Heartbeat")
def heartbeat(session: "CsmsSession", payload: dict[str, Any]) -> dict[str, Any]:
    if session.csms.fault(LOCAL_HEARTBEAT_TIME):
        return {"currentTime": now_iso().removesuffix("Z")}
    return {"currentTime": now_iso()}


@on("NotifyReport")
def notify_report(session: "CsmsSession", payload: dict[str, Any]) -> Any:
    """B07/B08: every part (seqNo 0.., tbc) is answered and its values are remembered."""
    if payload["seqNo"] > 0 and session.csms.fault(SINGLE_REPORT_PART):
        return CallErrorReply("InternalError", f"report {payload['requestId']} is already complete")
    for data in payload.get("reportData", []):
        for attribute in data.get("variableAttribute", []):
            if attribute.get("type", "Actual") == "Actual" and "value" in attribute:
                session.store.set_variable(session.id, _component_key(data), _variable_key(data),
                                           attribute["value"])
    return {}


def _component_key(data: dict[str, Any]) -> str:
    c = data["component"]
    return c["name"] + (f"[{c['instance']}]" if c.get("instance") else "")


def _variable_key(data: dict[str, Any]) -> str:
    v = data["variable"]
    return v["name"] + (f"[{v['instance']}]" if v.get("instance") else "")


# ------------------------------------------------------------ operator actions
@operator_action("SetBootResponse")
async def set_boot_response(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    status = params.get("status")
    if status not in ("Pending", "Rejected", "Accepted"):
        raise ActionError("status must be Pending, Rejected or Accepted")
    csms.store.update_station(station_id, boot_plan=[status] * int(params.get("count", 1)))
    return {"status": "planned"}


def items_per_message(csms: "CentralSystem", station_id: str) -> int | None:
    """DeviceDataCtrlr.ItemsPerMessage[GetVariables]: configured for the station or learned."""
    row = csms.store.station(station_id)
    if row["items_per_message"]:
        return int(row["items_per_message"])
    learned = csms.store.variable(station_id, "DeviceDataCtrlr", "ItemsPerMessage[GetVariables]")
    return int(learned) if learned and learned.isdigit() else None


def _remember_results(csms: "CentralSystem", station_id: str, results: list[dict[str, Any]]) -> None:
    for r in results:
        if r.get("attributeStatus") == "Accepted" and "attributeValue" in r:
            csms.store.set_variable(station_id, _component_key(r), _variable_key(r), r["attributeValue"])


@operator_action("GetVariables")
async def get_variables(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    items = [dict(i) for i in params.get("getVariableData") or []]
    if not items:
        raise ActionError("getVariableData is empty")
    if csms.fault(WRONG_VARIABLE):
        items[0] = {**items[0], "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThresholds"}}
    limit = None if csms.fault(IGNORE_ITEMS_LIMIT) else items_per_message(csms, station_id)
    size = limit or len(items)
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    for chunk in chunks:
        _checked(csms, "GetVariables", {"getVariableData": chunk})
    session = csms.session(station_id)

    async def run() -> None:
        for chunk in chunks:
            answer = await session.request("GetVariables", {"getVariableData": chunk})
            _remember_results(csms, station_id, answer.get("getVariableResult", []))
    session.later(run())
    return {"status": "sent", "requests": len(chunks)}


@operator_action("SetVariables")
async def set_variables(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    items = [dict(i) for i in params.get("setVariableData") or []]
    if not items:
        raise ActionError("setVariableData is empty")
    if csms.fault(WRONG_VARIABLE):
        items[0] = {**items[0], "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThresholds"}}
    if csms.fault(WRONG_SET_VALUE):
        items = [{**i, "attributeValue": i["attributeValue"] + "0"} for i in items]
    return _send(csms, station_id, "SetVariables", {"setVariableData": items},
                        lambda answer: _remember_results(csms, station_id, [
                            {**r, "attributeValue": i["attributeValue"]}
                            for r, i in zip(answer.get("setVariableResult", []), items)]))


@operator_action("GetBaseReport")
async def get_base_report(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    base = params.get("reportBase")
    if base not in ("ConfigurationInventory", "FullInventory", "SummaryInventory"):
        raise ActionError("reportBase must be ConfigurationInventory, FullInventory or SummaryInventory")
    if csms.fault(WRONG_REPORT_BASE):
        base = "FullInventory" if base != "FullInventory" else "ConfigurationInventory"
    return _send(csms, station_id, "GetBaseReport", {"requestId": 0, "reportBase": base})


@operator_action("GetReport")
async def get_report(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = {"requestId": 0}
    for key in ("componentCriteria", "componentVariable"):
        if params.get(key):
            payload[key] = params[key]
    if csms.fault(WRONG_CRITERIA):
        payload["componentCriteria"] = ["Active", "Available", "Enabled", "Problem"]
    return _send(csms, station_id, "GetReport", payload)


@operator_action("Reset")
async def reset(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = {"type": params.get("type", "OnIdle")}
    if payload["type"] not in ("OnIdle", "Immediate"):
        raise ActionError("type must be OnIdle or Immediate")
    if params.get("evseId") is not None:
        payload["evseId"] = params["evseId"]
    if csms.fault(SWAP_RESET_TYPE):
        payload["type"] = "Immediate" if payload["type"] == "OnIdle" else "OnIdle"
    if csms.fault(IGNORE_RESET_EVSE):
        payload.pop("evseId", None)
    if csms.fault(NO_RESET):
        csms.session(station_id)
        return {"status": "sent", "request": "Reset"}
    return _send(csms, station_id, "Reset", payload)


@operator_action("SetNetworkProfile")
async def set_network_profile(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    data = dict(params.get("connectionData") or {})
    data.setdefault("ocppVersion", "OCPP20")
    data.setdefault("ocppTransport", "JSON")
    if csms.fault(WRONG_NETWORK_PROFILE):
        data["messageTimeout"] = int(data.get("messageTimeout", 30)) + 1
        data["ocppInterface"] = "Wireless0"
    slot = params.get("configurationSlot", 1)

    def remember(answer: dict[str, Any]) -> Any:
        if answer.get("status") == "Failed" and csms.fault(CLOSE_ON_PROFILE_FAILED):
            return csms.session(station_id).close()
        if answer.get("status") == "Accepted":
            profiles = csms.store.station_data(station_id).get("network_profiles", {})
            profiles[str(slot)] = data
            csms.store.set_station_data(station_id, network_profiles=profiles)
            if data.get("securityProfile", 0) > csms.store.station(station_id)["security_profile"]:
                csms.store.update_station(station_id, pending_profile=data["securityProfile"])
    return _send(csms, station_id, "SetNetworkProfile",
                        {"configurationSlot": slot, "connectionData": data}, remember)
