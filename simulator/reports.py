"""Reports of a conformance run: the per-block summary (Markdown + JSON), each case's message
trace in Allure, the HTML report and JUnit, and the redaction of secrets in all of them."""
from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest

from .checks import HarnessError
from .trace import Trace, redact

CASE_ID = re.compile(r"TC_([A-P])_(\d+)")
BLOCKS = {
    "A": "Security", "B": "Provisioning", "C": "Authorization", "D": "Local Authorization List",
    "E": "Transactions", "F": "Remote Control", "G": "Availability", "H": "Reservation",
    "I": "Tariff and Cost", "J": "Meter Values", "K": "Smart Charging", "L": "Firmware Management",
    "M": "Certificate Management", "N": "Diagnostics", "O": "Display Message", "P": "Data Transfer",
}


#: the 252 case ids of OCPP 2.0.1 Part 6 (the catalogue's seed list), to say what a run covers
SEED_IDS = (Path(__file__).parent / "seed_ids.txt").read_text().split()


@dataclass
class CaseResult:
    case: str
    variant: str
    block: str
    title: str
    verdict: str
    duration: float
    reason: str


def one_line(text: str) -> str:
    lines = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
    for ln in lines:  # prefer the harness's own verdict line
        if CASE_ID.search(ln) and ":" in ln:
            return redact(ln.removeprefix("E   ").removeprefix("Failed: "))[:400]
    return redact(lines[-1] if lines else "")[:400]


class ConformanceReport:
    """pytest plugin: collects verdicts and writes reports/summary.{md,json}."""

    def __init__(self, directory: Path, target: str) -> None:
        self.directory = directory
        self.target = target
        self.results: dict[str, CaseResult] = {}
        self.started = time.time()
        self.implemented: set[str] = set()  # case ids of the suite's test functions (selected or not)

    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        self.implemented |= {m.group(0) for item in items if (m := CASE_ID.search(item.name))}

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.implemented |= {m.group(0) for item in items if (m := CASE_ID.search(item.name))}

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> Any:
        outcome = yield
        report = outcome.get_result()
        if call.excinfo is not None and call.excinfo.errisinstance(HarnessError):
            # the harness (this machine, its material) stopped the case: an error, one line, wherever raised
            report.longrepr = f"HarnessError: {call.excinfo.value}"
            report.ocpp_harness_error = True  # type: ignore[attr-defined]
        trace: Trace | None = getattr(item, "ocpp_trace", None)
        if trace is not None and (report.when == "call" or (report.when != "call" and report.failed)):
            text = trace.text()
            if text:
                report.sections.append(("OCPP message trace", text))
                try:
                    from pytest_html import extras
                    report.extras = getattr(report, "extras", []) + [extras.text(text, name="OCPP trace")]
                except Exception:
                    pass
        self._record(item, report)

    def _record(self, item: pytest.Item, report: pytest.TestReport) -> None:
        match = CASE_ID.search(item.name)
        if not match:
            return
        key = item.nodeid
        existing = self.results.get(key)
        if report.when == "call" or report.failed or report.skipped:
            verdict = "passed" if report.passed else ("skipped" if report.skipped else "failed")
            if report.failed and (report.when != "call" or getattr(report, "ocpp_harness_error", False)):
                verdict = "error"
            reason = ""
            if report.skipped:
                reason = one_line(report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr)
                reason = reason.removeprefix("Skipped: ")
            elif report.failed:
                reason = one_line(getattr(report.longrepr, "reprcrash", None).message
                                  if getattr(report.longrepr, "reprcrash", None) else str(report.longrepr))
            if existing and existing.verdict in ("failed", "error") and report.when == "teardown":
                return
            if existing and report.when == "teardown" and report.failed:
                existing.reason = existing.reason or reason
                existing.verdict = "error" if existing.verdict == "passed" else existing.verdict
                return
            doc = (getattr(item, "function", None).__doc__ or "").strip().splitlines()
            variant = item.name[item.name.index("[") + 1:-1] if "[" in item.name else ""
            self.results[key] = CaseResult(match.group(0), variant, match.group(1), doc[0] if doc else "",
                                           verdict, round(getattr(report, "duration", 0.0) +
                                                          (existing.duration if existing else 0.0), 3), reason)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self.results:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        total = time.time() - self.started
        ordered = sorted(self.results.values(), key=lambda r: (r.block, int(r.case.split("_")[2]), r.variant))
        counts = {v: sum(r.verdict == v for r in ordered) for v in ("passed", "failed", "error", "skipped")}
        ran = {r.case for r in ordered}
        missing = [c for c in SEED_IDS if c not in self.implemented]
        coverage = {"seed_cases": len(SEED_IDS), "implemented": len(SEED_IDS) - len(missing),
                    "not_implemented": missing, "selected": len(ran)}
        data = {"target": self.target, "total_seconds": round(total, 2), "counts": counts, "coverage": coverage,
                "blocks": {b: [asdict(r) for r in ordered if r.block == b]
                           for b in BLOCKS if any(r.block == b for r in ordered)}}
        (self.directory / "summary.json").write_text(json.dumps(data, indent=2))
        lines = ["# OCPP 2.0.1 CSMS conformance summary", "",
                 f"CSMS under test: {self.target}  ", f"Total time: {total:.1f} s  ",
                 "Verdicts: " + ", ".join(f"{n} {v}" for v, n in counts.items()) + "  ",
                 f"Coverage: {coverage['implemented']} of the {len(SEED_IDS)} Part 6 cases implemented"
                 + (f"; not implemented: {', '.join(missing)}" if missing else "") + "", ""]
        for block, results in data["blocks"].items():
            passed = sum(r["verdict"] == "passed" for r in results)
            lines += [f"## Block {block} — {BLOCKS[block]} ({passed}/{len(results)} passed)", "",
                      "| case | title | verdict | duration (s) | reason |", "|---|---|---|---|---|"]
            for r in results:
                name = r["case"] + (f" [{r['variant']}]" if r["variant"] else "")
                reason = r["reason"].replace("|", "\\|")
                lines.append(f"| {name} | {r['title']} | {r['verdict']} | {r['duration']:.2f} | {reason} |")
            lines.append("")
        (self.directory / "summary.md").write_text(redact("\n".join(lines)))
        self.total = total

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.results:
            return
        tr = terminalreporter
        tr.section("OCPP 2.0.1 conformance summary")
        by_block: dict[str, list[CaseResult]] = {}
        for r in self.results.values():
            by_block.setdefault(r.block, []).append(r)
        for block in sorted(by_block):
            rs = by_block[block]
            tally = ", ".join(f"{sum(r.verdict == v for r in rs)} {v}" for v in ("passed", "failed", "error", "skipped")
                              if any(r.verdict == v for r in rs))
            tr.write_line(f"Block {block} {BLOCKS[block]:24} {tally}")
        missing = [c for c in SEED_IDS if c not in self.implemented]
        tr.write_line(f"Coverage: {len(SEED_IDS) - len(missing)} of the {len(SEED_IDS)} Part 6 cases implemented"
                      + (f"; not implemented: {', '.join(missing)}" if missing else ""))
        tr.write_line(f"Total time {getattr(self, 'total', time.time() - self.started):.1f} s; "
                      f"summary in {self.directory}/summary.md and summary.json")
