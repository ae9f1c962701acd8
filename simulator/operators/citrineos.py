"""CitrineOS 1.8 driven through its own REST API: ``CSMS_OPERATOR=citrineos``.

Written from CitrineOS's public source (citrineos-core, the v1.8 line): every OCPP request a CSMS
sends has a "message" endpoint, ``POST {CITRINEOS_URL}/ocpp/2.0.1/<module>/<action>?identifier=<station
id>&tenantId=<tenant>``, whose body is the OCPP request itself (validated against the OCPP schema;
unknown fields are dropped) and whose answer is a list of ``{"success", "payload"}`` confirmations
(HTTP 200 also when ``success`` is false: the request was not sent, the payload says why). Some
actions go through its ``/data/...`` endpoints instead (boot status, BasicAuth password, local list
version). CitrineOS takes the ids a CSMS chooses (requestId, reservation, remoteStartId, profile and
message ids) from the body, so this operator chooses them.

What its API cannot do is listed in the README ("The CitrineOS operator") and raises
NotImplementedError here, so the step falls back to a person at the terminal or fails naming it.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from typing import Any

from simulator.operators.interface import (ActionRefused, Answer, CertificateHashData, ChargingProfile,
                                           ChargingProfileCriterion, ClearChargingProfileCriteria,
                                           ComponentVariable, CsmsOperator, Evse, Firmware, GetVariableData, IdToken,
                                           MessageContent, NetworkConnectionProfile, SetMonitoringData,
                                           SetVariableData)
from simulator.verdicts.trace import redact

#: the module (endpoint prefix of CitrineOS's default configuration) that serves each message endpoint
MODULES = {
    "certificates": ("InstallCertificate", "GetInstalledCertificateIds", "DeleteCertificate", "CertificateSigned"),
    "configuration": ("SetNetworkProfile", "ClearDisplayMessage", "GetDisplayMessages", "PublishFirmware",
                      "SetDisplayMessage", "UnpublishFirmware", "UpdateFirmware", "Reset", "ChangeAvailability",
                      "TriggerMessage", "DataTransfer"),
    "evdriver": ("RequestStartTransaction", "RequestStopTransaction", "CancelReservation", "ReserveNow",
                 "UnlockConnector", "ClearCache", "SendLocalList", "GetLocalListVersion"),
    "monitoring": ("SetVariableMonitoring", "ClearVariableMonitoring", "SetMonitoringLevel", "SetMonitoringBase",
                   "SetVariables", "GetVariables"),
    "reporting": ("GetBaseReport", "GetReport", "GetMonitoringReport", "GetLog", "CustomerInformation"),
    "smartcharging": ("ClearChargingProfile", "GetChargingProfiles", "SetChargingProfile", "GetCompositeSchedule"),
    "transactions": ("CostUpdated", "GetTransactionStatus"),
}
MODULE_OF = {action: module for module, names in MODULES.items() for action in names}
#: endpoints whose handler answers one confirmation where the route's response schema says a list:
#: Fastify cannot serialise it and answers HTTP 500 after the request went out
SINGLE_ANSWER = ("GetReport", "GetMonitoringReport")
SIGN_MESSAGE = {"ChargingStationCertificate": "SignChargingStationCertificate",
                "V2GCertificate": "SignV2GCertificate", "Combined": "SignCombinedCertificate"}
#: ids of the CSMS's own (requestId, reservation id, …): increasing, and new across runs
_ids = itertools.count(int(time.time()) % 1_000_000_000)


def own_id() -> int:
    return next(_ids)


def path_of(action: str) -> str:
    """The message endpoint of an OCPP action: ``/ocpp/2.0.1/evdriver/unlockConnector``."""
    return f"/ocpp/2.0.1/{MODULE_OF[action]}/{action[0].lower()}{action[1:]}"


def given(**fields: Any) -> dict[str, Any]:
    """The fields that have a value (OCPP leaves optional fields out rather than null)."""
    return {k: v for k, v in fields.items() if v is not None}


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return redact(text)[:300]


class CitrineOsOperator(CsmsOperator):
    """The 41 actions through CitrineOS 1.8's REST API, except those its API cannot do."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.base = settings.CITRINEOS_URL
        self.tenant = settings.CITRINEOS_TENANT_ID
        self.token = settings.CITRINEOS_API_TOKEN
        self.timeout = settings.CSMS_ACTION_TIMEOUT

    # ---------------------------------------------------------------- the two kinds of endpoint
    async def send(self, station_id: str, action: str, body: dict[str, Any]) -> Answer:
        """POST the OCPP request to its message endpoint; refused when a confirmation says it was not sent."""
        query = {"identifier": station_id, "tenantId": self.tenant}
        status, answer = await self.http("POST", path_of(action), query, body, action)
        if status == 500 and action in SINGLE_ANSWER and "does not match schema definition" in _text(answer):
            return {"sent": action, "note": "CitrineOS answered HTTP 500: its answer does not fit its own schema"}
        confirmations = answer if isinstance(answer, list) else [answer]
        for confirmation in confirmations:
            if isinstance(confirmation, dict) and confirmation.get("success") is False:
                raise ActionRefused(f"CitrineOS did not send {action}Request: "
                                    f"{_text(confirmation.get('payload'))}")
        return {"sent": action, "confirmations": confirmations}

    async def http(self, method: str, path: str, query: dict[str, Any], body: Any = None,
                   action: str = "") -> tuple[int, Any]:
        """One request to CitrineOS: (status, JSON answer). A status that is neither 2xx nor the
        500 of :data:`SINGLE_ANSWER` is a refusal naming status and answer."""
        url = f"{self.base}{path}?{urllib.parse.urlencode(query)}"
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        return await asyncio.to_thread(self._open, request, action)

    def _open(self, request: urllib.request.Request, action: str) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, _json(response.read())
        except urllib.error.HTTPError as e:
            answer = _json(e.read())
            if e.code == 500 and action in SINGLE_ANSWER:
                return e.code, answer
            hint = " (set CITRINEOS_API_TOKEN)" if e.code in (401, 403) else ""
            raise ActionRefused(f"CitrineOS answered {request.get_method()} {request.full_url.split('?')[0]} "
                                f"with HTTP {e.code}{hint}: {_text(answer)}") from None
        except (urllib.error.URLError, OSError) as e:
            raise OSError(f"cannot reach CitrineOS at {self.base} (CITRINEOS_URL): "
                          f"{getattr(e, 'reason', e)}") from None

    # ---------------------------------------------------------------- B: provisioning
    async def set_boot_response(self, station_id: str, status: str, count: int) -> Answer:
        if status != "Pending" or count != 1:
            raise NotImplementedError("CitrineOS keeps a station's boot status until it is changed; only "
                                      "'Pending once, then Accepted' has an API: its boot configuration")
        # Pending with a base report to fetch: CitrineOS answers Pending, gets the report, then
        # (autoAccept, its default) stores Accepted for the next boot
        await self.http("PUT", "/data/configuration/boot", {"stationId": station_id, "tenantId": self.tenant},
                        {"status": "Pending", "getBaseReportOnPending": True})
        return {"boot": "Pending"}

    async def get_variables(self, station_id: str, get_variable_data: list[GetVariableData]) -> Answer:
        return await self.send(station_id, "GetVariables", {"getVariableData": get_variable_data})

    async def set_variables(self, station_id: str, set_variable_data: list[SetVariableData]) -> Answer:
        return await self.send(station_id, "SetVariables", {"setVariableData": set_variable_data})

    async def get_base_report(self, station_id: str, report_base: str) -> Answer:
        return await self.send(station_id, "GetBaseReport", {"requestId": own_id(), "reportBase": report_base})

    async def get_report(self, station_id: str, component_variable: list[ComponentVariable],
                         component_criteria: list[str] | None = None) -> Answer:
        return await self.send(station_id, "GetReport", given(requestId=own_id(), componentVariable=component_variable,
                                                              componentCriteria=component_criteria))

    async def reset(self, station_id: str, type: str, evse_id: int | None = None) -> Answer:
        return await self.send(station_id, "Reset", given(type=type, evseId=evse_id))

    async def set_network_profile(self, station_id: str, configuration_slot: int,
                                  connection_data: NetworkConnectionProfile) -> Answer:
        return await self.send(station_id, "SetNetworkProfile",
                               {"configurationSlot": configuration_slot, "connectionData": connection_data})

    # ---------------------------------------------------------------- A: security
    async def set_basic_auth_password(self, station_id: str, password: str) -> Answer:
        # setOnCharger false: CitrineOS sends the SetVariablesRequest itself and stores the password
        # once the station accepts it; the call returns after the station's answer
        _, answer = await self.http("POST", "/data/configuration/password", {"tenantId": self.tenant},
                                    {"stationId": station_id, "password": password, "setOnCharger": False})
        if isinstance(answer, dict) and answer.get("success") is False and \
                answer.get("payload") in ("Invalid password", "Password is required when setOnCharger is true"):
            raise ActionRefused(f"CitrineOS refused the password: {answer['payload']}")
        return answer if isinstance(answer, dict) else {"answer": answer}  # a station's Rejected is no refusal

    async def renew_certificate(self, station_id: str, certificate_type: str) -> Answer:
        # CitrineOS signs the CSR that follows with its configured chargingStationCA
        return await self.send(station_id, "TriggerMessage", {"requestedMessage": SIGN_MESSAGE[certificate_type]})

    async def restore_security_profile(self, station_id: str, security_profile: int) -> Answer:
        raise NotImplementedError("CitrineOS derives a station's security profile from its network profiles; "
                                  "its API has no call that registers a station at a profile")

    # ---------------------------------------------------------------- C, D: authorization and local list
    async def clear_cache(self, station_id: str) -> Answer:
        return await self.send(station_id, "ClearCache", {})

    async def send_local_list(self, station_id: str, update_type: str, id_tokens: list[IdToken] | None = None,
                              remove: list[IdToken] | None = None) -> Answer:
        _, held = await self.http("GET", "/data/evdriver/localListVersion",
                                  {"stationId": station_id, "tenantId": self.tenant})
        version = held.get("versionNumber", 0) if isinstance(held, dict) else 0
        entries = [{"idToken": t, "idTokenInfo": {"status": "Accepted"}} for t in id_tokens or []]
        entries += [{"idToken": t} for t in remove or []]
        return await self.send(station_id, "SendLocalList", given(
            versionNumber=int(version or 0) + 1, updateType=update_type, localAuthorizationList=entries or None))

    async def get_local_list_version(self, station_id: str) -> Answer:
        return await self.send(station_id, "GetLocalListVersion", {})

    # ---------------------------------------------------------------- E, F: transactions and remote control
    async def get_transaction_status(self, station_id: str, transaction_id: str | None = None) -> Answer:
        return await self.send(station_id, "GetTransactionStatus", given(transactionId=transaction_id))

    async def request_start_transaction(self, station_id: str, id_token: IdToken, evse_id: int | None = None,
                                        remote_start_id: int | None = None, group_id_token: IdToken | None = None,
                                        charging_profile: ChargingProfile | None = None) -> Answer:
        profile = None if charging_profile is None else {"id": own_id(), **charging_profile}
        return await self.send(station_id, "RequestStartTransaction", given(
            idToken=id_token, remoteStartId=own_id() if remote_start_id is None else remote_start_id,
            evseId=evse_id, groupIdToken=group_id_token, chargingProfile=profile))

    async def request_stop_transaction(self, station_id: str, transaction_id: str) -> Answer:
        return await self.send(station_id, "RequestStopTransaction", {"transactionId": transaction_id})

    async def unlock_connector(self, station_id: str, evse_id: int, connector_id: int) -> Answer:
        return await self.send(station_id, "UnlockConnector", {"evseId": evse_id, "connectorId": connector_id})

    async def trigger_message(self, station_id: str, requested_message: str, evse: Evse | None = None) -> Answer:
        return await self.send(station_id, "TriggerMessage", given(requestedMessage=requested_message, evse=evse))

    # ---------------------------------------------------------------- G, H: availability and reservation
    async def change_availability(self, station_id: str, operational_status: str, evse: Evse | None = None) -> Answer:
        return await self.send(station_id, "ChangeAvailability", given(operationalStatus=operational_status, evse=evse))

    async def reserve_now(self, station_id: str, id_token: IdToken, expiry_seconds: float, evse_id: int | None = None,
                          connector_type: str | None = None, group_id_token: IdToken | None = None) -> Answer:
        expiry = datetime.now(timezone.utc) + timedelta(seconds=expiry_seconds)
        return await self.send(station_id, "ReserveNow", given(
            id=own_id(), expiryDateTime=expiry.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            idToken=id_token, evseId=evse_id, connectorType=connector_type, groupIdToken=group_id_token))

    async def cancel_reservation(self, station_id: str, reservation_id: int) -> Answer:
        return await self.send(station_id, "CancelReservation", {"reservationId": reservation_id})

    # ---------------------------------------------------------------- K: smart charging
    async def set_charging_profile(self, station_id: str, evse_id: int, charging_profile: ChargingProfile) -> Answer:
        # a TxProfile without transactionId goes as it is: CitrineOS refuses it (K01.FR.03), and its
        # REST API has no query for the EVSE's ongoing transaction
        return await self.send(station_id, "SetChargingProfile",
                               {"evseId": evse_id, "chargingProfile": {"id": own_id(), **charging_profile}})

    async def clear_charging_profile(self, station_id: str, charging_profile_id: int | None = None,
                                     charging_profile_criteria: ClearChargingProfileCriteria | None = None) -> Answer:
        return await self.send(station_id, "ClearChargingProfile", given(
            chargingProfileId=charging_profile_id, chargingProfileCriteria=charging_profile_criteria))

    async def get_charging_profiles(self, station_id: str, charging_profile: ChargingProfileCriterion,
                                    evse_id: int | None = None) -> Answer:
        return await self.send(station_id, "GetChargingProfiles", given(
            requestId=own_id(), evseId=evse_id, chargingProfile=charging_profile))

    async def get_composite_schedule(self, station_id: str, evse_id: int, duration: int,
                                     charging_rate_unit: str) -> Answer:
        return await self.send(station_id, "GetCompositeSchedule",
                               {"evseId": evse_id, "duration": duration, "chargingRateUnit": charging_rate_unit})

    # ---------------------------------------------------------------- L: firmware
    async def update_firmware(self, station_id: str, firmware: Firmware) -> Answer:
        return await self.send(station_id, "UpdateFirmware", {"requestId": own_id(), "firmware": firmware})

    async def publish_firmware(self, station_id: str, location: str, checksum: str) -> Answer:
        return await self.send(station_id, "PublishFirmware",
                               {"location": location, "checksum": checksum, "requestId": own_id()})

    async def unpublish_firmware(self, station_id: str, checksum: str) -> Answer:
        return await self.send(station_id, "UnpublishFirmware", {"checksum": checksum})

    # ---------------------------------------------------------------- M: certificates
    async def install_certificate(self, station_id: str, certificate_type: str, certificate: str) -> Answer:
        return await self.send(station_id, "InstallCertificate",
                               {"certificateType": certificate_type, "certificate": certificate})

    async def get_installed_certificate_ids(self, station_id: str,
                                            certificate_type: list[str] | None = None) -> Answer:
        return await self.send(station_id, "GetInstalledCertificateIds", given(certificateType=certificate_type))

    async def delete_certificate(self, station_id: str, certificate_type: str, certificate: str) -> Answer:
        raise NotImplementedError("CitrineOS stores the hash data a station reports, but its REST API has no "
                                  "endpoint that returns them, and DeleteCertificate needs exactly those")

    # ---------------------------------------------------------------- N: diagnostics and monitoring
    async def get_log(self, station_id: str, log_type: str, remote_location: str) -> Answer:
        return await self.send(station_id, "GetLog", {"requestId": own_id(), "logType": log_type,
                                                      "log": {"remoteLocation": remote_location}})

    async def get_monitoring_report(self, station_id: str, monitoring_criteria: list[str] | None = None,
                                    component_variable: list[ComponentVariable] | None = None) -> Answer:
        if not component_variable:
            raise NotImplementedError("CitrineOS 1.8's getMonitoringReport endpoint fails (HTTP 500) without "
                                      "componentVariable")
        return await self.send(station_id, "GetMonitoringReport", given(
            requestId=own_id(), componentVariable=component_variable, monitoringCriteria=monitoring_criteria))

    async def set_monitoring_base(self, station_id: str, monitoring_base: str) -> Answer:
        return await self.send(station_id, "SetMonitoringBase", {"monitoringBase": monitoring_base})

    async def set_monitoring_level(self, station_id: str, severity: int) -> Answer:
        return await self.send(station_id, "SetMonitoringLevel", {"severity": severity})

    async def set_variable_monitoring(self, station_id: str, set_monitoring_data: list[SetMonitoringData]) -> Answer:
        return await self.send(station_id, "SetVariableMonitoring", {"setMonitoringData": set_monitoring_data})

    async def clear_variable_monitoring(self, station_id: str, id: list[int]) -> Answer:
        return await self.send(station_id, "ClearVariableMonitoring", {"id": id})

    async def customer_information(self, station_id: str, report: bool, clear: bool, id_token: IdToken | None = None,
                                   customer_identifier: str | None = None,
                                   customer_certificate: CertificateHashData | None = None) -> Answer:
        return await self.send(station_id, "CustomerInformation", given(
            requestId=own_id(), report=report, clear=clear, idToken=id_token,
            customerIdentifier=customer_identifier, customerCertificate=customer_certificate))

    # ---------------------------------------------------------------- O: display messages
    async def set_display_message(self, station_id: str, priority: str, message: MessageContent,
                                  state: str | None = None, transaction_id: str | None = None,
                                  start_date_time: str | None = None, end_date_time: str | None = None,
                                  id: int | None = None) -> Answer:
        info = given(id=own_id() if id is None else id, priority=priority, message=message, state=state,
                     transactionId=transaction_id, startDateTime=start_date_time, endDateTime=end_date_time)
        return await self.send(station_id, "SetDisplayMessage", {"message": info})

    async def get_display_messages(self, station_id: str, id: list[int] | None = None, priority: str | None = None,
                                   state: str | None = None) -> Answer:
        return await self.send(station_id, "GetDisplayMessages", given(requestId=own_id(), id=id, priority=priority,
                                                                       state=state))

    async def clear_display_message(self, station_id: str, id: int) -> Answer:
        return await self.send(station_id, "ClearDisplayMessage", {"id": id})


def _json(raw: bytes) -> Any:
    """CitrineOS's answer as JSON; an empty body (a data endpoint that found nothing) is None."""
    text = raw.decode(errors="replace").strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
