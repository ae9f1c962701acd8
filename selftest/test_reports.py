"""The reports a CSMS engineer reads: the HTML of a failed case shows the catalogue entry and the
sequence diagram with the failing step and field marked; Allure and JUnit carry block, use case,
requirements and the failing step; the summary holds the overview, the timing split and what the
run was; ``python -m simulator.reporting diff`` gates on pass→fail; no report holds a secret."""
from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from selftest.support import ROOT, Run, assert_no_secret, report_texts, run_cases, unpacked_views
from simulator.verdicts.catalogue import catalogue, case
from simulator.verdicts.messages import assign_steps, messages, parse_failure
from simulator.reporting.diff import diff
from simulator.verdicts.trace import Frame

SELECT = "TC_E_16 or TC_E_01"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Run]]:
    """Two clean runs and one where the CSMS accepts unknown tokens (TC_E_16 fails at step 2)."""
    out = {}
    for name, faults in (("clean", None), ("clean2", None), ("fault", ["accept_unknown_tokens"])):
        reports = tmp_path_factory.mktemp(name)
        out[name] = (reports, run_cases(SELECT, faults=faults, keep=reports))
    return out


def html_extras(report: Path) -> dict[str, list[str]]:
    """nodeid → the HTML extras pytest-html stored for it (its data blob)."""
    text = report.read_text()
    blob = json.loads(html.unescape(re.search(r'data-jsonblob="([^"]*)"', text).group(1)))
    return {node: [e["content"] for r in rs for e in r.get("extras", []) if e.get("format_type") == "html"]
            for node, rs in blob["tests"].items()}


def test_catalogue_ships_with_the_harness() -> None:
    cases = catalogue()
    seed = (ROOT / "simulator" / "verdicts" / "seed_ids.txt").read_text().split()
    assert set(cases) == set(seed)
    e16 = case("TC_E_16")
    assert e16.title == "Stop transaction options - Deauthorized - Invalid idToken"
    assert e16.requirements == ["E06.FR.04", "E01.FR.11", "E01.FR.12"] and e16.use_case == "E06 (S3)"
    assert e16.before == "Booted" and [s.number for s in e16.steps] == ["1", "2", "3", "4"]
    assert e16.checked_fields("2") == ["idTokenInfo", "idTokenInfo.status"]
    assert all(c.steps and c.checks for c in cases.values())


def test_failure_reason_names_step_state_and_field() -> None:
    f = parse_failure("TC_E_16 step 2: idTokenInfo.status expected 'Invalid' or 'Unknown', got 'Accepted'")
    assert (f.step, f.state, f.field, f.where) == ("2", "", "idTokenInfo.status", "step 2")
    f = parse_failure("TC_E_53 [T2] Authorized step 4: CSMS answered TransactionEventRequest with CALLERROR X")
    assert (f.step, f.state, f.round, f.field, f.where) == ("4", "Authorized", "T2", "", "[T2] Authorized step 4")
    assert parse_failure("TC_E_21 step 1: no RequestStopTransactionRequest with transactionId 'x' from the CSMS "
                         "within 3 s").timeout


def test_frames_get_their_catalogue_steps_past_the_before_states() -> None:
    """Booted's StatusNotification/NotifyEvent precede TC_E_01's own; the labels keep step 1."""
    frames, n = [], 0

    def call(action: str, out: bool = True) -> None:
        nonlocal n
        n += 1
        frames.append(Frame(n, "CP_1", "CS->CSMS" if out else "CSMS->CS", json.dumps([2, str(n), action, {}])))
        frames.append(Frame(n + 0.5, "CP_1", "CSMS->CS" if out else "CS->CSMS", json.dumps([3, str(n), {}])))

    for action in ("BootNotification", "StatusNotification", "NotifyEvent", "Authorize", "StatusNotification",
                   "NotifyEvent", "TransactionEvent", "TransactionEvent"):
        call(action)
    msgs = messages(frames)
    assign_steps(msgs, case("TC_E_01"))
    assert [m.step for m in msgs] == ["", "", "", "", "", "", "1", "2", "3", "4", "3", "4", "5", "6", "7", "8"]


def test_failed_case_html_shows_catalogue_and_diagram_with_the_failing_step(runs: Any) -> None:
    reports, run = runs["fault"]
    assert run.verdicts()["TC_E_16"] == "failed", run.output[-2000:]
    page = (reports / "report.html").read_text()
    assert "<script src" not in page and not re.search(r'<link[^>]+href="https?:', page)  # offline
    assert "ocpp-overview" in html.unescape(page)  # the conformance matrix at the top
    extras = html_extras(reports / "report.html")
    e16 = next("".join(v) for k, v in extras.items() if "TC_E_16" in k)
    assert "Stop transaction options - Deauthorized - Invalid idToken" in e16
    assert "E06.FR.04, E01.FR.11, E01.FR.12" in e16 and "<b>Before</b> Booted" in e16
    assert "class='ocpp-seq'" in e16 and "TransactionEventRequest" in e16
    failing = re.search(r"<g class='fail'>.*?</g>", e16, re.S)
    assert failing, e16[-3000:]
    assert "[✗ step 2] TransactionEventResponse" in failing.group(0)
    assert "idTokenInfo.status=Accepted" in failing.group(0)
    passed = next("".join(v) for k, v in extras.items() if "TC_E_01" in k)
    assert "ocpp-lazy" in passed and "class='ocpp-seq'" not in passed  # compressed, unpacked when opened
    [unpacked] = unpacked_views(page)
    assert "class='ocpp-seq'" in unpacked and "<g class='fail'>" not in unpacked and "[6] TransactionEventResponse" in unpacked


def test_junit_and_allure_carry_requirements_and_failing_step(runs: Any) -> None:
    reports, _ = runs["fault"]
    tree = ET.parse(reports / "junit.xml")
    case_el = next(c for c in tree.iter("testcase") if "TC_E_16" in c.get("name"))
    props = {p.get("name"): p.get("value") for p in case_el.iter("property")}
    assert props["ocpp.requirements"] == "E06.FR.04, E01.FR.11, E01.FR.12"
    assert props["ocpp.failing_step"] == "step 2" and props["ocpp.failing_field"] == "idTokenInfo.status"
    results = [json.loads(p.read_text()) for p in (reports / "allure-results").glob("*-result.json")]
    e16 = next(r for r in results if r["name"].startswith("TC_E_16"))
    labels = {(label["name"], label["value"]) for label in e16["labels"]}
    assert {("feature", "Block E — Transactions"), ("story", "E06 (S3)"), ("requirement", "E06.FR.04")} <= labels
    steps = {s["name"].split(":")[0]: s for s in e16["steps"]}
    assert steps["Step 2"]["status"] == "failed" and steps["Step 1"]["status"] == "passed"
    assert steps["Step 2"]["attachments"] and steps["Step 4"]["status"] == "skipped"


def test_summary_keeps_run_overview_and_timing(runs: Any) -> None:
    _, run = runs["fault"]
    s = run.summary
    assert {"target", "total_seconds", "counts", "coverage", "blocks"} <= set(s)
    assert s["harness_version"] == "0.1.0" and re.match(r"\d{4}-\d\d-\d\dT", s["started"])
    assert s["settings"]["REFERENCE_CSMS_FAULTS"] == "accept_unknown_tokens" and "BASIC_AUTH_CP_PASSWORD" not in s["settings"]
    assert dict(map(tuple, s["overview"]["E"]))["TC_E_16"] == "failed"
    assert dict(map(tuple, s["overview"]["A"]))["TC_A_01"] == "not selected"
    timing = s["timing"]
    assert len(timing["slowest"]) == 2 and {"waiting_csms", "configured_waits", "harness"} <= set(timing["slowest"][0])
    e16 = next(r for r in s["blocks"]["E"] if r["case"] == "TC_E_16")
    assert e16["failing_step"] == "step 2" and e16["failing_field"] == "idTokenInfo.status"
    assert abs(e16["waiting_csms"] + e16["configured_waits"] + e16["harness"] - e16["duration"]) < 0.01
    assert "waiting on the CSMS" in run.output and "Slowest cases" in run.output  # the terminal says it too
    assert "report views could not be built" not in run.output


def diff_cli(old: Path, new: Path, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulator.reporting", "diff", *options, str(old), str(new)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_diff_fails_on_a_regression_and_passes_a_clean_pair(runs: Any) -> None:
    clean, fault, clean2 = runs["clean"][0], runs["fault"][0], runs["clean2"][0]
    regression = diff_cli(clean, fault)
    assert regression.returncode == 1, regression.stdout + regression.stderr
    assert re.search(r"Block E\n\s+pass→fail\s+TC_E_16: passed → failed \(TC_E_16 step 2", regression.stdout)
    recovery = diff_cli(fault, clean)
    assert recovery.returncode == 0 and "fail→pass TC_E_16: failed → passed" in recovery.stdout
    same = diff_cli(clean, clean2)
    assert same.returncode == 0 and "no verdict changed" in same.stdout, same.stdout


def test_diff_lists_new_and_removed_cases() -> None:
    def summary(*cases: tuple[str, str]) -> dict[str, Any]:
        return {"blocks": {"B": [{"case": c, "variant": "", "verdict": v, "reason": ""} for c, v in cases]}}
    changes = diff(summary(("TC_B_01", "passed"), ("TC_B_02", "failed")),
                   summary(("TC_B_02", "failed"), ("TC_B_03", "passed")))
    assert changes["B"]["new"] == ["TC_B_03: passed"] and changes["B"]["removed"] == ["TC_B_01: was passed"]
    assert not changes["B"]["pass→fail"]


def test_no_report_holds_a_secret(tmp_path: Path) -> None:
    """TC_A_09 fails with both passwords in its frames and locals: every report file, the
    diagrams and Allure steps included, is searched."""
    run = run_cases("TC_A_09 or TC_A_10 or TC_B_01", faults=["password_wrong_length"], keep=tmp_path)
    assert run.verdicts()["TC_A_09"] == "failed", run.output[-2000:]
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "report.html" for p in files) and any(p.name.endswith("-result.json") for p in files)
    diagrams = "".join(c for cs in html_extras(tmp_path / "report.html").values() for c in cs) + \
        "".join(unpacked_views((tmp_path / "report.html").read_text()))
    assert diagrams.count("class='ocpp-seq'") >= 3 and "SetVariablesRequest" in diagrams
    assert_no_secret(report_texts(tmp_path))
