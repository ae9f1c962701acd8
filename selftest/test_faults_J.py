"""Each named reference-CSMS fault of block J makes the right cases fail, naming step and field,
and the fault-free block passes."""
from __future__ import annotations


def refused(case: str, step: str, request: str, code: str) -> str:
    return rf"{case} {step}: CSMS answered {request}Request with CALLERROR {code}"


# fault -> {case: regex the one-line reason must match}
FAULTS = {
    "reject_meter_values": {
        case: refused(case, r"\[t1\] step 2", "MeterValues", "NotSupported") for case in ("TC_J_01", "TC_J_02")},
    "reject_clock_aligned_values": {
        "TC_J_01": refused("TC_J_01", r"\[t1\] step 2", "MeterValues", "PropertyConstraintViolation"),
        "TC_J_02": refused("TC_J_02", r"\[t1\] step 2", "MeterValues", "PropertyConstraintViolation"),
        "TC_J_03": refused("TC_J_03", "step 2", "TransactionEvent", "PropertyConstraintViolation"),
        "TC_J_04": refused("TC_J_04", "step 2", "TransactionEvent", "PropertyConstraintViolation")},
    "reject_periodic_values": {
        "TC_J_09": refused("TC_J_09", r"\[t1\] step 2", "TransactionEvent", "PropertyConstraintViolation"),
        "TC_J_10": refused("TC_J_10", "step 2", "TransactionEvent", "PropertyConstraintViolation"),
        "TC_J_11": refused("TC_J_11", "step 2", "TransactionEvent", "PropertyConstraintViolation")},
    "reject_begin_values": {
        case: refused(case, "step 2", "TransactionEvent", "PropertyConstraintViolation")
        for case in ("TC_J_07", "TC_J_08")},
    "reject_meter_value_series": {
        case: refused(case, "step 2", "TransactionEvent", "OccurrenceConstraintViolation")
        for case in ("TC_J_03", "TC_J_04", "TC_J_10", "TC_J_11")},
    # the signed event is dropped: the step times out waiting for its answer
    "drop_signed_meter_values": {
        case: rf"{case} step 2: no TransactionEventResponse from the CSMS within 3 s" for case in ("TC_J_04", "TC_J_11")},
}

CASES = 9
MODULES = ("reference_csms.handlers.meter_values",)
