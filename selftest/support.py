"""Running conformance cases from the selftests: in a subprocess, against the embedded reference
CSMS (optionally started with named faults) or any CSMS address, with short waits."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


#: Short waits so that a case that must fail does so quickly.
FAST = {"CSMS_ACTION_TIMEOUT": "3", "CSMS_RESPONSE_TIMEOUT": "3", "TRANSACTION_DURATION": "0.2",
        "CSMS_SILENCE_WAIT": "0.3", "CONFIGURED_HEARTBEAT_INTERVAL": "1",
        "CONFIGURED_FIRMWARE_SCHEDULE_DELAY": "2", "CONFIGURED_NO_RENEGOTIATION_WAIT": "1",
        # the reference CSMS takes a station's next connection at once (test_connections.py runs with 1 s)
        "CSMS_SETTLE_TIME": "0",
        # one process per run: the selftests themselves already run side by side (pytest -n)
        "REFERENCE_CSMS_WORKERS": "1"}


@dataclass
class Run:
    returncode: int
    output: str
    summary: dict[str, Any]

    def verdicts(self) -> dict[str, str]:
        """case id (with [variant]) -> passed/failed/error/skipped."""
        return {r["case"] + (f"[{r['variant']}]" if r["variant"] else ""): r["verdict"]
                for results in self.summary.get("blocks", {}).values() for r in results}

    def reasons(self) -> dict[str, str]:
        return {r["case"] + (f"[{r['variant']}]" if r["variant"] else ""): r["reason"]
                for results in self.summary.get("blocks", {}).values() for r in results}


def run_cases(select: str, faults: list[str] | None = None, env: dict[str, str] | None = None,
              timeout: float = 240, preflight: bool = False, args: list[str] | None = None,
              keep: Path | None = None) -> Run:
    """``pytest tests -k select`` in a subprocess; returns exit code, output and summary.json
    (``keep``: write the reports there and leave them, for tests of the reports themselves)."""
    with tempfile.TemporaryDirectory() as scratch:
        reports = str(keep) if keep is not None else scratch
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("CSMS_", "REFERENCE_CSMS"))}
        environment.update(FAST)
        environment["REFERENCE_CSMS_FAULTS"] = ",".join(faults or [])
        # the reference CSMS is busy in every selftest run: verdicts must hold against a CSMS that sends
        # requests of its own at any moment; the seed follows from the run, so a failure reproduces
        environment["REFERENCE_CSMS_OPTIONS"] = "busy"
        environment["REFERENCE_CSMS_SEED"] = str(zlib.crc32(f"{select}|{faults}".encode()) % 1000)
        environment.update(env or {})
        if environment.get("CSMS_ADDRESS") and "CSMS_OPERATOR" not in (env or {}):
            # an external CSMS without an action API: an operator that does nothing
            environment.update({"CSMS_OPERATOR": "command", "CSMS_OPERATOR_COMMAND": "true"})
        cmd = [sys.executable, "-m", "pytest", str(ROOT / "tests"), "-k", select, "-q", "-p", "no:cacheprovider",
               "--reports", reports, "-o", "addopts="] + ([] if preflight else ["--no-preflight"]) + (args or [])
        done = subprocess.run(cmd, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=timeout)
        summary_file = Path(reports) / "summary.json"
        summary = json.loads(summary_file.read_text()) if summary_file.exists() else {}
    return Run(done.returncode, done.stdout + done.stderr, summary)


def assert_fault_fails(fault: str, expected: dict[str, str], env: dict[str, str] | None = None) -> None:
    """Start the reference CSMS with ``fault``: every case of ``expected`` must fail, its one-line
    reason matching the regex given for it (naming step and field)."""
    select = " or ".join(sorted({c.split("[")[0] for c in expected}))
    run = run_cases(select, faults=[fault], env=env)
    if any(run.verdicts().get(case) == "passed" for case in expected):
        # A busy CSMS's own request of the step's kind and identity, sent in the instant the operator
        # asks, cannot be told from the answer to the operator (README, decisions); one more run with
        # another seed of the busy CSMS, where that instant does not recur.
        print(f"{fault}: a case passed with the busy seed of this run; once more with another seed")
        run = run_cases(select, faults=[fault], env={"REFERENCE_CSMS_SEED": "7919", **(env or {})})
    verdicts, reasons = run.verdicts(), run.reasons()
    for case, pattern in expected.items():
        assert verdicts.get(case) == "failed", (f"{case} with fault {fault}: {verdicts.get(case)}\n"
                                                f"{run.output[-2000:]}")
        assert re.search(pattern, reasons[case]), f"{case} with fault {fault}, reason: {reasons[case]!r}"


def assert_block_passes(select: str, cases: int, env: dict[str, str] | None = None, timeout: float = 240,
                        args: list[str] | None = None, keep: Path | None = None) -> Run:
    """Without faults every selected case passes."""
    run = run_cases(select, env=env, timeout=timeout, args=args, keep=keep)
    assert run.returncode == 0, run.output[-3000:]
    verdicts = run.verdicts()
    assert len(verdicts) == cases and set(verdicts.values()) == {"passed"}, verdicts
    return run


def assert_every_fault_proven(module: str, proven: dict[str, dict[str, str]]) -> None:
    """Every fault the reference CSMS module declares has a selftest entry (and no entry names an
    undeclared fault)."""
    from reference_csms import handlers  # noqa: F401  (declares every fault)
    from reference_csms.registry import FAULT_MODULES
    declared = {name for name, where in FAULT_MODULES.items() if where == module}
    assert declared, f"{module} declares no fault"
    assert declared <= set(proven), f"faults without a selftest: {sorted(declared - set(proven))}"
    assert set(proven) <= set(FAULT_MODULES), f"unknown faults: {sorted(set(proven) - set(FAULT_MODULES))}"


# ---------------------------------------------------------------- fault proofs in the cases' own steps
CATALOGUE = ROOT / "simulator" / "verdicts" / "testcases"  # the catalogue as it ships with the harness
_PROOF = re.compile(r"^(TC_[A-P]_\d+)(?:\(?\s*\[[^\]]*\]\)?\??)?\s+(?:(\w+)\s+)?(?:steps?\s+\d|Post\b)")


def implemented_cases() -> set[str]:
    """Case ids of the test functions under tests/."""
    return {m.group(1) for f in (ROOT / "tests").glob("test_*.py")
            for m in re.finditer(r"def test_(TC_[A-P]_\d+)", f.read_text())}


def implemented_case_items() -> list[str]:
    """Every item of the conformance suite as pytest collects it (variants counted)."""
    done = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "tests"), "--collect-only", "-q",
                           "-p", "no:cacheprovider", "--no-preflight", "-o", "addopts="], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    return [line for line in done.stdout.splitlines() if "::test_TC_" in line]


def before_states(case: str) -> set[str]:
    """The reusable states the catalogue names in the case's "Before" line (a failure inside one
    of them is not at one of the case's own steps)."""
    text = (CATALOGUE / f"{case[3]}.md").read_text()
    entry = text.split(f"## {case} ", 1)[1].split("\n## ", 1)[0]
    before = re.search(r"^- Before:(.*(?:\n  .*)*)", entry, re.M)
    return set(re.findall(r"\b([A-Z][a-z]+(?:[A-Z0-9][a-z0-9]*)+)\b", before.group(1))) if before else set()


def own_step_proofs(proofs: dict[str, dict[str, str]]) -> dict[str, list[tuple[str, str]]]:
    """case -> [(fault, step label)] of the proofs whose reason is at one of the case's own steps."""
    own: dict[str, list[tuple[str, str]]] = {}
    for fault, cases in proofs.items():
        for case, pattern in cases.items():
            match = _PROOF.match(pattern.replace("\\", ""))
            if not match:
                continue
            state = match.group(2)
            if state and state in before_states(match.group(1)):
                continue
            step = re.search(r"steps?\s+[\d, ]+|Post", pattern.replace("\\", "")).group(0).strip(" ,")
            own.setdefault(case.split("[")[0], []).append((fault, f"{state + ' ' if state else ''}{step}"))
    return own
