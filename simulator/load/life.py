"""One station's life in a load run, on asyncio: connect (paced), boot until Accepted, report its
connectors, then heartbeats at the interval the CSMS gives and transactions (Authorize, Started,
Charging, periodic meter values, Ended) side by side on the one connection; the CSMS's own requests
get the station's default answers meanwhile. A lost connection is counted once, then the station
waits OCPP's RetryBackOff and connects again, finishing an interrupted transaction first.

Every request's outcome reaches the metrics through the station's hook; what no request raises (a
check of an answer's content, a protocol problem found while waiting) the life reports itself."""
from __future__ import annotations

import asyncio
import random
from typing import Any, Awaitable, Callable

from simulator.load.profile import Profile
from simulator.station.boot import boot_notification, report_connectors
from simulator.station.states import authorized, energy_transfer_started, ev_disconnected
from simulator.station.station import Station
from simulator.verdicts.checks import CaseFailure, HarnessError, failure_kind

#: ended transactions a station keeps (a CSMS may ask GetTransactionStatus about a recent one)
KEEP_ENDED = 10
Emit = Callable[[tuple], None]


def error_key(error: BaseException) -> tuple[str, str]:
    """(kind, one-line message) of a failure: ``timeout``, ``callerror:<code>``, ``schema``,
    ``protocol:<rule>``, ``connection_lost``, ``connect``, ``check``; ``harness`` for our own fault."""
    if isinstance(error, CaseFailure):
        kind, detail = failure_kind(error)
        if kind == "callerror":
            kind = f"callerror:{detail.get('code')}"
        elif kind == "protocol" and detail.get("rule"):
            kind = f"protocol:{detail['rule']}"
        return kind, str(error)
    if isinstance(error, HarnessError):
        return "harness", str(error)
    return "harness", f"{error.__class__.__name__}: {error}"


def stop_if_asked() -> None:
    """Raise the cancellation a wait may have swallowed: Python 3.11's ``asyncio.wait_for`` loses a
    cancel that arrives as its awaitable finishes (CPython gh-86296), and a wait that turned one into a
    failure loses it too. The request stays counted on the task (``cancelling()``), so a loop that
    asks here at each turn stops however its last wait ended."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


class Pacer:
    """New connections at most ``rate`` per second, evenly spaced: however Locust spawns its users
    (in bursts, once a second), the CSMS sees no connection storm, neither at start nor when many
    stations reconnect at once."""

    def __init__(self, rate: float) -> None:
        self.gap = 1.0 / rate
        self._next = 0.0

    async def slot(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        at = max(now, self._next)
        self._next = at + self.gap
        if at > now:
            await asyncio.sleep(at - now)


def backoff(profile: Profile, attempt: int, rng: random.Random) -> float:
    """OCPP's RetryBackOff: wait_minimum doubled per attempt up to repeat_times, plus a random part."""
    r = profile.reconnect
    return r.wait_minimum * 2 ** min(attempt, r.repeat_times) + rng.uniform(0, r.random_range)


class Life:
    def __init__(self, station: Station, profile: Profile, pacer: Pacer, emit: Emit, rng: random.Random) -> None:
        self.station = station
        self.profile = profile
        self.pacer = pacer
        self.emit = emit
        self.rng = rng
        self.booted = False
        self.online = False
        self.first_transaction = True

    async def run(self) -> None:
        """Until cancelled (the Locust user stops)."""
        attempt = 0
        try:
            while True:
                await self.pacer.slot()
                if await self._connect():
                    attempt = 0
                    try:
                        await self._serve()
                    except (CaseFailure, HarnessError, Exception) as error:  # noqa: B014 (CaseFailure is a BaseException)
                        stop_if_asked()
                        self._failed(error)
                    await self._offline()
                stop_if_asked()
                await asyncio.sleep(backoff(self.profile, attempt, self.rng))
                attempt += 1
        finally:
            if self.online:
                self.emit(("disconnected",))
                self.online = False
            await asyncio.shield(self.station.close())

    # ------------------------------------------------------------ connection
    async def _connect(self) -> bool:
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            await self.station.connect()
        except (CaseFailure, HarnessError, Exception) as error:  # noqa: B014
            kind, message = error_key(error)
            self.emit(("request", "connect", loop.time() - started, "connect" if kind == "check" else kind, message))
            return False
        self.emit(("request", "connect", loop.time() - started, None, ""))
        self.online = True
        return True

    async def _offline(self) -> None:
        """The connection ended under the station or the station ends it (a protocol problem): the
        CSMS's closing is one ``connection_lost``; a problem was counted where it was raised."""
        station = self.station
        if station.problem is None and not station.connected:
            self.emit(("error", "connection_lost", f"{station.id}: the connection was closed "
                                                   f"({station.close_reason or 'no close frame'})"))
        await station.disconnect()
        station.clear_problem()
        if self.online:
            self.emit(("disconnected",))
            self.online = False

    # ------------------------------------------------------------ online
    async def _serve(self) -> None:
        """Boot (once per run: a reconnect is no reboot), the connectors, then the station's days."""
        while not self.booted:
            stop_if_asked()
            response = await boot_notification(self.station, self.profile.boot_reason)
            if response["status"] == "Accepted":
                self.booted = True
                break
            await self.station.stay_connected(response["interval"] or self.station.settings.CONFIGURED_HEARTBEAT_INTERVAL,
                                              None, setting="CONFIGURED_HEARTBEAT_INTERVAL")
        await report_connectors(self.station)
        loops = [asyncio.ensure_future(self._heartbeats()), asyncio.ensure_future(self._transactions())]
        try:
            done, _ = await asyncio.wait(loops, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()
        finally:
            for task in loops:
                task.cancel()
            await asyncio.gather(*loops, return_exceptions=True)

    def _interval(self) -> float:
        """The profile's, else what the CSMS gave (boot, or a SetVariables since); 0 from the CSMS
        leaves the choice to the station: CONFIGURED_HEARTBEAT_INTERVAL."""
        if self.profile.heartbeat_interval != "csms":
            return float(self.profile.heartbeat_interval)
        try:
            value = float(self.station.device.value("OCPPCommCtrlr", "HeartbeatInterval") or 0)
        except ValueError:
            value = 0
        return value if value > 0 else float(self.station.settings.CONFIGURED_HEARTBEAT_INTERVAL)

    async def _heartbeats(self) -> None:
        while True:
            stop_if_asked()
            await self.station.stay_connected(self._interval(), None)
            await self._guard(self.station.send("Heartbeat", {}))
            await self._guard(self.station.settle())  # follow-ups of the CSMS's requests, answered by now
            self._tidy()

    async def _transactions(self) -> None:
        t = self.profile.transactions
        evse = self.station.settings.CONFIGURED_EVSE_ID
        if self.station.model.transaction(evse) is not None:  # interrupted by a lost connection: it ends now
            await self._guard(ev_disconnected(self.station))
        if t.every <= 0:
            await asyncio.Event().wait()
        while True:
            stop_if_asked()
            pause = self.rng.uniform(0, t.every) if self.first_transaction else t.every
            self.first_transaction = False
            await self.station.stay_connected(pause, None)
            await self._guard(self._transaction(evse))

    async def _transaction(self, evse: int) -> None:
        station, t = self.station, self.profile.transactions
        token = self.profile.id_token or station.id_token()
        await authorized(station, token)
        await energy_transfer_started(station, token)
        loop = asyncio.get_running_loop()
        end = loop.time() + t.duration
        while (left := end - loop.time()) > t.meter_values_interval:
            stop_if_asked()
            await station.stay_connected(t.meter_values_interval, None)
            await station.transaction_event("Updated", "MeterValuePeriodic",
                                            meter=[station.meter_value(evse, "Sample.Periodic")])
        await station.stay_connected(max(0.0, end - loop.time()), None)
        await ev_disconnected(station)

    async def _guard(self, work: Awaitable[Any]) -> None:
        """A failure that leaves the connection up is counted and the station goes on; one that
        took the connection is raised (the station reconnects)."""
        try:
            await work
        except (CaseFailure, HarnessError, Exception) as error:  # noqa: B014
            stop_if_asked()
            if not self.station.connected:
                raise
            self._failed(error)
        stop_if_asked()

    def _failed(self, error: BaseException) -> None:
        """Count a failure the request hook did not (a content check, a problem found while waiting);
        a lost connection is counted once in :meth:`_offline`."""
        if getattr(error, "counted", False):
            return
        kind, message = error_key(error)
        if kind != "connection_lost":
            self.emit(("error", kind, message))

    def _tidy(self) -> None:
        """What a long-lived station would otherwise pile up: the record of requests no case waits for
        (every CSMS request, in a load run) and ended transactions."""
        self.station.unexpected.clear()
        del self.station.model.ended[:-KEEP_ENDED]
