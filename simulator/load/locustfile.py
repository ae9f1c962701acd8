"""The load mode under Locust: ``locust -f simulator/load/locustfile.py --host ws://csms:9000/ocpp …``
(README "Load"). One Locust user is one station; Locust spawns, distributes (master/workers) and
bounds the run (``--users``, ``--run-time``), the stations themselves are the harness's own.

Locust runs on gevent (its sockets and threads monkey-patched); the stations run on asyncio. Each
process that runs stations keeps one asyncio event loop in a real OS thread, started with gevent's
original thread and selector, its host names resolved before the first connect (a lookup through
gevent's patched resolver would wait on a hub that never runs in that thread). The loop hands
events back through a deque and a gevent async watcher, so Locust's statistics, the exact metrics
(:mod:`simulator.load.metrics`) and the users' greenlets are only ever touched on gevent's side.

Station numbers never clash: a process with worker index i of W workers gives its k-th station the
number k·W + i (the ids ``pattern.format(n=…)``), reusing the numbers of stopped users.
"""
from __future__ import annotations

import asyncio
import collections
import json
import logging
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import gevent
import psutil
from gevent import monkey
from gevent.event import Event
from locust import User, events, runners, task
from locust.exception import StopUser
from locust.runners import MasterRunner, WorkerRunner

from simulator.load import profile as profiles
from simulator.load.fleet import Fleet, FleetError, apply
from simulator.load.metrics import Recorder, Run
from simulator.load.report import write_reports, write_status

log = logging.getLogger("simulator.load")
DRAIN_BATCH = 200  # events handed to Locust between two turns of its other greenlets
LAG_EVERY = 0.5  # seconds between two looks at how late gevent's side runs
REPORT_EVERY = 2.0  # seconds between a local run's merges and status files (workers report every 3 s)
FINAL_WAIT = 10.0  # seconds the master waits for the workers' last measurements before it writes the reports
#: Locust's master declares a worker missing after HEARTBEAT_LIVENESS one-second heartbeats (3) did not come,
#: moves its users to the other workers (which then run more stations than asked, under numbers beyond
#: --users) and stops the test when none is left. A worker whose process a busy machine starves of CPU for a
#: few seconds is not gone: the master waits half a minute before it believes so.
HEARTBEAT_LIVENESS = 30
runners.HEARTBEAT_LIVENESS = max(runners.HEARTBEAT_LIVENESS, HEARTBEAT_LIVENESS)


# ---------------------------------------------------------------- asyncio beside gevent
class _Loop(asyncio.SelectorEventLoop):
    """An event loop whose name lookups never touch gevent: answers resolved before the loop started,
    others through the C resolver on the loop's own thread (once per name)."""

    def __init__(self, selector: Any, resolved: dict[tuple, list]) -> None:
        super().__init__(selector)
        self._resolved = resolved

    async def getaddrinfo(self, host: Any, port: Any, *, family: int = 0, type: int = 0, proto: int = 0,
                          flags: int = 0) -> list:
        key = (host, port, family, type, proto, flags)
        if key not in self._resolved:
            import _socket
            self._resolved[key] = _socket.getaddrinfo(host, port, family, type, proto, flags)
        return self._resolved[key]


def resolve(url: str) -> dict[tuple, list]:
    """The host of ``url`` looked up now, as asyncio will ask for it when it connects."""
    import _socket
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "wss" else 80)
    key = (parts.hostname, port, 0, socket.SOCK_STREAM, 0, 0)
    return {key: _socket.getaddrinfo(parts.hostname, port, 0, socket.SOCK_STREAM, 0, 0)}


class Inbox:
    """Events from the loop's thread to gevent: appended to a deque (thread-safe), a gevent async
    watcher wakes one greenlet that hands them on."""

    def __init__(self, handle: Any) -> None:
        self.items: collections.deque = collections.deque()
        self.handle = handle
        self.wake = Event()
        self.watcher = gevent.get_hub().loop.async_()
        self.watcher.start(self.wake.set)
        self.greenlet = gevent.spawn(self._drain)

    def put(self, item: tuple) -> None:  # any thread
        self.items.append((time.time(), item))
        self.watcher.send()

    def _drain(self) -> None:
        while True:
            self.wake.wait()
            self.wake.clear()
            while self.drain(DRAIN_BATCH):
                gevent.sleep(0)  # Locust's own greenlets (its heartbeat to the master) run in between

    def drain(self, batch: int = 0) -> bool:
        """Hand on what is queued (at most ``batch`` items when given); True when something is left."""
        done = 0
        while self.items and (not batch or done < batch):
            at, item = self.items.popleft()
            done += 1
            try:
                self.handle(at, item)
            except Exception:
                log.exception("load: handling %s failed", item[:2])
        return bool(self.items)


class Stations:
    """This process's stations: the loop thread, the fleet on it, the numbers in use, the recorder."""

    def __init__(self, environment: Any) -> None:
        from simulator.settings import load_settings
        self.environment = environment
        options = environment.parsed_options
        self.profile = _profile(options)
        runner = environment.runner
        self.index = runner.worker_index if isinstance(runner, WorkerRunner) else 0
        self.workers = max(1, int(getattr(options, "load_workers", 1) or 1))
        rate = self.profile.connect_rate or float(getattr(options, "load_spawn_rate", 0) or options.spawn_rate or 1)
        self.recorder = Recorder()
        self.process = psutil.Process()
        self.rss_base = self.process.memory_info().rss
        cpu = self.process.cpu_times()
        self.cpu_base = cpu.user + cpu.system
        self.users: dict[int, Any] = {}
        self.free: list[int] = []
        self.next_slot = 0
        self.inbox = Inbox(self._handle)
        settings = load_settings()
        host = environment.host
        resolved = resolve(host) if host else {}
        self.fleet = Fleet(settings, self.profile, host, self.inbox.put, rate / self.workers)
        self.loop = _Loop(monkey.get_original("selectors", "DefaultSelector")(), resolved)
        monkey.get_original("_thread", "start_new_thread")(self._run_loop, ())
        self.lag_max = 0.0
        self.sampler = gevent.spawn(self._sample)

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def start(self, user: Any) -> tuple[int, Event]:
        slot = self.free.pop() if self.free else self._new_slot()
        n = slot * self.workers + self.index
        self.users[n] = user
        self.recorder.stations += 1
        user.ended = Event()
        self.loop.call_soon_threadsafe(self.fleet.start, n)
        return n, user.ended

    def _new_slot(self) -> int:
        self.next_slot += 1
        return self.next_slot - 1

    def stop(self, n: int) -> None:
        self.loop.call_soon_threadsafe(self.fleet.stop, n)

    def _handle(self, at: float, event: tuple) -> None:
        apply(self.recorder, event, at)
        fire = self.environment.events.request.fire
        if event[0] == "request":
            _, action, seconds, kind, message = event
            fire(request_type="WS" if action == "connect" else "OCPP", name=action,
                 response_time=(seconds or 0.0) * 1000, response_length=0,
                 exception=RuntimeError(f"{kind}: {message}") if kind else None, context={})
        elif event[0] == "ended":
            n = event[1]
            user = self.users.pop(n, None)
            if user is not None:
                self.recorder.stations -= 1
                self.free.append((n - self.index) // self.workers)
                user.ended.set()

    def _sample(self) -> None:
        """Stations connected, once a second; and how late gevent's side woke (a process starved of CPU,
        or of the GIL by its stations, shows here before Locust misses its heartbeats)."""
        while True:
            for _ in range(int(1 / LAG_EVERY)):
                started = time.monotonic()
                gevent.sleep(LAG_EVERY)
                self.lag_max = max(self.lag_max, time.monotonic() - started - LAG_EVERY)
            self.recorder.sample()

    def take(self) -> dict[str, Any]:
        """The recorder's data since the last take, with this process's CPU and memory."""
        self.inbox.drain()
        self.recorder.sample()
        data = self.recorder.take()
        cpu = self.process.cpu_times()
        data["resources"] = {"cpu_s": round(cpu.user + cpu.system, 3),
                             "rss_mib": round(self.process.memory_info().rss / 2**20, 1),
                             "rss_base_mib": round(self.rss_base / 2**20, 1), "cpu_base_s": round(self.cpu_base, 3),
                             "gevent_lag_max_s": round(self.lag_max, 3), "index": self.index}
        return data


_stations: Stations | None = None


def stations(environment: Any) -> Stations:
    """The process's stations, made at its first user (after Locust forked its workers)."""
    global _stations
    if _stations is None:
        _stations = Stations(environment)
    return _stations


def _profile(options: Any) -> profiles.Profile:
    data = getattr(options, "load_profile_data", None)
    if data:  # the master's profile, sent with the spawn message: a worker needs no copy of the file
        return profiles.from_dict(json.loads(data), "profile (from the master)")
    return profiles.load(getattr(options, "load_profile", None))


# ---------------------------------------------------------------- the user
class OcppStation(User):
    """One simulated station. Its life runs on the process's asyncio loop; the user's greenlet only
    waits until Locust stops it (or the life ends, which only a harness fault does)."""

    def on_start(self) -> None:
        self.n, self.done = stations(self.environment).start(self)

    @task
    def live(self) -> None:
        self.done.wait()
        raise StopUser()

    def on_stop(self) -> None:
        if _stations is not None and hasattr(self, "n"):
            _stations.stop(self.n)


# ---------------------------------------------------------------- the run: options, merging, reports
@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    parser.add_argument("--load-profile", default=str(profiles.EXAMPLE),
                        help="profile file of the stations' life (YAML or JSON; simulator/load/profiles/example.yaml)")
    parser.add_argument("--load-reports", default="reports/load",
                        help="folder of load.csv, load_summary.json, load.html (beside the conformance reports)")


class Collector:
    """On the master (or the only process): merges what the stations' processes gathered, keeps the
    run's facts, writes the status file while it runs and the reports when it ends."""

    def __init__(self, environment: Any) -> None:
        self.environment = environment
        self.run = Run()
        self.facts: dict[str, Any] = {}
        self.finals: set[str] = set()
        self.pending = False
        self.ticker: Any = None

    def start(self) -> None:
        env, options = self.environment, self.environment.parsed_options
        runner = env.runner
        self.run, self.finals, self.pending = Run(), set(), True
        workers = runner.worker_count if isinstance(runner, MasterRunner) else 1
        spawn_rate = getattr(runner, "spawn_rate", None) or options.spawn_rate
        profile = profiles.load(options.load_profile)
        # what the workers need, sent with Locust's spawn message (custom options travel with it)
        options.load_workers = workers
        options.load_spawn_rate = spawn_rate
        options.load_profile_data = json.dumps(profile.model_dump())
        self.facts = {
            "started": time.time(), "target": env.host, "profile": options.load_profile,
            "profile_data": profile.model_dump(),
            "users": getattr(runner, "target_user_count", None) or options.num_users, "spawn_rate": spawn_rate,
            "connect_rate": profile.connect_rate or spawn_rate, "workers": workers,
            "run_time": options.run_time, "machine": _machine(), "load_average_start": _loadavg()}
        if self.ticker is None:
            self.ticker = gevent.spawn(self._tick)

    def add(self, worker: str, data: dict[str, Any], final: bool = False) -> None:
        self.run.add(worker, data)
        if final:
            self.finals.add(worker)

    def _tick(self) -> None:
        while True:
            gevent.sleep(REPORT_EVERY)
            if _stations is not None and not isinstance(self.environment.runner, MasterRunner):
                self.add("0", _stations.take())
            if self.pending:
                write_status(self._folder(), self.run, self.facts)

    def finish(self) -> None:
        """The run ended: every worker's measurements up to now (asked for, at most FINAL_WAIT), then
        the reports. Runs once per run (at test_stop, or at quitting when Locust quits first)."""
        if not self.pending:
            return
        self.pending = False
        self.facts["ended"] = time.time()
        self.facts["load_average_end"] = _loadavg()
        runner = self.environment.runner
        if isinstance(runner, MasterRunner):
            expected = set(self.run.workers) | {str(runner.get_worker_index(c.id)) for c in runner.clients.all}
            self.finals = set()
            runner.send_message("load_final")
            deadline = time.monotonic() + FINAL_WAIT
            while time.monotonic() < deadline and not expected <= self.finals:
                gevent.sleep(0.1)
            self.facts["workers_without_final_report"] = sorted(expected - self.finals)
        elif _stations is not None:
            self.add("0", _stations.take(), final=True)
        paths = write_reports(self._folder(), self.run, self.facts)
        log.info("load reports: %s", ", ".join(str(p) for p in paths))

    def on_test_stop(self) -> None:
        runner = self.environment.runner
        if isinstance(runner, MasterRunner) and gevent.getcurrent() in runner.greenlet:
            gevent.spawn(self.finish)  # the workers' answers arrive on this very greenlet: do not block it
        else:
            self.finish()

    def _folder(self) -> Path:
        return Path(self.environment.parsed_options.load_reports)


_collector: Collector | None = None


@events.init.add_listener
def _init(environment: Any, **_: Any) -> None:
    global _collector
    runner = environment.runner
    options = environment.parsed_options
    if options is None:
        return
    if isinstance(runner, WorkerRunner):
        _worker_events(environment)
        return
    from simulator.load.fleet import endpoint_for
    from simulator.settings import SettingError, load_settings
    try:
        profile = profiles.load(options.load_profile)
        if environment.host:
            endpoint_for(environment.host, profile, load_settings())
    except (profiles.ProfileError, FleetError, SettingError) as e:
        sys.stderr.write(f"ERROR: {e}\n")
        sys.exit(2)
    _collector = Collector(environment)
    if isinstance(runner, MasterRunner):
        @environment.events.worker_report.add_listener
        def _on_worker_report(client_id: str, data: dict[str, Any]) -> None:
            if data.get("ocpp") is not None:
                _collector.add(str(data["ocpp"]["resources"]["index"]), data["ocpp"])

        def _on_final(environment: Any, msg: Any, **_: Any) -> None:
            worker = str(runner.get_worker_index(msg.node_id))
            if msg.data:
                _collector.add(worker, msg.data)
            _collector.finals.add(worker)

        runner.register_message("load_report", _on_final)

    environment.events.test_start.add_listener(lambda **_: _collector.start())
    environment.events.test_stopping.add_listener(lambda **_: _collector.facts.setdefault("stopping", time.time()))
    environment.events.test_stop.add_listener(lambda **_: _collector.on_test_stop())
    environment.events.quitting.add_listener(lambda **_: _collector.finish())


def _worker_events(environment: Any) -> None:
    @environment.events.report_to_master.add_listener
    def _on_report(client_id: str, data: dict[str, Any]) -> None:
        if _stations is not None:
            data["ocpp"] = _stations.take()

    def _on_final(environment: Any, msg: Any, **_: Any) -> None:
        environment.runner.send_message("load_report", _stations.take() if _stations is not None else None)

    environment.runner.register_message("load_final", _on_final)


def _machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "host": socket.gethostname(), "python": sys.version.split()[0]}


def _loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []
