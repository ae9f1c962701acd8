"""Default answers of the simulated station to every CSMS→CS request of OCPP 2.0.1.

A case that expects a request chooses its own reply; every other request gets the sensible
(mostly Accepted) answer below, computed from the station's state, and is recorded. Some answers
have follow-up messages that OCPP requires (NotifyReport after GetBaseReport, the triggered
message after TriggerMessage); those run only for requests no case is waiting for.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable

from simulator.station import diagnostics, display, smart_charging
from simulator.station.boot import boot_notification
from simulator.station.station import AFTER_REPLY, DEFAULT_REPLIES, Station, now_iso
from simulator.verdicts.trace import add_secret

REPORT_PART_SIZE = 5  # at most (B block summary); the station chooses 1-5 per report
FOLLOW_UP = "follow-up"  # the step label of messages a default answer implies (none of the case's steps)


def _status(value: str) -> Callable[["Station", dict], dict]:
    return lambda station, payload: {"status": value}


def get_variables(station: "Station", payload: dict) -> dict:
    return {"getVariableResult": [station.device.get_variable(d) for d in payload["getVariableData"]]}


def set_variables(station: "Station", payload: dict) -> dict:
    for data in payload["setVariableData"]:
        if data["variable"]["name"] == "BasicAuthPassword":
            add_secret(data.get("attributeValue"))
    return {"setVariableResult": [station.device.set_variable(d) for d in payload["setVariableData"]]}


def get_base_report(station: "Station", payload: dict) -> dict:
    return {"status": "Accepted"}


def get_report(station: "Station", payload: dict) -> dict:
    data = station.device.custom_report(payload.get("componentCriteria"), payload.get("componentVariable"))
    return {"status": "Accepted" if data else "EmptyResultSet"}


def get_transaction_status(station: "Station", payload: dict) -> dict:
    tx_id = payload.get("transactionId")
    if tx_id is None:
        return {"messagesInQueue": bool(station.queue)}
    tx = station.model.find_transaction(tx_id)
    queued = any(e["transactionInfo"]["transactionId"] == tx_id for e in station.queue)
    return {"ongoingIndicator": bool(tx and not tx.ended), "messagesInQueue": queued}


def set_network_profile(station: "Station", payload: dict) -> dict:
    station.network_profiles[payload["configurationSlot"]] = payload["connectionData"]
    return {"status": "Accepted"}


def reset(station: "Station", payload: dict) -> dict:
    """B11/B12: OnIdle waits for the transactions on the target to end (Scheduled)."""
    evse = payload.get("evseId")
    busy = any(e.transaction is not None for e in station.model.evses.values() if evse in (None, e.id))
    return {"status": "Scheduled" if busy and payload["type"] == "OnIdle" else "Accepted"}


TRIGGERABLE = {"BootNotification", "Heartbeat", "StatusNotification", "MeterValues", "TransactionEvent",
               "SignChargingStationCertificate", "SignV2GCertificate", "SignCombinedCertificate",
               "FirmwareStatusNotification", "LogStatusNotification"}


def trigger_message(station: "Station", payload: dict) -> dict:
    """F06: NotImplemented for a message the station cannot trigger, Rejected for an EVSE (or
    connector) it does not have, else Accepted (the message follows)."""
    if payload["requestedMessage"] not in TRIGGERABLE:
        return {"status": "NotImplemented"}
    evse = payload.get("evse")
    if evse is not None:
        known = station.model.evses.get(evse["id"])
        if known is None or evse.get("connectorId", next(iter(known.connectors))) not in known.connectors:
            return {"status": "Rejected"}
    return {"status": "Accepted"}


def request_start(station: "Station", payload: dict) -> dict:
    """F01/F02: Accepted on an operative EVSE not used by an authorized transaction; with the id of
    the transaction already open there (cable plugged in first, F01)."""
    e = payload.get("evseId") or station.settings.CONFIGURED_EVSE_ID
    if e not in station.model.evses:
        return {"status": "Rejected"}
    tx = station.model.transaction(e)
    reservation = station.model.reservation_for(e)
    if (not any(station.model.connector_operative(e, c) for c in station.model.evses[e].connectors)
            or (tx is not None and tx.id_token is not None)
            or (reservation is not None and reservation.id_token != payload["idToken"])):
        return {"status": "Rejected"}
    return {"status": "Accepted", "transactionId": tx.id} if tx else {"status": "Accepted"}


def unlock_connector(station: "Station", payload: dict) -> dict:
    """F05: Unlocked for a connector of the station, UnknownConnector otherwise."""
    evse = station.model.evses.get(payload["evseId"])
    return {"status": "Unlocked" if evse and payload["connectorId"] in evse.connectors else "UnknownConnector"}


def change_availability(station: "Station", payload: dict) -> dict:
    """G03/G04: Scheduled while a transaction runs on the target (applied when it ends), else Accepted."""
    evse = payload.get("evse") or {}
    targets = station.model.targets(evse.get("id"), evse.get("connectorId"))
    if not targets:
        return {"status": "Rejected"}
    busy = any(station.model.evses[e].transaction is not None for e, _ in targets)
    if not busy:
        operative = payload["operationalStatus"] == "Operative"
        station.model.set_operative(operative, evse.get("id"), evse.get("connectorId"))
    return {"status": "Scheduled" if busy else "Accepted"}


def reserve_now(station: "Station", payload: dict) -> dict:
    """H01: the reservation is kept when Accepted: a specific EVSE must be Available; any EVSE needs
    one more Available EVSE than there are unspecified reservations."""
    from simulator.station.model import Reservation
    e = payload.get("evseId")
    if e is not None:
        if e not in station.model.evses:
            return {"status": "Rejected"}
        status = next(iter(station.model.evses[e].connectors.values()))
        if status != "Available" and not (station.model.reservation_for(e) and
                                          station.model.reservation_for(e).id == payload["id"]):
            return {"status": {"Unavailable": "Unavailable", "Faulted": "Faulted"}.get(status, "Occupied")}
    else:
        free = sum(1 for ev in station.model.evses.values() if all(s == "Available" for s in ev.connectors.values()))
        held = sum(1 for r in station.model.reservations.values() if r.evse is None and r.id != payload["id"])
        if held >= free:
            return {"status": "Occupied"}
    station.model.reserve(Reservation(payload["id"], payload["expiryDateTime"], payload["idToken"], e,
                                      payload.get("connectorType"), payload.get("groupIdToken")))
    return {"status": "Accepted"}


def cancel_reservation(station: "Station", payload: dict) -> dict:
    """H02: Accepted for a reservation the station holds (which it then drops), else Rejected."""
    return {"status": "Accepted" if station.model.drop_reservation(payload["reservationId"]) else "Rejected"}


def get_installed_certificate_ids(station: "Station", payload: dict) -> dict:
    """M03: one entry per stored certificate of the asked types (all when none asked), hashed with
    the store's algorithm; NotFound without certificateHashDataChain when none matches."""
    chain = station.certificates.ids(payload.get("certificateType"))
    return {"status": "Accepted", "certificateHashDataChain": chain} if chain else {"status": "NotFound"}


def unpublish_firmware(station: "Station", payload: dict) -> dict:
    """L04: a file published under the checksum is withdrawn; otherwise NoFirmware."""
    published = station.model.firmware.published
    key = payload["checksum"].lower()
    if key in published:
        del published[key]
        return {"status": "Unpublished"}
    return {"status": "NoFirmware"}


def install_certificate(station: "Station", payload: dict) -> dict:
    return {"status": station.certificates.install(payload["certificateType"], payload["certificate"])}


def delete_certificate(station: "Station", payload: dict) -> dict:
    return {"status": station.certificates.delete(payload["certificateHashData"])}


def get_local_list_version(station: "Station", payload: dict) -> dict:
    """D02: the version of the list the station holds (0: none), as often as asked."""
    return {"versionNumber": station.local_list.version}


def send_local_list(station: "Station", payload: dict) -> dict:
    """D01: accept the list and apply it (Full replaces, Differential adds/removes); its
    versionNumber becomes the station's version."""
    return {"status": station.local_list.apply(payload)}


def clear_cache(station: "Station", payload: dict) -> dict:
    """C11: empty the Authorization Cache."""
    return {"status": station.auth_cache.clear()}


def get_composite_schedule(station: "Station", payload: dict) -> dict:
    """K08: the installed profiles really composed over the asked window."""
    return smart_charging.composite(station, payload)


def set_charging_profile(station: "Station", payload: dict) -> dict:
    """K01: install the profile, or Rejected by the station's rules."""
    return smart_charging.install(station, payload["evseId"], payload["chargingProfile"])


def clear_charging_profile(station: "Station", payload: dict) -> dict:
    """K10: remove by id or criteria; Unknown when nothing matched."""
    return smart_charging.clear(station, payload)


def get_charging_profiles(station: "Station", payload: dict) -> dict:
    """K09: Accepted when installed profiles match (the reports follow), else NoProfiles."""
    return smart_charging.profiles_answer(station, payload)


def data_transfer(station: "Station", payload: dict) -> dict:
    return {"status": "UnknownVendorId"}


DEFAULT_REPLIES.update({
    "CancelReservation": cancel_reservation,
    "CertificateSigned": _status("Accepted"),
    "ChangeAvailability": change_availability,
    "ClearCache": clear_cache,
    "ClearChargingProfile": clear_charging_profile,
    "ClearDisplayMessage": display.clear_display_message,
    "ClearVariableMonitoring": diagnostics.clear_variable_monitoring,
    "CostUpdated": lambda s, p: {},
    "CustomerInformation": _status("Accepted"),
    "DataTransfer": data_transfer,
    "DeleteCertificate": delete_certificate,
    "GetBaseReport": get_base_report,
    "GetChargingProfiles": get_charging_profiles,
    "GetCompositeSchedule": get_composite_schedule,
    "GetDisplayMessages": display.get_display_messages,
    "GetInstalledCertificateIds": get_installed_certificate_ids,
    "GetLocalListVersion": get_local_list_version,
    "GetLog": diagnostics.get_log,
    "GetMonitoringReport": diagnostics.get_monitoring_report,
    "GetReport": get_report,
    "GetTransactionStatus": get_transaction_status,
    "GetVariables": get_variables,
    "InstallCertificate": install_certificate,
    "PublishFirmware": _status("Rejected"),  # L03: no publish a case has not scripted
    "RequestStartTransaction": request_start,
    "RequestStopTransaction": _status("Accepted"),
    "ReserveNow": reserve_now,
    "Reset": reset,
    "SendLocalList": send_local_list,
    "SetChargingProfile": set_charging_profile,
    "SetDisplayMessage": display.set_display_message,
    "SetMonitoringBase": diagnostics.set_monitoring_base,
    "SetMonitoringLevel": diagnostics.set_monitoring_level,
    "SetNetworkProfile": set_network_profile,
    "SetVariableMonitoring": diagnostics.set_variable_monitoring,
    "SetVariables": set_variables,
    "TriggerMessage": trigger_message,
    "UnlockConnector": unlock_connector,
    "UnpublishFirmware": unpublish_firmware,
    "UpdateFirmware": _status("Rejected"),  # L01: no update a case has not scripted
})


# ---------------------------------------------------------------- follow-ups
async def send_report(station: "Station", request_id: int, report: list[dict],
                      step: int | str | None = None) -> int:
    """NotifyReport parts of at most five entries (how many, the station chooses), seqNo 0.., tbc on
    all but the last; every part must get a CALLRESULT. Returns the number of parts."""
    size = station.choose("NotifyReport part size", range(REPORT_PART_SIZE, 0, -1))
    parts = [report[i:i + size] for i in range(0, len(report), size)] or [[]]
    for seq, part in enumerate(parts):
        payload: dict[str, Any] = {"requestId": request_id, "generatedAt": now_iso(), "seqNo": seq,
                                   "tbc": seq < len(parts) - 1}
        if part:
            payload["reportData"] = part
        await station.send("NotifyReport", payload, step)
    return len(parts)


def after_base_report(station: "Station", payload: dict, reply: dict) -> Awaitable | None:
    if reply.get("status") != "Accepted":
        return None
    return send_report(station, payload["requestId"], station.device.base_report(payload["reportBase"]),
                       FOLLOW_UP)


def after_report(station: "Station", payload: dict, reply: dict) -> Awaitable | None:
    if reply.get("status") != "Accepted":
        return None
    data = station.device.custom_report(payload.get("componentCriteria"), payload.get("componentVariable"))
    return send_report(station, payload["requestId"], data, FOLLOW_UP)


async def send_triggered(station: "Station", message: str, evse: dict | None) -> None:
    if message == "BootNotification":
        await boot_notification(station, reason="Triggered", step=FOLLOW_UP)
    elif message == "Heartbeat":
        await station.send("Heartbeat", {}, FOLLOW_UP)
    elif message == "StatusNotification":
        for e, c in station.model.connectors():
            if evse is None or evse.get("id") == e:
                await station.send("StatusNotification", {
                    "timestamp": now_iso(), "connectorStatus": station.model.evses[e].connectors[c],
                    "evseId": e, "connectorId": c}, FOLLOW_UP)
    elif message == "MeterValues":
        for e in ([evse["id"]] if evse else list(station.model.evses)):
            await station.send("MeterValues", {"evseId": e, "meterValue": [station.meter_value(e, "Trigger")]},
                               FOLLOW_UP)
    elif message == "TransactionEvent":
        for ev in station.model.evses.values():
            if ev.transaction is not None and (evse is None or evse.get("id") == ev.id):
                await station.transaction_event("Updated", "Trigger", FOLLOW_UP, evse=ev.id,
                                                charging_state=ev.transaction.charging_state,
                                                meter=[station.meter_value(ev.id, "Trigger")], omit_evse=evse is None)
    elif message in ("LogStatusNotification", "FirmwareStatusNotification"):
        await station.send(message, {"status": "Idle"}, FOLLOW_UP)


def after_trigger(station: "Station", payload: dict, reply: dict) -> Awaitable | None:
    if reply.get("status") != "Accepted" or payload["requestedMessage"] not in TRIGGERED:
        return None
    return send_triggered(station, payload["requestedMessage"], payload.get("evse"))


async def send_profile_reports(station: "Station", request: dict, step: int | str | None = None) -> list[dict]:
    """K09: the ReportChargingProfilesRequests of a GetChargingProfilesRequest; each must get a
    CALLRESULT. Returns the reports sent."""
    sent = smart_charging.reports(station, request)
    for report in sent:
        await station.send("ReportChargingProfiles", report, step)
    return sent


def after_charging_profiles(station: "Station", payload: dict, reply: dict) -> Awaitable | None:
    if reply.get("status") != "Accepted":
        return None
    return send_profile_reports(station, payload, FOLLOW_UP)


async def _uploaded(station: "Station", request_id: int) -> None:
    for status in ("Uploading", "Uploaded"):
        await diagnostics.log_status(station, status, request_id, FOLLOW_UP)


def after_get_log(station: "Station", payload: dict, reply: dict) -> Awaitable | None:
    """N01: the upload the station accepted runs (a cancelled one is reported AcceptedCanceled)."""
    if reply.get("status") not in ("Accepted", "AcceptedCanceled"):
        return None
    return _uploaded(station, payload["requestId"])


def after_monitoring_report(station: "Station", payload: dict, reply: dict) -> Awaitable | None:
    if reply.get("status") != "Accepted":
        return None
    data = diagnostics.monitoring_data(station, payload.get("monitoringCriteria"), payload.get("componentVariable"))
    return diagnostics.send_monitoring_report(station, payload["requestId"], [data], FOLLOW_UP)


def after_customer_information(station: "Station", payload: dict, reply: dict) -> Awaitable | None:
    if reply.get("status") != "Accepted" or not payload["report"]:
        return None
    customer = {k: payload[k] for k in ("idToken", "customerIdentifier", "customerCertificate") if k in payload}
    return diagnostics.notify_customer_information(
        station, payload["requestId"], diagnostics.customer_text(customer, False, payload["clear"]), FOLLOW_UP)


def after_display_messages(station: "Station", payload: dict, reply: dict) -> Awaitable | None:
    if reply.get("status") != "Accepted":
        return None
    return display.notify_display_messages(station, payload["requestId"],
                                           display.stored_messages(station, payload), FOLLOW_UP)


TRIGGERED = ("BootNotification", "Heartbeat", "StatusNotification", "MeterValues", "TransactionEvent",
             "LogStatusNotification", "FirmwareStatusNotification")


async def report_changes(station: "Station", targets: list[tuple[int, int]], status: str,
                         unless: tuple[str, ...] = ()) -> None:
    """Report ``status`` for the connectors of a target whose state changes (a follow-up)."""
    for e, c in targets:
        if station.model.evses[e].connectors[c] not in (status, *unless):
            await station.report_status(e, c, status, FOLLOW_UP)


def after_change_availability(station: "Station", payload: dict, reply: dict) -> Awaitable | None:
    """G03/G04: an applied change is reported for every connector of the target that changes."""
    if reply.get("status") != "Accepted":
        return None
    evse = payload.get("evse") or {}
    targets = station.model.targets(evse.get("id"), evse.get("connectorId"))
    if payload["operationalStatus"] == "Inoperative":
        return report_changes(station, targets, "Unavailable", unless=("Occupied", "Faulted"))
    return report_changes(station, [t for t in targets if station.model.connector_operative(*t)
                                    and station.model.evses[t[0]].connectors[t[1]] == "Unavailable"], "Available")


def after_reserve_now(station: "Station", payload: dict, reply: dict) -> Awaitable | None:
    """H01: a reserved EVSE (or the only one) reports its connectors Reserved."""
    e = payload.get("evseId") or (next(iter(station.model.evses)) if len(station.model.evses) == 1 else None)
    if reply.get("status") != "Accepted" or e is None:
        return None
    return report_changes(station, station.model.targets(e), "Reserved")


def after_cancel_reservation(station: "Station", payload: dict, reply: dict) -> Awaitable | None:
    """H02: the connectors of a cancelled reservation are Available again."""
    if reply.get("status") != "Accepted":
        return None
    reserved = [t for t in station.model.connectors() if station.model.evses[t[0]].connectors[t[1]] == "Reserved"
                and not station.model.reservation_for(t[0])]
    return report_changes(station, reserved, "Available")


AFTER_REPLY.update({
    "CustomerInformation": after_customer_information,
    "GetDisplayMessages": after_display_messages,
    "GetLog": after_get_log,
    "GetMonitoringReport": after_monitoring_report,
    "GetChargingProfiles": after_charging_profiles,
    "CancelReservation": after_cancel_reservation,
    "ChangeAvailability": after_change_availability,
    "ReserveNow": after_reserve_now,
    "GetBaseReport": after_base_report,
    "GetReport": after_report,
    "TriggerMessage": after_trigger,
})
