"""Each named reference-CSMS fault of block L makes the right cases fail, naming step and field; the
fault-free block passes; a CSMS without block L fails every case quickly with one line."""
from __future__ import annotations

import re

from selftest.support import run_cases

UPDATES = ("TC_L_01", "TC_L_02", "TC_L_03", "TC_L_04", "TC_L_05", "TC_L_06", "TC_L_07", "TC_L_08", "TC_L_09",
           "TC_L_10", "TC_L_11", "TC_L_13")
PUBLISHING = ("TC_L_17", "TC_L_19", "TC_L_20", "TC_L_21", "TC_L_22", "TC_L_23", "TC_L_24")
BLOCK_L = UPDATES + PUBLISHING
UNSIGNED = (r"{} step 1: \(harness\) firmware\.signingCertificate expected the PEM of CONFIGURED_FIRMWARE_SIGNING_CERT, "
            r"got absent")
PRESENT = r"{} step 1: firmware\.signingCertificate expected present, got absent"
REFUSED = r"{} step 4: operator action UpdateFirmware refused by the CSMS: HTTP 409 .*update is running"
CHECKSUM = r"{} step 1 \(harness\): checksum expected '[0-9a-f]{{32}}' \(hex case ignored\), got '[0-9a-f]{{32}}'"

# fault -> {case: regex the one-line reason must match}
FAULTS: dict[str, dict[str, str]] = {
    "update_firmware_unsigned": {case: (PRESENT if case in ("TC_L_01", "TC_L_13") else UNSIGNED).format(case)
                                 for case in UPDATES},
    "firmware_wrong_times": {
        "TC_L_02": r"TC_L_02 step 1: firmware\.installDateTime expected present, got absent",
        "TC_L_03": r"TC_L_03 step 1: firmware\.retrieveDateTime expected later than the request's arrival \(.*\), got '"},
    "no_update_while_running": {case: REFUSED.format(case) for case in ("TC_L_10", "TC_L_11")},
    "wrong_firmware_checksum": {case: CHECKSUM.format(case) for case in PUBLISHING},
}

CASES = len(BLOCK_L)
MODULES = ("reference_csms.handlers.firmware",)


def test_block_fails_cleanly_against_a_csms_without_block_l() -> None:
    """A CSMS whose operator interface does nothing: every case fails within CSMS_ACTION_TIMEOUT with
    a one-line reason naming its step; nothing hangs."""
    run = run_cases("TC_L", env={"REFERENCE_CSMS_OPTIONS": "",  # not busy: a CSMS that sends nothing unasked
                                 "CSMS_OPERATOR": "command", "CSMS_OPERATOR_COMMAND": "true",
                                 "CSMS_ACTION_TIMEOUT": "1"}, timeout=180)
    verdicts, reasons = run.verdicts(), run.reasons()
    assert set(verdicts) == set(BLOCK_L), verdicts
    for case in BLOCK_L:
        assert verdicts[case] == "failed", (case, verdicts[case], reasons[case])
        assert re.fullmatch(rf"{case} step 1: no (Update|Publish|Unpublish)FirmwareRequest[^\n]* from the CSMS "
                            rf"within 1 s[^\n]*", reasons[case]), (case, reasons[case])
