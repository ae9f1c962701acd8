"""Remote control (F): remote start (F01/F02), unlock connector (F05) and trigger message (F06).

A remote start is only sent for a token the CSMS holds as Accepted, on an EVSE that is not
Inoperative and not reserved for another token or group; each gets a remoteStartId of its own
(unique per station), stored with the token and EVSE together with the station's answer (and the
transactionId it names when the cable was plugged in first). An unlock is only sent for a connector
the station reported."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator.wire.protocol import CALL, schema_problem

from ..registry import ActionError, fault, operator_action
from .common import send_request
from .evse_state import inoperative, known_target
from .reservation import blocking_reservation
from .smart_charging import remote_start_profile

if TYPE_CHECKING:
    from ..central import CentralSystem

WRONG_TOKEN_TYPE = fault("remote_start_wrong_token_type", "RequestStartTransaction carries the asked idToken with another type (ISO14443, or Central when ISO14443 was asked)")
WRONG_START_EVSE = fault("remote_start_wrong_evse", "RequestStartTransaction names the EVSE after the asked one")
NO_REMOTE_START_ID = fault("remote_start_id_missing", "RequestStartTransaction leaves out the required remoteStartId")
UNLOCK_WRONG_CONNECTOR = fault("unlock_wrong_connector", "UnlockConnector names the connector after the asked one")
WRONG_TRIGGER = fault("wrong_trigger_message", "TriggerMessage asks for a Heartbeat whatever was asked")
NO_TRIGGER = fault("trigger_message_not_sent", "accepts TriggerMessage actions but sends nothing")
DROP_ON_NOT_IMPLEMENTED = fault("trigger_refusal_drops_station", "closes the station's connection when it answers a TriggerMessage with NotImplemented")
TRIGGER_WITHOUT_EVSE = fault("trigger_evse_omitted", "TriggerMessage leaves out the evse it was asked for (F06.FR.13)")


def _checked(action: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Refuse an operator action whose request would break the schema (HTTP 400, not silence)."""
    problem = schema_problem(action, CALL, payload)
    if problem:
        raise ActionError(f"{action}Request would break the OCPP 2.0.1 schema: {problem}")
    return payload


# ------------------------------------------------------------ F01/F02 remote start
def _start_request(csms: "CentralSystem", station_id: str, id_token: dict[str, Any], remote_start_id: int,
                   evse: int | None, params: dict[str, Any]) -> dict[str, Any]:
    token = dict(id_token)
    if csms.fault(WRONG_TOKEN_TYPE):
        token["type"] = "Central" if token["type"] == "ISO14443" else "ISO14443"
    payload: dict[str, Any] = {"idToken": token, "remoteStartId": remote_start_id}
    if evse is not None:
        payload["evseId"] = evse + 1 if csms.fault(WRONG_START_EVSE) else evse
    if params.get("groupIdToken") is not None:
        payload["groupIdToken"] = params["groupIdToken"]
    if params.get("chargingProfile") is not None:  # K05: checked as smart charging requires
        payload["chargingProfile"] = remote_start_profile(csms, station_id, params["chargingProfile"])
    return payload


@operator_action("RequestStartTransaction")
async def request_start(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """F01/F02: ask the station to start a transaction for a stored, Accepted idToken."""
    id_token = params.get("idToken")
    if not isinstance(id_token, dict) or not {"idToken", "type"} <= set(id_token):
        raise ActionError("RequestStartTransaction needs params.idToken {idToken, type}")
    status = csms.store.token_info(id_token)["status"]
    if status != "Accepted":
        raise ActionError(f"idToken {id_token['idToken']} is {status}, not Accepted: no remote start", 409)
    evse = params.get("evseId")
    if evse is not None:
        if not known_target(csms, station_id, evse, None):
            raise ActionError(f"station {station_id} reported no EVSE {evse}", 404)
        if inoperative(csms, station_id, evse):
            raise ActionError(f"EVSE {evse} of {station_id} is Inoperative", 409)
        held = blocking_reservation(csms, station_id, evse, id_token)
        if held is not None:
            raise ActionError(f"EVSE {evse} of {station_id} is reserved (reservation {held['id']}) for another "
                              f"token", 409)
    remote_start_id = params.get("remoteStartId", csms.store.max_remote_start_id(station_id) + 1)
    payload = _checked("RequestStartTransaction", _start_request(csms, station_id, id_token, remote_start_id, evse, params))
    csms.store.add_remote_start(station_id, remote_start_id, id_token, evse)

    def remember(answer: dict[str, Any]) -> None:
        csms.store.update_remote_start(station_id, remote_start_id, status=answer.get("status"),
                                       transaction_id=answer.get("transactionId"))
    if csms.fault(NO_REMOTE_START_ID):
        del payload["remoteStartId"]
        session = csms.session(station_id)
        session.later(session.request("RequestStartTransaction", payload, validate=False))
        return {"status": "sent", "request": "RequestStartTransaction"}
    return send_request(csms, station_id, "RequestStartTransaction", payload, remember)


# ------------------------------------------------------------ F05 unlock connector
@operator_action("UnlockConnector")
async def unlock_connector(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """F05: unlock a connector the station reported."""
    evse, connector = params.get("evseId"), params.get("connectorId")
    if not isinstance(evse, int) or not isinstance(connector, int):
        raise ActionError("UnlockConnector needs params.evseId and params.connectorId")
    if not known_target(csms, station_id, evse, connector):
        raise ActionError(f"station {station_id} reported no connector {connector} on EVSE {evse}", 404)
    if csms.fault(UNLOCK_WRONG_CONNECTOR):
        connector += 1
    return send_request(csms, station_id, "UnlockConnector", {"evseId": evse, "connectorId": connector})


# ------------------------------------------------------------ F06 trigger message
@operator_action("TriggerMessage")
async def trigger_message(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """F06: ask the station for the message (of the EVSE, when one is given)."""
    payload: dict[str, Any] = {"requestedMessage": params.get("requestedMessage")}
    if csms.fault(WRONG_TRIGGER):
        payload["requestedMessage"] = "Heartbeat"
    if params.get("evse") and not csms.fault(TRIGGER_WITHOUT_EVSE):
        payload["evse"] = params["evse"]
    _checked("TriggerMessage", payload)
    if csms.fault(NO_TRIGGER):
        csms.session(station_id)
        return {"status": "sent", "request": "TriggerMessage"}

    def answered(answer: dict[str, Any]) -> None:
        if answer.get("status") == "NotImplemented" and csms.fault(DROP_ON_NOT_IMPLEMENTED):
            session = csms.session(station_id)
            session.later(session.close())
    return send_request(csms, station_id, "TriggerMessage", payload, answered)
