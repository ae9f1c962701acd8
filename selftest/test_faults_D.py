"""Block D: each named reference-CSMS fault makes the right cases fail with a reason naming step and
field, the fault-free block passes (test_fault_proofs), and a CSMS without the block fails every
case quickly with one line (test_bad_csms, the whole suite)."""
from __future__ import annotations

# fault -> {case: regex the one-line reason must match}
FAULTS: dict[str, dict[str, str]] = {
    # Full lists at version 0, differential updates at the installed version
    "local_list_version_wrong": {
        case: rf"{case} step 2: versionNumber expected > 0, got 0"
        for case in ("TC_D_01", "TC_D_02", "TC_D_03", "TC_D_04")},
    "differential_sent_as_full": {
        case: rf"{case} step 2: updateType expected 'Differential', got 'Full'" for case in ("TC_D_02", "TC_D_03")},
    "never_get_local_list_version": {
        case: rf"{case} step 1: no GetLocalListVersionRequest from the CSMS within 3 s" for case in ("TC_D_08", "TC_D_09")},
    "local_list_duplicate_entries": {
        "TC_D_01": r"TC_D_01 step 2: localAuthorizationList idTokens expected unique, got 100000C01/Central more than once"},
}

CASES = 6
MODULES = ("reference_csms.handlers.local_list",)
