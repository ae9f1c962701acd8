"""What the simulated station does for diagnostics and monitoring (block N): it keeps the variable
monitors it holds or was sent, its monitoring base and level, the log upload in progress and its
local list, and answers the CSMS's requests from them."""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from simulator.station.station import now_iso

if TYPE_CHECKING:
    from simulator.station.station import Station

#: monitor types each GetMonitoringReport criterion selects (N02.FR.05)
CRITERION_TYPES = {"ThresholdMonitoring": ("UpperThreshold", "LowerThreshold"),
                   "DeltaMonitoring": ("Delta",),
                   "PeriodicMonitoring": ("Periodic", "PeriodicClockAligned")}
LOG_FILES = {"DiagnosticsLog": "diagnostics.log", "SecurityLog": "security.log"}
NO_CUSTOMER_DATA = "No customer data found"


# ---------------------------------------------------------------- monitors
def install_monitor(station: "Station", component: dict[str, Any], variable: dict[str, Any], kind: str,
                    value: float, severity: int, monitor_id: int | None = None,
                    transaction: bool = False) -> dict[str, Any]:
    """A monitor the station holds (set by the CSMS, or preconfigured); returns it."""
    monitors = station.model.monitors
    if monitor_id is None:
        monitor_id = max(monitors, default=0) + 1
    monitors[monitor_id] = {"id": monitor_id, "component": copy.deepcopy(component),
                            "variable": copy.deepcopy(variable), "type": kind, "value": value,
                            "severity": severity, "transaction": transaction}
    return monitors[monitor_id]


def _set_one(station: "Station", data: dict[str, Any]) -> dict[str, Any]:
    result = {"type": data["type"], "severity": data["severity"], "component": data["component"],
              "variable": data["variable"]}
    if station.device.find(data["component"], data["variable"]) is None:
        known = station.device.knows_component(data["component"])
        return {"status": "UnknownVariable" if known else "UnknownComponent", **result}
    if "id" in data and data["id"] not in station.model.monitors:
        return {"status": "Rejected", "id": data["id"], **result}  # N04: only an existing monitor is replaced
    monitor = install_monitor(station, data["component"], data["variable"], data["type"], data["value"],
                              data["severity"], data.get("id"), data.get("transaction", False))
    return {"status": "Accepted", "id": monitor["id"], **result}


def set_variable_monitoring(station: "Station", payload: dict[str, Any]) -> dict[str, Any]:
    """N04: each element is installed (a new id, or the given one replaced) on a known variable."""
    return {"setMonitoringResult": [_set_one(station, d) for d in payload["setMonitoringData"]]}


def _named(monitor: dict[str, Any], wanted: dict[str, Any]) -> bool:
    comp, var = wanted["component"], wanted.get("variable")
    if comp["name"] != monitor["component"]["name"]:
        return False
    if "evse" in comp and comp["evse"].get("id") != (monitor["component"].get("evse") or {}).get("id"):
        return False
    return var is None or var["name"] == monitor["variable"]["name"]


def monitoring_data(station: "Station", criteria: list[str] | None,
                    component_variables: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The station's monitors that meet the criteria and name one of the component/variables, as
    MonitoringDataType entries (one per component/variable, monitors in id order)."""
    kinds = {k for c in criteria or [] for k in CRITERION_TYPES[c]}
    data: list[dict[str, Any]] = []
    for monitor in sorted(station.model.monitors.values(), key=lambda m: m["id"]):
        if kinds and monitor["type"] not in kinds:
            continue
        if component_variables and not any(_named(monitor, cv) for cv in component_variables):
            continue
        entry = next((d for d in data if d["component"] == monitor["component"]
                      and d["variable"] == monitor["variable"]), None)
        if entry is None:
            entry = {"component": monitor["component"], "variable": monitor["variable"], "variableMonitoring": []}
            data.append(entry)
        entry["variableMonitoring"].append({k: monitor[k] for k in ("id", "transaction", "value", "type", "severity")})
    return data


def get_monitoring_report(station: "Station", payload: dict[str, Any]) -> dict[str, Any]:
    found = monitoring_data(station, payload.get("monitoringCriteria"), payload.get("componentVariable"))
    return {"status": "Accepted" if found else "EmptyResultSet"}


async def send_monitoring_report(station: "Station", request_id: int, parts: list[list[dict[str, Any]]],
                                 step: int | str | None) -> None:
    """NotifyMonitoringReport parts seqNo 0.., tbc on all but the last; each needs a CALLRESULT
    (the step of part i is ``step`` + 2i when ``step`` is a number)."""
    for seq, part in enumerate(parts):
        payload: dict[str, Any] = {"requestId": request_id, "generatedAt": now_iso(), "seqNo": seq,
                                   "tbc": seq < len(parts) - 1, "monitor": part}
        await station.send("NotifyMonitoringReport", payload, step + 2 * seq if isinstance(step, int) else step)


def clear_variable_monitoring(station: "Station", payload: dict[str, Any]) -> dict[str, Any]:
    """N06: a monitor the station holds is removed (Accepted), another id is NotFound."""
    results = []
    for monitor_id in payload["id"]:
        found = station.model.monitors.pop(monitor_id, None)
        results.append({"status": "Accepted" if found else "NotFound", "id": monitor_id})
    return {"clearMonitoringResult": results}


def set_monitoring_base(station: "Station", payload: dict[str, Any]) -> dict[str, Any]:
    station.model.monitoring_base = payload["monitoringBase"]
    return {"status": "Accepted"}


def set_monitoring_level(station: "Station", payload: dict[str, Any]) -> dict[str, Any]:
    station.model.monitoring_level = payload["severity"]
    return {"status": "Accepted"}


# ---------------------------------------------------------------- logs
def get_log(station: "Station", payload: dict[str, Any]) -> dict[str, Any]:
    """N01: a new upload starts; one still in progress is cancelled (AcceptedCanceled)."""
    busy = station.model.log_upload is not None
    station.model.log_upload = payload["requestId"]
    return {"status": "AcceptedCanceled" if busy else "Accepted", "filename": LOG_FILES[payload["logType"]]}


async def log_status(station: "Station", status: str, request_id: int, step: int | str | None) -> dict:
    """LogStatusNotification of upload ``request_id``; a finished upload is no longer in progress."""
    if status in ("Uploaded", "UploadFailure", "BadMessage", "NotSupportedOperation", "PermissionDenied") \
            and station.model.log_upload == request_id:
        station.model.log_upload = None
    return await station.send("LogStatusNotification", {"status": status, "requestId": request_id}, step)


# ---------------------------------------------------------------- customer information
def customer_text(customer: dict[str, Any], found: bool, cleared: bool) -> str:
    """What the station reports about a customer (N09/N10)."""
    if not found:
        return NO_CUSTOMER_DATA
    if "idToken" in customer:
        who = f"idToken {customer['idToken']['idToken']} ({customer['idToken']['type']})"
    elif "customerIdentifier" in customer:
        who = f"customer {customer['customerIdentifier']}"
    else:
        who = f"holder of certificate serial {customer['customerCertificate']['serialNumber']}"
    text = f"{who}: 2 transactions, last use {now_iso()[:10]}"
    return text + "; data cleared" if cleared else text


async def notify_customer_information(station: "Station", request_id: int, data: str,
                                      step: int | str | None) -> dict:
    return await station.send("NotifyCustomerInformation", {
        "data": data, "seqNo": 0, "tbc": False, "generatedAt": now_iso(), "requestId": request_id}, step)
