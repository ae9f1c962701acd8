"""``python -m simulator.reporting diff OLD NEW`` gates a release: exit 1 on any pass→fail, on cases
of OLD that NEW did not run (unless ``--subset``), on an interrupted or incomplete NEW run; exit 3 on a
NEW run against another CSMS (unless ``--allow-other-csms``); exit 4, naming the file in one line, for a
file that is no summary."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from selftest.support import ROOT

COMPLETE = {"status": "complete", "selected": 3, "ran": 3, "reason": ""}
REFERENCE = "embedded reference CSMS (ws://127.0.0.1:1, wss://localhost:2; faults: none; options: none; REFERENCE_CSMS_SEED=1)"


def summary(verdicts: dict[str, str], run: dict[str, Any] | None = None, target: str = REFERENCE,
            **extra: Any) -> dict[str, Any]:
    blocks: dict[str, list[dict[str, Any]]] = {}
    for case, verdict in verdicts.items():
        blocks.setdefault(case.split("_")[1], []).append({"case": case, "variant": "", "verdict": verdict,
                                                          "reason": "" if verdict == "passed" else f"{case} step 1: x"})
    data = {"target": target, "blocks": blocks, "counts": {}, **extra}
    if run is not None:
        data["run"] = run
    return data


def gate(tmp_path: Path, old: dict[str, Any], new: dict[str, Any], *options: str) -> subprocess.CompletedProcess:
    (tmp_path / "old").mkdir(exist_ok=True)
    (tmp_path / "new").mkdir(exist_ok=True)
    (tmp_path / "old" / "summary.json").write_text(json.dumps(old))
    (tmp_path / "new" / "summary.json").write_text(json.dumps(new))
    return subprocess.run([sys.executable, "-m", "simulator.reporting", "diff", *options, "old", "new/summary.json"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


BASE = {"TC_B_01": "passed", "TC_E_16": "passed", "TC_E_01": "failed"}


def test_same_verdicts_pass_the_gate(tmp_path: Path) -> None:
    done = gate(tmp_path, summary(BASE, COMPLETE), summary(BASE, COMPLETE))
    assert done.returncode == 0 and "gate passed: no regression" in done.stdout, done.stdout + done.stderr
    fixed = gate(tmp_path, summary(BASE, COMPLETE), summary({**BASE, "TC_E_01": "passed"}, COMPLETE))
    assert fixed.returncode == 0 and "fail→pass TC_E_01: failed → passed" in fixed.stdout, fixed.stdout


@pytest.mark.parametrize("now", ["failed", "error"])
def test_any_pass_to_fail_fails_the_gate(tmp_path: Path, now: str) -> None:
    done = gate(tmp_path, summary(BASE, COMPLETE), summary({**BASE, "TC_E_16": now}, COMPLETE))
    assert done.returncode == 1, done.stdout
    assert "GATE FAILED: new/summary.json: 1 case(s) went pass→fail against old/summary.json: TC_E_16" in done.stdout


def test_cases_removed_or_not_run_fail_the_gate_unless_a_subset_is_allowed(tmp_path: Path) -> None:
    fewer = summary({"TC_E_16": "passed", "TC_E_01": "skipped"}, {**COMPLETE, "selected": 2, "ran": 2})
    done = gate(tmp_path, summary(BASE, COMPLETE), fewer)
    assert done.returncode == 1, done.stdout
    assert "removed   TC_B_01: was passed" in done.stdout and "not run   TC_E_01: failed → skipped" in done.stdout
    assert ("GATE FAILED: new/summary.json: 2 case(s) of old/summary.json were not run: TC_B_01, TC_E_01 "
            "(--subset accepts a run of part of the cases)") in done.stdout
    assert gate(tmp_path, summary(BASE, COMPLETE), fewer, "--subset").returncode == 0


@pytest.mark.parametrize("run, words", [
    ({"status": "interrupted", "selected": 3, "ran": 1, "reason": "KeyboardInterrupt"},
     "the run is interrupted: 1 of 3 selected cases ran (KeyboardInterrupt)"),
    ({"status": "incomplete", "selected": 3, "ran": 2, "reason": "stopping after 1 failures (--maxfail/-x)"},
     "the run is incomplete: 2 of 3 selected cases ran (stopping after 1 failures (--maxfail/-x))"),
    (None, "does not say whether its run completed"),
], ids=["interrupted", "maxfail", "unknown"])
def test_an_incomplete_new_run_fails_the_gate_even_as_a_subset(tmp_path: Path, run: Any, words: str) -> None:
    done = gate(tmp_path, summary(BASE, COMPLETE), summary(BASE, run), "--subset")
    assert done.returncode == 1 and f"GATE FAILED: new/summary.json: {words}" in done.stdout, done.stdout


def test_another_csms_fails_the_gate_unless_allowed(tmp_path: Path) -> None:
    """Exit 3 (compatible with the CSMS named in summary.json), one line naming both files."""
    external = "ws://csms-a.example:9000/ocpp / wss://csms-a.example:9443/ocpp"
    other = "ws://csms-b.example:9000/ocpp / wss://csms-b.example:9443/ocpp"
    done = gate(tmp_path, summary(BASE, COMPLETE, external), summary(BASE, COMPLETE, other))
    assert done.returncode == 3 and done.stdout == "", done.stdout
    assert done.stderr == ("ERROR: new/summary.json: NEW tested ws://csms-b.example:9000/ocpp, but OLD "
                           "(old/summary.json) tested ws://csms-a.example:9000/ocpp: not the same CSMS "
                           "(--allow-other-csms compares them anyway)\n"), done.stderr
    allowed = gate(tmp_path, summary(BASE, COMPLETE, external), summary(BASE, COMPLETE, other), "--allow-other-csms")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    # the embedded reference CSMS is one CSMS whatever its faults, options, seed and ports
    faulty = REFERENCE.replace("faults: none", "faults: accept_unknown_tokens").replace(":1,", ":7,")
    assert gate(tmp_path, summary(BASE, COMPLETE), summary(BASE, COMPLETE, faulty)).returncode == 0
    # the summary's csms names the CSMS; a regression against the same one is still exit 1
    named = gate(tmp_path, summary(BASE, COMPLETE, csms="ws://a/ocpp"),
                 summary({**BASE, "TC_B_01": "failed"}, COMPLETE, csms="ws://a/ocpp"))
    assert named.returncode == 1, named.stdout + named.stderr
    renamed = gate(tmp_path, summary(BASE, COMPLETE, csms="ws://a/ocpp"), summary(BASE, COMPLETE, csms="ws://b/ocpp"))
    assert renamed.returncode == 3 and "not the same CSMS" in renamed.stderr


@pytest.mark.parametrize("content, words", [
    ("not json at all", "not a summary.json of this harness (not JSON: Expecting value: line 1 column 1 (char 0))"),
    ('{"counts": {}}', "not a summary.json of this harness (no 'blocks' with the verdicts per block)"),
    ('{"blocks": {"E": [{"x": 1}]}}', "not a summary.json of this harness (block 'E' is no list of case verdicts)"),
])
def test_a_file_that_is_no_summary_is_named_in_one_line(tmp_path: Path, content: str, words: str) -> None:
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "x.json").write_text(content)
    (tmp_path / "summary.json").write_text(json.dumps(summary(BASE, COMPLETE)))
    done = subprocess.run([sys.executable, "-m", "simulator.reporting", "diff", "summary.json", "reports/x.json"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60, env={"PYTHONPATH": str(ROOT)})
    assert done.returncode == 4 and done.stderr == f"ERROR: reports/x.json: {words}\n", done.stderr


def test_usage_without_arguments_or_a_missing_file_is_exit_4(tmp_path: Path) -> None:
    bare = subprocess.run([sys.executable, "-m", "simulator.reporting"], cwd=ROOT, capture_output=True, text=True)
    assert bare.returncode == 4 and bare.stderr.startswith("usage: python -m simulator.reporting diff"), bare.stderr
    one = subprocess.run([sys.executable, "-m", "simulator.reporting", "diff", "a"], cwd=ROOT, capture_output=True,
                         text=True)
    assert one.returncode == 4 and "expected OLD and NEW, got 1 file(s)" in one.stderr
    missing = subprocess.run([sys.executable, "-m", "simulator.reporting", "diff", str(tmp_path / "nope.json"),
                              str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert missing.returncode == 4 and missing.stderr.startswith(f"ERROR: {tmp_path / 'nope.json'}: cannot read it"), \
        missing.stderr
