"""Each named reference-CSMS fault of block M makes the right cases fail, naming step and field; the
fault-free block passes; a CSMS without block M fails every case quickly with one line."""
from __future__ import annotations

import re

from selftest.support import run_cases

INSTALLS = {"TC_M_01": ("CSMSRootCertificate", "ManufacturerRootCertificate"),
            "TC_M_02": ("ManufacturerRootCertificate", "CSMSRootCertificate"),
            "TC_M_03": ("V2GRootCertificate", "MORootCertificate"),
            "TC_M_04": ("MORootCertificate", "V2GRootCertificate"),
            "TC_M_05": ("CSMSRootCertificate", "ManufacturerRootCertificate")}
RETRIEVALS = {"TC_M_12": "CSMSRootCertificate", "TC_M_13": "ManufacturerRootCertificate",
              "TC_M_14": "V2GRootCertificate", "TC_M_15": "V2GCertificateChain", "TC_M_16": "MORootCertificate",
              "TC_M_17": "CSMSRootCertificate, ManufacturerRootCertificate",
              "TC_M_19": "ManufacturerRootCertificate"}
BLOCK_M = (*INSTALLS, *RETRIEVALS, "TC_M_18", "TC_M_20", "TC_M_21", "TC_M_24", "TC_M_26", "TC_M_28")
HEX = r"'[0-9a-f]{64}'"
KEY_HASH = rf"certificateHashData\.issuerKeyHash expected {HEX} \(case ignored\), got {HEX}"

# fault -> {case: regex the one-line reason must match}
FAULTS: dict[str, dict[str, str]] = {
    "install_wrong_certificate_type": {
        **{case: rf"{case} step 1: certificateType expected '{want}', got '{got}'"
           for case, (want, got) in INSTALLS.items()},
        "TC_M_20": r"TC_M_20 \[SHA256\] step 1: certificateType expected 'CSMSRootCertificate', "
                   r"got 'ManufacturerRootCertificate'",
        "TC_M_21": r"TC_M_21 CertificateInstalled step 1: certificateType expected 'CSMSRootCertificate', "
                   r"got 'ManufacturerRootCertificate'"},
    "delete_wrong_hash_data": {"TC_M_20": rf"TC_M_20 \[SHA256\] step 5: {KEY_HASH}",
                               "TC_M_21": rf"TC_M_21 step 3: {KEY_HASH}"},
    "installed_ids_without_type": {case: rf"{case} step 1: certificateType expected a list containing {types}, "
                                         rf"got absent" for case, types in RETRIEVALS.items()},
    "installed_ids_every_type_listed": {"TC_M_18": r"TC_M_18 step 1: certificateType expected absent, got \['"},
    "ocsp_result_missing": {"TC_M_24": r"TC_M_24 step 2: ocspResult expected present, got absent"},
    "ev_certificate_failed": {case: rf"{case} step 2: status expected 'Accepted', got 'Failed'"
                              for case in ("TC_M_26", "TC_M_28")},
}

CASES = len(BLOCK_M)
MODULES = ("reference_csms.handlers.certificates",)


def test_block_fails_cleanly_against_a_csms_without_block_m() -> None:
    """A CSMS whose operator interface does nothing and that does not answer M's requests usefully:
    every operator case fails within CSMS_ACTION_TIMEOUT at step 1 with one line; nothing hangs."""
    run = run_cases("TC_M", env={"REFERENCE_CSMS_OPTIONS": "",  # not busy: a CSMS that sends nothing unasked
                                 "CSMS_OPERATOR": "command", "CSMS_OPERATOR_COMMAND": "true",
                                 "CSMS_ACTION_TIMEOUT": "1"}, timeout=180)
    verdicts, reasons = run.verdicts(), run.reasons()
    assert set(verdicts) == set(BLOCK_M), verdicts
    for case in BLOCK_M:
        if case in ("TC_M_24", "TC_M_26", "TC_M_28"):  # no operator action: the reference CSMS answers them
            assert verdicts[case] == "passed", (case, reasons[case])
            continue
        assert verdicts[case] == "failed", (case, verdicts[case], reasons[case])
        assert re.fullmatch(rf"{case}( CertificateInstalled)?( \[SHA256\])? step 1: no \w+Request[^\n]* from the "
                            rf"CSMS within 1 s[^\n]*", reasons[case]), (case, reasons[case])
