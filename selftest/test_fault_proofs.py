"""For every block: each named reference-CSMS fault makes the right cases fail with a reason naming
step and field, every fault a module declares is proven, and without faults the block passes.

The proofs themselves (fault -> {case: regex of the one-line reason}) live in test_faults_<X>.py."""
from __future__ import annotations

from types import ModuleType

import pytest

from selftest import (test_faults_A, test_faults_B, test_faults_E, test_faults_F, test_faults_G, test_faults_H,
                      test_faults_P)
from selftest.support import assert_block_passes, assert_every_fault_proven, assert_fault_fails

BLOCKS: dict[str, ModuleType] = {"A": test_faults_A, "B": test_faults_B, "E": test_faults_E, "F": test_faults_F,
                                 "G": test_faults_G, "H": test_faults_H, "P": test_faults_P}


@pytest.mark.parametrize("block, fault", [(b, f) for b, m in BLOCKS.items() for f in sorted(m.FAULTS)])
def test_fault_makes_case_fail(block: str, fault: str) -> None:
    assert_fault_fails(fault, BLOCKS[block].FAULTS[fault])


@pytest.mark.parametrize("block, module", [(b, mod) for b, m in BLOCKS.items() for mod in m.MODULES])
def test_every_fault_is_proven(block: str, module: str) -> None:
    assert_every_fault_proven(module, BLOCKS[block].FAULTS)


@pytest.mark.parametrize("block", sorted(BLOCKS))
def test_block_passes_without_faults(block: str) -> None:
    assert_block_passes(f"TC_{block}", BLOCKS[block].CASES)
