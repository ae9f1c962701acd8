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


def trigger_message(station: str, requested: str, evse: int | None = None) -> Action:
    params: dict[str, Any] = {"requestedMessage": requested}
    if evse is not None:
        params["evse"] = {"id": evse}
    identity: dict[str, Any] = {"requestedMessage": requested}
    if evse is not None:
        identity["evse.id"] = evse
    return Action("TriggerMessage", station, params, f"trigger a {requested} message at the station",
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
    params: dict[str, Any] = {"idToken": id_token, **extra}
    if evse is not None:
        params["evseId"] = evse
    return Action("RequestStartTransaction", station, params,
                  f"remote-start a transaction for {id_token['idToken']} on EVSE {evse}",
                  request="RequestStartTransaction", identity={"idToken.idToken": id_token["idToken"]})


def get_transaction_status(station: str, transaction_id: str | None = None) -> Action:
    params = {"transactionId": transaction_id} if transaction_id else {}
    what = f"of transaction {transaction_id}" if transaction_id else "of the station without a transaction id"
    return Action("GetTransactionStatus", station, params, f"request the transaction status {what}",
                  request="GetTransactionStatus", identity={"transactionId": transaction_id or ABSENT})


# ---------------------------------------------------------------- firmware (L)
def update_firmware(station: str, location: str, signing_certificate: str, signature: str,
                    retrieve_date_time: str, install_date_time: str | None = None) -> Action:
    """L01: a secure firmware update; the CSMS sends its requestId and the signing certificate and
    signature it holds for that firmware (the params name them so a person can compare)."""
    firmware: dict[str, Any] = {"location": location, "retrieveDateTime": retrieve_date_time,
                                "signingCertificate": signing_certificate, "signature": signature}
    if install_date_time:
        firmware["installDateTime"] = install_date_time
    when = f", install at {install_date_time}" if install_date_time else ""
    return Action("UpdateFirmware", station, {"firmware": firmware},
                  f"update the firmware from {location} (retrieve at {retrieve_date_time}{when}) with its "
                  f"signing certificate and signature",
                  request="UpdateFirmware", identity={"firmware.location": location})


def publish_firmware(station: str, location: str, checksum: str) -> Action:
    """L03: the station, as Local Controller, publishes the firmware file at ``location``."""
    return Action("PublishFirmware", station, {"location": location, "checksum": checksum},
                  f"publish the firmware at {location} (MD5 {checksum}) on the Local Controller",
                  request="PublishFirmware", identity={"location": location})


def unpublish_firmware(station: str, checksum: str) -> Action:
    """L04: the Local Controller stops publishing the firmware with that checksum."""
    return Action("UnpublishFirmware", station, {"checksum": checksum},
                  f"unpublish the firmware with MD5 {checksum} from the Local Controller",
                  request="UnpublishFirmware", identity={})


# ---------------------------------------------------------------- certificates (M)
def install_certificate(station: str, certificate_type: str, certificate: str) -> Action:
    """M05: install the PEM certificate under that type (InstallCertificate is no request a CSMS
    sends on its own: the request's kind identifies it; the case checks type and certificate)."""
    return Action("InstallCertificate", station, {"certificateType": certificate_type, "certificate": certificate},
                  f"install the given {certificate_type} certificate on the station",
                  request="InstallCertificate", identity={})


def get_installed_certificate_ids(station: str, certificate_types: list[str] | None) -> Action:
    """M03: retrieve the installed certificates of these types (all types when None)."""
    params: dict[str, Any] = {"certificateType": certificate_types} if certificate_types else {}
    what = ", ".join(certificate_types) if certificate_types else "all types (no certificateType)"
    return Action("GetInstalledCertificateIds", station, params,
                  f"retrieve the installed certificates of {what} in one request",
                  request="GetInstalledCertificateIds", identity={})


def delete_certificate(station: str, certificate_type: str, certificate: str) -> Action:
    """M04: delete that certificate: the CSMS asks for the installed certificate ids first
    (the request this action names), then sends DeleteCertificateRequest with the hash data the
    station reported for it (M04.FR.07)."""
    return Action("DeleteCertificate", station, {"certificateType": certificate_type, "certificate": certificate},
                  f"delete the given {certificate_type} certificate from the station",
                  request="GetInstalledCertificateIds", identity={})


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
