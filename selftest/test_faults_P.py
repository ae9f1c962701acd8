"""Each named reference-CSMS fault of block P makes the right case fail, naming step and field."""
from __future__ import annotations


FAULTS = {
    "accept_unknown_vendor": {"TC_P_02": r"TC_P_02 step 2: status expected 'UnknownVendorId' or "
                                         r"'UnknownMessageId' or 'Rejected', got 'Accepted'"},
    "reject_custom_data": {"TC_P_03": r"TC_P_03 step 2: CSMS answered StatusNotificationRequest with "
                                      r"CALLERROR FormatViolation"},
}

CASES = 2
MODULES = ("reference_csms.handlers.data_transfer",)
