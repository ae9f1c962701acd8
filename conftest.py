"""pytest wiring of the conformance suite: settings, the CSMS under test (external, or the embedded
reference CSMS when CSMS_ADDRESS is unset), stations, the operator, and the reports.

Runs of ``selftest/`` only (the project's own tests) get none of this.
"""
from __future__ import annotations

import atexit
import contextlib
import functools
import inspect
import os
import random
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, AsyncIterator, Awaitable, Callable

import pytest

from simulator.verdicts.checks import fail, require_profile, require_settings, set_case
from simulator.reporting.interrupt import InterruptReport
from simulator.reporting.redaction import Redaction, install_log_redaction
from simulator.reporting.reports import CASE_ID, CASE_TEST, ConformanceReport, one_line_longrepr
from simulator.reporting.run_folder import RunFolderError, claim, finish, new_run_folder
from simulator.settings import ROOT, SettingError, Settings, load_settings
from simulator.verdicts.trace import Trace, add_secret, set_current

if TYPE_CHECKING:  # imported where used: the controller of a parallel run never loads them
    from simulator.operators.operator import Operator
    from simulator.station.station import Station
    from simulator.wire.transport import Credentials, Endpoint

SELFTEST = ROOT / "selftest"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--no-preflight", action="store_true", help="run every case even when the CSMS does not "
                     "accept a station and answer its BootNotification before the first case, or stops answering "
                     "mid-run")
    parser.addoption("--shuffle", default=None, metavar="SEED",
                     help="run the cases in a shuffled order (SEED an integer, or 'random'); the header prints the seed")
    parser.addoption("--reports", default=None, metavar="DIR", help="write junit.xml, report.html, allure-results/ "
                     "and summary.md/json into DIR: a new or empty folder, or one an earlier run made (default: "
                     "a fresh REPORTS_FOLDER/<time>/, and REPORTS_FOLDER/latest pointing to it)")
    parser.addoption("--stop-on-csms-gone", action="store_true", help="stop the run when the CSMS stops answering "
                     "mid-run (default: every later case fails at once with that reason)")


def _harness_run(config: pytest.Config) -> bool:
    args = [a.split("::")[0] for a in config.args if not a.startswith("-")] or [str(ROOT / "tests")]
    return any(not Path(a).resolve().is_relative_to(SELFTEST) for a in args)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(InterruptReport(config), "ocpp-interrupt-report")
    if not _harness_run(config):
        # the project's own tests (and the suites they start) keep the stations' counters in a
        # folder of their own, not in the user's state file (python -m simulator.station.counters)
        if not _is_worker(config):
            import tempfile
            os.environ.setdefault("STATION_STATE_DIR", tempfile.mkdtemp(prefix="ocpp-selftest-state-"))
        return
    try:
        settings = load_settings()
    except SettingError as e:
        raise pytest.UsageError(str(e)) from None
    for secret in settings.secrets():
        add_secret(secret)
    install_log_redaction()
    config.pluginmanager.register(Redaction(), "ocpp-redaction")
    try:
        reports, base = run_folder(config, settings)
    except RunFolderError as e:
        raise pytest.UsageError(str(e)) from None
    if not config.option.xmlpath:
        config.option.xmlpath = str(reports / "junit.xml")
    if getattr(config.option, "htmlpath", None) is None and config.pluginmanager.hasplugin("html"):
        config.option.htmlpath = str(reports / "report.html")
        config.option.self_contained_html = True
    if getattr(config.option, "allure_report_dir", None) is None:
        config.option.allure_report_dir = str(reports / "allure-results")
        config.option.clean_alluredir = False  # the run folder is fresh, or its previous outputs were set aside
    harness = Harness(settings, reports, distribute(config, settings))
    config.stash[HARNESS] = harness
    config.pluginmanager.register(harness, "ocpp-harness")
    if not _is_worker(config):  # after every report is written: keep the run, or give the previous one back
        config.add_cleanup(lambda: finish(reports, harness.keeps_reports(), base, settings.REPORTS_KEEP_RUNS))


def run_folder(config: pytest.Config, settings: Settings) -> tuple[Path, Path | None]:
    """The run's folder, and the base of timestamped run folders (None with --reports DIR). The
    workers of a parallel run write into the folder their controller chose."""
    if _is_worker(config):
        return Path(config.workerinput["ocpp_reports"]), None  # type: ignore[attr-defined]
    given = config.getoption("--reports")
    if given is None:
        base = settings.path(settings.REPORTS_FOLDER)
        return new_run_folder(base), base
    folder = Path(given) if Path(given).is_absolute() else ROOT / given
    claim(folder)
    return folder, None


HARNESS = pytest.StashKey["Harness"]()
_CASES_ONLY = re.compile(r"(?:\s|\(|\)|\bnot\b|\band\b|\bor\b|\bTC_[A-P](?:_\d+)?\b)+")


def selected_by_keyword(config: pytest.Config, path: Path) -> list[str] | None:
    """The case ids of ``path`` that a ``-k`` naming only case ids (``TC_E``, ``TC_B_01 or TC_E``)
    selects; None when -k says more (or nothing). "TC_" occurs in nothing but the case functions'
    names, so this is exactly what -k selects, found without importing the module."""
    keyword = config.option.keyword
    if not keyword or not _CASES_ONLY.fullmatch(keyword):
        return None
    try:
        from _pytest.mark.expression import Expression
        expression = Expression.compile(keyword)
        return [m.group(2) for m in CASE_TEST.finditer(path.read_text())
                if expression.evaluate(lambda sub, name=m.group(1), **_: sub.lower() in name.lower())]
    except Exception:  # noqa: BLE001 - when in doubt, collect
        return None


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """A case module none of whose cases ``-k`` selects is not imported: a run of one block starts
    (in each worker) in less time."""
    if collection_path.suffix != ".py" or not collection_path.name.startswith("test_") \
            or not collection_path.is_relative_to(ROOT / "tests"):
        return None
    return True if selected_by_keyword(config, collection_path) == [] else None


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def distribute(config: pytest.Config, settings: Settings) -> int:
    """How many parallel workers run the cases (0: this process runs them). With the embedded
    reference CSMS, REFERENCE_CSMS_WORKERS unless pytest's -n says otherwise: each worker starts a
    CSMS of its own, so cases never share one. Against any other CSMS, CSMS_STATION_SETS: each
    worker plays one station set, so no two cases use one station id at once."""
    if _is_worker(config) or not config.pluginmanager.hasplugin("xdist"):
        return 0
    asked = config.option.numprocesses  # resolved by pytest-xdist ("auto" is a number by now)
    if settings.CSMS_OPERATOR == "manual":
        if asked and asked > 1:
            raise pytest.UsageError(f"-n {asked}: the manual operator runs one case at a time (the person at the "
                                    f"terminal would get several instructions at once). Drop -n.")
        if settings.CSMS_STATION_SETS > 1:
            sys.stderr.write(f"CSMS_STATION_SETS={settings.CSMS_STATION_SETS}: the manual operator runs one "
                             f"station set, one case at a time\n")
        return 0
    most = settings.REFERENCE_CSMS_WORKERS if settings.embedded else settings.CSMS_STATION_SETS
    if not settings.embedded and asked and asked > most:
        raise pytest.UsageError(f"-n {asked}: against CSMS_ADDRESS each parallel worker plays a station set of its "
                                f"own and CSMS_STATION_SETS is {most}; set CSMS_STATION_SETS={asked} (and register "
                                f"the sets' stations: python -m simulator.provisioning) or use -n {most}")
    if asked is None and not (config.option.collectonly or config.option.usepdb):
        asked = most if most > 1 else 0
        selected = [selected_by_keyword(config, path) for path in (ROOT / "tests").glob("test_*.py")]
        if asked and None not in selected:  # a small selection: no more workers than it is worth
            from simulator.verdicts.catalogue import configured_waits
            # a quick case is one unit, each configured wait about one more; a worker costs ~8 units to start
            units = sum(1 + configured_waits(case) for cases in selected for case in cases)  # type: ignore[union-attr]
            asked = min(asked, -(-units // 8))
            asked = asked if asked > 1 else 0
        if asked:  # what pytest-xdist makes of -n N, which its own configure hook then acts on
            config.option.numprocesses, config.option.dist, config.option.tx = asked, "load", ["popen"] * asked
    return asked or 0


def station_set_numbers(config: pytest.Config, sets: int) -> list[int]:
    """The station sets this process plays: worker gwN of W plays sets N+1, N+1+W, … (more sets than
    workers: the worker takes its sets in turn, so one set's settle time passes while it plays the
    other); a run without workers plays set 1."""
    given = getattr(config, "workerinput", None)
    if given is None:
        return [1]
    worker, workers = int(given["workerid"].removeprefix("gw")), int(given["workercount"])
    return list(range(worker + 1, sets + 1, workers)) or [worker + 1]


def csms_name(settings: Settings) -> str:
    """The CSMS under test in a few words, the same in the terminal, JUnit and summary.json (where
    ``reports diff`` compares it): "embedded reference CSMS", or CSMS_ADDRESS without user info."""
    if settings.embedded:
        return "embedded reference CSMS"
    return re.sub(r"^(wss?://)[^/@]*@", r"\1", settings.CSMS_ADDRESS or "")


def _end_worker_process() -> None:
    """The last thing a worker does: its results went to the controller and its files are closed,
    so the interpreter's own teardown (about a second with four workers on two cores) is skipped."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001
            pass
    os._exit(0)


class Harness:
    """The CSMS under test for the whole session, and the settings the cases see."""

    def __init__(self, settings: Settings, reports: Path, workers: int = 0) -> None:
        self.settings = settings
        self.reports = reports
        self.workers = workers  # the controller of a parallel run: it starts no CSMS and runs no case
        self.embedded: Any = None
        self.report: ConformanceReport | None = None
        self.outage: str | None = None  # the CSMS failed the preflight: every case fails with this
        self.gone: str | None = None  # the CSMS stopped answering mid-run: every later case fails with this
        self.failed: set[str] = set()  # node ids of this process's cases that failed
        self.session: pytest.Session | None = None
        self.shuffle_seed: int | None = None
        self.csms = csms_name(settings)
        self.external = not settings.embedded
        self.check_setup = False  # the setup check runs once the selection is known (pytest_collection_finish)
        self.setup_failures: dict[str, str] = {}  # case id -> the setup problem it fails with at once
        self.configured = settings
        self.station_set = 1
        self.my_sets = [1]
        self.turns: Any = None  # a worker of parallel station sets: the cases' turns (simulator.station_sets)

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        """One seed for the busy CSMS, one for the stations' optional content and one order for every
        worker (they must collect alike)."""
        given = getattr(config, "workerinput", {})
        seed = given.get("ocpp_csms_seed", self.settings.REFERENCE_CSMS_SEED)
        if seed is None and self.workers:
            seed = random.randrange(1_000_000)
        content = given.get("ocpp_content_seed", self.settings.CONTENT_SEED)
        if content is None:
            content = random.randrange(1_000_000)
        self.settings = self.settings.model_copy(update={"REFERENCE_CSMS_SEED": seed, "CONTENT_SEED": content})
        self.configured = self.settings  # set 1's: what the certificates and the manifest derive from
        if not self.settings.embedded:  # a worker against CSMS_ADDRESS plays its own station set
            self.my_sets = station_set_numbers(config, self.settings.CSMS_STATION_SETS)
            self.play_set(self.my_sets[0])
            if _is_worker(config):
                from simulator.station_sets import Turns
                self.turns = Turns(Path(config.workerinput["ocpp_reports"]))  # type: ignore[attr-defined]
                config.pluginmanager.register(StationSetTurns(self), "ocpp-station-set-turns")
        shuffle = given.get("ocpp_shuffle", config.getoption("--shuffle"))
        if shuffle is not None:
            self.shuffle_seed = random.randrange(10**6) if shuffle == "random" else int(shuffle)

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["ocpp_csms_seed"] = self.settings.REFERENCE_CSMS_SEED
        node.workerinput["ocpp_content_seed"] = self.settings.CONTENT_SEED
        node.workerinput["ocpp_shuffle"] = self.shuffle_seed
        node.workerinput["ocpp_reports"] = str(self.reports)  # one run folder for the whole run

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        from fixtures.make_certs import HERE, ensure, ensure_for_settings
        from simulator.wire import connections
        self.session = session
        log = self.reports / "connections.jsonl"  # every station connection: opened, closed (workers append)
        if not _is_worker(session.config):
            log.write_text("")
        connections.log_to(log)
        ensure(HERE / "certs", self.settings.SECURITY_PROFILE_3_CP)  # the harness's own folder only
        if self.settings.embedded:  # its CSMS loads them at start: blocks C, L, M's roots, chains, firmware
            ensure_for_settings(self.settings)
        if self.workers:  # the workers start their CSMSs, check them and run the cases
            self.name_the_csms(session.config)
            self.report = ConformanceReport(self.reports, self.target(), self.settings, workers=self.workers,
                                            csms=self.csms, external=self.external)
            session.config.pluginmanager.register(self.report, "ocpp-conformance-report")
            return
        if self.settings.embedded:
            from reference_csms.embedded import EmbeddedCsms
            from reference_csms.suite_config import config_from_settings as embedded_config
            try:
                config = embedded_config(self.settings)
                self.embedded = EmbeddedCsms(config)
                self.embedded.start()
            except (ValueError, OSError) as e:
                raise pytest.UsageError(f"reference CSMS: {e}") from None
            update: dict[str, Any] = {"CSMS_ADDRESS": self.embedded.ws_url,
                                      "CSMS_WSS_ADDRESS": self.embedded.wss_url}
            if self.settings.CSMS_OPERATOR == "http" and not self.settings.CSMS_OPERATOR_URL:
                update["CSMS_OPERATOR_URL"] = self.embedded.api_url
            self.settings = self.settings.model_copy(update=update)
        if not _is_worker(session.config):
            self.name_the_csms(session.config)
        skip = session.config.getoption("--no-preflight") or session.config.option.collectonly
        self.outage = None if skip else self.preflight()
        self.check_setup = self.external and not skip and not self.outage and (
            not _is_worker(session.config) or self.settings.CSMS_STATION_SETS > 1)
        target = self.target()
        self.report = ConformanceReport(self.reports, target, self.settings, worker=_is_worker(session.config),
                                        csms=self.csms, external=self.external)
        session.config.pluginmanager.register(self.report, "ocpp-conformance-report")

    def play_set(self, number: int) -> None:
        """The cases from now on play station set ``number`` (``simulator.settings.station_set``)."""
        from simulator.settings import station_set
        self.station_set = number
        self.settings = station_set(self.configured, number)

    def next_set(self) -> None:
        """Before a case: a worker with several sets takes the next one."""
        if len(self.my_sets) > 1:
            self.play_set(self.my_sets[(self.my_sets.index(self.station_set) + 1) % len(self.my_sets)])

    def name_the_csms(self, config: pytest.Config) -> None:
        """The terminal's first line and the JUnit file's ``ocpp.csms`` property say which CSMS is
        tested: a run against the embedded CSMS that was meant for yours shows at a glance."""
        from _pytest.junitxml import xml_key
        xml = config.stash.get(xml_key, None)
        if xml is not None:
            xml.add_global_property("ocpp.csms", self.csms)
            xml.add_global_property("ocpp.target", self.target())
        terminal = config.pluginmanager.get_plugin("terminalreporter")
        if terminal is not None:
            terminal.write_line(f"CSMS under test: {self.target()}")

    def keeps_reports(self) -> bool:
        """Whether this run's reports stay (cases ran, or were selected and the run was stopped)."""
        return self.report is not None and self.report.ran_anything()

    def preflight(self) -> str | None:
        """The CSMS accepts BASIC_AUTH_CP (or the lowest supported profile's station) and answers its
        BootNotification; else the reason every case fails with."""
        from simulator.probes.preflight import preflight
        s = self.settings
        profile = min(s.supported_profiles)
        if self.turns is not None:  # profile 3 only: SECURITY_PROFILE_3_CP, every set's station
            self.turns.take(exclusive=False, stations=[s.SECURITY_PROFILE_3_CP] if profile == 3 else [])
        try:
            reason = preflight(s, credentials(s, profile), make_endpoint(s))
        finally:
            if self.turns is not None:
                self.turns.give_back()
        if reason is None:
            return None
        message = f"the CSMS did not accept a station before the first case: {reason}"
        import sys
        sys.stderr.write(f"ERROR: {message} (every case fails with this reason; --no-preflight runs them anyway)\n")
        return message

    def target(self) -> str:
        s = self.settings
        if self.external:
            sets = (f" on {s.CSMS_STATION_SETS} station sets ({self.workers} parallel workers)" if self.workers
                    else f" on station set {self.station_set}" if self.station_set > 1 else "")
            return f"{s.CSMS_ADDRESS} / {s.CSMS_WSS_ADDRESS or 'no wss endpoint'}{sets}"
        where, seed = (f"one per worker ({self.workers} parallel workers", s.REFERENCE_CSMS_SEED) if self.workers \
            else (f"({s.CSMS_ADDRESS}, {s.CSMS_WSS_ADDRESS}", self.embedded.csms.seed)
        return (f"embedded reference CSMS {where}; faults: {', '.join(s.faults) or 'none'}; options: "
                f"{', '.join(s.csms_options) or 'none'}; REFERENCE_CSMS_SEED={seed})")

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        order = [f"order: shuffled with --shuffle {self.shuffle_seed}"] if self.shuffle_seed is not None else []
        return order + [f"operator: {self.settings.CSMS_OPERATOR}",  # the CSMS: the first line (name_the_csms)
                        f"stations' optional content: CONTENT_SEED={self.settings.CONTENT_SEED} "
                        f"(set it to make the same choices again)"]

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.embedded is not None:
            self.embedded.stop()
        if self.workers and not self.settings.embedded:  # the station sets' turns, after every worker ended
            from simulator.station_sets import Turns
            Turns(self.reports).remove()

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if _is_worker(config):  # the run waits for every worker process to end: end it at once
            atexit.register(_end_worker_process)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
        """A CSMS that did not pass the preflight, or stopped answering mid-run: each (later) case
        fails at once with that one reason, without setting up stations or formatting tracebacks (a
        dead CSMS costs seconds)."""
        from simulator.wire import connections
        connections.clear_troubles()
        match = CASE_ID.search(item.name)
        reason = self.outage or self.gone or (self.setup_failures.get(match.group(0)) if match else None)
        if not reason or not match:
            return None
        item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        report = pytest.TestReport(item.nodeid, item.location, {k: 1 for k in item.keywords}, "failed",
                                   f"{match.group(0)} before step 1: {reason}", "call", duration=0.0)
        one_line_longrepr(report)  # JUnit's failure message is the one-line reason
        if self.report is not None:
            self.report._record(item, report)
        item.ihook.pytest_runtest_logreport(report=report)
        # What the case before set up for this one (its module, its class) is torn down as far as the
        # next case needs: pytest's own protocol does this in the teardown it is spared here, and the
        # next case of another module would otherwise be an error ("previous item was not torn down
        # properly"), as it was after a setup-check failure in a shuffled run on station sets
        item.session._setupstate.teardown_exact(nextitem)
        item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        return True

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed and not self.workers:
            self.failed.add(report.nodeid)

    def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
        """After a failed case that met connection troubles (refused, reset, silence, a connection
        lost without a close frame), one cheap recheck: does the CSMS still answer an upgrade? A
        refusal the case asked for, or a CSMS that closed a connection on purpose, passes it and the
        run carries on; a CSMS that is gone is named once, and the later cases fail at once
        (``--stop-on-csms-gone``: the run stops)."""
        from simulator.wire import connections
        if self.workers or self.outage or self.gone or nodeid not in self.failed or not connections.troubles():
            return
        if self.session is None or self.session.config.getoption("--no-preflight"):
            return  # every case runs, whatever the CSMS does
        from simulator.probes.preflight import still_answering
        s = self.settings
        cause = still_answering(credentials(s, min(s.supported_profiles)), make_endpoint(s))
        if cause is None:
            return
        match = CASE_ID.search(nodeid)
        self.gone = f"the CSMS stopped answering at {match.group(0) if match else nodeid} ({cause})"
        if self.report is not None:
            self.report.csms_gone = self.gone
        if self.session is not None:
            config = self.session.config
            if _is_worker(config):
                config.workeroutput["ocpp_csms_gone"] = self.gone  # type: ignore[attr-defined]
            if config.getoption("--stop-on-csms-gone"):
                self.session.shouldfail = f"{self.gone} (--stop-on-csms-gone)"

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.shuffle_seed is not None and not _is_worker(terminalreporter.config):
            terminalreporter.write_line(f"Order: shuffled with seed {self.shuffle_seed} "
                                        f"(the same order again: --shuffle {self.shuffle_seed})")

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Against another CSMS the material of blocks C, L and M (made for BASIC_AUTH_CP, the OCSP
        URL, the eMAID) is made only when such a case runs: a run for other station ids must not
        remake it under a run beside it on the same machine."""
        if not self.settings.embedded and any(m.group(1) in "CLM" for item in session.items
                                              if (m := CASE_ID.search(item.name))):
            from fixtures.make_certs import ensure_for_settings
            ensure_for_settings(self.configured)
        if self.check_setup:
            self.setup_check(session.items)

    def setup_check(self, items: list[pytest.Item]) -> None:
        """Against an external CSMS, before the first case: does it hold what the manifest of the
        selected cases says? Each mismatch is one line here, and the cases it breaks fail at once
        with it (``--no-preflight`` skips the check)."""
        from simulator.probes.preflight import setup_check
        from simulator.provisioning.build import build, references
        from simulator.settings import named_tokens
        s = self.settings
        cases = list(dict.fromkeys(m.group(0) for item in items if (m := CASE_ID.search(item.name))))
        if not cases:
            return
        manifest = build(self.configured, cases, self.csms)
        # this set's stations only; in a parallel run a certificate-bound one is every set's, and its cases
        # may already be running on another worker: they check it themselves
        from simulator.settings import certificate_stations, set_station_ids
        shared = certificate_stations(s) if self.turns is not None else frozenset()
        mine = {v for n in self.my_sets for k, v in set_station_ids(self.configured, n).items() if k not in shared}
        manifest.stations = [station for station in manifest.stations if station.id in mine]
        if self.turns is not None and 1 not in self.my_sets:
            manifest.server_certificates = []  # set 1's worker checks the wss endpoints (a station of profile 3)
        groups = {t.group_setting for t in named_tokens(s) if t.group_setting}
        if self.turns is not None:  # the TLS check's connections are SECURITY_PROFILE_3_CP's
            self.turns.take(exclusive=False, stations=[getattr(s, name) for name in sorted(shared)
                                                       if 1 in self.my_sets])
        try:
            problems = setup_check(s, manifest, make_endpoint(s), lambda profile, sid: credentials(s, profile, sid),
                                   lambda token: [c for c in token.cases if references(c) & groups])
        finally:
            if self.turns is not None:
                self.turns.give_back()
        for problem in problems:
            sys.stderr.write(f"ERROR: {problem.line()}\n")
            for case in problem.cases:
                self.setup_failures.setdefault(case, f"setup: {problem.text}")
        if problems:
            sys.stderr.write("ERROR: the cases above fail at once with that reason (python -m simulator.provisioning "
                             "lists what your CSMS must hold; --no-preflight runs them anyway)\n")

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        if self.shuffle_seed is not None:  # order independence: every case must pass wherever it runs
            random.Random(self.shuffle_seed).shuffle(items)
        elif _is_worker(config):  # longest first: the workers take cases in turn, and none ends alone with a long one
            from simulator.verdicts.catalogue import configured_waits
            items.sort(key=lambda item: -configured_waits(m.group(0)) if (m := CASE_ID.search(item.name)) else 0)
            if self.turns is not None:  # station sets: a case that runs alone goes first, before long cases
                from simulator.station_sets import SHARED_STATE  # started elsewhere would keep everyone waiting
                items.sort(key=lambda item: not ((m := CASE_ID.search(item.name)) and m.group(0) in SHARED_STATE))
        s = self.settings
        limit = s.case_time_limit
        for item in items:
            match = CASE_ID.search(item.name)
            if not match:
                continue
            if item.get_closest_marker("timeout") is None:
                item.add_marker(pytest.mark.timeout(limit))
            item.add_marker(pytest.mark.block(match.group(1)))
            if isinstance(item, pytest.Function) and inspect.iscoroutinefunction(item.obj):
                item.obj = as_case(item, item.obj)


class StationSetTurns:
    """A worker of parallel station sets against one CSMS (``simulator.station_sets``): before each
    case it takes the worker's next set, and its turn: alone for a case that changes what other sets
    read, holding a certificate-bound station (every set's) for a case that uses one, shared
    otherwise. Around the whole case, outside its time limit and its measured time: waiting for a
    turn is no time of the case."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Any:
        match = CASE_ID.search(item.name)
        if not match:
            yield
            return
        from simulator.station_sets import turn_of
        harness = self.harness
        harness.next_set()
        alone, held = turn_of(match.group(0), harness.settings)
        harness.turns.take(exclusive=alone, stations=held)
        try:
            yield
        finally:
            harness.turns.give_back()


def as_case(item: pytest.Function, body: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """The case's call: connect the stations its fixtures made, run its steps, then check that
    every station's follow-up messages were answered and no protocol problem came after the last
    wait. All three belong to the verdict: what the CSMS does wrong there is ``failed``, never an
    error of a fixture."""
    @functools.wraps(body)
    async def case(*args: Any, **kwargs: Any) -> None:
        outage = getattr(item.config.stash.get(HARNESS, None), "outage", None)
        if outage:
            fail("before step 1", outage)
        item.ocpp_in_call = True  # type: ignore[attr-defined]
        for station in getattr(item, "ocpp_deferred", []):
            await station.connect()
        await body(*args, **kwargs)
        for station in getattr(item, "ocpp_stations", []):
            await station.finish()
    return case


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture
def settings(request: pytest.FixtureRequest) -> Settings:
    """The settings of the case: its station set's ids (``StationSetTurns`` chose the set)."""
    harness = request.config.stash.get(HARNESS, None)
    if harness is None:
        pytest.skip("conformance fixtures are not active in this run")
    return harness.settings


@pytest.fixture(autouse=True)
def trace(request: pytest.FixtureRequest) -> Any:
    """Every frame of the case; attached to the Allure and HTML reports."""
    t = Trace()
    request.node.ocpp_trace = t
    match = CASE_ID.search(request.node.name)
    set_case(match.group(0) if match else "")
    set_current(t)
    yield t
    text = t.text()
    if text:
        try:
            import allure
            allure.attach(text, name="OCPP message trace", attachment_type=allure.attachment_type.TEXT)
        except Exception:
            pass


@pytest.fixture
def operator(request: pytest.FixtureRequest, settings: Settings, trace: Trace) -> Operator:
    """CSMS_OPERATOR's operator for the case; what it tells a person passes pytest's capture."""
    from simulator.operators.operator import Operator
    capture = request.config.pluginmanager.getplugin("capturemanager")

    def out(text: str) -> None:
        with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
            sys.stderr.write(text)
            sys.stderr.flush()
    return Operator(settings, trace, out=out)


def make_endpoint(settings: Settings) -> Endpoint:
    from simulator.wire.transport import Endpoint
    ca = settings.path(settings.TLS_CA_CERT)
    return Endpoint(settings.CSMS_ADDRESS, settings.CSMS_WSS_ADDRESS, ca if ca.exists() else None,
                    open_timeout=settings.CSMS_RESPONSE_TIMEOUT, wss3_url=settings.CSMS_WSS_SP3_ADDRESS,
                    settle_time=settings.CSMS_SETTLE_TIME)


@pytest.fixture
def endpoint(settings: Settings) -> Endpoint:
    return make_endpoint(settings)


def credentials(settings: Settings, profile: int, station_id: str | None = None,
                password: str | None = None) -> Credentials:
    from simulator.wire.transport import Credentials
    """The credentials of the suite's stations per profile (SP3 uses TLS_CLIENT_CERT/KEY)."""
    if profile == 1:
        return Credentials(station_id or settings.BASIC_AUTH_CP, 1, password or settings.BASIC_AUTH_CP_PASSWORD)
    if profile == 2:
        return Credentials(station_id or settings.SECURITY_PROFILE_2_CP, 2,
                           password or settings.BASIC_AUTH_CP_PASSWORD)
    return Credentials(station_id or settings.SECURITY_PROFILE_3_CP, 3, None,
                       settings.path(settings.TLS_CLIENT_CERT), settings.path(settings.TLS_CLIENT_KEY))


StationFactory = Callable[..., Awaitable["Station"]]


@pytest.fixture
async def make_station(request: pytest.FixtureRequest, settings: Settings, endpoint: Endpoint, trace: Trace,
                       operator: Operator) -> AsyncIterator[StationFactory]:
    """``await make_station(profile=1, station_id=None, connect=True)``: a new simulated station.

    A station made by a fixture connects when the case starts (so a CSMS that refuses or is
    unreachable fails the case, see ``as_case``); one made by the case connects at once."""
    from simulator.station.station import Station
    harness = request.config.stash.get(HARNESS, None)
    # the stations' counters are kept per CSMS, under its name: the embedded one, which starts afresh
    # every run on other ports, under one name (simulator.station.counters)
    csms = harness.csms if harness is not None else None
    made: list[Station] = []
    request.node.ocpp_stations = made
    deferred: list[Station] = []
    request.node.ocpp_deferred = deferred

    async def make(profile: int = 1, station_id: str | None = None, password: str | None = None,
                   connect: bool = True, creds: Credentials | None = None) -> Station:
        require_profile(settings, profile)
        station = Station(settings, creds or credentials(settings, profile, station_id, password),
                          endpoint, trace, operator, csms=csms)
        made.append(station)
        if connect and getattr(request.node, "ocpp_in_call", False):
            await station.connect()
        elif connect:
            deferred.append(station)
        return station

    yield make
    for station in made:
        await station.close()


@pytest.fixture
async def cp(make_station: StationFactory) -> Station:
    """BASIC_AUTH_CP connected on security profile 1 (Connect-SP1), nothing sent yet."""
    return await make_station(1)


@pytest.fixture
def needs(settings: Settings) -> Callable[..., None]:
    return lambda *names: require_settings(settings, *names)


@pytest.fixture
def ocsp_responder(settings: Settings) -> Any:
    """The harness's OCSP responder on CONFIGURED_OCSP_RESPONDER_URL while the case runs (ISO 15118
    certificate cases); a case that cannot have it errors with one line."""
    from simulator.services.ocsp import responder_from_settings
    responder = responder_from_settings(settings)
    responder.start()
    yield responder
    responder.stop()

