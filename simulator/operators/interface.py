"""The operator interface: how the suite asks the CSMS under test to act, one async method per action.

A team drives its own CSMS through its own API by subclassing :class:`CsmsOperator` and overriding
the methods of the actions its API can do (``CSMS_OPERATOR=python:package.module:Class``; README,
"Your CSMS's own API: a Python operator"). This module is all such a class imports.

- Method names are the action names in snake_case (``UnlockConnector`` -> ``unlock_connector``); the
  first parameter is the station id, the others are the action's JSON params (README, "Operator
  actions") in snake_case (``evseId`` -> ``evse_id``) with the same meaning and values: nested values
  stay the OCPP JSON objects (``id_token={"idToken": "100000C01", "type": "Central"}``). A parameter
  the step does not give is omitted, so its default (``None``) applies.
- A method returns when the CSMS has been asked (what counts is the OCPP request the CSMS then sends,
  which the case waits for); it may return a dict, recorded in the case's trace as the answer.
- ``raise ActionRefused("reason")`` when the CSMS (or its API) refuses: the step fails with that reason.
- An action the class does not override, or whose method raises ``NotImplementedError`` (e.g. for
  parameters its API cannot express), falls back to the manual operator when a terminal is attached,
  else fails the step with one line naming the action and the class.

The manual, http and command operators implement the same interface generically (they override
:meth:`CsmsOperator.perform`, which every action goes through).
"""
from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

Answer = dict[str, Any] | None


@dataclass
class Action:
    """One request to the CSMS: ``name`` and ``params`` as documented, ``text`` for a person."""
    name: str
    station: str
    params: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    confirm: bool = False  # nothing on the wire shows it was done: a person confirms
    #: the CSMS→CS request this action makes the CSMS send ("" when nothing on the wire shows it)
    request: str = ""
    #: what identifies that request among others of its kind a busy CSMS sends on its own:
    #: declarative path -> expected value (values may be OneOf / Rule), as ``checks.check_fields``
    identity: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"action": self.name, "stationId": self.station, "params": self.params}

    @property
    def method(self) -> str:
        """The operator method of this action (``UnlockConnector`` -> ``unlock_connector``)."""
        return snake(self.name)


class ActionRefused(Exception):
    """The CSMS, or its API, refuses the action: the step fails with ``reason``. The harness fills
    in ``action`` (the action's name) when the operator leaves it empty."""

    def __init__(self, reason: str, action: str = "", by: str = "the CSMS") -> None:
        super().__init__(reason)
        self.reason = reason
        self.action = action
        self.by = by


# ---------------------------------------------------------------- the OCPP JSON objects of the params
class IdToken(TypedDict, total=False):
    idToken: str
    type: str
    additionalInfo: list[dict[str, Any]]


class Evse(TypedDict, total=False):
    id: int
    connectorId: int


class Component(TypedDict, total=False):
    name: str
    instance: str
    evse: Evse


class Variable(TypedDict, total=False):
    name: str
    instance: str


class ComponentVariable(TypedDict, total=False):
    component: Component
    variable: Variable


class GetVariableData(TypedDict, total=False):
    component: Component
    variable: Variable
    attributeType: str


class SetVariableData(TypedDict, total=False):
    component: Component
    variable: Variable
    attributeValue: str
    attributeType: str


class SetMonitoringData(TypedDict, total=False):
    component: Component
    variable: Variable
    type: str
    value: float
    severity: int
    id: int


class NetworkConnectionProfile(TypedDict, total=False):
    ocppVersion: str
    ocppTransport: str
    ocppCsmsUrl: str
    messageTimeout: int
    securityProfile: int
    ocppInterface: str


class Firmware(TypedDict, total=False):
    location: str
    retrieveDateTime: str
    installDateTime: str
    signingCertificate: str
    signature: str


class MessageContent(TypedDict, total=False):
    format: str
    content: str
    language: str


class CertificateHashData(TypedDict, total=False):
    hashAlgorithm: str
    issuerNameHash: str
    issuerKeyHash: str
    serialNumber: str


#: OCPP ChargingProfileType (chargingProfilePurpose, chargingProfileKind, stackLevel, chargingSchedule,
#: and optionally id, validFrom, validTo, recurrencyKind, transactionId)
ChargingProfile = dict[str, Any]
#: ClearChargingProfileType (evseId, chargingProfilePurpose, stackLevel; each optional)
ClearChargingProfileCriteria = dict[str, Any]
#: ChargingProfileCriterionType (chargingProfileId, stackLevel, chargingProfilePurpose, chargingLimitSource)
ChargingProfileCriterion = dict[str, Any]


class CsmsOperator:
    """Base class of every operator: one async method per action (41, those the suite asks for).

    The harness makes one instance per case, as ``cls(settings)`` (the run's settings, or None).
    Override the methods your CSMS's API can do; the others fall back (see the module docstring)."""

    def __init__(self, settings: Any = None) -> None:
        self.settings = settings

    async def perform(self, action: Action, step: int | str | None = None, until: Any = None) -> Answer:
        """Carry out ``action``: by default its method with its params. ``until`` (an awaitable, or
        None) completes when the CSMS's request arrived, for operators that wait for a person."""
        return await call_method(self, action)

    # ---- B: provisioning
    async def set_boot_response(self, station_id: str, status: Literal["Pending", "Rejected", "Accepted"],
                                count: int) -> Answer:
        """Answer the station's next ``count`` BootNotificationRequests with ``status``, later ones Accepted."""
        raise NotImplementedError

    async def get_variables(self, station_id: str, get_variable_data: list[GetVariableData]) -> Answer:
        raise NotImplementedError

    async def set_variables(self, station_id: str, set_variable_data: list[SetVariableData]) -> Answer:
        raise NotImplementedError

    async def get_base_report(self, station_id: str, report_base: str) -> Answer:
        raise NotImplementedError

    async def get_report(self, station_id: str, component_variable: list[ComponentVariable],
                         component_criteria: list[str] | None = None) -> Answer:
        raise NotImplementedError

    async def reset(self, station_id: str, type: str, evse_id: int | None = None) -> Answer:
        raise NotImplementedError

    async def set_network_profile(self, station_id: str, configuration_slot: int,
                                  connection_data: NetworkConnectionProfile) -> Answer:
        raise NotImplementedError

    # ---- A: security
    async def set_basic_auth_password(self, station_id: str, password: str) -> Answer:
        """Set SecurityCtrlr.BasicAuthPassword (``password`` is a suggestion the CSMS may replace)."""
        raise NotImplementedError

    async def renew_certificate(self, station_id: str,
                                certificate_type: Literal["ChargingStationCertificate", "V2GCertificate",
                                                          "Combined"]) -> Answer:
        """TriggerMessage Sign…Certificate, then sign the CSR and send CertificateSigned."""
        raise NotImplementedError

    async def restore_security_profile(self, station_id: str, security_profile: int) -> Answer:
        """Not OCPP: register the station at ``security_profile`` again (TC_A_19's teardown)."""
        raise NotImplementedError

    # ---- C, D: authorization and local list
    async def clear_cache(self, station_id: str) -> Answer:
        raise NotImplementedError

    async def send_local_list(self, station_id: str, update_type: Literal["Full", "Differential"],
                              id_tokens: list[IdToken] | None = None, remove: list[IdToken] | None = None) -> Answer:
        """Full: exactly ``id_tokens``; Differential: add ``id_tokens``, remove ``remove``."""
        raise NotImplementedError

    async def get_local_list_version(self, station_id: str) -> Answer:
        raise NotImplementedError

    # ---- E, F: transactions and remote control
    async def get_transaction_status(self, station_id: str, transaction_id: str | None = None) -> Answer:
        raise NotImplementedError

    async def request_start_transaction(self, station_id: str, id_token: IdToken, evse_id: int | None = None,
                                        remote_start_id: int | None = None, group_id_token: IdToken | None = None,
                                        charging_profile: ChargingProfile | None = None) -> Answer:
        raise NotImplementedError

    async def request_stop_transaction(self, station_id: str, transaction_id: str) -> Answer:
        raise NotImplementedError

    async def unlock_connector(self, station_id: str, evse_id: int, connector_id: int) -> Answer:
        raise NotImplementedError

    async def trigger_message(self, station_id: str, requested_message: str, evse: Evse | None = None) -> Answer:
        raise NotImplementedError

    # ---- G, H: availability and reservation
    async def change_availability(self, station_id: str, operational_status: Literal["Operative", "Inoperative"],
                                  evse: Evse | None = None) -> Answer:
        raise NotImplementedError

    async def reserve_now(self, station_id: str, id_token: IdToken, expiry_seconds: float, evse_id: int | None = None,
                          connector_type: str | None = None, group_id_token: IdToken | None = None) -> Answer:
        """Reserve with a reservation id of the CSMS's own, expiring ``expiry_seconds`` from now."""
        raise NotImplementedError

    async def cancel_reservation(self, station_id: str, reservation_id: int) -> Answer:
        raise NotImplementedError

    # ---- K: smart charging
    async def set_charging_profile(self, station_id: str, evse_id: int, charging_profile: ChargingProfile) -> Answer:
        """Without ``id`` the CSMS chooses one; a TxProfile without transactionId gets the EVSE's ongoing one."""
        raise NotImplementedError

    async def clear_charging_profile(self, station_id: str, charging_profile_id: int | None = None,
                                     charging_profile_criteria: ClearChargingProfileCriteria | None = None) -> Answer:
        raise NotImplementedError

    async def get_charging_profiles(self, station_id: str, charging_profile: ChargingProfileCriterion,
                                    evse_id: int | None = None) -> Answer:
        raise NotImplementedError

    async def get_composite_schedule(self, station_id: str, evse_id: int, duration: int,
                                     charging_rate_unit: Literal["A", "W"]) -> Answer:
        raise NotImplementedError

    # ---- L: firmware
    async def update_firmware(self, station_id: str, firmware: Firmware) -> Answer:
        raise NotImplementedError

    async def publish_firmware(self, station_id: str, location: str, checksum: str) -> Answer:
        raise NotImplementedError

    async def unpublish_firmware(self, station_id: str, checksum: str) -> Answer:
        raise NotImplementedError

    # ---- M: certificates
    async def install_certificate(self, station_id: str, certificate_type: str, certificate: str) -> Answer:
        raise NotImplementedError

    async def get_installed_certificate_ids(self, station_id: str,
                                            certificate_type: list[str] | None = None) -> Answer:
        raise NotImplementedError

    async def delete_certificate(self, station_id: str, certificate_type: str, certificate: str) -> Answer:
        """GetInstalledCertificateIds first, then DeleteCertificate with the hash data the station reported."""
        raise NotImplementedError

    # ---- N: diagnostics and monitoring
    async def get_log(self, station_id: str, log_type: Literal["DiagnosticsLog", "SecurityLog"],
                      remote_location: str) -> Answer:
        raise NotImplementedError

    async def get_monitoring_report(self, station_id: str, monitoring_criteria: list[str] | None = None,
                                    component_variable: list[ComponentVariable] | None = None) -> Answer:
        raise NotImplementedError

    async def set_monitoring_base(self, station_id: str, monitoring_base: str) -> Answer:
        raise NotImplementedError

    async def set_monitoring_level(self, station_id: str, severity: int) -> Answer:
        raise NotImplementedError

    async def set_variable_monitoring(self, station_id: str, set_monitoring_data: list[SetMonitoringData]) -> Answer:
        raise NotImplementedError

    async def clear_variable_monitoring(self, station_id: str, id: list[int]) -> Answer:
        raise NotImplementedError

    async def customer_information(self, station_id: str, report: bool, clear: bool, id_token: IdToken | None = None,
                                   customer_identifier: str | None = None,
                                   customer_certificate: CertificateHashData | None = None) -> Answer:
        raise NotImplementedError

    # ---- O: display messages
    async def set_display_message(self, station_id: str, priority: str, message: MessageContent,
                                  state: str | None = None, transaction_id: str | None = None,
                                  start_date_time: str | None = None, end_date_time: str | None = None,
                                  id: int | None = None) -> Answer:
        """With ``id``: replace that message; without: a new message with an id of the CSMS's own."""
        raise NotImplementedError

    async def get_display_messages(self, station_id: str, id: list[int] | None = None, priority: str | None = None,
                                   state: str | None = None) -> Answer:
        raise NotImplementedError

    async def clear_display_message(self, station_id: str, id: int) -> Answer:
        raise NotImplementedError


#: every action the interface has a method for, by name (``UnlockConnector``)
ACTIONS: tuple[str, ...] = tuple(sorted(
    "".join(part.title() for part in name.split("_")) for name, value in vars(CsmsOperator).items()
    if inspect.iscoroutinefunction(value) and name != "perform"))


def snake(name: str) -> str:
    """``GetInstalledCertificateIds`` -> ``get_installed_certificate_ids``; ``evseId`` -> ``evse_id``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def implements(operator: Any, action: str) -> bool:
    """Whether ``operator`` has its own method for ``action`` (not the base class's stub)."""
    method = getattr(type(operator), snake(action), None)
    return method is not None and method is not getattr(CsmsOperator, snake(action), None)


async def call_method(operator: Any, action: Action) -> Answer:
    """Call the operator's method of ``action`` with its params as keyword arguments.
    NotImplementedError when the operator has no method of its own for it; TypeError naming the
    parameter when the method does not take one the step gives."""
    if not implements(operator, action.name):
        raise NotImplementedError
    method = getattr(operator, action.method)
    kwargs = {snake(key): value for key, value in action.params.items()}
    try:
        inspect.signature(method).bind(action.station, **kwargs)
    except TypeError as e:
        raise TypeError(f"{type(operator).__name__}.{action.method}() does not fit the step's params "
                        f"{sorted(kwargs)}: {e}") from None
    return await method(action.station, **kwargs)
