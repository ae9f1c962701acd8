"""Transactions (E, F03): TransactionEvent, remote stop and transaction status (remote start:
remote_control.py), with the idTokenInfo the stored tokens call for (authorization.py decides it
and answers Authorize). The meter values of an event are stored and checked by ``meter_values``
(J), its cost settled by ``tariff`` (I).

What the CSMS decides here comes from the store: the idTokenInfo of a token (E01.FR.11/12), the
seqNo values it holds for a transaction (a gap in an Ended transaction makes it ask the station
for the status of the transaction on its own, E14), and the transactions it knows for remote stop
(F03)."""
from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from ..registry import ActionError, CallErrorReply, fault, on, operator_action
from .authorization import for_event, token_info
from .common import send_request
from .meter_values import record_transaction_values
from .meter_values import refusal as meter_values_refusal
from .tariff import settle

if TYPE_CHECKING:
    from ..central import CentralSystem, CsmsSession

ACCEPT_UNKNOWN = fault("accept_unknown_tokens", "answers Accepted for id tokens it does not know or holds as Invalid")
OMIT_TOKEN_INFO = fault("omit_id_token_info", "answers TransactionEventRequests that carry an idToken without idTokenInfo")
REJECT_OFFLINE = fault("reject_offline_events", "answers TransactionEventRequests with offline true by a CALLERROR")
REJECT_LATE = fault("reject_late_events", "answers events of an already ended transaction by a CALLERROR")
STOP_WHEN_CHARGING = fault("remote_stop_when_charging", "sends RequestStopTransaction for a transaction as soon as it reports chargingState Charging (as if its budget were spent)")
NO_REMOTE_STOP = fault("never_remote_stop", "accepts RequestStopTransaction actions but sends nothing")
WRONG_TX_STATUS = fault("wrong_transaction_status_id", "GetTransactionStatus carries a transactionId other than the asked one (or one when none was asked)")
OMIT_TX_STATUS_ID = fault("omit_transaction_status_id", "GetTransactionStatus leaves out the transactionId it was asked for")
RESTART_SEQ_DUPLICATE = fault("seq_zero_duplicate", "treats a second seqNo 0 on the same EVSE as a duplicate and answers CALLERROR")
REQUIRE_TOKEN_AT_START = fault("require_id_token_at_start", "answers a Started TransactionEventRequest without idToken by a CALLERROR")
REJECT_SIGNED = fault("reject_signed_meter_values", "answers TransactionEventRequests with signed meter values by a CALLERROR")
UNPLUG_ENDS = fault("unplug_ends_transaction", "takes an Idle (unplugged) transaction for ended and answers its later events by a CALLERROR")
REQUIRE_STOP_TOKEN = fault("require_stop_token", "answers a StopAuthorized event without idToken by a CALLERROR")
CABLE_FIRST_ONLY = fault("cable_first_only", "knows only cable-first starts: answers an Updated CablePluggedIn event of a transaction that is already running by a CALLERROR")
NO_END_WHILE_SUSPENDED = fault("no_end_while_suspended", "refuses to end a transaction whose EV suspended the charging (stored or reported chargingState SuspendedEV) by a CALLERROR")
NO_END_BEFORE_CHARGING = fault("no_end_before_charging", "answers the Ended event of a transaction that never reached chargingState Charging by a CALLERROR")
AVAILABLE_DURING_TX = fault("no_available_during_transaction", "answers StatusNotification Available for a connector whose EVSE has an ongoing transaction by a CALLERROR")
END_ONLY_BY_STOP = fault("end_only_by_stop_trigger", "answers an Ended event whose triggerReason is ChargingStateChanged (the EV stopped the energy transfer) by a CALLERROR")
CONCURRENT_OWN = fault("concurrent_tx_own_token", "answers ConcurrentTx when the token that authorized a transaction is presented again within it")



# ------------------------------------------------------------ id tokens
def id_token_info(session: "CsmsSession", id_token: dict[str, Any]) -> dict[str, Any]:
    """idTokenInfo from the stored token (authorization.token_info; Unknown when not stored).
    AuthorizeRequests are answered in authorization.py."""
    info = token_info(session, id_token)
    if session.csms.fault(ACCEPT_UNKNOWN) and info["status"] in ("Unknown", "Invalid"):
        info = {"status": "Accepted"}
    return info


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
        return CallErrorReply("FormatViolation", "signed meter values are not supported")
    ended = payload["eventType"] == "Ended"
    if (payload["eventType"] == "Updated" and payload["triggerReason"] == "CablePluggedIn" and before is not None
            and csms.fault(CABLE_FIRST_ONLY)):
        return CallErrorReply("PropertyConstraintViolation", "cable must be plugged in before the transaction starts")
    state = payload["transactionInfo"].get("chargingState")
    if ended and "SuspendedEV" in (state, before["charging_state"] if before is not None else None) \
            and csms.fault(NO_END_WHILE_SUSPENDED):
        return CallErrorReply("PropertyConstraintViolation", "the EV suspended charging; transaction cannot end")
    if ended and payload["triggerReason"] == "ChargingStateChanged" and csms.fault(END_ONLY_BY_STOP):
        return CallErrorReply("PropertyConstraintViolation", "a transaction ends by a stop trigger only")
    if ended and csms.fault(NO_END_BEFORE_CHARGING) and not _ever_charging(session, payload):
        return CallErrorReply("PropertyConstraintViolation", "transaction never charged")
    started = payload["eventType"] == "Started"
    if started and "idToken" not in payload and csms.fault(REQUIRE_TOKEN_AT_START):
        return CallErrorReply("OccurrenceConstraintViolation", "idToken required to start a transaction")
    if (started and payload["seqNo"] == 0 and csms.fault(RESTART_SEQ_DUPLICATE)
            and _earlier_transaction_on_evse(session, payload)):
        return CallErrorReply("OccurrenceConstraintViolation", "seqNo 0 already seen on this EVSE")
    return None


def _ever_charging(session: "CsmsSession", payload: dict[str, Any]) -> bool:
    """Whether any event of this transaction (the given one included) reported chargingState Charging."""
    tx_id = payload["transactionInfo"]["transactionId"]
    events = [json.loads(m["payload"]) for m in session.store.messages(session.id, "TransactionEvent")
              if m["direction"] == "in"] + [payload]
    return any(e["transactionInfo"]["transactionId"] == tx_id and e["transactionInfo"].get("chargingState") == "Charging"
               for e in events)


def available_refusal(session: "CsmsSession", payload: dict[str, Any]) -> CallErrorReply | None:
    """The faulty CSMS that takes a connector with an ongoing transaction for never Available."""
    if payload["connectorStatus"] == "Available" and session.csms.fault(AVAILABLE_DURING_TX) \
            and session.store.ongoing_transaction(session.id, payload["evseId"]) is not None:
        return CallErrorReply("PropertyConstraintViolation", "connector has an ongoing transaction")
    return None


def _token_info_for_event(session: "CsmsSession", payload: dict[str, Any], before: Any) -> dict[str, Any]:
    info = for_event(session, payload, before, id_token_info(session, payload["idToken"]))
    own = before is not None and before["id_token"] and json.loads(before["id_token"]) == payload["idToken"]
    if own and info["status"] == "Accepted" and session.csms.fault(CONCURRENT_OWN):
        info = {**info, "status": "ConcurrentTx"}
    return info


def _seq_gap(tx: Any) -> bool:
    """Whether a seqNo between 0 and the highest one received is missing (counted, not listed:
    a seqNo may be any integer)."""
    seqs = {s for s in json.loads(tx["seq_nos"]) if s >= 0}
    return bool(seqs) and len(seqs) != max(seqs) + 1


@on("TransactionEvent")
def transaction_event(session: "CsmsSession", payload: dict[str, Any]) -> Any:
    """Store the event (also late, offline or repeated ones) and answer it; an idToken is always
    checked against the stored tokens (E01.FR.11/12)."""
    tx_id = payload["transactionInfo"]["transactionId"]
    before = session.store.transaction(session.id, tx_id)
    refusal = _refusal(session, payload, before) or meter_values_refusal(
        session, "TransactionEvent", payload.get("meterValue", []))
    if refusal is not None:
        return refusal
    tx = session.store.record_event(session.id, payload)
    record_transaction_values(session, payload)
    response: dict[str, Any] = {}
    if "idToken" in payload and not session.csms.fault(OMIT_TOKEN_INFO):
        response["idTokenInfo"] = _token_info_for_event(session, payload, before)
    if payload["transactionInfo"].get("chargingState") == "Charging" and session.csms.fault(STOP_WHEN_CHARGING):
        session.later(session.request("RequestStopTransaction", {"transactionId": tx_id}))
    if payload["eventType"] == "Ended" and _seq_gap(tx):
        # E14: events of T are still queued at the station; ask it about T once the answer is out (a
        # CSMS may; OCPP does not oblige it to, so no fault leaves it out: TC_E_31 then asks the operator)
        session.later(session.request("GetTransactionStatus", status_request(session.csms, tx_id)))
    settle(session, payload, tx, response)
    return response


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
