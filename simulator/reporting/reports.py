"""Reports of a conformance run: the per-block summary (Markdown + JSON) with the conformance
overview and where the time went; per case in the HTML report the catalogue entry and the sequence
diagram of what passed; in Allure the catalogue steps with their frames, block, use case and
requirements; in JUnit the requirements and the failing step as properties. Every text is redacted.

``python -m simulator.reporting.reports diff OLD/summary.json NEW/summary.json`` compares two runs."""
from __future__ import annotations

import contextlib
import json
from html import escape
import re
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest

from simulator.verdicts import catalogue
from simulator.verdicts.checks import HarnessError, harness_reason
from simulator.verdicts.messages import Failure, assign_steps, failing_message, messages, parse_failure
from simulator.reporting import exit_codes
from simulator.reporting.html import LAZY_SCRIPT, PAGE_STYLE, case_html, grid, overview_svg, overview_text
from simulator.reporting.sequence_svg import diagram
from simulator.verdicts.trace import Trace, redact

CASE_ID = re.compile(r"TC_([A-P])_(\d+)")
BLOCKS = {
    "A": "Security", "B": "Provisioning", "C": "Authorization", "D": "Local Authorization List",
    "E": "Transactions", "F": "Remote Control", "G": "Availability", "H": "Reservation",
    "I": "Tariff and Cost", "J": "Meter Values", "K": "Smart Charging", "L": "Firmware Management",
    "M": "Certificate Management", "N": "Diagnostics", "O": "Display Message", "P": "Data Transfer",
}


#: the 252 case ids of OCPP 2.0.1 Part 6 (the catalogue's seed list), to say what a run covers
SEED_IDS = (Path(__file__).resolve().parent.parent / "verdicts" / "seed_ids.txt").read_text().split()
#: a case function of the suite: ``async def test_TC_E_01_…(`` (name, case id)
CASE_TEST = re.compile(r"^(?:async )?def (test_(TC_[A-P]_\d+)\w*)\(", re.M)
SUITE = Path(__file__).resolve().parents[2] / "tests"


def implemented_cases() -> set[str]:
    """The case ids of the suite's test functions, read from tests/ without importing it (so the
    coverage is the same whatever a run selects, and wherever it runs)."""
    return {m.group(2) for path in SUITE.glob("test_*.py") for m in CASE_TEST.finditer(path.read_text())}


@dataclass
class CaseResult:
    case: str
    variant: str
    block: str
    title: str
    verdict: str
    duration: float
    reason: str
    failing_step: str = ""  # "step 2", "Authorized step 4", "Post" (from the reason)
    failing_field: str = ""  # "idTokenInfo.status" when the reason names one
    waiting_csms: float = 0.0  # seconds waiting on the CSMS (answers, requests, the operator)
    configured_waits: float = 0.0  # seconds of fixed waits the settings ask for
    harness: float = 0.0  # the rest: duration − both
    configured_by: dict[str, float] = field(default_factory=dict)  # configured waits per setting

    def timing(self) -> dict[str, float]:
        return {"total": self.duration, "waiting on the CSMS": self.waiting_csms,
                "configured waits": self.configured_waits, "harness": self.harness}


def harness_version() -> str:
    """The version pyproject declares (installed metadata, or the file in a checkout)."""
    try:
        from importlib.metadata import version
        return version("ocpp201-csms-conformance")
    except Exception:
        text = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
        m = re.search(r'^version\s*=\s*"([^"]+)"', text, re.M)
        return m.group(1) if m else "unknown"


#: settings a reader needs to judge a run (also every other setting changed from its default)
RUN_SETTINGS = ("CSMS_OPERATOR", "CSMS_ACTION_TIMEOUT", "CSMS_RESPONSE_TIMEOUT", "CSMS_SILENCE_WAIT",
                "CSMS_SETTLE_TIME", "TRANSACTION_DURATION", "CONFIGURED_SUPPORTED_SECURITY_PROFILES",
                "CONFIGURED_FIRMWARE_SCHEDULE_DELAY", "CONFIGURED_NO_RENEGOTIATION_WAIT",
                "REFERENCE_CSMS_FAULTS", "REFERENCE_CSMS_OPTIONS", "REFERENCE_CSMS_SEED")
_USERINFO = re.compile(r"(//)[^/@\s]+@")


def run_settings(settings: Any, external: bool = False) -> dict[str, Any]:
    """The settings that matter for a run, without secrets: RUN_SETTINGS and every setting changed
    from its default, minus passwords and keys; values redacted, URL credentials removed. Against an
    external CSMS (``external``) the embedded reference CSMS's settings do not apply and are left out."""
    if settings is None:
        return {}
    from simulator.settings import SECRET_SETTINGS
    out: dict[str, Any] = {}
    for name, spec in type(settings).model_fields.items():
        value = getattr(settings, name)
        if name in SECRET_SETTINGS or "PASSWORD" in name or name.endswith("_KEY"):
            continue
        if external and name.startswith("REFERENCE_CSMS_"):
            continue
        if name in RUN_SETTINGS or value != spec.default:
            out[name] = value if isinstance(value, (int, float, bool)) or value is None \
                else _USERINFO.sub(r"\1***@", redact(str(value)))
    return out


def one_line(text: str) -> str:
    lines = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
    for ln in lines:  # prefer the harness's own verdict line
        if CASE_ID.search(ln) and ":" in ln:
            return redact(ln.removeprefix("E   ").removeprefix("Failed: "))[:400]
    return redact(lines[-1] if lines else "")[:400]


def one_line_repr(line: str) -> Any:
    """A report's longrepr that is ``line`` and nothing else: no traceback, and ``line`` as the
    message pytest's short summary and JUnit read (it survives the trip from a parallel worker)."""
    try:
        raise pytest.fail.Exception(line, pytrace=False)
    except pytest.fail.Exception:
        info = pytest.ExceptionInfo.from_current()
    longrepr = info.getrepr(style="value")
    longrepr.reprcrash.message = line  # not "Failed: …": it is not a CSMS failure
    return longrepr


def failure_reason(report: pytest.TestReport) -> str:
    """The one-line reason of a failed phase: the harness's verdict line of its failure text."""
    crash = getattr(report.longrepr, "reprcrash", None)
    return one_line(crash.message if crash is not None else str(report.longrepr))


def one_line_longrepr(report: pytest.TestReport) -> None:
    """The failure text as it was (redacted), with the one-line reason as its crash message, so that
    JUnit's failure message, the terminal's short summary and summary.json say the same line (a
    failure raised while handling another exception would otherwise show that exception's text).
    Unlike ``one_line_repr`` it keeps the text: a traceback of the harness's own stays readable."""
    from _pytest._code.code import ReprEntryNative, ReprExceptionInfo, ReprFileLocation, ReprTraceback
    reason = failure_reason(report)
    text = str(report.longrepr)
    path, line = (str(report.location[0]), (report.location[1] or 0) + 1) if report.location else ("", 0)
    report.longrepr = ReprExceptionInfo(reprtraceback=ReprTraceback([ReprEntryNative([text.rstrip("\n") + "\n"])],
                                                                    None, "native"),
                                        reprcrash=ReprFileLocation(path, line, reason))


class ConformanceReport:
    """pytest plugin: collects verdicts and writes reports/summary.{md,json}.

    In a parallel run (pytest-xdist) each worker judges its cases and sends every result with the
    report of the phase (``report.ocpp_result``, plain data that survives the trip); the controller
    gathers them and alone writes the summary."""

    def __init__(self, directory: Path, target: str, settings: Any = None, worker: bool = False,
                 workers: int = 0, csms: str = "", external: bool = False) -> None:
        self.directory = directory
        self.target = target
        self.csms = csms  # the CSMS under test in a few words (address, or "embedded reference CSMS")
        self.worker = worker  # an xdist worker: judges, sends results, writes no summary
        self.workers = workers  # on the controller of a parallel run: how many workers
        self.settings = run_settings(settings, external)
        self.selected: int | None = None  # conformance cases (items) selected, once collected
        self.stop: str | None = None  # why the run stopped early: user, failures, collection (exit_codes.decide)
        self.stop_reason = ""  # in words, for the reports
        self.results: dict[str, CaseResult] = {}
        self.started = time.time()
        self.implemented = implemented_cases()  # case ids of the suite's test functions (selected or not)
        self.build_seconds = 0.0  # time spent drawing diagrams and writing these reports
        self.grid: dict[str, list[tuple[str, str, str]]] = {}
        self.view_errors: list[str] = []  # report views that could not be built (never a verdict)
        self.config: pytest.Config | None = None
        self.csms_gone: str | None = None  # "the CSMS stopped answering at TC_x_yy (cause)", once per run

    def pytest_configure(self, config: pytest.Config) -> None:
        """Called on registration (pytest_configure is historic): the config the JUnit view needs."""
        self.config = config

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> Any:
        outcome = yield
        report = outcome.get_result()
        if call.excinfo is not None and call.excinfo.errisinstance(HarnessError):
            # the harness (this machine, its material, its own code) stopped the case: an error labelled
            # harness, one line naming case and step, wherever it was raised (step, follow-up, fixture)
            match = CASE_ID.search(item.name)
            report.longrepr = one_line_repr(harness_reason(call.excinfo.value, match.group(0) if match else item.name,
                                                           call.when))
            report.ocpp_harness_error = True  # type: ignore[attr-defined]
        trace: Trace | None = getattr(item, "ocpp_trace", None)
        if trace is not None and (report.when == "call" or (report.when != "call" and report.failed)):
            text = trace.text()
            if text:  # the terminal (-rA), JUnit's logs and the HTML log of a failed case show it
                report.sections.append(("OCPP message trace", text))
        self._record(item, report)
        if report.failed and CASE_ID.search(item.name) and not getattr(report, "ocpp_harness_error", False):
            one_line_longrepr(report)  # JUnit's failure message is the case's one-line reason
        with self._guard(item):
            self._case_views(item, report, call)

    @staticmethod
    def pytest_report_teststatus(report: pytest.TestReport) -> tuple[str, str, str] | None:
        """A harness error in a case's steps counts as pytest's ``error`` (E), not as a failure."""
        if report.failed and getattr(report, "ocpp_harness_error", False):
            return "error", "E", "ERROR"
        return None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> Any:
        """The controller of a parallel run learns each result from its worker's report. JUnit: a
        harness error in the call phase is an ``<error>`` (pytest writes ``<failure>`` for every
        failed call), with the one-line reason as its message."""
        data = getattr(report, "ocpp_result", None)
        if data and self.workers:
            self.results[report.nodeid] = CaseResult(**data)
        yield
        if report.when != "call" or not report.failed or not getattr(report, "ocpp_harness_error", False):
            return
        with contextlib.suppress(Exception):  # a report view never changes a verdict
            from _pytest.junitxml import xml_key
            xml = self.config.stash.get(xml_key, None) if self.config is not None else None
            if xml is None:
                return
            nodes = xml.node_reporter(report).nodes
            failure = next((n for n in reversed(nodes) if n.tag == "failure"), None)
            if failure is not None:
                failure.tag = "error"
                xml.stats["failure"] -= 1
                xml.stats["error"] += 1

    @contextlib.contextmanager
    def _guard(self, item: pytest.Item) -> Iterator[None]:
        """A broken report view must never change a verdict or stop the run: it is counted and
        named at the end of the run instead."""
        try:
            yield
        except Exception as e:  # noqa: BLE001
            self.view_errors.append(f"{item.name}: {e.__class__.__name__}: {redact(str(e))[:200]}")

    def _case_views(self, item: pytest.Item, report: pytest.TestReport, call: pytest.CallInfo) -> None:
        """The HTML view of the case (catalogue entry + diagram) and its JUnit properties."""
        match = CASE_ID.search(item.name)
        result = self.results.get(item.nodeid)
        if not match or result is None or not (report.when == "call" or report.failed or report.skipped):
            return
        started = time.perf_counter()
        entry = catalogue.case(match.group(0))
        self._junit(item, entry, result)
        trace: Trace | None = getattr(item, "ocpp_trace", None)
        if report.skipped or (report.when == "teardown" and (not report.failed
                                                             or getattr(item, "ocpp_failure_drawn", False))):
            self.build_seconds += time.perf_counter() - started
            return  # a teardown error after a failed call: its diagram already shows the failure
        item.ocpp_failure_drawn = report.failed  # type: ignore[attr-defined]
        failure = parse_failure(result.reason, call.stop) if report.failed else None
        msgs = messages(trace.frames) if trace is not None else []
        assign_steps(msgs, entry)
        svg = diagram(msgs, entry, failure, failing_message(msgs, failure))
        passed = result.verdict == "passed"  # its view and trace travel compressed, unpacked when opened
        html = case_html(match.group(0) + (f" [{result.variant}]" if result.variant else ""), entry,
                         result.verdict, result.reason, svg, result.timing(),
                         trace=trace.text() if passed and trace is not None else "", lazy=passed)
        try:
            from pytest_html import extras
            report.extras = getattr(report, "extras", []) + [extras.html(html)]
        except Exception:
            pass
        self.build_seconds += time.perf_counter() - started

    @staticmethod
    def _junit(item: pytest.Item, entry: catalogue.Case | None, result: CaseResult) -> None:
        """Requirement ids and (when failed) the failing step as JUnit properties; written once."""
        props = [p for p in item.user_properties if not str(p[0]).startswith("ocpp.")]
        props += [("ocpp.case", result.case), ("ocpp.block", result.block), ("ocpp.verdict", result.verdict)]
        if entry is not None:
            props += [("ocpp.title", entry.title), ("ocpp.use_case", entry.use_case),
                      ("ocpp.requirements", ", ".join(entry.requirements))]
        if result.verdict in ("failed", "error"):
            props += [("ocpp.failing_step", result.failing_step), ("ocpp.failing_field", result.failing_field),
                      ("ocpp.reason", result.reason)]
        item.user_properties[:] = props

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Any:
        """Allure: block as feature, use case as story, requirement ids as labels before the case;
        after it, each catalogue step as a step with its frames, the failing one failed."""
        match = CASE_ID.search(item.name)
        entry = catalogue.case(match.group(0)) if match else None
        if entry is not None:
            with self._guard(item):
                _allure_labels(entry, match.group(1))
        outcome = yield
        trace: Trace | None = getattr(item, "ocpp_trace", None)
        if entry is None or trace is None:
            return
        started = time.perf_counter()
        excinfo = outcome.excinfo
        failure = None
        if excinfo is not None and not isinstance(excinfo[1], pytest.skip.Exception):
            failure = parse_failure(one_line(str(excinfo[1])), time.time())
        with self._guard(item):
            _allure_steps(entry, trace, failure)
        self.build_seconds += time.perf_counter() - started

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
                reason = failure_reason(report)
            if existing and existing.verdict in ("failed", "error") and report.when == "teardown":
                return
            if existing and report.when == "teardown" and report.failed:
                existing.reason = existing.reason or reason
                existing.verdict = "error" if existing.verdict == "passed" else existing.verdict
                failure = parse_failure(existing.reason)
                if failure is not None and not existing.failing_step:
                    existing.failing_step, existing.failing_field = failure.where, failure.field
                self._send(report, existing)
                return
            doc = (getattr(item, "function", None).__doc__ or "").strip().splitlines()
            variant = item.name[item.name.index("[") + 1:-1] if "[" in item.name else ""
            result = CaseResult(match.group(0), variant, match.group(1), doc[0] if doc else "",
                                verdict, round(getattr(report, "duration", 0.0) +
                                               (existing.duration if existing else 0.0), 3), reason)
            failure = parse_failure(reason) if verdict in ("failed", "error") else None
            if failure is not None:
                result.failing_step, result.failing_field = failure.where, failure.field
            trace: Trace | None = getattr(item, "ocpp_trace", None)
            if trace is not None:
                csms = min(trace.waits["csms"], result.duration)
                configured = min(trace.waits["configured"], result.duration - csms)
                result.waiting_csms, result.configured_waits = round(csms, 3), round(configured, 3)
                result.harness = round(max(0.0, result.duration - csms - configured), 3)
                result.configured_by = {k: round(v, 3) for k, v in trace.configured_by.items()}
            else:
                result.harness = result.duration
            self.results[key] = result
            self._send(report, result)

    def _send(self, report: pytest.TestReport, result: CaseResult) -> None:
        """A worker's result goes to the controller with the report, as plain data."""
        if self.worker:
            report.ocpp_result = asdict(result)  # type: ignore[attr-defined]

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        output = getattr(node, "workeroutput", {})
        self.build_seconds += output.get("ocpp_build_seconds", 0.0)
        self.view_errors += output.get("ocpp_view_errors", [])
        self.csms_gone = self.csms_gone or output.get("ocpp_csms_gone")

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if not self.workers:
            self.selected = sum(1 for item in session.items if CASE_ID.search(item.name))

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        """The controller of a parallel run learns the selection from its workers' collections."""
        self.selected = sum(1 for nodeid in ids if CASE_ID.search(nodeid.rpartition("::")[2]))

    @pytest.hookimpl(tryfirst=True)  # before pytest's terminal, whose report of it can fail (interrupt.py)
    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        """Ctrl-C, or what pytest and pytest-xdist raise as one: a stop on failures, collection errors."""
        message = str(excinfo.value)
        self.stop = ("failures" if message.startswith("stopping after") else
                     "collection" if "during collection" in message else "user")
        self.stop_reason = {"user": excinfo.typename + (f": {message}" if message else ""),
                            "failures": f"{message} (--maxfail/-x)"}.get(self.stop, message)

    def run_state(self, session: pytest.Session | None = None) -> dict[str, Any]:
        """Whether every selected case ran: status complete, interrupted (Ctrl-C) or incomplete
        (stopped on failures, or fewer cases ran than were selected), with the counts."""
        if session is not None and self.stop is None and getattr(session, "shouldfail", False):
            self.stop, self.stop_reason = "failures", f"{session.shouldfail} (--maxfail/-x)"
        ran = len(self.results)
        selected = self.selected if self.selected is not None else ran
        status = ("interrupted" if self.stop == "user" else
                  "incomplete" if self.stop is not None or ran < selected else "complete")
        reason = self.stop_reason or ("" if status == "complete" else "fewer cases ran than were selected")
        return {"status": status, "selected": selected, "ran": ran, "reason": reason}

    @staticmethod
    def run_state_line(state: dict[str, Any]) -> str:
        """"INTERRUPTED: 12 of 54 selected cases ran (…)"; empty for a complete run."""
        if state["status"] == "complete":
            return ""
        return (f"{state['status'].upper()}: {state['ran']} of {state['selected']} selected cases ran"
                + (f" ({state['reason']})" if state["reason"] else "") + "; the verdicts are those of the cases that ran")

    def ran_anything(self) -> bool:
        """A run whose reports are worth keeping: a case has a verdict, or cases were selected and
        the run was stopped before any had one."""
        return bool(self.results) or bool(self.selected and self.stop)

    def timing(self, total: float) -> dict[str, Any]:
        """The run's time split (sums over cases) and its ten slowest cases."""
        rs = list(self.results.values())
        slowest = sorted(rs, key=lambda r: r.duration, reverse=True)[:10]
        by_setting: dict[str, float] = {}
        for r in rs:
            for setting, seconds in r.configured_by.items():
                by_setting[setting] = by_setting.get(setting, 0.0) + seconds
        return {"total_seconds": round(total, 2), "workers": self.workers,
                "cases_seconds": round(sum(r.duration for r in rs), 2),
                "waiting_csms": round(sum(r.waiting_csms for r in rs), 2),
                "configured_waits": round(sum(r.configured_waits for r in rs), 2),
                "harness": round(sum(r.harness for r in rs), 2),
                "configured_by_setting": {k: round(v, 2) for k, v in
                                          sorted(by_setting.items(), key=lambda kv: -kv[1])},
                "slowest": [{"case": r.case, "variant": r.variant, "duration": r.duration,
                             "waiting_csms": r.waiting_csms, "configured_waits": r.configured_waits,
                             "harness": r.harness} for r in slowest]}

    @staticmethod
    def timing_lines(timing: dict[str, Any]) -> list[str]:
        workers = f" on {timing['workers']} parallel workers" if timing.get("workers") else ""
        lines = [f"Time: {timing['total_seconds']:.1f} s in total{workers}; cases {timing['cases_seconds']:.1f} s = waiting on "
                 f"the CSMS {timing['waiting_csms']:.1f} s + configured waits {timing['configured_waits']:.1f} s + "
                 f"harness {timing['harness']:.1f} s"]
        if timing.get("configured_by_setting"):
            lines.append("Configured waits by setting: " + ", ".join(
                f"{k} {v:.1f} s" for k, v in timing["configured_by_setting"].items()))
        lines.append("Slowest cases (s):  total   CSMS  config  harness")
        for r in timing["slowest"]:
            name = r["case"] + (f" [{r['variant']}]" if r["variant"] else "")
            lines.append(f"  {name:18} {r['duration']:6.2f} {r['waiting_csms']:6.2f} {r['configured_waits']:7.2f} "
                         f"{r['harness']:8.2f}")
        return lines

    @pytest.hookimpl(tryfirst=True)  # before junitxml and pytest-html write: they carry the run's state
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.worker:
            output = session.config.workeroutput  # type: ignore[attr-defined]
            output.update(ocpp_build_seconds=self.build_seconds, ocpp_view_errors=self.view_errors)
            return
        self.state = self.run_state(session)
        counts = {v: sum(r.verdict == v for r in self.results.values()) for v in ("passed", "failed", "error")}
        session.exitstatus = exit_codes.decide(int(session.exitstatus), counts, self.stop)
        if not self.ran_anything():
            return
        from _pytest.junitxml import xml_key
        xml = session.config.stash.get(xml_key, None)  # junitxml's LogXML: run-level properties
        if xml is not None:
            for name, value in (("ocpp.run", self.state["status"]), ("ocpp.cases_selected", self.state["selected"]),
                                ("ocpp.cases_ran", self.state["ran"]), ("ocpp.run_reason", self.state["reason"])):
                xml.add_global_property(name, str(value))
        self._write_summary()

    def _write_summary(self) -> None:
        build = time.perf_counter()
        self.directory.mkdir(parents=True, exist_ok=True)
        total = time.time() - self.started
        ordered = sorted(self.results.values(), key=lambda r: (r.block, int(r.case.split("_")[2]), r.variant))
        counts = {v: sum(r.verdict == v for r in ordered) for v in ("passed", "failed", "error", "skipped")}
        ran = {r.case for r in ordered}
        missing = [c for c in SEED_IDS if c not in self.implemented]
        coverage = {"seed_cases": len(SEED_IDS), "implemented": len(SEED_IDS) - len(missing),
                    "not_implemented": missing, "selected": len(ran)}
        self.grid = grid(SEED_IDS, [asdict(r) for r in ordered], self.implemented)
        timing = self.timing(total)
        self.timing_summary = timing
        data = {"csms": self.csms, "target": self.target, "run": self.state, "total_seconds": round(total, 2),
                "counts": counts, "coverage": coverage,
                "started": datetime.fromtimestamp(self.started, timezone.utc).isoformat(timespec="seconds"),
                "harness_version": harness_version(), "settings": self.settings, "timing": timing,
                "csms_gone": self.csms_gone,
                "overview": {b: [[c, v] for c, v, _ in cells] for b, cells in self.grid.items()},
                "blocks": {b: [asdict(r) for r in ordered if r.block == b]
                           for b in BLOCKS if any(r.block == b for r in ordered)}}
        (self.directory / "summary.json").write_text(redact(json.dumps(data, indent=2, ensure_ascii=False)))
        stopped = self.run_state_line(self.state)
        lines = ["# OCPP 2.0.1 CSMS conformance summary", "", *([f"**{stopped}**", ""] if stopped else []),
                 f"CSMS under test: {self.target}  ", f"Started: {data['started']}, harness "
                 f"{data['harness_version']}  ", f"Total time: {total:.1f} s  ",
                 "Verdicts: " + ", ".join(f"{n} {v}" for v, n in counts.items()) + "  ",
                 *([f"**{self.csms_gone[0].upper() + self.csms_gone[1:]}.**  "] if self.csms_gone else []),
                 f"Coverage: {coverage['implemented']} of the {len(SEED_IDS)} Part 6 cases implemented"
                 + (f"; not implemented: {', '.join(missing)}" if missing else "") + "", "",
                 "## Overview (blocks × cases, in catalogue order)", "", *overview_text(self.grid), "",
                 "## Where the time goes", "", "```", *self.timing_lines(timing), "```", "",
                 "## Settings", "", ", ".join(f"{k}={v}" for k, v in self.settings.items()) or "(none)", ""]
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
        self.build_seconds += time.perf_counter() - build

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_summary(self, prefix: list[str], summary: list[str], postfix: list[str],
                                    session: pytest.Session) -> None:
        """The conformance overview (and where the time went) at the top of the HTML report."""
        if not self.ran_anything():
            return
        stopped = self.run_state_line(getattr(self, "state", None) or self.run_state())
        if stopped:
            prefix.append('<p class="ocpp-run-state" style="background:#d63a2f;color:#fff;padding:8px;'
                          f'font-weight:bold;font-size:14px">{escape(redact(stopped))}</p>')
        prefix.append(PAGE_STYLE + LAZY_SCRIPT)
        prefix.append("<h2>Conformance overview</h2><p>" + redact(self.target).replace("<", "&lt;") + "</p>"
                      + f'<div class="ocpp-wide">{overview_svg(self.grid, BLOCKS)}</div>')
        timing = getattr(self, "timing_summary", None)
        if timing:
            rows = "\n".join(self.timing_lines(timing)).replace("&", "&amp;").replace("<", "&lt;")
            prefix.append(f'<h3>Where the time goes</h3><pre class="ocpp-timing">{rows}</pre>')

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_html(self, report: pytest.TestReport, data: list[str]) -> None:
        """A passed case's trace is in its compressed view, not a second time in its log."""
        if report.passed and CASE_ID.search(report.nodeid):
            data[:] = [part for part in data if " OCPP message trace " not in part.split("\n", 1)[0]]

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_report_title(self, report: Any) -> None:
        report.title = "OCPP 2.0.1 CSMS conformance report"

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.worker:
            return
        tr = terminalreporter
        if not self.ran_anything():
            if not self.selected:
                tr.write_line("No case selected: no reports written, the previous run's reports are left as they were",
                              yellow=True)
            return
        tr.section("OCPP 2.0.1 conformance summary")
        if self.csms_gone:
            tr.write_line(f"ERROR: {self.csms_gone}", red=True)
        stopped = self.run_state_line(getattr(self, "state", None) or self.run_state())
        if stopped:
            tr.write_line(stopped, red=True, bold=True)
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
        timing = getattr(self, "timing_summary", None) or self.timing(time.time() - self.started)
        for line in self.timing_lines(timing):
            tr.write_line(line)
        tr.write_line(f"Total time {getattr(self, 'total', time.time() - self.started):.1f} s; "
                      f"summary in {self.directory}/summary.md and summary.json; report views built in "
                      f"{self.build_seconds:.2f} s")
        if self.view_errors:
            tr.write_line(f"WARNING: {len(self.view_errors)} report views could not be built; first: "
                          f"{self.view_errors[0]}", yellow=True)


def _allure_labels(entry: catalogue.Case, block: str) -> None:
    """Block as feature, use case as story, requirement ids as labels (and the catalogue entry as
    description)."""
    try:
        import allure
    except ImportError:
        return
    allure.dynamic.title(f"{entry.id} — {entry.title}")
    allure.dynamic.epic("OCPP 2.0.1 CSMS conformance")
    allure.dynamic.feature(f"Block {block} — {BLOCKS[block]}")
    allure.dynamic.story(entry.use_case or "no use case")
    for use_case in catalogue.use_cases(entry):
        allure.dynamic.label("use_case", use_case)
    for requirement in entry.requirements:
        allure.dynamic.label("requirement", requirement)
        # the url is the id: ``--allure-link-pattern requirement:https://…/{}`` points it anywhere
        allure.dynamic.link(requirement, link_type="requirement", name=requirement)
    steps = "\n".join(f"{s.number}. {s.text}" for s in entry.steps)
    allure.dynamic.description(redact(f"Use case: {entry.use_case}\nRequirements: {', '.join(entry.requirements)}"
                                      f"\nBefore: {entry.before}\n\nSteps:\n{steps}\n\nChecks:\n"
                                      + "\n".join(f"- {c}" for c in entry.checks)))


class _NotReached(Exception):
    pass


def _allure_steps(entry: catalogue.Case, trace: Trace, failure: Failure | None) -> None:
    """Each catalogue step as an Allure step; in a failed case each holds the frames that passed
    while it ran (a frame belongs to the last step that named one before it), the failing step
    fails and later ones are marked not reached. A passed case has the whole trace attached once
    (conftest): a file per step and case would cost the run more than it tells."""
    try:
        import allure
    except ImportError:
        return
    msgs = messages(trace.frames)
    assign_steps(msgs, entry)
    groups: dict[str, list[Any]] = {"before": []}
    current = "before"
    for m in msgs:
        current = m.step or current
        groups.setdefault(current, []).append(m)
    failing = failing_message(msgs, failure)
    failed_at = ""
    if failure is not None:
        failed_at = next((g for g, ms in groups.items() if failing is not None and failing in ms), "")
        if not failed_at:
            own = failure.step if failure.step in groups or any(s.number == failure.step for s in entry.steps) else ""
            failed_at = own if not failure.state and own else current
    titles = [("before", f"Before: {entry.before or 'none'}")] + [(s.number, f"Step {s.number}: {s.text}")
                                                                 for s in entry.steps]
    reached = True
    for number, title in titles:
        try:
            with allure.step(redact(title[:250])):
                frames = groups.get(number, []) if failure is not None else []
                if frames:
                    allure.attach("\n".join(m.frame.line() for m in frames), name=f"frames ({len(frames)})",
                                  attachment_type=allure.attachment_type.TEXT)
                if not reached:
                    raise pytest.skip.Exception("not reached: the case failed at an earlier step")
                if failure is not None and number == failed_at:
                    reached = False
                    raise pytest.fail.Exception(redact(failure.reason), pytrace=False)
        except (pytest.fail.Exception, pytest.skip.Exception):
            pass

