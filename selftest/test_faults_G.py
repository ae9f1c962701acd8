"""Each named reference-CSMS fault of block G makes the right cases fail, naming step and field,
and the fault-free block passes."""
from __future__ import annotations

EVSE_OR_CONNECTOR = ("TC_G_03", "TC_G_04", "TC_G_07", "TC_G_08", "TC_G_11", "TC_G_17")
CONNECTOR = ("TC_G_07", "TC_G_08", "TC_G_17")
TO_OPERATIVE = ("TC_G_04", "TC_G_06", "TC_G_08")
TO_INOPERATIVE = ("TC_G_03", "TC_G_05", "TC_G_07", "TC_G_11", "TC_G_14", "TC_G_17")

# fault -> {case: regex the one-line reason must match}
FAULTS = {
    "availability_whole_station": {
        case: rf"{case} step 1: evse\.id expected 1, got absent" for case in EVSE_OR_CONNECTOR},
    "availability_connector_as_evse": {
        case: rf"{case} step 1: evse\.connectorId expected 1, got absent" for case in CONNECTOR},
    # TC_G_06 meets the swapped state first in its Unavailable before-state
    "availability_state_swapped": {
        **{case: rf"{case} step 1: operationalStatus expected 'Inoperative', got 'Operative'"
           for case in TO_INOPERATIVE},
        **{case: rf"{case} step 1: operationalStatus expected 'Operative', got 'Inoperative'"
           for case in ("TC_G_04", "TC_G_08")},
        "TC_G_06": r"TC_G_06 Unavailable step 1: operationalStatus expected 'Inoperative', got 'Operative'"},
    "availability_operative_not_sent": {
        case: rf"{case} step 1: no ChangeAvailabilityRequest from the CSMS within 3 s" for case in TO_OPERATIVE},
    "lock_failure_refused": {
        "TC_G_20": r"TC_G_20 step 2: CSMS answered NotifyEventRequest with CALLERROR InternalError"},
}

CASES = 10
MODULES = ("reference_csms.handlers.availability",)
