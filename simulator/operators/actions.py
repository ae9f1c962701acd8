"""The catalogue of operator actions: what a case may ask the CSMS to do, and how a person reads it.

Each builder returns an :class:`~simulator.operator.Action` whose ``name`` and ``params`` form the
JSON action documented in the README (``{"action", "stationId", "params"}``); ``text`` is the
instruction the manual operator prints. Parameters use OCPP field names.
"""
from __future__ import annotations

import json
from typing import Any

from simulator.verdicts.checks import ABSENT, PRESENT, OneOf, Rule
from simulator.operators.operator import Action
from simulator.wire.protocol import request_fields


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
    identity: dict[str, Any] = {"requestedMessage": requested, "evse": ABSENT} if evse is None else \
        {"requestedMessage": requested, "evse.id": evse}
    where = "" if evse is None else f" for EVSE {evse}" + ("" if connector is None else f" connector {connector}")
    return Action("TriggerMessage", station, params, f"trigger a {requested} message at the station{where}",
                  request="TriggerMessage", identity=identity)


def renew_certificate(station: str, certificate_type: str) -> Action:
    """certificate_type: ChargingStationCertificate, V2GCertificate or Combined."""
    return Action("RenewCertificate", station, {"certificateType": certificate_type},
                  f"renew the {certificate_type} of the station (TriggerMessage, then sign its CSR)",
                  request="TriggerMessage", identity={"requestedMessage": SIGN_MESSAGE[certificate_type]})


def restore_security_profile(station: str, profile: int) -> Action:
    """Not OCPP: the CSMS's administrator registers the station at ``profile`` again, undoing the
    upgrade a run made (TC_A_19's teardown), so the next run starts from the same state."""
    return Action("RestoreSecurityProfile", station, {"securityProfile": profile},
                  f"register station {station} at security profile {profile} again (undo TC_A_19's upgrade)",
                  confirm=True)


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


def set_charging_profile(station: str, evse: int, charging_profile: dict[str, Any], text: str = "") -> Action:
    """K01: the CSMS sets this profile on the EVSE (0 = the whole station); without id it chooses
    one (a stored profile of the same EVSE, purpose and stackLevel keeps its id); a TxProfile
    without transactionId gets the EVSE's ongoing transaction."""
    what = (f"{charging_profile['chargingProfilePurpose']} ({charging_profile['chargingProfileKind']}, stackLevel "
            f"{charging_profile['stackLevel']})")
    return Action("SetChargingProfile", station, {"evseId": evse, "chargingProfile": charging_profile},
                  text or f"set a {what} on {'the whole station (evseId 0)' if evse == 0 else f'EVSE {evse}'}: "
                          f"{json.dumps(charging_profile)}",
                  request="SetChargingProfile", identity={"evseId": evse})


def clear_charging_profile(station: str, profile_id: int | None = None,
                           criteria: dict[str, Any] | None = None) -> Action:
    """K10: clear the profile with this id, or the profiles matching the criteria (evseId,
    chargingProfilePurpose, stackLevel)."""
    params: dict[str, Any] = {}
    if profile_id is not None:
        params["chargingProfileId"] = profile_id
    if criteria is not None:
        params["chargingProfileCriteria"] = criteria
    text = (f"clear charging profile {profile_id} by its id only" if profile_id is not None
            else f"clear the charging profiles matching {json.dumps(criteria)} (no profile id)")
    key = "chargingProfileId" if profile_id is not None else "chargingProfileCriteria"
    return Action("ClearChargingProfile", station, params, text, request="ClearChargingProfile",
                  identity={key: PRESENT})


PROFILE_CRITERIA = ("chargingProfilePurpose", "stackLevel", "chargingProfileId", "chargingLimitSource")


def get_charging_profiles(station: str, criteria: dict[str, Any], evse: int | None = None) -> Action:
    """K09: ask for the installed profiles of the EVSE (all EVSEs when None) matching the criteria
    (chargingProfileId, stackLevel, chargingProfilePurpose, chargingLimitSource) with a requestId
    of the CSMS's own, then take the ReportChargingProfilesRequests. Told apart by exactly that
    evseId and those criteria (the others absent): a CSMS reads back every profile it sets with a
    GetChargingProfilesRequest of its own (K09 allows it any moment)."""
    params: dict[str, Any] = {"chargingProfile": criteria}
    if evse is not None:
        params["evseId"] = evse
    where = "the whole station (no evseId)" if evse is None else f"evseId {evse}"
    identity: dict[str, Any] = {"evseId": ABSENT if evse is None else evse}
    identity.update({f"chargingProfile.{name}": criteria.get(name, ABSENT) for name in PROFILE_CRITERIA})
    return Action("GetChargingProfiles", station, params,
                  f"request the charging profiles of {where} filtered only by {json.dumps(criteria)}",
                  request="GetChargingProfiles", identity=identity)


def get_composite_schedule(station: str, evse: int, duration: int, unit: str) -> Action:
    """K08: ask for the composite schedule of the EVSE (0 = the station) for duration s in unit;
    told apart by EVSE and duration (a CSMS may poll composite schedules on its own)."""
    return Action("GetCompositeSchedule", station, {"evseId": evse, "duration": duration, "chargingRateUnit": unit},
                  f"request the composite schedule of {'the whole station (evseId 0)' if evse == 0 else f'EVSE {evse}'} "
                  f"for {duration} s in {unit}", request="GetCompositeSchedule",
                  identity={"evseId": evse, "duration": duration})
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


def containing(types: list[str]) -> Rule:
    """A certificateType list that names every one of these types."""
    return Rule(f"a list containing {', '.join(types)}",
                lambda v: isinstance(v, list) and all(t in v for t in types))


def get_installed_certificate_ids(station: str, certificate_types: list[str] | None) -> Action:
    """M03: retrieve the installed certificates of these types (all types when None). Told apart by
    the types (a CSMS reads back the certificates after its own Install/DeleteCertificate)."""
    params: dict[str, Any] = {"certificateType": certificate_types} if certificate_types else {}
    what = ", ".join(certificate_types) if certificate_types else "all types (no certificateType)"
    return Action("GetInstalledCertificateIds", station, params,
                  f"retrieve the installed certificates of {what} in one request",
                  request="GetInstalledCertificateIds",
                  identity={"certificateType": containing(certificate_types) if certificate_types else ABSENT})


def delete_certificate(station: str, certificate_type: str, certificate: str) -> Action:
    """M04: delete that certificate: the CSMS asks for the installed certificate ids first
    (the request this action names), then sends DeleteCertificateRequest with the hash data the
    station reported for it (M04.FR.07)."""
    return Action("DeleteCertificate", station, {"certificateType": certificate_type, "certificate": certificate},
                  f"delete the given {certificate_type} certificate from the station",
                  request="GetInstalledCertificateIds",
                  identity={"certificateType": OneOf(ABSENT, containing([certificate_type]))})


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


# ---------------------------------------------------------------- block N: diagnostics and monitoring
def get_log(station: str, log_type: str, remote_location: str) -> Action:
    """N01: a GetLogRequest carries a requestId of the CSMS's own; nothing else identifies it, and a
    CSMS sends no log request unasked (logType and location are checked by the case)."""
    return Action("GetLog", station, {"logType": log_type, "remoteLocation": remote_location},
                  f"request a {log_type} upload to {remote_location}", request="GetLog", identity={})


def get_monitoring_report(station: str, criteria: list[str] | None = None,
                          component_variables: list[dict[str, Any]] | None = None) -> Action:
    """N02: identified by the asked criteria and component/variables (absent when not asked)."""
    params: dict[str, Any] = {}
    if criteria:
        params["monitoringCriteria"] = criteria
    if component_variables:
        params["componentVariable"] = component_variables
    what = ", ".join(_name(c) if "variable" in c else c["component"]["name"] for c in component_variables or [])
    identity: dict[str, Any] = {"monitoringCriteria": ABSENT, "componentVariable": ABSENT}  # a report of all
    if criteria or component_variables:  # a filtered report: the request includes what was asked
        identity = {}
        if criteria:
            identity["monitoringCriteria"] = Rule(f"including {criteria}", lambda got: all(c in got for c in criteria))
        if component_variables:
            asked = [_key(c) for c in component_variables]
            identity["componentVariable"] = Rule(
                f"entries including [{what}]", lambda got: all(k in [_key(e) for e in got] for k in asked))
    return Action("GetMonitoringReport", station, params,
                  f"request a monitoring report with criteria {criteria or 'none'} for "
                  f"{what or 'every component/variable'}", request="GetMonitoringReport", identity=identity)


def set_monitoring_base(station: str, base: str) -> Action:
    return Action("SetMonitoringBase", station, {"monitoringBase": base}, f"set the monitoring base to {base}",
                  request="SetMonitoringBase", identity={})


def set_monitoring_level(station: str, severity: int) -> Action:
    return Action("SetMonitoringLevel", station, {"severity": severity},
                  f"set the monitoring level to severity {severity}", request="SetMonitoringLevel", identity={})


def monitor(component: dict[str, Any], variable: dict[str, Any], kind: str, value: float,
            severity: int) -> dict[str, Any]:
    """One SetMonitoringData element (no id: a new monitor)."""
    return {"component": component, "variable": variable, "type": kind, "value": value, "severity": severity}


def set_variable_monitoring(station: str, data: list[dict[str, Any]]) -> Action:
    """N04: one request with exactly these monitors, in this order."""
    return Action("SetVariableMonitoring", station, {"setMonitoringData": data},
                  "install in one request, in this order: " + "; ".join(
                      f"{d['type']} monitor value {d['value']} severity {d['severity']} on {_name(d)}" for d in data),
                  request="SetVariableMonitoring", identity={})


def clear_variable_monitoring(station: str, ids: list[int]) -> Action:
    """N06: the CSMS may split the ids over several requests (ItemsPerMessage)."""
    return Action("ClearVariableMonitoring", station, {"id": ids}, f"clear the monitors with ids {ids}",
                  request="ClearVariableMonitoring", identity={})


def customer_information(station: str, customer: dict[str, Any], report: bool, clear: bool) -> Action:
    """N09/N10: ``customer`` is {"idToken": …} or {"customerIdentifier": …} or
    {"customerCertificate": …}; the request is identified by that customer reference (the idToken
    value, the identifier, the certificate's serial number in any case)."""
    key, value = next(iter(customer.items()))
    identity: dict[str, Any]
    if key == "idToken":
        identity = {"idToken.idToken": value["idToken"]}
    elif key == "customerIdentifier":
        identity = {"customerIdentifier": value}
    else:
        serial = value["serialNumber"]
        identity = {"customerCertificate.serialNumber": Rule(
            f"{serial!r} (any case)", lambda got: isinstance(got, str) and got.lower() == serial.lower())}
    what = " and ".join(w for w, asked in (("report", report), ("clear", clear)) if asked)
    return Action("CustomerInformation", station, {**customer, "report": report, "clear": clear},
                  f"{what} the customer information for {key} {json.dumps(value)}",
                  request="CustomerInformation", identity=identity)



# ---------------------------------------------------------------- block O: display messages
def set_display_message(station: str, priority: str, content: str, message_format: str, *,
                        message_id: int | None = None, **fields: Any) -> Action:
    """O01/O02/O06: ``fields`` are the other MessageInfo fields (state, transactionId,
    startDateTime, endDateTime); ``message_id`` replaces that message. The CSMS chooses the id of
    a new message; a CSMS sends no display message unasked."""
    params: dict[str, Any] = {"priority": priority, "message": {"format": message_format, "content": content},
                              **{k: v for k, v in fields.items() if v is not None}}
    if message_id is not None:
        params["id"] = message_id
    extra = "".join(f", {k} {v}" for k, v in fields.items() if v is not None)
    target = f"replace display message {message_id} with" if message_id is not None else "set"
    return Action("SetDisplayMessage", station, params,
                  f"{target} a display message: priority {priority}, format {message_format}, "
                  f"content {content!r}{extra}", request="SetDisplayMessage", identity={})


def get_display_messages(station: str, ids: list[int] | None = None, priority: str | None = None,
                         state: str | None = None) -> Action:
    """O03/O04: told apart by exactly the asked filter (the others absent): a CSMS reads back the
    messages it sets or clears with a GetDisplayMessagesRequest of its own."""
    params: dict[str, Any] = {k: v for k, v in (("id", ids), ("priority", priority), ("state", state)) if v}
    what = ", ".join(f"{k} {v}" for k, v in params.items()) or "all"
    return Action("GetDisplayMessages", station, params, f"request the display messages of the station ({what})",
                  request="GetDisplayMessages",
                  identity={key: params.get(key, ABSENT) for key in ("id", "priority", "state")})


def clear_display_message(station: str, message_id: int) -> Action:
    return Action("ClearDisplayMessage", station, {"id": message_id}, f"clear display message {message_id}",
                  request="ClearDisplayMessage", identity={})


# ---------------------------------------------------------------- authorization (blocks C, D)
def _token_text(id_tokens: list[dict[str, Any]]) -> str:
    return ", ".join(f"{t['idToken']}/{t['type']}" for t in id_tokens) or "no entries"


def lists_tokens(id_tokens: list[dict[str, Any]]) -> Rule:
    """localAuthorizationList names every one of these idTokens (idToken and type)."""
    wanted = [(t["idToken"], t["type"]) for t in id_tokens]
    return Rule(f"entries naming {_token_text(id_tokens)}",
                lambda entries: isinstance(entries, list) and all(
                    any((e.get("idToken") or {}).get("idToken") == i and (e.get("idToken") or {}).get("type") == t
                        for e in entries) for i, t in wanted))


def clear_cache(station: str) -> Action:
    return Action("ClearCache", station, {}, "clear the Authorization Cache of the station",
                  request="ClearCache", identity={})


def send_local_list(station: str, id_tokens: list[dict[str, Any]]) -> Action:
    """Install a Full Local Authorization List holding exactly these idTokens (none: empty the
    list); the CSMS gives each entry the idTokenInfo it stores and picks the version."""
    identity: dict[str, Any] = {"localAuthorizationList": lists_tokens(id_tokens) if id_tokens
                                else OneOf(ABSENT, [])}
    return Action("SendLocalList", station, {"updateType": "Full", "idTokens": id_tokens},
                  f"send the station a Full Local Authorization List with {_token_text(id_tokens)}",
                  request="SendLocalList", identity=identity)


def update_local_list(station: str, add: list[dict[str, Any]] | None = None,
                      remove: list[dict[str, Any]] | None = None) -> Action:
    """Change the station's Local Authorization List by a Differential update: add (or update) the
    ``add`` idTokens with their stored idTokenInfo, remove the ``remove`` ones."""
    add, remove = add or [], remove or []
    params: dict[str, Any] = {"updateType": "Differential"}
    text = []
    if add:
        params["idTokens"] = add
        text.append(f"add {_token_text(add)}")
    if remove:
        params["remove"] = remove
        text.append(f"remove {_token_text(remove)}")
    return Action("SendLocalList", station, params,
                  f"{' and '.join(text)} on the station's Local Authorization List as a differential update",
                  request="SendLocalList", identity={"localAuthorizationList": lists_tokens(add + remove)})


def get_local_list_version(station: str) -> Action:
    return Action("GetLocalListVersion", station, {}, "request the Local Authorization List version of the station",
                  request="GetLocalListVersion", identity={})
