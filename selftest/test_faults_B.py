"""Each named reference-CSMS fault of block B makes the right case fail, naming step and field;
the fault-free block passes; a CSMS that supports none of block B fails every action case quickly
with a one-line reason."""
from __future__ import annotations

import re

from selftest.support import run_cases


NO_RESET = r"TC_B_{} step 1: no ResetRequest with type '\w+' from the CSMS within 3 s"

# fault -> {case: regex the one-line reason must match}
FAULTS: dict[str, dict[str, str]] = {
    # boot (B01-B03)
    "reject_every_boot": {
        "TC_B_01": r"TC_B_01 Booted step 2: status expected 'Accepted', got 'Rejected'",
        "TC_B_02": r"TC_B_02 step 2: status expected 'Pending', got 'Rejected'"},
    "boot_interval_zero": {"TC_B_01": r"TC_B_01 step 2: interval expected an integer > 0, got 0"},
    "boot_always_accepted": {
        "TC_B_02": r"TC_B_02 step 2: status expected 'Pending', got 'Accepted'",
        "TC_B_30": r"TC_B_30 step 2: status expected 'Pending' or 'Rejected', got 'Accepted'",
        "TC_B_31": r"TC_B_31 step 2: status expected 'Pending' or 'Rejected', got 'Accepted'"},
    "boot_plan_not_consumed": {
        "TC_B_02": r"TC_B_02 step 5: status expected 'Accepted', got 'Pending'",
        "TC_B_30": r"TC_B_30 Post: status expected 'Accepted', got 'Pending'",
        "TC_B_31": r"TC_B_31 step 6: status expected 'Accepted', got 'Pending'"},
    # every "still connected" Heartbeat, and the Heartbeat a TriggerMessage asked for (TC_F_20 step 4)
    "heartbeat_local_time": {
        case: rf"{case} {step}: HeartbeatResponse breaks the OCPP 2\.0\.1 schema: currentTime: '[^']+' is not a "
              rf"'date-time'" for case, step in (("TC_B_01", "Post"), ("TC_F_20", "step 4"))},
    "close_pending_station": {
        "TC_B_02": r"TC_B_02 step 3: the CSMS closed the connection \(close code \d+.*\) while the station is Pending"},
    "pending_accepts_messages": {
        "TC_B_30": r"TC_B_30 step 4: StatusNotificationRequest expected a CALLERROR SecurityError, got a CALLRESULT"},
    "wrong_trigger_message": {
        "TC_B_31": r"TC_B_31 step 3: requestedMessage expected 'BootNotification', got 'Heartbeat'"},
    # variables (B05, B06)
    "get_set_wrong_variable": {
        "TC_B_06": r"TC_B_06 step 1: getVariableData expected entries among \[OCPPCommCtrlr\.OfflineThreshold\], "
                   r"got \[OCPPCommCtrlr\.OfflineThresholds\]",
        "TC_B_07": r"TC_B_07 step 1: getVariableData expected entries among \[OCPPCommCtrlr\.OfflineThreshold, "
                   r"AuthCtrlr\.AuthorizeRemoteStart\], got \[OCPPCommCtrlr\.OfflineThresholds, AuthCtrlr\.AuthorizeRemoteStart\]",
        "TC_B_08": r"TC_B_08 step [13]: getVariableData expected entries among \[DeviceDataCtrlr\.ItemsPerMessage\[GetReport\], "
                   r".*got \[OCPPCommCtrlr\.OfflineThresholds",
        "TC_B_09": r"TC_B_09 step 1: setVariableData expected entries \[OCPPCommCtrlr\.OfflineThreshold\], "
                   r"got \[OCPPCommCtrlr\.OfflineThresholds\]",
        "TC_B_10": r"TC_B_10 step 1: setVariableData expected entries \[OCPPCommCtrlr\.OfflineThreshold, "
                   r"AuthCtrlr\.AuthorizeRemoteStart\], got \[OCPPCommCtrlr\.OfflineThresholds, AuthCtrlr\.AuthorizeRemoteStart\]"},
    "set_wrong_value": {
        "TC_B_09": r"TC_B_09 step 1: setVariableData\[0\]\.attributeValue expected '123', got '1230'",
        "TC_B_10": r"TC_B_10 step 1: setVariableData\[0\]\.attributeValue expected '123', got '1230'"},
    "ignore_items_per_message": {
        "TC_B_08": r"TC_B_08 step 1: getVariableData has 5 entries, more than ItemsPerMessage\[GetVariables\] = 4"},
    # reports (B07, B08)
    "wrong_report_base": {
        # (the closest other GetBaseReportRequest may be one of the busy CSMS's own)
        "TC_B_12": r"TC_B_12 step 1: reportBase expected 'ConfigurationInventory', got '\w+'",
        "TC_B_13": r"TC_B_13 step 1: reportBase expected 'FullInventory', got '\w+'",
        "TC_B_14": r"TC_B_14 step 1: reportBase expected 'SummaryInventory', got '\w+'"},
    "notify_report_single_part": {
        "TC_B_12": r"TC_B_12 step 4: CSMS answered NotifyReportRequest with CALLERROR InternalError",
        "TC_B_13": r"TC_B_13 step 4: CSMS answered NotifyReportRequest with CALLERROR InternalError"},
    "wrong_report_criteria": {
        "TC_B_18": r"TC_B_18 step 1: componentCriteria expected \['Problem'\], got "
                   r"\['Active', 'Available', 'Enabled', 'Problem'\]"},
    # reset (B11, B12)
    "never_reset": {case: NO_RESET.format(case[5:]) for case in
                    ("TC_B_20", "TC_B_21", "TC_B_22", "TC_B_25", "TC_B_26", "TC_B_27")},
    "reset_type_swapped": {
        "TC_B_20": r"TC_B_20 step 1: type expected 'OnIdle', got 'Immediate'",
        "TC_B_21": r"TC_B_21 step 1: type expected 'OnIdle', got 'Immediate'",
        "TC_B_22": r"TC_B_22 step 1: type expected 'Immediate', got 'OnIdle'",
        "TC_B_25": r"TC_B_25 step 1: type expected 'OnIdle', got 'Immediate'",
        "TC_B_26": r"TC_B_26 step 1: type expected 'OnIdle', got 'Immediate'",
        "TC_B_27": r"TC_B_27 step 1: type expected 'Immediate', got 'OnIdle'"},
    "reset_evse_ignored": {case: rf"{case} step 1: evseId expected 1, got absent"
                           for case in ("TC_B_25", "TC_B_26", "TC_B_27")},
    "reject_reset_boot": {
        "TC_B_20": r"TC_B_20 step 4: status expected 'Accepted', got 'Rejected'",
        "TC_B_21": r"TC_B_21 step 8: status expected 'Accepted', got 'Rejected'",
        "TC_B_22": r"TC_B_22 step 6: status expected 'Accepted', got 'Rejected'"},
    # network profile (B09)
    "wrong_network_profile": {
        "TC_B_42": r"TC_B_42 step 1: connectionData\.messageTimeout expected 30, got 31"},
    "close_after_network_profile_failed": {
        "TC_B_44": r"TC_B_44 Post: the CSMS closed the connection \(close code \d+.*\) \(expected still connected\)"},
    # WebSocket subprotocol (Part 4)
    "accept_any_subprotocol": {
        "TC_B_58": r"TC_B_58 step 2: the CSMS upgraded \(HTTP 101, Sec-WebSocket-Protocol absent\) although "
                   r"only ocpp0\.1 was offered"},
    "single_subprotocol_only": {"TC_B_58": r"TC_B_58 step 4: HTTP status expected 101, got HTTP 400"},
}

BLOCK_B = ["TC_B_01", "TC_B_02", "TC_B_06", "TC_B_07", "TC_B_08", "TC_B_09", "TC_B_10", "TC_B_12", "TC_B_13",
           "TC_B_14", "TC_B_18", "TC_B_20", "TC_B_21", "TC_B_22", "TC_B_25", "TC_B_26", "TC_B_27", "TC_B_30",
           "TC_B_31", "TC_B_42", "TC_B_44", "TC_B_58"]
CASES = len(BLOCK_B)
MODULES = ("reference_csms.handlers.provisioning",)


def test_block_fails_cleanly_against_a_csms_without_block_b() -> None:
    """A CSMS whose operator interface does nothing: each case needing a CSMS action fails within
    CSMS_ACTION_TIMEOUT with a one-line reason naming its step; nothing hangs."""
    run = run_cases("TC_B", env={"REFERENCE_CSMS_OPTIONS": "",  # not busy: a CSMS that sends nothing unasked
                                 "CSMS_OPERATOR": "command", "CSMS_OPERATOR_COMMAND": "true",
                                 "CSMS_ACTION_TIMEOUT": "1"}, timeout=180)
    verdicts, reasons = run.verdicts(), run.reasons()
    assert set(verdicts) == set(BLOCK_B), verdicts
    for case in BLOCK_B:
        if case in ("TC_B_01", "TC_B_58"):  # no CSMS action: the reference CSMS still passes them
            assert verdicts[case] == "passed", (case, reasons[case])
            continue
        assert verdicts[case] == "failed", (case, verdicts[case], reasons[case])
        assert re.fullmatch(rf"{case} (steps? [\d, ]+|Post): [^\n]+", reasons[case]), (case, reasons[case])
