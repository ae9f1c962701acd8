"""For every block: each named reference-CSMS fault makes the right cases fail with a reason naming
step and field, every fault a module declares is proven, and without faults the block passes.

The proofs themselves (fault -> {case: regex of the one-line reason}) live in test_faults_<X>.py."""
from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pytest

from selftest.support import (assert_block_passes, assert_every_fault_proven, assert_fault_fails,
                              implemented_cases, own_step_proofs)

#: every selftest/test_faults_<X>.py, by block letter
BLOCKS: dict[str, ModuleType] = {
    path.stem[-1]: importlib.import_module(f"selftest.{path.stem}")
    for path in sorted(Path(__file__).parent.glob("test_faults_[A-P].py"))}


@pytest.mark.parametrize("block, fault", [(b, f) for b, m in BLOCKS.items() for f in sorted(m.FAULTS)])
def test_fault_makes_case_fail(block: str, fault: str) -> None:
    assert_fault_fails(fault, BLOCKS[block].FAULTS[fault])


@pytest.mark.parametrize("block, module", [(b, mod) for b, m in BLOCKS.items() for mod in m.MODULES])
def test_every_fault_is_proven(block: str, module: str) -> None:
    # SCENARIOS: faults no catalogue case can show, proven by a scenario in the block's module
    assert_every_fault_proven(module, {**BLOCKS[block].FAULTS, **getattr(BLOCKS[block], "SCENARIOS", {})})


@pytest.mark.parametrize("block", sorted(BLOCKS))
def test_block_passes_without_faults(block: str) -> None:
    assert_block_passes(f"TC_{block}", BLOCKS[block].CASES)


def test_every_case_fails_in_its_own_steps() -> None:
    """Every implemented case has a fault that fails it at one of its own steps (not only in a
    before-state); prints how many cases and distinct checked steps the proofs cover."""
    proofs: dict[str, dict[str, str]] = {}
    for module in BLOCKS.values():
        for fault, cases in module.FAULTS.items():
            proofs.setdefault(fault, {}).update(cases)
    own = own_step_proofs(proofs)
    cases = implemented_cases()
    missing = sorted(cases - set(own))
    steps = {(case, step) for case, found in own.items() for _, step in found}
    print(f"fault proofs: {len(cases) - len(missing)}/{len(cases)} cases fail in their own steps; "
          f"{len(steps)} distinct (case, step) checks covered")
    assert not missing, f"cases without a fault proof in their own steps: {missing}"
