"""Availability (G): connector status and events (G01, G05) and the operational status of a station,
an EVSE or a connector (G03, G04).

The CSMS keeps what each station reports per connector (StatusNotification, NotifyEvent
AvailabilityState) and the operational status it set per target (evse 0 = the whole station,
connector 0 = the whole EVSE): Applied when the station answered Accepted, Scheduled while a
transaction delays it. Remote starts and reservations ask :func:`.evse_state.inoperative` before they
use an EVSE."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..registry import ActionError, CallErrorReply, fault, on, operator_action
from .common import forward, send_request
from .diagnostics import monitor_event_refusal
from .evse_state import known_target
from .reservation import released
from .transactions import available_refusal

if TYPE_CHECKING:
    from ..central import CentralSystem, CsmsSession

WHOLE_STATION = fault("availability_whole_station", "ChangeAvailability of an EVSE or a connector is sent for the whole station (evse left out)")
CONNECTOR_AS_EVSE = fault("availability_connector_as_evse", "ChangeAvailability of a connector is sent for its whole EVSE (connectorId left out)")
STATE_SWAPPED = fault("availability_state_swapped", "ChangeAvailability sends Operative when asked for Inoperative and Inoperative when asked for Operative")
NO_OPERATIVE = fault("availability_operative_not_sent", "accepts actions to make a target Operative again but sends nothing")
LOCK_FAILURE_REFUSED = fault("lock_failure_refused", "answers a NotifyEvent that reports a connector lock Problem with a CALLERROR")

STATUSES = ("Operative", "Inoperative")

forward("CostUpdated")


# ------------------------------------------------------------ CS → CSMS
@on("StatusNotification")
def status_notification(session: "CsmsSession", payload: dict[str, Any]) -> Any:
    """G01: remember the connector's status (what reservations and remote starts look at)."""
    refusal = available_refusal(session, payload)
    if refusal is not None:
        return refusal
    session.store.set_variable(session.id, f"Connector/{payload['evseId']}/{payload['connectorId']}",
                               "AvailabilityState", payload["connectorStatus"])
    if payload["connectorStatus"] == "Available":
        released(session.csms, session.id, payload["evseId"])
    return {}


@on("NotifyEvent")
def notify_event(session: "CsmsSession", payload: dict[str, Any]) -> Any:
    """G01/G05: AvailabilityState events update the connector's status; a connector problem (e.g.
    ConnectorPlugRetentionLock Problem true, G05.FR.03) is remembered for the connector; monitor
    events (N07/N08) are in the message log."""
    refusal = monitor_event_refusal(session, payload)
    if refusal is not None:
        return refusal
    for event in payload["eventData"]:
        component, variable = event["component"], event["variable"]["name"]
        evse = component.get("evse") or {}
        if component["name"] == "Connector" and variable == "AvailabilityState" and "connectorId" in evse:
            session.store.set_variable(session.id, f"Connector/{evse['id']}/{evse['connectorId']}",
                                       "AvailabilityState", event["actualValue"])
        elif variable == "Problem" and "id" in evse:
            if session.csms.fault(LOCK_FAILURE_REFUSED) and component["name"] == "ConnectorPlugRetentionLock":
                return CallErrorReply("InternalError", "lock failures are not handled")
            where = f"{component['name']}/{evse['id']}/{evse.get('connectorId', 0)}"
            session.store.set_variable(session.id, where, "Problem", event["actualValue"])
    return {}


# ------------------------------------------------------------ operator actions
def availability_request(csms: "CentralSystem", status: str, evse: int | None,
                         connector: int | None) -> dict[str, Any]:
    """ChangeAvailabilityRequest for the target: evse absent (station), evse.id (EVSE), or evse.id and
    evse.connectorId (connector)."""
    if csms.fault(STATE_SWAPPED):
        status = "Inoperative" if status == "Operative" else "Operative"
    payload: dict[str, Any] = {"operationalStatus": status}
    if evse is not None and not csms.fault(WHOLE_STATION):
        payload["evse"] = {"id": evse}
        if connector is not None and not csms.fault(CONNECTOR_AS_EVSE):
            payload["evse"]["connectorId"] = connector
    return payload


@operator_action("ChangeAvailability")
async def change_availability(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """G03/G04: change the operational status of the station, an EVSE or a connector; what the
    station answers (Accepted, Scheduled) is stored for the target."""
    status = params.get("operationalStatus")
    if status not in STATUSES:
        raise ActionError("operationalStatus must be Operative or Inoperative")
    target = params.get("evse") or {}
    evse, connector = target.get("id"), target.get("connectorId")
    if connector is not None and evse is None:
        raise ActionError("evse.connectorId needs evse.id")
    if not known_target(csms, station_id, evse, connector):
        raise ActionError(f"station {station_id} reported no connector {connector or ''} on EVSE {evse}", 404)
    if status == "Operative" and csms.fault(NO_OPERATIVE):
        csms.session(station_id)
        return {"status": "sent", "request": "ChangeAvailability"}

    def remember(answer: dict[str, Any]) -> None:
        if answer.get("status") in ("Accepted", "Scheduled"):
            state = "Applied" if answer["status"] == "Accepted" else "Scheduled"
            csms.store.set_availability(station_id, evse or 0, connector or 0, status, state)
    return send_request(csms, station_id, "ChangeAvailability",
                        availability_request(csms, status, evse, connector), remember)
