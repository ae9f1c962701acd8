"""Each named reference-CSMS fault of block P makes the right case fail, naming step and field."""
from __future__ import annotations

import pytest

from selftest.support import assert_block_passes, assert_every_fault_proven, assert_fault_fails

FAULTS = {
    "accept_unknown_vendor": {"TC_P_02": r"TC_P_02 step 2: status expected 'UnknownVendorId' or "
                                         r"'UnknownMessageId' or 'Rejected', got 'Accepted'"},
    "reject_custom_data": {"TC_P_03": r"TC_P_03 step 2: CSMS answered StatusNotificationRequest with "
                                      r"CALLERROR FormationViolation"},
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_makes_case_fail(fault: str) -> None:
    assert_fault_fails(fault, FAULTS[fault])


def test_every_data_transfer_fault_is_proven() -> None:
    assert_every_fault_proven("reference_csms.handlers.data_transfer", FAULTS)


def test_block_passes_without_faults() -> None:
    assert_block_passes("TC_P", 2)
