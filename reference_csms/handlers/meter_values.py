"""Meter values (J): MeterValuesRequests of the main meter and the EVSEs, and the meter values of
TransactionEventRequests, whatever their context (clock-aligned, periodic, Begin/End, trigger) and
with or without signed data. Every sampled value is stored (signed data included); a transaction
event the CSMS already has (same seqNo, replayed after a connection loss) is kept as replayed and
adds nothing to the transaction's readings (E, I).

J01.FR.18 / J02.FR.19: each request gets its answer, never a CALLERROR because of evseId 0, the
context, or signed data."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..registry import CallErrorReply, NoReply, fault, on

if TYPE_CHECKING:
    from ..central import CsmsSession

REJECT_METER_VALUES = fault("reject_meter_values", "answers every MeterValuesRequest by a CALLERROR")
REJECT_CLOCK = fault("reject_clock_aligned_values",
                     "answers meter values with context Sample.Clock (MeterValues or TransactionEvent) by a CALLERROR")
REJECT_PERIODIC = fault("reject_periodic_values",
                        "answers meter values with context Sample.Periodic (MeterValues or TransactionEvent) by a CALLERROR")
REJECT_BEGIN = fault("reject_begin_values", "answers a TransactionEventRequest with a Transaction.Begin reading by a CALLERROR")
REJECT_SERIES = fault("reject_meter_value_series",
                      "answers a TransactionEventRequest whose meterValue has more than one element by a CALLERROR")
DROP_SIGNED = fault("drop_signed_meter_values",
                    "drops requests whose meter values carry signedMeterValue: no answer at all")


def _contexts(meter_values: list[dict[str, Any]]) -> set[str]:
    return {sv.get("context", "Sample.Periodic") for mv in meter_values for sv in mv.get("sampledValue", [])}


def _signed(meter_values: list[dict[str, Any]]) -> bool:
    return any("signedMeterValue" in sv for mv in meter_values for sv in mv.get("sampledValue", []))


def refusal(session: "CsmsSession", action: str, meter_values: list[dict[str, Any]]) -> CallErrorReply | NoReply | None:
    """What a faulty CSMS answers instead of accepting the meter values (never without a fault)."""
    csms = session.csms
    contexts = _contexts(meter_values)
    if action == "MeterValues" and csms.fault(REJECT_METER_VALUES):
        return CallErrorReply("NotSupported", "meter values are not accepted")
    if _signed(meter_values) and csms.fault(DROP_SIGNED):
        return NoReply()
    if "Sample.Clock" in contexts and csms.fault(REJECT_CLOCK):
        return CallErrorReply("PropertyConstraintViolation", "clock-aligned meter values are not supported")
    if "Sample.Periodic" in contexts and csms.fault(REJECT_PERIODIC):
        return CallErrorReply("PropertyConstraintViolation", "sampled meter values are not supported")
    if action == "TransactionEvent" and "Transaction.Begin" in contexts and csms.fault(REJECT_BEGIN):
        return CallErrorReply("PropertyConstraintViolation", "Transaction.Begin values are not supported")
    if action == "TransactionEvent" and len(meter_values) > 1 and csms.fault(REJECT_SERIES):
        return CallErrorReply("OccurrenceConstraintViolation", "one meterValue per event expected")
    return None


def record_transaction_values(session: "CsmsSession", event: dict[str, Any]) -> bool:
    """Store the meter values of a TransactionEvent under its transaction and seqNo; False when
    the event was stored before (a replay)."""
    evse = event.get("evse", {}).get("id")
    if evse is None:
        row = session.store.transaction(session.id, event["transactionInfo"]["transactionId"])
        evse = row["evse"] if row is not None else None
    return session.store.add_meter_values(session.id, event.get("meterValue", []), evse=evse,
                                          transaction_id=event["transactionInfo"]["transactionId"],
                                          seq_no=event["seqNo"], offline=bool(event.get("offline")))


@on("MeterValues")
def meter_values(session: "CsmsSession", payload: dict[str, Any]) -> Any:
    """J01: readings of the main meter (evseId 0) or an EVSE, stored per EVSE; answered empty."""
    refused = refusal(session, "MeterValues", payload["meterValue"])
    if refused is not None:
        return refused
    session.store.add_meter_values(session.id, payload["meterValue"], evse=payload["evseId"])
    return {}
