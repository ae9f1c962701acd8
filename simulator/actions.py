"""The catalogue of operator actions: what a case may ask the CSMS to do, and how a person reads it.

Each builder returns an :class:`~simulator.operator.Action` whose ``name`` and ``params`` form the
JSON action documented in the README (``{"action", "stationId", "params"}``); ``text`` is the
instruction the manual operator prints. Parameters use OCPP field names.
"""
from __future__ import annotations

import json
from typing import Any

from .operator import Action


def _cv(component: str, variable: str, instance: str | None = None, evse: int | None = None,
        connector: int | None = None) -> dict[str, Any]:
    comp: dict[str, Any] = {"name": component}
    if evse is not None:
        comp["evse"] = {"id": evse} if connector is None else {"id": evse, "connectorId": connector}
    var: dict[str, Any] = {"name": variable}
    if instance:
        var["instance"] = instance
    return {"component": comp, "variable": var}


def _name(cv: dict[str, Any]) -> str:
    inst = cv["variable"].get("instance")
    evse = cv["component"].get("evse")
    where = f" of EVSE {evse['id']}" if evse else ""
    return f"{cv['component']['name']}.{cv['variable']['name']}{f'[{inst}]' if inst else ''}{where}"


def boot_response(station: str, status: str, count: int = 1) -> Action:
    return Action("SetBootResponse", station, {"status": status, "count": count},
                  f"make the CSMS answer the next {count} BootNotificationRequest(s) of {station} with "
                  f"{status}, and later ones with Accepted", confirm=True)


def get_variables(station: str, items: list[dict[str, Any]]) -> Action:
    return Action("GetVariables", station, {"getVariableData": items},
                  "get these variables: " + ", ".join(_name(i) for i in items))


def set_variables(station: str, items: list[dict[str, Any]]) -> Action:
    return Action("SetVariables", station, {"setVariableData": items},
                  "set " + ", ".join(f"{_name(i)} to {i['attributeValue']!r}" for i in items))


def set_basic_auth_password(station: str, password: str) -> Action:
    return Action("SetBasicAuthPassword", station, {"password": password},
                  "set a new BasicAuthPassword on the station (suggested value in params)")


def get_base_report(station: str, report_base: str) -> Action:
    return Action("GetBaseReport", station, {"reportBase": report_base},
                  f"retrieve a {report_base} base report")


def get_report(station: str, criteria: list[str] | None, component_variables: list[dict[str, Any]]) -> Action:
    params: dict[str, Any] = {"componentVariable": component_variables}
    if criteria:
        params["componentCriteria"] = criteria
    return Action("GetReport", station, params,
                  f"get a custom report of {', '.join(_name(c) for c in component_variables)} with "
                  f"component criteria {criteria}")


def reset(station: str, reset_type: str, evse: int | None = None) -> Action:
    params: dict[str, Any] = {"type": reset_type}
    if evse is not None:
        params["evseId"] = evse
    target = f"EVSE {evse}" if evse is not None else "the Charging Station"
    return Action("Reset", station, params, f"reset {target} with type {reset_type}")


def set_network_profile(station: str, slot: int, connection_data: dict[str, Any]) -> Action:
    return Action("SetNetworkProfile", station, {"configurationSlot": slot, "connectionData": connection_data},
                  f"set network connection profile slot {slot}: {json.dumps(connection_data)}")


def trigger_message(station: str, requested: str, evse: int | None = None) -> Action:
    params: dict[str, Any] = {"requestedMessage": requested}
    if evse is not None:
        params["evse"] = {"id": evse}
    return Action("TriggerMessage", station, params, f"trigger a {requested} message at the station")


def renew_certificate(station: str, certificate_type: str) -> Action:
    """certificate_type: ChargingStationCertificate, V2GCertificate or Combined."""
    return Action("RenewCertificate", station, {"certificateType": certificate_type},
                  f"renew the {certificate_type} of the station (TriggerMessage, then sign its CSR)")


def request_stop_transaction(station: str, transaction_id: str) -> Action:
    return Action("RequestStopTransaction", station, {"transactionId": transaction_id},
                  f"remote-stop transaction {transaction_id}")


def request_start_transaction(station: str, id_token: dict[str, Any], evse: int | None = None,
                              **extra: Any) -> Action:
    params: dict[str, Any] = {"idToken": id_token, **extra}
    if evse is not None:
        params["evseId"] = evse
    return Action("RequestStartTransaction", station, params,
                  f"remote-start a transaction for {id_token['idToken']} on EVSE {evse}")


def get_transaction_status(station: str, transaction_id: str | None = None) -> Action:
    params = {"transactionId": transaction_id} if transaction_id else {}
    what = f"of transaction {transaction_id}" if transaction_id else "of the station without a transaction id"
    return Action("GetTransactionStatus", station, params, f"request the transaction status {what}")


def generic(name: str, station: str, text: str, confirm: bool = False, **params: Any) -> Action:
    """Any other documented action (blocks C-O): name and params as in the README."""
    return Action(name, station, params, text, confirm)


cv = _cv
