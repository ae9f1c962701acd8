"""Each named reference-CSMS fault of block O makes the right cases fail, naming step and field,
and the fault-free block passes."""
from __future__ import annotations

UUID = r"'[0-9a-f-]{36}'"
TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(±1 s\)"
NOT_HELD = r"step 2: GetDisplayMessagesResponse\.status expected 'Accepted', got 'Unknown': no message the station holds"
PRIORITY = "message.priority expected 'InFront', got 'NormalCycle'".replace(".", r"\.")
REFUSED = r"step 4: CSMS answered NotifyDisplayMessagesRequest with CALLERROR InternalError"

# fault -> {case: regex the one-line reason must match}
FAULTS = {
    "display_wrong_priority": {
        **{c: rf"{c} step 1: {PRIORITY}" for c in ("TC_O_01", "TC_O_06", "TC_O_10", "TC_O_12", "TC_O_13", "TC_O_14",
                                                   "TC_O_25", "TC_O_27", "TC_O_28")},
        "TC_O_17": r"TC_O_17 step 1: message\.priority expected 'AlwaysFront', got 'InFront'",
        "TC_O_26": r"TC_O_26 step 1: message\.priority expected 'NormalCycle', got 'AlwaysFront'",
        "TC_O_08": rf"TC_O_08 {NOT_HELD}"},
    "display_wrong_state": {
        "TC_O_01": r"TC_O_01 step 1: message\.state expected 'Idle', got 'Unavailable'",
        "TC_O_18": r"TC_O_18 step 1: message\.state expected 'Faulted', got 'Idle'",
        "TC_O_25": r"TC_O_25 step 1: message\.state expected 'Charging', got 'Faulted'",
        "TC_O_09": rf"TC_O_09 {NOT_HELD}"},
    "display_wrong_content": {
        **{c: rf"{c} step 1: message\.message\.content expected 'OCPP conformance test message', got 'OCPP conformance'"
           for c in ("TC_O_01", "TC_O_06", "TC_O_13", "TC_O_14", "TC_O_17", "TC_O_25")},
        "TC_O_12": r"TC_O_12 step 1: message\.message\.content expected 'OCPP conformance test message "
                   r"\(replaced\)', got 'OCPP conformance'"},
    "display_wrong_format": {"TC_O_19": r"TC_O_19 step 1: message\.message\.format expected 'HTML', got 'UTF8'"},
    "display_drops_transaction": {
        **{c: rf"{c} step 1: message\.transactionId expected {UUID}, got absent" for c in ("TC_O_06", "TC_O_27",
                                                                                         "TC_O_28")},
        "TC_O_10": rf"TC_O_10 step 1: message\.transactionId expected present and not {UUID}, got absent"},
    # a message asked without a transaction comes tied to one; the configured message is then refused
    "display_ties_transaction": {
        **{c: rf"{c} step 1: message\.transactionId expected absent, got '[^']+'"
           for c in ("TC_O_01", "TC_O_13", "TC_O_14", "TC_O_25")},
        "TC_O_12": r"TC_O_12 DisplayMessageConfigured step 2: SetDisplayMessageResponse\.status expected 'Accepted', "
                   r"got 'UnknownTransaction'"},
    "display_drops_times": {
        "TC_O_13": rf"TC_O_13 step 1: message\.startDateTime expected {TIME}, got absent",
        "TC_O_14": rf"TC_O_14 step 1: message\.endDateTime expected {TIME}, got absent",
        "TC_O_27": rf"TC_O_27 step 1: message\.startDateTime expected {TIME}, got absent",
        "TC_O_28": rf"TC_O_28 step 1: message\.endDateTime expected {TIME}, got absent"},
    "display_replace_new_id": {"TC_O_12": r"TC_O_12 step 1: message\.id expected \d+, got \d+"},
    "display_filter_ignored": {
        "TC_O_07": r"TC_O_07 step 1: id expected \[\d+\], got absent",
        "TC_O_08": r"TC_O_08 step 1: priority expected 'InFront', got absent",
        "TC_O_09": r"TC_O_09 step 1: state expected 'Idle', got absent",
        "TC_O_11": r"TC_O_11 step 1: id expected present without the configured message id \d+, got absent"},
    "display_filter_added": {c: rf"{c} step 1: priority expected absent, got 'NormalCycle'"
                             for c in ("TC_O_02", "TC_O_03")},
    "display_clear_wrong_id": {
        "TC_O_04": r"TC_O_04 step 1: id expected (\d+), got \d+",
        "TC_O_05": r"TC_O_05 step 1: id expected 9999, got 10000"},
    "display_notify_refused": {c: rf"{c} {REFUSED}" for c in ("TC_O_02", "TC_O_07", "TC_O_08", "TC_O_09")},
}

CASES = 21
MODULES = ("reference_csms.handlers.display",)
