"""Block D: each named reference-CSMS fault makes the right cases fail with a reason naming step and
field, the fault-free block passes (test_fault_proofs), and a CSMS without the block fails every
case quickly with one line."""
from __future__ import annotations

import re
import time

from selftest.misbehaving_csms import MisbehavingCsms
from selftest.support import run_cases

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


def test_csms_without_block_d_fails_every_case_quickly() -> None:
    """A CSMS that only boots and answers heartbeats, with an operator that does nothing: every case
    fails with one line naming it."""
    with MisbehavingCsms("boot_only") as csms:
        started = time.monotonic()
        run = run_cases("TC_D", env={"CSMS_ADDRESS": csms.url, "CSMS_OPERATOR": "command",
                                     "CSMS_OPERATOR_COMMAND": "true", "CSMS_ACTION_TIMEOUT": "1"})
        elapsed = time.monotonic() - started
    verdicts, reasons = run.verdicts(), run.reasons()
    assert len(verdicts) == CASES and set(verdicts.values()) == {"failed"}, verdicts
    for case, reason in reasons.items():
        assert re.match(rf"{case} (step [12]|preparation P): no (SendLocalList|GetLocalListVersion)Request", reason), \
            (case, reason)
    assert elapsed < 60, elapsed
