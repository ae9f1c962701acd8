"""Each named reference-CSMS fault of block H makes the right cases fail, naming step and field,
and the fault-free block passes."""
from __future__ import annotations

SPECIFIC = ("TC_H_01", "TC_H_07", "TC_H_17", "TC_H_19", "TC_H_20", "TC_H_22")
ANY_EVSE = ("TC_H_08", "TC_H_14", "TC_H_15")
WITH_EXPIRY_CHECK = ("TC_H_01", "TC_H_07", "TC_H_08", "TC_H_14", "TC_H_15", "TC_H_17", "TC_H_19", "TC_H_20")
DATE = r"'\d{4}-\d\d-\d\dT[\d:.]+Z'"

# fault -> {case: regex the one-line reason must match}
FAULTS = {
    # the reservation the station accepted is cancelled at once: its Post (still Reserved) fails
    "reservation_cancelled_after_accept": {
        case: rf"{case} Post: reservation \d+ expected held, got a CancelReservationRequest "
              rf"\{{\"reservationId\": \d+\}}" for case in ("TC_H_01", "TC_H_14")},
    "reservation_expiry_in_past": {
        case: rf"{case} step 1: \(harness\) expiryDateTime expected a date-time later than the request's "
              rf"arrival.*, got {DATE}" for case in WITH_EXPIRY_CHECK},
    "reservation_wrong_evse": {
        **{case: rf"{case} step 1: evseId expected 1, got 2" for case in SPECIFIC},
        **{case: rf"{case} step 1: evseId expected absent, got 1" for case in ANY_EVSE}},
    "reservation_wrong_connector_type": {
        **{case: rf"{case} step 1: connectorType expected absent, got 'cCCS2'"
           for case in WITH_EXPIRY_CHECK if case != "TC_H_15"},
        "TC_H_15": r"TC_H_15 step 1: connectorType expected 'cType2', got 'cCCS2'"},
    "cancel_wrong_reservation": {"TC_H_17": r"TC_H_17 step 5: reservationId expected (\d+), got (?!\1)\d+"},
    "reservation_group_ignored": {"TC_H_19": r"TC_H_19 step 1: groupIdToken expected present, got absent"},
}

CASES = 9
MODULES = ("reference_csms.handlers.reservation",)
