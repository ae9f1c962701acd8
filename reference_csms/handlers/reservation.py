"""Reservation (H): reserve now (H01), cancel (H02), the station's reservation status updates (H04),
and what a reservation means for other uses of the EVSE (H03).

Every reservation is stored (id unique per station, EVSE or none, connector type, idToken,
groupIdToken, expiryDateTime) with its state: Requested, then what the station answered (Accepted,
Occupied, Rejected, ...), Cancelled after an accepted CancelReservation, Expired/Removed from the
station's ReservationStatusUpdate, Released when the station reports the EVSE Available again. An
Accepted reservation is active until it expires or a transaction names its reservationId; while
active it holds its EVSE for its token and, when it has a groupIdToken, for every token of that
group (remote starts ask :func:`blocking_reservation`)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from simulator.wire.protocol import CALL, schema_problem

from ..registry import ActionError, fault, on, operator_action
from .common import send_request
from .evse_state import inoperative, known_target

if TYPE_CHECKING:
    from ..central import CentralSystem, CsmsSession

EXPIRY_IN_PAST = fault("reservation_expiry_in_past", "ReserveNow carries an expiryDateTime a minute in the past")
WRONG_EVSE = fault("reservation_wrong_evse", "ReserveNow names the EVSE after the asked one, and EVSE 1 when asked for any EVSE")
WRONG_CONNECTOR_TYPE = fault("reservation_wrong_connector_type", "ReserveNow carries another connectorType than the asked one (cCCS2, or cType2 when cCCS2 was asked), also when none was asked")
CANCEL_WRONG_ID = fault("cancel_wrong_reservation", "CancelReservation names the reservation id after the one asked")
CANCEL_AFTER_ACCEPT = fault("reservation_cancelled_after_accept", "takes the station's Accepted answer to ReserveNow for a failure and cancels that reservation at once")
GROUP_IGNORED = fault("reservation_group_ignored", "ReserveNow leaves out the groupIdToken: the reservation is not held for the token's group")

DEFAULT_EXPIRY_SECONDS = 300


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# ------------------------------------------------------------ what a reservation holds
def _used(csms: "CentralSystem", station_id: str, reservation_id: int) -> bool:
    """Whether a transaction of the station named the reservation (H03: it is used up)."""
    return any(json.loads(m["payload"]).get("reservationId") == reservation_id
               for m in csms.store.messages(station_id, "TransactionEvent") if m["direction"] == "in")


def active_reservations(csms: "CentralSystem", station_id: str) -> list[Any]:
    """Accepted reservations that have neither expired nor been used."""
    now = datetime.now(timezone.utc)
    return [r for r in csms.store.reservations(station_id, "Accepted")
            if _parse(r["expiry"]) > now and not _used(csms, station_id, r["id"])]


def holds_for(csms: "CentralSystem", reservation: Any, id_token: dict[str, Any]) -> bool:
    """A reservation is for its idToken and, with a groupIdToken, for every token of that group."""
    if json.loads(reservation["id_token"]) == id_token:
        return True
    group = json.loads(reservation["group_id_token"]) if reservation["group_id_token"] else None
    info = csms.store.token_info(id_token)
    return group is not None and info.get("groupIdToken", {}).get("idToken") == group["idToken"]


def blocking_reservation(csms: "CentralSystem", station_id: str, evse: int, id_token: dict[str, Any]) -> Any:
    """The active reservation of the EVSE that is not for this token (nor its group), if any."""
    return next((r for r in active_reservations(csms, station_id)
                 if r["evse"] == evse and not holds_for(csms, r, id_token)), None)


def released(csms: "CentralSystem", station_id: str, evse: int) -> None:
    """The station reported a connector of the EVSE Available: it no longer holds a reservation of
    that EVSE (a reserved EVSE shows Reserved), e.g. after a restart."""
    for r in active_reservations(csms, station_id):
        if r["evse"] == evse:
            csms.store.set_reservation_status(station_id, r["id"], "Released")


# ------------------------------------------------------------ CS → CSMS
@on("ReservationStatusUpdate")
def reservation_status_update(session: "CsmsSession", payload: dict[str, Any]) -> dict[str, Any]:
    """H04 / H01: the station ended the reservation (Expired, or Removed e.g. when the EVSE faulted)."""
    if session.store.reservation(session.id, payload["reservationId"]) is not None:
        session.store.set_reservation_status(session.id, payload["reservationId"],
                                             payload["reservationUpdateStatus"])
    return {}


# ------------------------------------------------------------ operator actions
def _expiry(params: dict[str, Any], csms: "CentralSystem") -> str:
    if csms.fault(EXPIRY_IN_PAST):
        return _iso(datetime.now(timezone.utc) - timedelta(minutes=1))
    if params.get("expiryDateTime"):
        try:
            return _iso(_parse(params["expiryDateTime"]))
        except ValueError:
            raise ActionError("expiryDateTime must be an RFC 3339 date-time") from None
    seconds = params.get("expirySeconds", DEFAULT_EXPIRY_SECONDS)
    if not isinstance(seconds, (int, float)) or seconds <= 0:
        raise ActionError("expirySeconds must be a number > 0")
    return _iso(datetime.now(timezone.utc) + timedelta(seconds=seconds))


def _group(csms: "CentralSystem", id_token: dict[str, Any], asked: Any) -> dict[str, Any] | None:
    """The groupIdToken to reserve for: only the token's own stored group may be asked."""
    if asked is None:
        return None
    stored = csms.store.token_info(id_token).get("groupIdToken")
    if not isinstance(asked, dict) or stored is None or asked.get("idToken") != stored["idToken"]:
        raise ActionError(f"idToken {id_token['idToken']} does not belong to group {asked}", 409)
    return {"idToken": stored["idToken"], "type": asked.get("type", stored["type"])}


def _target_free(csms: "CentralSystem", station_id: str, evse: int | None, id_token: dict[str, Any]) -> int | None:
    """Check the EVSE can be reserved; returns the id of the token's own active reservation of that
    EVSE, which a new request replaces (H01.FR.02)."""
    if evse is None:  # which EVSEs are free only the station knows: it answers Occupied when none is
        return None
    active = active_reservations(csms, station_id)
    if not known_target(csms, station_id, evse, None):
        raise ActionError(f"station {station_id} reported no EVSE {evse}", 404)
    if inoperative(csms, station_id, evse):
        raise ActionError(f"EVSE {evse} of {station_id} is Inoperative", 409)
    for r in active:
        if r["evse"] == evse:
            if json.loads(r["id_token"]) != id_token:
                raise ActionError(f"EVSE {evse} of {station_id} is reserved for another token", 409)
            return r["id"]
    return None


def _wrong_type(asked: str | None) -> str:
    return "cType2" if asked == "cCCS2" else "cCCS2"


@operator_action("ReserveNow")
async def reserve_now(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """H01: reserve an EVSE (or any EVSE, or one with a connector type) for a stored, Accepted token
    (and its group when asked), with a reservation id of the CSMS's own."""
    id_token = params.get("idToken")
    if not isinstance(id_token, dict) or not {"idToken", "type"} <= set(id_token):
        raise ActionError("ReserveNow needs params.idToken {idToken, type}")
    status = csms.store.token_info(id_token)["status"]
    if status != "Accepted":
        raise ActionError(f"idToken {id_token['idToken']} is {status}, not Accepted: no reservation", 409)
    evse, connector_type = params.get("evseId"), params.get("connectorType")
    group = _group(csms, id_token, params.get("groupIdToken"))
    reservation_id = _target_free(csms, station_id, evse, id_token) or csms.store.max_reservation_id(station_id) + 1
    payload: dict[str, Any] = {"id": reservation_id, "expiryDateTime": _expiry(params, csms), "idToken": id_token}
    if evse is not None or csms.fault(WRONG_EVSE):
        payload["evseId"] = 1 if evse is None else evse + 1 if csms.fault(WRONG_EVSE) else evse
    if connector_type is not None or csms.fault(WRONG_CONNECTOR_TYPE):
        payload["connectorType"] = _wrong_type(connector_type) if csms.fault(WRONG_CONNECTOR_TYPE) else connector_type
    if group is not None and not csms.fault(GROUP_IGNORED):
        payload["groupIdToken"] = group
    problem = schema_problem("ReserveNow", CALL, payload)
    if problem:
        raise ActionError(f"ReserveNowRequest would break the OCPP 2.0.1 schema: {problem}")
    csms.store.add_reservation(station_id, reservation_id, payload.get("evseId"), payload.get("connectorType"),
                               id_token, payload.get("groupIdToken"), payload["expiryDateTime"])

    def remember(answer: dict[str, Any]) -> None:
        csms.store.set_reservation_status(station_id, reservation_id, answer.get("status", "Rejected"))
        if answer.get("status") == "Accepted" and csms.fault(CANCEL_AFTER_ACCEPT):
            send_request(csms, station_id, "CancelReservation", {"reservationId": reservation_id})
    return send_request(csms, station_id, "ReserveNow", payload, remember)


@operator_action("CancelReservation")
async def cancel_reservation(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """H02: cancel an active reservation the CSMS made at the station."""
    reservation_id = params.get("reservationId")
    row = csms.store.reservation(station_id, reservation_id) if isinstance(reservation_id, int) else None
    if row is None:
        raise ActionError(f"no reservation {reservation_id!r} at {station_id}", 404)
    if all(r["id"] != reservation_id for r in active_reservations(csms, station_id)):
        raise ActionError(f"reservation {reservation_id} at {station_id} is not active ({row['status']})", 409)
    sent_id = reservation_id + 1 if csms.fault(CANCEL_WRONG_ID) else reservation_id

    def remember(answer: dict[str, Any]) -> None:
        if answer.get("status") == "Accepted":
            csms.store.set_reservation_status(station_id, sent_id, "Cancelled")
    return send_request(csms, station_id, "CancelReservation", {"reservationId": sent_id}, remember)
