"""Block E — Transactions (catalogue: E.md).

Every case runs on BASIC_AUTH_CP (security profile 1) from Booted; transactions follow the rules
of reusable-states.md (new T per transaction, seqNo from 0, evse in every event, Begin/End meter
values, idToken only where a step names it). The connection-loss cases (TC_E_29, TC_E_31,
TC_E_33) really go offline: the station closes the socket, queues its events, waits
TRANSACTION_DURATION and reconnects without a BootNotification.
"""
from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Callable

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from simulator.operators import actions
from simulator.verdicts.checks import ABSENT, PRESENT, OneOf, check_fields, in_round
from simulator.station.replies import get_transaction_status
from simulator.settings import Settings
from simulator.station.states import (authorize, authorized, booted, energy_transfer_started, energy_transfer_suspended,
                              ev_connected_post_session, ev_connected_pre_session, ev_disconnected, stop_authorized,
                              wait_transaction_duration)
from simulator.station.states import transaction_still_running
from simulator.operators.operator import Action
from simulator.station.station import Expectation, Station, now_iso


# ---------------------------------------------------------------- helpers
def configured(settings: Settings) -> tuple[int, int]:
    """(e, c): the EVSE and connector the cases act on."""
    return settings.CONFIGURED_EVSE_ID, settings.CONFIGURED_CONNECTOR_ID


def check_accepted(step: int, response: dict) -> None:
    """'idTokenInfo present; idTokenInfo.status == Accepted' (Part 6, not only when present)."""
    check_fields(step, response, {"idTokenInfo": PRESENT, "idTokenInfo.status": "Accepted"})


async def authorize_accepted(station: Station, step: int) -> dict:
    """CS→CSMS AuthorizeRequest with <VALID_ID_TOKEN>; its answer must be Accepted. Returns the token."""
    token = station.id_token()
    response = await authorize(station, token, step)
    check_fields(step, response, {"idTokenInfo.status": "Accepted"})
    return token


async def plug_in(station: Station, step: int) -> None:
    """Report Occupied for the configured connector: the EV's cable is plugged in."""
    e, c = configured(station.settings)
    await station.report_status(e, c, "Occupied", step)
    station.model.evses[e].ev_connected = True


def periodic_meter(station: Station) -> list[dict]:
    """meterValue[0] of a periodic sample: the register as Energy.Active.Import.Register."""
    return [station.meter_value(station.settings.CONFIGURED_EVSE_ID, "Sample.Periodic")]


def queue_status(station: Station) -> Callable[[dict], dict]:
    """Answer GetTransactionStatus from the real state: ongoingIndicator and messagesInQueue."""
    return lambda request: get_transaction_status(station, request)


def rising_timestamps(count: int) -> list[str]:
    """Times of events created in one go offline, each 1 ms after the one before."""
    start = datetime.now(timezone.utc)
    return [(start + timedelta(milliseconds=i)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            for i in range(count)]


async def offline_period(station: Station) -> None:
    """Step 2: the station stays offline for TRANSACTION_DURATION, then reconnects with the same
    credentials (Connect-SP1) and sends no BootNotification: a lost connection is no reboot."""
    await wait_transaction_duration(station)
    await station.connect(step=2)


def status_query(station: Station, transaction_id: str | None, armed: bool = True) -> Expectation:
    """A GetTransactionStatusRequest for this transaction (or, with None, without a transactionId).
    Queries the CSMS makes about other transactions (e.g. stale ones after a reconnect) are
    answered from the station's state and do not count; a step that gets only those fails naming them."""
    if transaction_id is None:
        return station.expecting("GetTransactionStatus", reply=queue_status(station),
                                 match={"transactionId": ABSENT}, describe="without transactionId", armed=armed)
    return station.expecting("GetTransactionStatus", reply=queue_status(station),
                             match={"transactionId": transaction_id}, armed=armed)


async def status_request(station: Station, step: int, own: Expectation, action: Action) -> dict:
    """The step's GetTransactionStatusRequest, registered before the reconnect: the CSMS may send
    it on its own (listening CSMS_SILENCE_WAIT for that), else the operator asks for it."""
    await station.quiet_for()
    return await own.wait(step, trigger=action)


@cache
def signing_key() -> ec.EllipticCurvePrivateKey:
    """The per-run ECDSA P-256 key of the simulated meter (never written anywhere)."""
    return ec.generate_private_key(ec.SECP256R1())


def signed_meter_value(station: Station, context: str) -> dict:
    """A Transaction.Begin reading of 0.0 Wh with its signedMeterValue: signedMeterData is the
    base64 of the reading and its ECDSA-SHA256 signature, publicKey the base64 DER public key."""
    e = station.settings.CONFIGURED_EVSE_ID
    timestamp = now_iso()
    reading = {"meter": station.id, "evse": e, "timestamp": timestamp,
               "measurand": "Energy.Active.Import.Register", "value": 0.0, "unit": "Wh"}
    data = json.dumps(reading, separators=(",", ":"), sort_keys=True).encode()
    signature = signing_key().sign(data, ec.ECDSA(hashes.SHA256()))
    signed = {"reading": base64.b64encode(data).decode(), "signature": base64.b64encode(signature).decode()}
    public_key = signing_key().public_key().public_bytes(serialization.Encoding.DER,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    return {"timestamp": timestamp, "sampledValue": [{
        "value": 0.0, "context": context, "measurand": "Energy.Active.Import.Register",
        "signedMeterValue": {
            "signedMeterData": base64.b64encode(json.dumps(signed, separators=(",", ":")).encode()).decode(),
            "signingMethod": "ECDSA-secp256r1-SHA256", "encodingMethod": "Other",
            "publicKey": base64.b64encode(public_key).decode()}}]}


# ---------------------------------------------------------------- start options (E01 – E03)
async def test_TC_E_01_start_power_path_closed(cp: Station) -> None:
    """Start transaction options - PowerPathClosed"""
    await booted(cp)
    token = await authorize_accepted(cp, 2)
    await plug_in(cp, 4)
    response = await cp.transaction_event("Started", "ChargingStateChanged", 6, charging_state="SuspendedEV",
                                          id_token=token)
    check_accepted(6, response)
    await cp.transaction_event("Updated", "ChargingStateChanged", 8, charging_state="Charging")
    await transaction_still_running(cp)


async def test_TC_E_02_start_energy_transfer(cp: Station) -> None:
    """Start transaction options - EnergyTransfer"""
    await booted(cp)
    token = await authorize_accepted(cp, 2)
    await plug_in(cp, 4)
    response = await cp.transaction_event("Started", "ChargingStateChanged", 6, charging_state="Charging",
                                          id_token=token)
    check_accepted(6, response)
    await transaction_still_running(cp)


async def test_TC_E_03_local_start_cable_plugin_first(cp: Station) -> None:
    """Local start transaction - Cable plugin first - Success"""
    await booted(cp)
    await ev_connected_pre_session(cp)
    await authorized(cp)
    await energy_transfer_started(cp)
    await transaction_still_running(cp)


async def test_TC_E_04_local_start_authorization_first(cp: Station) -> None:
    """Local start transaction - Authorization first - Success"""
    await booted(cp)
    await authorized(cp)
    await energy_transfer_started(cp)
    await transaction_still_running(cp)


async def test_TC_E_09_start_ev_connected(cp: Station) -> None:
    """Start transaction options - EVConnected"""
    await booted(cp)
    await plug_in(cp, 2)
    await cp.transaction_event("Started", "CablePluggedIn", 4, charging_state="EVConnected")
    await transaction_still_running(cp)


async def test_TC_E_10_start_authorized_local(cp: Station) -> None:
    """Start transaction options - Authorized - Local"""
    await booted(cp)
    token = await authorize_accepted(cp, 2)
    response = await cp.transaction_event("Started", "Authorized", 4, id_token=token)
    check_accepted(4, response)
    await transaction_still_running(cp)


async def test_TC_E_11_start_data_signed(cp: Station) -> None:
    """Start transaction options - DataSigned"""
    await booted(cp)
    token = await authorize_accepted(cp, 2)
    await plug_in(cp, 4)
    response = await cp.transaction_event("Started", "SignedDataReceived", 6, charging_state="EVConnected",
                                          id_token=token, meter=[signed_meter_value(cp, "Transaction.Begin")])
    check_accepted(6, response)
    await cp.transaction_event("Updated", "ChargingStateChanged", 8, charging_state="Charging")
    await transaction_still_running(cp)


async def test_TC_E_12_start_parking_bay_occupied(cp: Station) -> None:
    """Start transaction options - ParkingBayOccupied"""
    await booted(cp)
    await cp.transaction_event("Started", "EVDetected", 2)
    await transaction_still_running(cp)


async def test_TC_E_38_local_start_ev_not_ready(cp: Station) -> None:
    """Local start transaction - EV not ready"""
    await booted(cp)
    await authorized(cp)
    await ev_connected_pre_session(cp)
    await cp.transaction_event("Updated", "ChargingStateChanged", 3, charging_state="SuspendedEV")
    await transaction_still_running(cp)


# ---------------------------------------------------------------- stop options (E06, E10, F03)
async def test_TC_E_07_stop_power_path_closed_local(cp: Station) -> None:
    """Stop transaction options - PowerPathClosed - Local stop"""
    await booted(cp)
    await energy_transfer_started(cp)
    await cp.transaction_event("Ended", "StopAuthorized", 2, stopped_reason="Local")


async def test_TC_E_08_stop_energy_transfer_stop_authorized(cp: Station) -> None:
    """Stop transaction options - EnergyTransfer stopped - StopAuthorized"""
    await booted(cp)
    await energy_transfer_started(cp)
    await stop_authorized(cp)
    await cp.transaction_event("Ended", "ChargingStateChanged", 2, charging_state="EVConnected",
                               stopped_reason="Local")


async def test_TC_E_14_stop_ev_disconnected_station_side(cp: Station) -> None:
    """Stop transaction options - EVDisconnected - Charging Station side"""
    await booted(cp)
    await energy_transfer_started(cp)
    await stop_authorized(cp)
    await ev_connected_post_session(cp)
    await ev_disconnected(cp)


async def test_TC_E_15_stop_stop_authorized_local(cp: Station) -> None:
    """Stop transaction options - StopAuthorized - Local"""
    await booted(cp)
    await energy_transfer_started(cp)
    await cp.transaction_event("Ended", "StopAuthorized", 2, stopped_reason="Local")


async def test_TC_E_16_stop_deauthorized_invalid_id_token(cp: Station, settings: Settings) -> None:
    """Stop transaction options - Deauthorized - Invalid idToken"""
    await booted(cp)
    invalid = cp.id_token(settings.INVALID_ID_TOKEN, settings.INVALID_ID_TOKEN_TYPE)
    response = await cp.transaction_event("Started", "Authorized", 2, id_token=invalid)
    check_fields(2, response, {"idTokenInfo": PRESENT, "idTokenInfo.status": OneOf("Invalid", "Unknown")})
    await cp.transaction_event("Ended", "Deauthorized", 4, stopped_reason="DeAuthorized")


async def test_TC_E_17_stop_deauthorized_ev_side_disconnect(cp: Station) -> None:
    """Stop transaction options - Deauthorized - EV side disconnect"""
    await booted(cp)
    await energy_transfer_started(cp)
    await energy_transfer_suspended(cp)
    await cp.transaction_event("Ended", "EVCommunicationLost", 2, charging_state="Idle",
                               stopped_reason="EVDisconnected")


async def test_TC_E_19_stop_parking_bay_unoccupied(cp: Station) -> None:
    """Stop transaction options - ParkingBayUnoccupied"""
    await booted(cp)
    await energy_transfer_started(cp)
    await stop_authorized(cp)
    await ev_connected_post_session(cp)
    await ev_disconnected(cp, event_type="Updated")  # TxStopPoint ParkingBayOccupancy: the unplug keeps T
    await cp.transaction_event("Ended", "EVDeparted", 2, stopped_reason="Local")


async def test_TC_E_20_stop_ev_disconnected_ev_side(cp: Station) -> None:
    """Stop transaction options - EVDisconnected - EV side (able to charge IEC 61851-1 EV)"""
    await booted(cp)
    await energy_transfer_started(cp)
    await energy_transfer_suspended(cp)
    await ev_disconnected(cp)


async def test_TC_E_21_stop_stop_authorized_remote(cp: Station) -> None:
    """Stop transaction options - StopAuthorized - Remote"""
    await booted(cp)
    await energy_transfer_started(cp)
    tx = cp.model.transaction(cp.settings.CONFIGURED_EVSE_ID)
    request = await cp.expect("RequestStopTransaction", 1, reply={"status": "Accepted"},
                              trigger=actions.request_stop_transaction(cp.id, tx.id))
    check_fields(1, request, {"transactionId": tx.id})
    await cp.transaction_event("Ended", "RemoteStop", 4, stopped_reason="Remote")


async def test_TC_E_22_stop_energy_transfer_suspended_ev(cp: Station) -> None:
    """Stop transaction options - EnergyTransfer stopped - SuspendedEV"""
    await booted(cp)
    await energy_transfer_started(cp)
    await cp.transaction_event("Ended", "ChargingStateChanged", 2, charging_state="SuspendedEV",
                               stopped_reason="StoppedByEV")


async def test_TC_E_26_ev_side_disconnect_suspends(cp: Station) -> None:
    """Disconnect cable on EV-side - Suspend transaction"""
    await booted(cp)
    await energy_transfer_started(cp)
    await energy_transfer_suspended(cp)
    e, c = configured(cp.settings)
    await cp.transaction_event("Updated", "EVCommunicationLost", 2, charging_state="Idle")
    await cp.report_status(e, c, "Available", 4)
    # the EV plugs in again (Part 6 lists no Occupied report here); T never ended
    await cp.transaction_event("Updated", "CablePluggedIn", 6, charging_state="EVConnected")
    await cp.transaction_event("Updated", "ChargingStateChanged", 8, charging_state="Charging")
    await transaction_still_running(cp)


async def test_TC_E_39_stop_deauthorized_timeout(cp: Station) -> None:
    """Stop transaction options - Deauthorized - timeout"""
    await booted(cp)
    await authorized(cp)
    await wait_transaction_duration(cp)  # the station's EV connection timeout passes without a plug-in
    await cp.transaction_event("Ended", "EVConnectTimeout", 2, stopped_reason="Timeout")


async def test_TC_E_53_seq_no_restarts_at_zero(cp: Station) -> None:
    """Reset Sequence Number - CSMS accepting seqNo = 0 at start of transaction"""
    await booted(cp)
    for name in ("T1", "T2"):  # a new T each time; its Started event (from Authorized) has seqNo 0
        with in_round(name):
            await energy_transfer_started(cp)
            await stop_authorized(cp)
            await ev_connected_post_session(cp)
            await ev_disconnected(cp)


# ---------------------------------------------------------------- transaction status (E14)
async def test_TC_E_29_status_ongoing_with_queue(cp: Station) -> None:
    """Check Transaction status - Transaction with id ongoing - with message in queue"""
    await booted(cp)
    await energy_transfer_started(cp)
    tx = cp.model.transaction(cp.settings.CONFIGURED_EVSE_ID)
    own = status_query(cp, tx.id)
    await cp.disconnect()
    queued = cp.queue_transaction_event("Updated", "MeterValuePeriodic", meter=periodic_meter(cp))
    await offline_period(cp)
    await status_request(cp, 3, own, actions.get_transaction_status(cp.id, tx.id))
    await cp.send_queued(queued, 6)
    await transaction_still_running(cp)


async def test_TC_E_30_status_ongoing_without_queue(cp: Station) -> None:
    """Check Transaction status - Transaction with id ongoing - without message in queue"""
    await booted(cp)
    await energy_transfer_started(cp)
    tx = cp.model.transaction(cp.settings.CONFIGURED_EVSE_ID)
    await status_query(cp, tx.id).wait(1, trigger=actions.get_transaction_status(cp.id, tx.id))
    await transaction_still_running(cp)


async def test_TC_E_31_status_ended_with_queue(cp: Station) -> None:
    """Check Transaction status - Transaction with id ended - with message in queue"""
    await booted(cp)
    await energy_transfer_started(cp)
    e, _ = configured(cp.settings)
    tx = cp.model.transaction(e)
    status = status_query(cp, tx.id, armed=False)  # step 5: only the reaction to E3 counts
    await cp.disconnect()
    t1, t2, t3 = rising_timestamps(3)
    e1 = cp.queue_transaction_event("Updated", "StopAuthorized", id_token=cp.id_token(), timestamp=t1)
    e2 = cp.queue_transaction_event("Updated", "ChargingStateChanged", charging_state="EVConnected", timestamp=t2)
    cp.model.evses[e].ev_connected = False
    e3 = cp.queue_transaction_event("Ended", "EVCommunicationLost", charging_state="Idle",
                                    stopped_reason="EVDisconnected", timestamp=t3)
    await offline_period(cp)
    await cp.quiet_for()  # a query the CSMS makes at the reconnect is answered, not counted
    status.arm()  # after step 3: what came before E3 went out cannot be the reaction to its gap
    await cp.send_queued(e3, 4)
    # Step 5: the seqNo gap gives the CSMS a reason to ask, but no duty: Part 6's purpose is "to verify
    # if the CSMS is able to request the status ... by sending a GetTransactionStatusRequest with a
    # transactionId" and E14 says the CSMS "can ask" (no E14 requirement binds the CSMS to a gap), and
    # Part 6 shows no manual action before TC_E_29's step 3 or TC_E_30's step 1 either. So, as in
    # TC_E_29, a query of its own within CSMS_SILENCE_WAIT counts, else the operator asks for it.
    await status_request(cp, 5, status, actions.get_transaction_status(cp.id, tx.id))
    await cp.send_queued(e1, 8)
    await cp.send_queued(e2, 10)
    # Post "queue empty; T ended": the station sent every queued event (steps 7, 9) and ended T itself (E3)


async def test_TC_E_33_status_without_id_with_queue(cp: Station) -> None:
    """Check Transaction status - Without transactionId - with message in queue"""
    await booted(cp)
    await energy_transfer_started(cp)
    own = status_query(cp, None)
    await cp.disconnect()
    queued = cp.queue_transaction_event("Updated", "MeterValuePeriodic", meter=periodic_meter(cp))
    await offline_period(cp)
    await status_request(cp, 3, own, actions.get_transaction_status(cp.id))
    await cp.send_queued(queued, 6)
    await transaction_still_running(cp)


async def test_TC_E_34_status_without_id_without_queue(cp: Station) -> None:
    """Check Transaction status - Without transactionId - without message in queue"""
    await booted(cp)
    await status_query(cp, None).wait(1, trigger=actions.get_transaction_status(cp.id))
    await cp.still_connected()
