"""Each named reference-CSMS fault of block F makes the right cases fail, naming step and field,
and the fault-free block passes."""
from __future__ import annotations

REMOTE_START = ("TC_F_01", "TC_F_02", "TC_F_03", "TC_F_04")
#: case -> (step, requestedMessage, evse asked) of its TriggerMessageRequest
TRIGGERS = {"TC_F_11": (1, "MeterValues", True), "TC_F_12": (1, "MeterValues", False),
            "TC_F_13": (1, "TransactionEvent", True), "TC_F_14": (1, "TransactionEvent", False),
            "TC_F_15": (1, "LogStatusNotification", False), "TC_F_18": (1, "FirmwareStatusNotification", False),
            "TC_F_20": (1, "Heartbeat", False), "TC_F_23": (1, "StatusNotification", True),
            "TC_F_24": (3, "StatusNotification", True)}


def no_trigger(case: str) -> str:
    """No TriggerMessageRequest of the step: none at all, or only other ones (the busy CSMS's own
    Heartbeat / StatusNotification triggers), named by the first field that differs."""
    step, message, evse = TRIGGERS[case]
    return (rf"{case} step {step}: (no TriggerMessageRequest with requestedMessage '{message}'.* from the CSMS "
            rf"within 3 s|\S+ expected .* \(in the (closest of \d+ )?TriggerMessageRequests? the CSMS sent; "
            rf"no TriggerMessageRequest with requestedMessage '{message}')")


def field_first(case: str, field: str, got: str) -> str:
    """The step got only other TriggerMessageRequests; the closest differs in ``field``."""
    step, message, evse = TRIGGERS[case]
    return (rf"{case} step {step}: {field} expected .*, got {got} \(in the (closest of \d+ )?"
            rf"TriggerMessageRequests? the CSMS sent")


# fault -> {case: regex the one-line reason must match}
FAULTS = {
    "remote_start_wrong_token_type": {
        case: rf"{case} step 1: idToken\.type expected 'Central', got 'ISO14443'" for case in REMOTE_START},
    "remote_start_wrong_evse": {
        case: rf"{case} step 1: evseId expected absent or 1, got 2" for case in REMOTE_START},
    "remote_start_id_missing": {
        case: rf"{case} step 1: the CSMS sent a RequestStartTransactionRequest that breaks the OCPP 2\.0\.1 "
              rf"schema: payload: 'remoteStartId' is a required property" for case in REMOTE_START},
    "unlock_wrong_connector": {"TC_F_06": r"TC_F_06 step 1: connectorId expected 1, got 2"},
    # every trigger but Heartbeat (which it asks for) and TC_F_27 (any requestedMessage will do); the
    # closest request may be a busy CSMS's own trigger of the asked message for the whole station
    "wrong_trigger_message": {
        case: field_first(case, r"(requestedMessage|evse\.id)", r"\S+") for case in TRIGGERS if case != "TC_F_20"},
    # TC_F_20 asks for a Heartbeat trigger and TC_F_27 for any trigger: a busy CSMS's own trigger of that
    # kind is the step's request by content (the catalogue checks nothing more), so these two are
    # proven by what follows the trigger (TC_F_20 step 4: heartbeat_local_time in test_faults_B)
    "trigger_message_not_sent": {case: no_trigger(case) for case in TRIGGERS if case != "TC_F_20"},
    "trigger_refusal_drops_station": {
        "TC_F_27": r"TC_F_27 Post \(harness\): (the CSMS closed the connection|the connection was closed)"},
    "trigger_evse_omitted": {
        case: field_first(case, r"(evse\.id|requestedMessage)", r"\S+") for case in TRIGGERS if TRIGGERS[case][2]},
}

CASES = 15
MODULES = ("reference_csms.handlers.remote_control",)
