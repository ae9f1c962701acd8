"""The catalogue of operator actions: what a case may ask the CSMS to do, and how a person reads it.

Each builder returns an :class:`~simulator.operator.Action` whose ``name`` and ``params`` form the
JSON action documented in the README (``{"action", "stationId", "params"}``); ``text`` is the
instruction the manual operator prints. Parameters use OCPP field names.
"""
from __future__ import annotations

import json
from typing import Any

from .checks import ABSENT, Rule
from .operator import Action
from .protocol import request_fields


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


def _key(cv: dict[str, Any]) -> tuple[Any, ...]:
    """Identity of a component/variable entry: names, instance and EVSE (attribute values excluded)."""
    comp, var = cv.get("component", {}), cv.get("variable", {})
    evse = comp.get("evse") or {}
    return comp.get("name"), comp.get("instance"), evse.get("id"), evse.get("connectorId"), \
        var.get("name"), var.get("instance")


def only_these(items: list[dict[str, Any]]) -> Rule:
    """The request's entries name only the asked component/variables (a CSMS may split them over
    several requests, e.g. by ItemsPerMessage)."""
    asked = {_key(i) for i in items}
    names = ", ".join(_name(i) for i in items)
    return Rule(f"entries among [{names}]",
                lambda entries: bool(entries) and all(_key(e) in asked for e in entries))


def exactly_these(items: list[dict[str, Any]]) -> Rule:
    """The request's entries name exactly the asked component/variables (values are checked by the case)."""
    asked = sorted(map(repr, (_key(i) for i in items)))
    names = ", ".join(_name(i) for i in items)
    return Rule(f"entries [{names}]", lambda entries: sorted(repr(_key(e)) for e in entries) == asked)


def boot_response(station: str, status: str, count: int = 1) -> Action:
    return Action("SetBootResponse", station, {"status": status, "count": count},
                  f"make the CSMS answer the next {count} BootNotificationRequest(s) of {station} with "
                  f"{status}, and later ones with Accepted", confirm=True)


def get_variables(station: str, items: list[dict[str, Any]]) -> Action:
    return Action("GetVariables", station, {"getVariableData": items},
                  "get these variables: " + ", ".join(_name(i) for i in items),
                  request="GetVariables", identity={"getVariableData": only_these(items)})


def set_variables(station: str, items: list[dict[str, Any]]) -> Action:
    return Action("SetVariables", station, {"setVariableData": items},
                  "set " + ", ".join(f"{_name(i)} to {i['attributeValue']!r}" for i in items),
                  request="SetVariables", identity={"setVariableData": exactly_these(items)})


def set_basic_auth_password(station: str, password: str) -> Action:
    return Action("SetBasicAuthPassword", station, {"password": password},
                  "set a new BasicAuthPassword on the station (suggested value in params)",
                  request="SetVariables",
                  identity={"setVariableData": exactly_these([_cv("SecurityCtrlr", "BasicAuthPassword")])})


def get_base_report(station: str, report_base: str) -> Action:
    return Action("GetBaseReport", station, {"reportBase": report_base},
                  f"retrieve a {report_base} base report",
                  request="GetBaseReport", identity={"reportBase": report_base})


def get_report(station: str, criteria: list[str] | None, component_variables: list[dict[str, Any]]) -> Action:
    params: dict[str, Any] = {"componentVariable": component_variables}
    if criteria:
        params["componentCriteria"] = criteria
    return Action("GetReport", station, params,
                  f"get a custom report of {', '.join(_name(c) for c in component_variables)} with "
                  f"component criteria {criteria}",
                  request="GetReport", identity={"componentVariable": exactly_these(component_variables)})


def reset(station: str, reset_type: str, evse: int | None = None) -> Action:
    params: dict[str, Any] = {"type": reset_type}
    if evse is not None:
        params["evseId"] = evse
    target = f"EVSE {evse}" if evse is not None else "the Charging Station"
    return Action("Reset", station, params, f"reset {target} with type {reset_type}",
                  request="Reset", identity={"type": reset_type})


def set_network_profile(station: str, slot: int, connection_data: dict[str, Any]) -> Action:
    return Action("SetNetworkProfile", station, {"configurationSlot": slot, "connectionData": connection_data},
                  f"set network connection profile slot {slot}: {json.dumps(connection_data)}",
                  request="SetNetworkProfile",
                  identity={"connectionData.securityProfile": connection_data.get("securityProfile")})


def trigger_message(station: str, requested: str, evse: int | None = None,
                    connector: int | None = None) -> Action:
    """F06: the request is told apart by requestedMessage (and the EVSE when one is asked); the
    connector is checked by the case."""
    params: dict[str, Any] = {"requestedMessage": requested}
    if evse is not None:
        params["evse"] = {"id": evse} if connector is None else {"id": evse, "connectorId": connector}
    identity: dict[str, Any] = {"requestedMessage": requested}
    if evse is not None:
        identity["evse.id"] = evse
    where = "" if evse is None else f" for EVSE {evse}" + ("" if connector is None else f" connector {connector}")
    return Action("TriggerMessage", station, params, f"trigger a {requested} message at the station{where}",
                  request="TriggerMessage", identity=identity)


def renew_certificate(station: str, certificate_type: str) -> Action:
    """certificate_type: ChargingStationCertificate, V2GCertificate or Combined."""
    return Action("RenewCertificate", station, {"certificateType": certificate_type},
                  f"renew the {certificate_type} of the station (TriggerMessage, then sign its CSR)",
                  request="TriggerMessage", identity={"requestedMessage": SIGN_MESSAGE[certificate_type]})


def request_stop_transaction(station: str, transaction_id: str) -> Action:
    return Action("RequestStopTransaction", station, {"transactionId": transaction_id},
                  f"remote-stop transaction {transaction_id}",
                  request="RequestStopTransaction", identity={"transactionId": transaction_id})


def request_start_transaction(station: str, id_token: dict[str, Any], evse: int | None = None,
                              **extra: Any) -> Action:
    """F01/F02: told apart by the idToken; type, EVSE and remoteStartId are checked by the case."""
    params: dict[str, Any] = {"idToken": id_token, **extra}
    if evse is not None:
        params["evseId"] = evse
    return Action("RequestStartTransaction", station, params,
                  f"remote-start a transaction for {id_token['idToken']} on EVSE {evse}",
                  request="RequestStartTransaction", identity={"idToken.idToken": id_token["idToken"]})


def unlock_connector(station: str, evse: int, connector: int) -> Action:
    """F05: nothing but the operator asks a CSMS to unlock; EVSE and connector are checked by the case."""
    return Action("UnlockConnector", station, {"evseId": evse, "connectorId": connector},
                  f"unlock connector {connector} of EVSE {evse}", request="UnlockConnector", identity={})


def change_availability(station: str, operational_status: str, evse: int | None = None,
                        connector: int | None = None) -> Action:
    """G03/G04: the station (no evse), an EVSE (evse.id) or a connector (evse.id and connectorId).
    Only the operator makes a CSMS change availability, so the request's kind identifies it; status
    and level are checked by the case (a wrong one fails naming the field)."""
    params: dict[str, Any] = {"operationalStatus": operational_status}
    if evse is not None:
        params["evse"] = {"id": evse} if connector is None else {"id": evse, "connectorId": connector}
    target = ("the Charging Station" if evse is None else f"EVSE {evse}" if connector is None
              else f"connector {connector} of EVSE {evse}")
    return Action("ChangeAvailability", station, params, f"make {target} {operational_status}",
                  request="ChangeAvailability", identity={})


def reserve_now(station: str, id_token: dict[str, Any], expiry_seconds: float, evse: int | None = None,
                connector_type: str | None = None, group_id_token: dict[str, Any] | None = None) -> Action:
    """H01: the CSMS chooses the reservation id and sets expiryDateTime = now + expiry_seconds. Told
    apart by the idToken; EVSE, connector type, group and expiry are checked by the case."""
    params: dict[str, Any] = {"idToken": id_token, "expirySeconds": expiry_seconds}
    what = "any EVSE"
    if evse is not None:
        params["evseId"] = evse
        what = f"EVSE {evse}"
    if connector_type is not None:
        params["connectorType"] = connector_type
        what += f" with a {connector_type} connector"
    if group_id_token is not None:
        params["groupIdToken"] = group_id_token
    group = f" and group {group_id_token['idToken']}" if group_id_token else ""
    return Action("ReserveNow", station, params,
                  f"reserve {what} for {id_token['idToken']}{group}, expiring in {expiry_seconds:g} s",
                  request="ReserveNow", identity={"idToken.idToken": id_token["idToken"]})


def cancel_reservation(station: str, reservation_id: int) -> Action:
    """H02: only the operator makes a CSMS cancel; the reservationId is checked by the case."""
    return Action("CancelReservation", station, {"reservationId": reservation_id},
                  f"cancel reservation {reservation_id}", request="CancelReservation", identity={})


def get_transaction_status(station: str, transaction_id: str | None = None) -> Action:
    params = {"transactionId": transaction_id} if transaction_id else {}
    what = f"of transaction {transaction_id}" if transaction_id else "of the station without a transaction id"
    return Action("GetTransactionStatus", station, params, f"request the transaction status {what}",
                  request="GetTransactionStatus", identity={"transactionId": transaction_id or ABSENT})


def generic(name: str, station: str, text: str, identity: dict[str, Any] | None = None,
            request: str | None = None, **params: Any) -> Action:
    """Any other documented action whose OCPP request has the action's name (blocks C-O): name and
    params as in the README. ``identity`` (path -> value) says which request of that kind is the
    step's; without it the request's top-level fields must equal the params (a busy CSMS's own
    requests of the same kind then do not count)."""
    if identity is None:
        fields = request_fields(name if request is None else request)
        identity = {k: v for k, v in params.items() if k in fields}
    return Action(name, station, params, text, request=name if request is None else request,
                  identity=identity)


SIGN_MESSAGE = {"ChargingStationCertificate": "SignChargingStationCertificate",
                "V2GCertificate": "SignV2GCertificate", "Combined": "SignCombinedCertificate"}

cv = _cv
