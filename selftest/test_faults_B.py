"""Each named reference-CSMS fault of block B makes the right case fail, naming step and field."""
from __future__ import annotations

import re

import pytest

from selftest.support import run_cases

# fault -> {case: regex the one-line reason must match}
FAULTS = {
    "reject_every_boot": {"TC_B_01": r"TC_B_01 Booted step 2: status expected 'Accepted', got 'Rejected'"},
    "boot_interval_zero": {"TC_B_01": r"TC_B_01 step 2: interval expected an integer > 0, got 0"},
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_makes_case_fail(fault: str) -> None:
    expected = FAULTS[fault]
    run = run_cases(" or ".join(expected), faults=[fault])
    verdicts, reasons = run.verdicts(), run.reasons()
    for case, pattern in expected.items():
        assert verdicts.get(case) == "failed", f"{case} with fault {fault}: {verdicts.get(case)}\n{run.output[-2000:]}"
        assert re.search(pattern, reasons[case]), f"{case} reason: {reasons[case]!r}"
