"""Authorization and transactions (C, E, F03): Authorize, TransactionEvent, MeterValues, remote
stop and transaction status (remote start: remote_control.py), with the idTokenInfo the stored tokens call for.

What the CSMS decides here comes from the store: the idTokenInfo of a token (E01.FR.11/12), the
seqNo values it holds for a transaction (a gap in an Ended transaction makes it ask the station
for the status of the transaction on its own, E14), and the transactions it knows for remote stop
(F03)."""
from __future__ import annotations

import json
import uuid
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
OMIT_TX_STATUS_ID = fault("omit_transaction_status_id", "GetTransactionStatus leaves out the transactionId it was asked for")
RESTART_SEQ_DUPLICATE = fault("seq_zero_duplicate", "treats a second seqNo 0 on the same EVSE as a duplicate and answers CALLERROR")
REQUIRE_TOKEN_AT_START = fault("require_id_token_at_start", "answers a Started TransactionEventRequest without idToken by a CALLERROR")
REJECT_SIGNED = fault("reject_signed_meter_values", "answers TransactionEventRequests with signed meter values by a CALLERROR")
UNPLUG_ENDS = fault("unplug_ends_transaction", "takes an Idle (unplugged) transaction for ended and answers its later events by a CALLERROR")
REQUIRE_STOP_TOKEN = fault("require_stop_token", "answers a StopAuthorized event without idToken by a CALLERROR")
CONCURRENT_OWN = fault("concurrent_tx_own_token", "answers ConcurrentTx when the token that authorized a transaction is presented again within it")



# ------------------------------------------------------------ id tokens
def id_token_info(session: "CsmsSession", id_token: dict[str, Any]) -> dict[str, Any]:
    """idTokenInfo from the stored token (Unknown when not stored)."""
    info = session.store.token_info(id_token)
    if session.csms.fault(ACCEPT_UNKNOWN) and info["status"] in ("Unknown", "Invalid"):
        info = {"status": "Accepted"}
    return info


@on("Authorize")
def authorize(session: "CsmsSession", payload: dict[str, Any]) -> dict[str, Any]:
    return {"idTokenInfo": id_token_info(session, payload["idToken"])}


# ------------------------------------------------------------ transaction events
def _signed(payload: dict[str, Any]) -> bool:
    return any("signedMeterValue" in sv for mv in payload.get("meterValue", []) for sv in mv.get("sampledValue", []))


def _earlier_transaction_on_evse(session: "CsmsSession", payload: dict[str, Any]) -> bool:
    """Whether another transaction already ran on this EVSE (what a per-EVSE seqNo counter sees)."""
    evse = payload.get("evse", {}).get("id")
    tx_id = payload["transactionInfo"]["transactionId"]
    for message in session.store.messages(session.id, "TransactionEvent"):
        if message["direction"] != "in":
            continue
        seen = json.loads(message["payload"])
        if seen.get("evse", {}).get("id") == evse and seen["transactionInfo"]["transactionId"] != tx_id:
            return True
    return False


def _refusal(session: "CsmsSession", payload: dict[str, Any], before: Any) -> CallErrorReply | None:
    """The CALLERROR a faulty CSMS answers instead of accepting the event (never without a fault)."""
    csms = session.csms
    if payload.get("offline") and csms.fault(REJECT_OFFLINE):
        return CallErrorReply("InternalError", "offline events are not accepted")
    if before is not None and before["ended_at"] and csms.fault(REJECT_LATE):
        return CallErrorReply("InternalError", "transaction already ended")
    if before is not None and before["charging_state"] == "Idle" and csms.fault(UNPLUG_ENDS):
        return CallErrorReply("InternalError", "transaction ended when the EV was unplugged")
    if payload["triggerReason"] == "StopAuthorized" and "idToken" not in payload and csms.fault(REQUIRE_STOP_TOKEN):
        return CallErrorReply("OccurrenceConstraintViolation", "idToken required to stop a transaction")
    if _signed(payload) and csms.fault(REJECT_SIGNED):
        return CallErrorReply("FormationViolation", "signed meter values are not supported")
    started = payload["eventType"] == "Started"
    if started and "idToken" not in payload and csms.fault(REQUIRE_TOKEN_AT_START):
        return CallErrorReply("OccurrenceConstraintViolation", "idToken required to start a transaction")
    if (started and payload["seqNo"] == 0 and csms.fault(RESTART_SEQ_DUPLICATE)
            and _earlier_transaction_on_evse(session, payload)):
        return CallErrorReply("OccurrenceConstraintViolation", "seqNo 0 already seen on this EVSE")
    return None


def _token_info_for_event(session: "CsmsSession", payload: dict[str, Any], before: Any) -> dict[str, Any]:
    info = id_token_info(session, payload["idToken"])
    own = before is not None and before["id_token"] and json.loads(before["id_token"]) == payload["idToken"]
    if own and info["status"] == "Accepted" and session.csms.fault(CONCURRENT_OWN):
        info = {**info, "status": "ConcurrentTx"}
    return info


def _missing_seq_nos(tx: Any) -> set[int]:
    seqs = json.loads(tx["seq_nos"])
    return set(range(0, max(seqs) + 1)) - set(seqs) if seqs else set()


@on("TransactionEvent")
def transaction_event(session: "CsmsSession", payload: dict[str, Any]) -> Any:
    """Store the event (also late, offline or repeated ones) and answer it; an idToken is always
    checked against the stored tokens (E01.FR.11/12)."""
    tx_id = payload["transactionInfo"]["transactionId"]
    before = session.store.transaction(session.id, tx_id)
    refusal = _refusal(session, payload, before)
    if refusal is not None:
        return refusal
    tx = session.store.record_event(session.id, payload)
    response: dict[str, Any] = {}
    if "idToken" in payload and not session.csms.fault(OMIT_TOKEN_INFO):
        response["idTokenInfo"] = _token_info_for_event(session, payload, before)
    if payload["eventType"] == "Ended" and _missing_seq_nos(tx) and not session.csms.fault(IGNORE_SEQ_GAPS):
        # E14: events of T are still queued at the station; ask it about T once the answer is out
        session.later(session.request("GetTransactionStatus", status_request(session.csms, tx_id)))
    return response


@on("MeterValues")
def meter_values(session: "CsmsSession", payload: dict[str, Any]) -> dict[str, Any]:
    return {}


# ------------------------------------------------------------ operator actions
def status_request(csms: "CentralSystem", tx_id: str | None) -> dict[str, Any]:
    """GetTransactionStatusRequest about ``tx_id`` (or about the station when None)."""
    if csms.fault(WRONG_TX_STATUS):
        return {"transactionId": str(uuid.uuid4())}
    if tx_id and not csms.fault(OMIT_TX_STATUS_ID):
        return {"transactionId": tx_id}
    return {}


@operator_action("GetTransactionStatus")
async def get_transaction_status(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    return send_request(csms, station_id, "GetTransactionStatus", status_request(csms, params.get("transactionId")))


@operator_action("RequestStopTransaction")
async def request_stop(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """F03: stop the given transaction (default: the station's latest ongoing one) if it is ongoing."""
    tx_id = params.get("transactionId")
    row = csms.store.transaction(station_id, tx_id) if tx_id else csms.store.ongoing_transaction(station_id)
    if row is None:
        raise ActionError(f"no {'transaction ' + tx_id if tx_id else 'ongoing transaction'} at {station_id}", 404)
    if row["ended_at"]:
        raise ActionError(f"transaction {row['id']} has already ended", 409)
    if csms.fault(NO_REMOTE_STOP):
        csms.session(station_id)
        return {"status": "sent", "request": "RequestStopTransaction"}
    return send_request(csms, station_id, "RequestStopTransaction", {"transactionId": row["id"]})
