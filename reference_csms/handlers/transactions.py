"""Authorization and transactions (C, E, F): Authorize, TransactionEvent, MeterValues, remote
start/stop and transaction status, with the idTokenInfo the stored tokens call for."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..registry import ActionError, fault, on, operator_action
from ..session import CallErrorReply
from .common import send_request

if TYPE_CHECKING:
    from ..app import CentralSystem
    from ..session import CsmsSession

ACCEPT_UNKNOWN = fault("accept_unknown_tokens", "answers Accepted for id tokens it does not know or holds as Invalid")
OMIT_TOKEN_INFO = fault("omit_id_token_info", "answers TransactionEventRequests that carry an idToken without idTokenInfo")
REJECT_OFFLINE = fault("reject_offline_events", "answers TransactionEventRequests with offline true by a CALLERROR")
REJECT_LATE = fault("reject_late_events", "answers events of an already ended transaction by a CALLERROR")
IGNORE_SEQ_GAPS = fault("ignore_seq_gaps", "does not ask GetTransactionStatus when an Ended event shows missing seqNo")
NO_REMOTE_STOP = fault("never_remote_stop", "accepts RequestStopTransaction actions but sends nothing")
WRONG_TX_STATUS = fault("wrong_transaction_status_id", "GetTransactionStatus carries a transactionId other than the asked one (or one when none was asked)")
RESTART_SEQ_DUPLICATE = fault("seq_zero_duplicate", "treats a second seqNo 0 on the same EVSE as a duplicate and answers CALLERROR")


def id_token_info(session: "CsmsSession", id_token: dict[str, Any]) -> dict[str, Any]:
    info = session.store.token_info(id_token)
    if session.csms.fault(ACCEPT_UNKNOWN) and info["status"] in ("Unknown", "Invalid"):
        info = {"status": "Accepted"}
    return info


@on("Authorize")
def authorize(session: "CsmsSession", payload: dict[str, Any]) -> dict[str, Any]:
    return {"idTokenInfo": id_token_info(session, payload["idToken"])}


@on("TransactionEvent")
def transaction_event(session: "CsmsSession", payload: dict[str, Any]) -> Any:
    csms, store = session.csms, session.store
    info = payload["transactionInfo"]
    before = store.transaction(session.id, info["transactionId"])
    if payload.get("offline") and csms.fault(REJECT_OFFLINE):
        return CallErrorReply("InternalError", "offline events are not accepted")
    if before is not None and before["ended_at"] and csms.fault(REJECT_LATE):
        return CallErrorReply("InternalError", "transaction already ended")
    if (payload["eventType"] == "Started" and payload["seqNo"] == 0 and csms.fault(RESTART_SEQ_DUPLICATE)
            and store.messages(session.id, "TransactionEvent")[:-1]
            and any(json.loads(m["payload"]).get("seqNo") == 0 for m in store.messages(session.id, "TransactionEvent")[:-1])):
        return CallErrorReply("OccurrenceConstraintViolation", "seqNo 0 already seen")
    tx = store.record_event(session.id, payload)
    response: dict[str, Any] = {}
    if "idToken" in payload and not csms.fault(OMIT_TOKEN_INFO):
        response["idTokenInfo"] = id_token_info(session, payload["idToken"])
    if payload["eventType"] == "Ended" and not csms.fault(IGNORE_SEQ_GAPS):
        seqs = json.loads(tx["seq_nos"])
        if set(range(0, max(seqs) + 1)) - set(seqs):
            session.later(session.request("GetTransactionStatus", {"transactionId": info["transactionId"]}))
    return response


@on("MeterValues")
def meter_values(session: "CsmsSession", payload: dict[str, Any]) -> dict[str, Any]:
    return {}


@operator_action("RequestStopTransaction")
async def request_stop(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    tx_id = params.get("transactionId")
    if not tx_id:
        row = csms.store.ongoing_transaction(station_id)
        if row is None:
            raise ActionError("no ongoing transaction to stop", 409)
        tx_id = row["id"]
    if csms.fault(NO_REMOTE_STOP):
        csms.session(station_id)
        return {"status": "sent", "request": "RequestStopTransaction"}
    return send_request(csms, station_id, "RequestStopTransaction", {"transactionId": tx_id})


@operator_action("RequestStartTransaction")
async def request_start(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = {"idToken": params.get("idToken"), "remoteStartId": params.get("remoteStartId", 1)}
    for key in ("evseId", "groupIdToken", "chargingProfile"):
        if params.get(key) is not None:
            payload[key] = params[key]
    return send_request(csms, station_id, "RequestStartTransaction", payload)


@operator_action("GetTransactionStatus")
async def get_transaction_status(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    if params.get("transactionId"):
        payload["transactionId"] = params["transactionId"]
    if csms.fault(WRONG_TX_STATUS):
        payload = {"transactionId": "not-" + payload.get("transactionId", "asked")}
    return send_request(csms, station_id, "GetTransactionStatus", payload)
