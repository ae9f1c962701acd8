"""Block C: each named reference-CSMS fault makes the right cases fail with a reason naming step and
field, the fault-free block passes (test_fault_proofs), and a CSMS without the block fails every
case quickly with one line."""
from __future__ import annotations

import time

from selftest.misbehaving_csms import MisbehavingCsms
from selftest.support import run_cases

ACCEPTED_GOT = r"idTokenInfo\.status expected 'Accepted', got"
NO_GROUP = r"idTokenInfo\.groupIdToken\.idToken expected '{}', got absent"
OCSP_NONE = r"step 2: OCSP request for {} \(serial [0-9A-F]+\) expected at the responder while the AuthorizeRequest was open, got none"

# fault -> {case: regex the one-line reason must match}
FAULTS: dict[str, dict[str, str]] = {
    # an invalid, blocked or expired token is accepted (at Authorize and in a TransactionEvent)
    "accept_bad_tokens": {
        "TC_C_02": r"TC_C_02 step 2: idTokenInfo\.status expected 'Invalid' or 'Unknown', got 'Accepted'",
        "TC_C_06": r"TC_C_06 step 2: idTokenInfo\.status expected 'Blocked' or 'Invalid', got 'Accepted'",
        "TC_C_07": r"TC_C_07 step 2: idTokenInfo\.status expected 'Expired' or 'Invalid', got 'Accepted'",
        "TC_C_20": r"TC_C_20 step 2: idTokenInfo\.status expected 'Invalid' or 'Unknown', got 'Accepted'"},
    # groupIdToken never sent
    "ignore_group_id": {
        **{case: rf"{case} step 2: {NO_GROUP.format('GROUP001')}" for case in ("TC_C_39", "TC_C_40", "TC_C_43")},
        **{case: rf"{case} step 2: {NO_GROUP.format('MASTERPASS01')}" for case in ("TC_C_47", "TC_C_48", "TC_C_49")}},
    # the master pass is not recognised
    "master_pass_not_honoured": {
        case: rf"{case} step 2: {NO_GROUP.format('MASTERPASS01')}" for case in ("TC_C_47", "TC_C_48", "TC_C_49")},
    "master_pass_stop_refused": {
        case: rf"{case} step 4: {ACCEPTED_GOT} 'Invalid'" for case in ("TC_C_47", "TC_C_48")},
    # tokens from the station's cache / local list are not authorized
    "trust_only_authorized_tokens": {
        "TC_C_08": rf"TC_C_08 step 2: {ACCEPTED_GOT} 'Unknown'",
        "TC_C_39": rf"TC_C_39 step 4: {ACCEPTED_GOT} 'Unknown'",
        "TC_C_40": rf"TC_C_40 step 2: {ACCEPTED_GOT} 'Unknown'",
        "TC_C_43": rf"TC_C_43 step 2: {ACCEPTED_GOT} 'Unknown'"},
    "never_clear_cache": {
        case: rf"{case} step 1: no ClearCacheRequest from the CSMS within 3 s" for case in ("TC_C_37", "TC_C_38")},
    "omit_certificate_status": {
        "TC_C_50": r"TC_C_50 step 4: certificateStatus expected 'Accepted', got absent",
        "TC_C_51": r"TC_C_51 step 4: certificateStatus expected 'CertificateRevoked', got absent",
        "TC_C_52": r"TC_C_52 step 4: certificateStatus expected 'Accepted', got absent"},
    "accept_revoked_certificate": {
        "TC_C_51": r"TC_C_51 step 4: idTokenInfo\.status expected 'Invalid', got 'Accepted'"},
    "skip_ocsp_check": {
        "TC_C_50": rf"TC_C_50 {OCSP_NONE.format('good-A')}",
        "TC_C_51": rf"TC_C_51 {OCSP_NONE.format('revoked-B')}",
        "TC_C_52": rf"TC_C_52 {OCSP_NONE.format('good-C')}"},
}

CASES = 16
MODULES = ("reference_csms.handlers.authorization",)


def test_csms_without_block_c_fails_every_case_quickly() -> None:
    """A CSMS that only boots and answers heartbeats: every case fails with one line naming it."""
    with MisbehavingCsms("boot_only") as csms:
        started = time.monotonic()
        run = run_cases("TC_C", env={"CSMS_ADDRESS": csms.url, "CSMS_OPERATOR": "command",
                                     "CSMS_OPERATOR_COMMAND": "true", "CSMS_ACTION_TIMEOUT": "1"})
        elapsed = time.monotonic() - started
    verdicts, reasons = run.verdicts(), run.reasons()
    assert len(verdicts) == CASES and set(verdicts.values()) == {"failed"}, verdicts
    for case, reason in reasons.items():
        assert reason.startswith(case + " ") and "\n" not in reason, (case, reason)
    assert elapsed < 90, elapsed


def test_emptied_token_settings_skip_naming_them() -> None:
    """The optional token settings have defaults; emptied, their cases are skipped naming them."""
    run = run_cases("TC_C_06 or TC_C_07 or TC_C_39 or TC_C_47",
                    env={"BLOCKED_ID_TOKEN": "", "EXPIRED_ID_TOKEN": "", "VALID_ID_TOKEN_2": "", "MASTERPASS_ID_TOKEN": ""})
    assert run.verdicts() == {c: "skipped" for c in ("TC_C_06", "TC_C_07", "TC_C_39", "TC_C_47")}, run.output[-2000:]
    reasons = run.reasons()
    assert "setting BLOCKED_ID_TOKEN is not set" in reasons["TC_C_06"], reasons
    assert "setting EXPIRED_ID_TOKEN is not set" in reasons["TC_C_07"], reasons
    assert "setting VALID_ID_TOKEN_2 is not set" in reasons["TC_C_39"], reasons
    assert "VALID_ID_TOKEN_2, MASTERPASS_ID_TOKEN is not set" in reasons["TC_C_47"], reasons
