"""The reusable states of ``reusable-states.md`` as plain async functions over a Station.

Each runs the state's steps and checks; a failed check names the state, e.g.
``TC_B_21 EnergyTransferStarted step 4: …``. Waits come from the settings only.
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from cryptography import x509

from simulator.operators import actions
from simulator.station import smart_charging
from simulator.pki.certificates import (CertificateRequest, chain_problem, common_name, new_csr, parse_chain,
                           public_key_der, write_credentials)
from simulator.verdicts.checks import ABSENT, HarnessError, OneOf, Rule, check, check_fields, fail, in_state, where
from simulator.station.boot import boot_notification, report_connectors
from simulator.station.replies import change_availability as availability_reply
from simulator.station.replies import get_installed_certificate_ids, install_certificate, reserve_now
from simulator.station.station import CallError, Expectation, Station, now_iso
from simulator.wire.transport import Credentials


# ---------------------------------------------------------------- Booted
async def booted(station: Station, reason: str = "PowerUp",
                 statuses: dict[tuple[int, int], str] | None = None) -> dict:
    """Booted: boot Accepted, then every connector reported."""
    with in_state("Booted"):
        response = await boot_notification(station, reason, step=2)
        check(2, "status", response["status"], "Accepted")
        await report_connectors(station, 4, statuses)
    return response


# ---------------------------------------------------------------- transactions
def _ec(station: Station, evse: int | None = None) -> tuple[int, int]:
    """(e, c): the configured EVSE and connector, or EVSE ``evse`` with its first connector."""
    if evse is None:
        return station.settings.CONFIGURED_EVSE_ID, station.settings.CONFIGURED_CONNECTOR_ID
    return evse, min(station.model.evses[evse].connectors)


async def parking_bay_occupied(station: Station) -> None:
    e, _ = _ec(station)
    with in_state("ParkingBayOccupied"):
        kind = "Updated" if station.model.transaction(e) else "Started"
        await station.transaction_event(kind, "EVDetected", 2)


async def ev_connected_pre_session(station: Station) -> None:
    e, c = _ec(station)
    with in_state("EVConnectedPreSession"):
        await station.report_status(e, c, "Occupied", 2)
        station.model.evses[e].ev_connected = True
        kind = "Updated" if station.model.transaction(e) else "Started"
        await station.transaction_event(kind, "CablePluggedIn", 4, charging_state="EVConnected")


async def authorize(station: Station, id_token: dict | None = None, step: int | str | None = None) -> dict:
    """AuthorizeRequest; the station keeps the answer in its Authorization Cache (C10)."""
    token = id_token or station.id_token()
    response = await station.send("Authorize", {"idToken": token}, step)
    station.auth_cache.remember(token, response["idTokenInfo"])
    return response


async def authorized(station: Station, id_token: dict | None = None, evse: int | None = None) -> None:
    """Authorized: AuthorizeRequest, then the authorizing TransactionEvent; both Accepted.
    ``evse``: on that EVSE (its first connector) instead of the configured one."""
    e, c = _ec(station, evse)
    token = id_token or station.id_token()
    with in_state("Authorized"):
        response = await authorize(station, token, 2)
        check(2, "idTokenInfo.status", response["idTokenInfo"]["status"], "Accepted")
        tx = station.model.transaction(e)
        kind = "Updated" if tx else "Started"
        connected = station.model.evses[e].ev_connected
        response = await station.transaction_event(
            kind, "Authorized", 4, id_token=token, charging_state="EVConnected" if connected else None,
            evse=e, connector=c)
        check_fields(4, response, {"idTokenInfo.status": "Accepted"})


async def energy_transfer_started(station: Station, id_token: dict | None = None, evse: int | None = None) -> None:
    """EnergyTransferStarted (Authorized first unless T is authorized); ``id_token``/``evse`` as Authorized."""
    e, c = _ec(station, evse)
    if station.model.transaction(e) is None or station.model.transaction(e).id_token is None:
        await authorized(station, id_token, evse)
    with in_state("EnergyTransferStarted"):
        if not station.model.evses[e].ev_connected:
            await station.report_status(e, c, "Occupied", 2)
            station.model.evses[e].ev_connected = True
            await station.transaction_event("Updated", "CablePluggedIn", 4, charging_state="EVConnected",
                                            evse=e, connector=c)
        await station.transaction_event("Updated", "ChargingStateChanged", 6, charging_state="Charging",
                                        evse=e, connector=c)


async def wait_transaction_duration(station: Station) -> None:
    """'Wait for T s': the transaction runs for TRANSACTION_DURATION."""
    with station.trace.timing("configured", "TRANSACTION_DURATION"):
        await asyncio.sleep(station.settings.TRANSACTION_DURATION)


async def energy_transfer_suspended(station: Station) -> None:
    with in_state("EnergyTransferSuspended"):
        await wait_transaction_duration(station)
        await station.transaction_event("Updated", "ChargingStateChanged", 3, charging_state="SuspendedEV")


async def stop_authorized(station: Station) -> None:
    e, _ = _ec(station)
    tx = station.model.transaction(e)
    with in_state("StopAuthorized"):
        await wait_transaction_duration(station)
        response = await station.transaction_event("Updated", "StopAuthorized", 3,
                                                   id_token=tx.id_token or station.id_token())
        check_fields(3, response, {"idTokenInfo.status": "Accepted"})


async def ev_connected_post_session(station: Station) -> None:
    with in_state("EVConnectedPostSession"):
        await station.transaction_event("Updated", "ChargingStateChanged", 2, charging_state="EVConnected")


async def ev_disconnected(station: Station, event_type: str = "Ended", status: str = "Available") -> None:
    """EVDisconnected; ``event_type`` Updated is the ParkingBayOccupancy variant (TC_E_19); ``status``
    Unavailable is the freed connector of a station with a firmware update pending (TC_L_13)."""
    e, c = _ec(station)
    with in_state("EVDisconnected"):
        await station.report_status(e, c, status, 2)
        station.model.evses[e].ev_connected = False
        fields: dict[str, Any] = {"charging_state": "Idle"}
        if event_type == "Ended":
            fields["stopped_reason"] = "EVDisconnected"
        await station.transaction_event(event_type, "EVCommunicationLost", 4, **fields)


# ---------------------------------------------------------------- CSMS-initiated states
def expiry_after(request: Expectation, latest: float | None = None) -> Rule:
    """(harness) expiryDateTime later than the moment the request arrived (and at most ``latest``
    seconds after it, when given)."""
    def ok(value: str) -> bool:
        expiry = parse_time(value) - request.arrived_at
        return expiry > 0 and (latest is None or expiry <= latest)
    bound = f" and at most {latest:g} s after it" if latest is not None else ""
    return Rule(f"a date-time later than the request's arrival{bound}", ok)


def parse_time(value: str) -> float:
    """An OCPP date-time (RFC 3339, 'Z' or offset) as a POSIX timestamp."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


async def reservation(station: Station, action: actions.Action, reply: str | None = None) -> tuple[dict, Expectation]:
    """Steps 1-2 of a reservation: the CSMS's ReserveNowRequest, answered from the station's state
    (Accepted for an Available EVSE, and kept) unless ``reply`` names another status. Returns the
    request and its expectation (whose ``arrived_at`` the expiry is checked against)."""
    answer = (lambda p: reserve_now(station, p)) if reply is None else {"status": reply}
    exp = station.expecting(action, reply=answer)
    return await exp.wait(1), exp


async def reservation_expires(station: Station, request: dict) -> None:
    """Wait until the reservation's expiryDateTime has passed (never longer than
    TRANSACTION_DURATION + 10 s); the station then drops it. This wait is the expiry itself."""
    limit = station.settings.TRANSACTION_DURATION + 10
    left = parse_time(request["expiryDateTime"]) - datetime.now(timezone.utc).timestamp()
    with station.trace.timing("configured", "the reservation's expiryDateTime"):
        await asyncio.sleep(min(max(left, 0.0), limit))
    station.model.drop_reservation(request["id"])


async def report_reserved(station: Station, evse: int, step: int = 4) -> None:
    """Report Reserved for every connector of EVSE e."""
    for c in station.model.evses[evse].connectors:
        await station.report_status(evse, c, "Reserved", step)


async def reserved(station: Station, evse: int | None = None, id_token: dict | None = None,
                   expiry: float | None = None) -> dict:
    """Reserved: the CSMS reserves EVSE e for the token; the station reports Reserved."""
    e = evse or station.settings.CONFIGURED_EVSE_ID
    token = id_token or station.id_token()
    seconds = expiry or station.settings.CONFIGURED_RESERVATION_EXPIRY
    with in_state("Reserved"):
        request, _ = await reservation(station, actions.reserve_now(station.id, token, seconds, evse=e))
        check_fields(1, request, {"evseId": e, "idToken.idToken": token["idToken"], "idToken.type": token["type"]})
        await report_reserved(station, e)
    return request


def availability_level(operational_status: str, evse: int | None, connector: int | None) -> dict[str, Any]:
    """What a ChangeAvailabilityRequest for a target must say: the status, and evse absent (station)
    | evse.id only (EVSE) | evse.id and evse.connectorId (connector)."""
    expected: dict[str, Any] = {"operationalStatus": operational_status}
    if evse is None:
        expected["evse"] = ABSENT
    else:
        expected["evse.id"] = evse
        expected["evse.connectorId"] = connector if connector is not None else ABSENT
    return expected


async def change_availability(station: Station, operational_status: str, evse: int | None = None,
                              connector: int | None = None, reply: str | None = None) -> dict:
    """Steps 1-2 of an availability change: the CSMS's ChangeAvailabilityRequest for the target,
    checked for status and level, answered from the station's state (Accepted, or Scheduled while a
    transaction runs there) unless ``reply`` says otherwise."""
    answer = (lambda p: {"status": reply}) if reply else (lambda p: availability_reply(station, p))
    request = await station.expect(actions.change_availability(station.id, operational_status, evse, connector), 1,
                                   reply=answer)
    check_fields(1, request, availability_level(operational_status, evse, connector))
    return request


async def report_availability(station: Station, status: str, evse: int | None = None,
                              connector: int | None = None, step: int = 4, notify_event: bool = True) -> None:
    """Report X for every connector of the target (the whole station, EVSE e, or connector (e, c))."""
    for e, c in station.model.targets(evse, connector):
        await station.report_status(e, c, status, step, notify_event=notify_event)


async def unavailable(station: Station, evse: int | None = None, connector: int | None = None) -> dict:
    """Unavailable: the CSMS makes the station / EVSE / connector Inoperative."""
    with in_state("Unavailable"):
        request = await change_availability(station, "Inoperative", evse, connector, reply="Accepted")
        station.model.set_operative(False, evse, connector)
        await report_availability(station, "Unavailable", evse, connector)
    return request


async def certificate_installed(station: Station, certificate_type: str, certificate: str,
                                status: str = "Accepted", state: str = "CertificateInstalled") -> dict:
    """CertificateInstalled: the CSMS installs the PEM ``certificate`` as ``certificate_type``; the
    station answers ``status`` and, when Accepted, keeps it first under its type. ``state`` "" when a
    case runs it as its own steps (failures then name the case's step)."""
    def reply(payload: dict) -> dict:
        if status != "Accepted":
            return {"status": status}
        return install_certificate(station, payload)
    with in_state(state):
        request = await station.expect("InstallCertificate", 1, reply=reply,
                                       trigger=actions.install_certificate(station.id, certificate_type, certificate))
        check(1, "certificateType", request["certificateType"], certificate_type)
        check(1, "(harness) certificate", request["certificate"],
              Rule("a PEM X.509 certificate", lambda pem: _is_pem_certificate(pem)))
    return request


def _is_pem_certificate(pem: str) -> bool:
    x509.load_pem_x509_certificate(pem.encode())
    return True


async def get_installed_certificates(station: Station, certificate_types: list[str] | None,
                                     hash_algorithm: str = "SHA256", step: int = 1,
                                     state: str = "GetInstalledCertificates") -> dict:
    """GetInstalledCertificates: the CSMS asks for the station's certificates of the given types (all
    with None); the station answers from its store with ``hash_algorithm``. A case that runs it as its
    own steps passes ``state`` "" and the request's ``step``."""
    def reply(payload: dict) -> dict:
        station.certificates.algorithm = hash_algorithm
        return get_installed_certificate_ids(station, payload)
    with in_state(state):
        request = await station.expect(
            "GetInstalledCertificateIds", step, reply=reply,
            trigger=actions.get_installed_certificate_ids(station.id, certificate_types))
        if certificate_types:
            asked = request.get("certificateType", ABSENT)
            check(step, "certificateType", asked,
                  Rule(f"a list containing {', '.join(certificate_types)}",
                       lambda v: all(t in v for t in certificate_types)))
    return request


def ev_charging_needs(station: Station, hours: float = 1, energy: float = 20000) -> dict:
    """NotifyEVChargingNeedsRequest of the EV on the configured EVSE: N1 (defaults: departure in
    1 h, 20000 Wh) or, renegotiating, N2 (2 h, 10000 Wh); AC at 6-32 A, 400 V, 10 tuples."""
    phases = station.settings.CONFIGURED_NUMBER_PHASES
    departure = (datetime.now(timezone.utc) + timedelta(hours=hours)).isoformat(timespec="seconds")
    return {"evseId": station.settings.CONFIGURED_EVSE_ID, "maxScheduleTuples": 10, "chargingNeeds": {
        "requestedEnergyTransfer": "AC_single_phase" if phases == 1 else "AC_three_phase",
        "departureTime": departure.replace("+00:00", "Z"), "acChargingParameters": {
            "energyAmount": energy, "evMinCurrent": 6, "evMaxCurrent": 32, "evMaxVoltage": 400}}}


def tx_profile_request(station: Station, armed: bool = True) -> Expectation:
    """The SetChargingProfileRequest the CSMS sends for the configured EVSE; the station answers
    it by its rules (it installs a TxProfile for its transaction: Accepted)."""
    e, _ = _ec(station)
    return station.expecting("SetChargingProfile", reply=lambda p: smart_charging.install(station, e, p["chargingProfile"]),
                             match={"evseId": e}, armed=armed)


def check_tx_profile(station: Station, step: int, request: dict) -> None:
    """'evseId == e; chargingProfilePurpose == TxProfile; chargingProfile.transactionId == T'."""
    e, _ = _ec(station)
    tx = station.model.transaction(e)
    check_fields(step, request, {"evseId": e, "chargingProfile.chargingProfilePurpose": "TxProfile",
                                 "chargingProfile.transactionId": tx.id})


def processing_timeout(station: Station, status: Any) -> float:
    """When the needs are answered Processing the profile may take up to max(60, CSMS_ACTION_TIMEOUT) s."""
    limit = station.settings.CSMS_ACTION_TIMEOUT
    return max(60.0, limit) if status == "Processing" else limit


async def ev_schedule(station: Station, step: int, charging_schedule: dict) -> dict:
    """NotifyEVChargingScheduleRequest {evseId e, timeBase now, the schedule}; returns the answer."""
    e, _ = _ec(station)
    return await station.send("NotifyEVChargingSchedule", {"evseId": e, "timeBase": now_iso(),
                                                           "chargingSchedule": charging_schedule}, step)


async def load_leveling(station: Station, needs: dict, then: Expectation | None = None) -> dict:
    """Steps 1-8 of ISO15118SmartCharging (also the own steps of TC_K_53): charging needs → the
    CSMS's TxProfile → the EV's schedule, unchanged → charging. ``then`` (registered unarmed
    before) is armed once step 3's profile is in. Returns the profile request."""
    profile = tx_profile_request(station)
    response = await station.send("NotifyEVChargingNeeds", needs, 2)
    check(2, "status", response["status"], OneOf("Accepted", "Processing"))
    request = await profile.wait(3, timeout=processing_timeout(station, response["status"]))
    if then is not None:
        then.arm()
    check_tx_profile(station, 3, request)
    schedule = await ev_schedule(station, 6, request["chargingProfile"]["chargingSchedule"][0])
    check(6, "status", schedule["status"], "Accepted")
    await station.transaction_event("Updated", "ChargingStateChanged", 8, charging_state="Charging")
    return request


async def iso15118_smart_charging(station: Station) -> dict:
    """ISO15118SmartCharging: charging needs N1 → the CSMS's TxProfile → the EV's schedule."""
    with in_state("ISO15118SmartCharging"):
        return await load_leveling(station, ev_charging_needs(station))


# ---------------------------------------------------------------- RenewChargingStationCertificate
@dataclass
class RenewedCertificate:
    """What RenewChargingStationCertificate leaves the station: the new chain and its key."""
    chain_pem: str
    key: Any

    def credentials(self, station_id: str, directory: Path) -> Credentials:
        """Connect-SP3 credentials with the renewed chain (files written to ``directory``)."""
        cert, key = write_credentials(directory, self.chain_pem, self.key)
        return Credentials(station_id, 3, None, cert, key)


def renewed_chain_problem(payload: dict, csr: CertificateRequest, station_id: str, ca_file: Path,
                          certificate_type: str = "ChargingStationCertificate") -> str | None:
    """RenewChargingStationCertificate step 5 checks on a CertificateSignedRequest; None when all
    hold, else the first failed one as "field expected X, got Y"."""
    chain_text = payload.get("certificateChain") or ""
    if not chain_text.strip():
        return f"certificateChain expected non-empty, got {chain_text!r}"
    if payload.get("certificateType", certificate_type) != certificate_type:
        return (f"certificateType expected absent or {certificate_type!r}, "
                f"got {payload['certificateType']!r}")
    try:
        chain = parse_chain(chain_text)
    except ValueError as e:
        return f"(harness) certificateChain expected PEM X.509 certificates: {e}"
    leaf = chain[0]
    if public_key_der(leaf.public_key()) != csr.public_der:
        return "(harness) leaf public key expected the CSR's key, got another key"
    if common_name(leaf) != station_id:
        return f"(harness) leaf subject CN expected {station_id!r}, got {common_name(leaf)!r}"
    problem = chain_problem(chain, ca_file)
    if problem:
        return f"(harness) certificateChain expected to chain to TLS_CLIENT_CA_CERT: {problem}"
    return None


async def renew_charging_station_certificate(station: Station) -> RenewedCertificate:
    """RenewChargingStationCertificate: TriggerMessage → SignCertificate with a fresh key's CSR →
    CertificateSigned, checked before the station accepts it (else Rejected + security event)."""
    s = station.settings
    ca_file = s.path(s.client_ca_cert)
    with in_state("RenewChargingStationCertificate"):
        csr = new_csr(station.id, s.CONFIGURED_CSR_ORGANIZATION, s.CONFIGURED_CSR_COUNTRY)
        findings: dict[str, str | None] = {}

        def answer(payload: dict) -> dict:
            findings["problem"] = renewed_chain_problem(payload, csr, station.id, ca_file)
            return {"status": "Rejected" if findings["problem"] else "Accepted"}

        signed = station.expecting("CertificateSigned", reply=answer,
                                   why="answers the station's SignCertificateRequest (step 4)")
        trigger = await station.expect("TriggerMessage", 1, reply={"status": "Accepted"},
                                       trigger=actions.renew_certificate(station.id, "ChargingStationCertificate"))
        check(1, "requestedMessage", trigger["requestedMessage"], "SignChargingStationCertificate")
        response = await station.send("SignCertificate", {"csr": csr.csr_pem,
                                                          "certificateType": "ChargingStationCertificate"}, 4)
        check(4, "status", response["status"], "Accepted")
        payload = await signed.wait(5)
        problem = findings.get("problem")
        if problem:
            event = await station.send("SecurityEventNotification", {
                "type": "InvalidChargingStationCertificate", "timestamp": now_iso(),
                "techInfo": problem[:255]}, 6, allow_error=True)
            if isinstance(event, CallError):
                problem += f"; the SecurityEventNotificationRequest that reported it got CALLERROR {event.code}"
            fail(5, problem)
    return RenewedCertificate(payload["certificateChain"], csr.key)


# ---------------------------------------------------------------- Post checks
async def transaction_still_running(station: Station, evse: int | None = None, step: str = "Post") -> None:
    """Post "T charging / still charging / open": after a Heartbeat round trip (what the CSMS sent
    before its answer has arrived) the station still runs T, and the CSMS sent nothing that ends it:
    no RequestStopTransactionRequest for T, no Immediate ResetRequest of the station or of T's EVSE."""
    e, _ = _ec(station, evse)
    tx = station.model.transaction(e)
    if tx is None:
        raise HarnessError(f"{where(step)}: the case ended the transaction on EVSE {e} itself; its Post names it running")
    await station.still_connected(step)
    for action, payload in station.unexpected:
        stops = (action == "RequestStopTransaction" and payload.get("transactionId") == tx.id) or (
            action == "Reset" and payload.get("type") == "Immediate" and payload.get("evseId", 0) in (0, tx.evse))
        if stops:
            fail(step, f"transaction {tx.id} expected still running, but the CSMS sent {action}Request "
                       f"{json.dumps(payload)}")
