"""One process's stations on one asyncio event loop. The fleet builds each station (the harness's own
Station, its trace bounded, its counters in memory), runs its life, and
turns what happens into plain events for ``emit`` (called on the loop's thread; the Locust side
moves them to gevent). Nothing here imports Locust or gevent: a selftest drives a fleet on a plain
event loop."""
from __future__ import annotations

import asyncio
import dataclasses
import random
import time
from typing import Any
from urllib.parse import urlsplit

from simulator.load.life import Emit, Life, Pacer, error_key
from simulator.load.profile import Profile
from simulator.pki.cert_store import CertificateStore
from simulator.station.counters import fresh_start
from simulator.station.station import Outcome, Station
from simulator.verdicts.trace import Trace
from simulator.wire.transport import Credentials, Endpoint


class FleetError(Exception):
    """The run cannot start (a host or profile that do not fit); one line."""


def endpoint_for(host: str | None, profile: Profile, settings: Any) -> Endpoint:
    """Only the address given: ws:// for security profile 1, wss:// for 2 and 3."""
    if not host:
        raise FleetError("no CSMS address: give Locust's --host (ws://host:port/path, or wss:// for "
                         "security profiles 2 and 3)")
    scheme = urlsplit(host).scheme
    wanted = "ws" if profile.security_profile == 1 else "wss"
    if scheme != wanted:
        raise FleetError(f"--host {host}: security profile {profile.security_profile} connects to a "
                         f"{wanted}:// address")
    host = host.rstrip("/")
    return Endpoint(host if wanted == "ws" else None, host if wanted == "wss" else None,
                    settings.path(settings.TLS_CA_CERT), settings.CSMS_RESPONSE_TIMEOUT)


def credentials(profile: Profile, settings: Any, station_id: str) -> Credentials:
    if profile.security_profile == 3:
        if not profile.client_cert or not profile.client_key:
            raise FleetError("security profile 3 needs client_cert and client_key in the profile ({id} = station id)")
        return Credentials(station_id, 3, None, settings.path(profile.client_cert.format(id=station_id)),
                           settings.path(profile.client_key.format(id=station_id)))
    return Credentials(station_id, profile.security_profile, profile.password or settings.BASIC_AUTH_CP_PASSWORD)


class MemoryCounters:
    """A load station's counters (eventIds, schedule and profile ids), kept in memory: the suite's stations
    keep theirs in a state file across runs (``simulator.station.counters``), one locked read and write per
    number, which thousands of stations must not share. They start where a fresh state file starts them (the
    seconds since 2020), so a later run does not give a CSMS a number again."""

    def __init__(self) -> None:
        self.next_of: dict[str, int] = {}

    def take(self, kind: str, count: int = 1) -> int:
        first = self.next_of.get(kind) or fresh_start()
        self.next_of[kind] = first + count
        return first

    def next(self, kind: str) -> int:
        return self.take(kind)


class Fleet:
    """Stations started and stopped by number (``n`` of the profile's id pattern); ``start``/``stop``
    run on the loop (call them through ``loop.call_soon_threadsafe`` from another thread)."""

    def __init__(self, settings: Any, profile: Profile, host: str | None, emit: Emit, connect_rate: float,
                 seed: int | None = None) -> None:
        self.settings = settings
        self.profile = profile
        self.endpoint = endpoint_for(host, profile, settings)
        credentials(profile, settings, profile.station_id(0))  # a profile 3 without files stops here
        self.emit = emit
        self.pacer = Pacer(connect_rate)
        self.rng = random.Random(seed)
        self.tasks: dict[int, asyncio.Task] = {}
        self.truststore = CertificateStore.truststore(settings)  # parsed once: two thirds of a Station's making

    def start(self, n: int) -> None:
        task = asyncio.ensure_future(self._live(n))
        self.tasks[n] = task
        task.add_done_callback(lambda _: self._ended(n, task))

    def stop(self, n: int) -> None:
        task = self.tasks.get(n)
        if task is not None:
            task.cancel()

    async def stop_all(self) -> None:
        """Stop every station; one that has not ended when its closing could have (the response timeout,
        twice) is named as a harness error instead of holding the run."""
        tasks = dict(self.tasks)
        for task in tasks.values():
            task.cancel()
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks.values(), timeout=2 * self.settings.CSMS_RESPONSE_TIMEOUT)
        for n, task in tasks.items():
            if task in pending:
                self.emit(("error", "harness", f"station {n} did not stop within "
                                               f"{2 * self.settings.CSMS_RESPONSE_TIMEOUT:g} s of being asked"))

    def _ended(self, n: int, task: asyncio.Task) -> None:
        if self.tasks.get(n) is task:
            del self.tasks[n]
        if not task.cancelled() and task.exception() is not None:
            kind, message = error_key(task.exception())
            self.emit(("error", "harness", f"station {n} ended: {message}"))
        self.emit(("ended", n))

    def station(self, n: int) -> Station:
        station_id = self.profile.station_id(n)
        station = Station(self.settings, credentials(self.profile, self.settings, station_id), self.endpoint,
                          Trace(keep=self.profile.trace_frames), counters=MemoryCounters(),
                          certificates=self._certificates())
        station.on_outcome = self._outcome
        return station

    def _certificates(self) -> CertificateStore:
        """The station's own store (the CSMS may install and delete), of entries of the parsed truststore."""
        return CertificateStore([dataclasses.replace(e, children=[dataclasses.replace(c) for c in e.children])
                                 for e in self.truststore.installed], self.truststore.algorithm)

    async def _live(self, n: int) -> None:
        station = self.station(n)
        rng = random.Random(self.rng.random())
        await Life(station, self.profile, self.pacer, self.emit, rng).run()

    def _outcome(self, outcome: Outcome) -> None:
        """The station's request hook → an event; a failure is marked counted, so the life that
        catches it later does not count it again."""
        if outcome.failure is not None:
            outcome.failure.counted = True  # type: ignore[attr-defined]
            kind, message = error_key(outcome.failure)
        if outcome.by_csms:
            if outcome.failure is None:
                self.emit(("csms", outcome.action))
            else:
                self.emit(("error", kind, message))
            return
        if outcome.failure is None:
            self.emit(("request", outcome.action, outcome.seconds, None, ""))
        else:
            answered = kind not in ("timeout", "connection_lost")
            self.emit(("request", outcome.action, outcome.seconds if answered else None, kind, message))


def apply(recorder: Any, event: tuple, at: float | None = None) -> None:
    """One fleet event into a :class:`~simulator.load.metrics.Recorder`."""
    at = time.time() if at is None else at
    what = event[0]
    if what == "request":
        _, action, seconds, kind, message = event
        recorder.request(action, seconds, kind, message, at)
    elif what == "csms":
        recorder.csms_request(event[1])
    elif what == "error":
        recorder.error(event[1], event[2], at)
    elif what == "disconnected":
        recorder.disconnected()
