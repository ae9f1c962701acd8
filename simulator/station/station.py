"""One simulated charging station on top of the ``ocpp`` library's v201 ChargePoint.

It sends CS→CSMS requests and returns the CSMS's answers (:meth:`Station.send`), waits for
CSMS→CS requests and answers them with the reply the case chose (:meth:`Station.expect`), answers
every other CSMS request with a sensible default and records it, keeps EVSE/connector and
transaction state, validates every payload in both directions against the OCPP 2.0.1 schemas,
and records every frame in the trace.
"""
from __future__ import annotations

import asyncio
import inspect
import json
import random
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Sequence, TypeVar, Union

from ocpp.charge_point import ChargePoint  # not ocpp.v201's: its hundreds of dataclasses cost every process
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK

from simulator.pki.cert_store import CertificateStore
from simulator.verdicts.checks import (CaseFailure, HarnessError, _equal, _show, current_case, fail, get_path,
                                       harness_error, tagged, where)
from simulator.station.counters import EMBEDDED, IdCounters, StateFileError, state_dir
from simulator.station.device_model import DeviceModel
from simulator.station.model import AuthorizationCache, Evse, LocalList, StationModel, Transaction
from simulator.wire.protocol import (CALL, CALLERROR, CALLRESULT, FrameError, dumps, error_code_problem, parse_frame,
                       schema_problem)
from simulator.verdicts.trace import Trace, add_secret
from simulator.wire import connections
from simulator.wire.transport import ConnectError, Credentials, Endpoint, connect_station, station_close

Reply = Union[dict, "CallError", Callable[[dict], Any], None]  # a CallError answers with a CALLERROR
T = TypeVar("T")
ENERGY = "Energy.Active.Import.Register"



class ConnectionLost(CaseFailure):  # type: ignore[misc,valid-type]
    """The connection ended under a step; in a case's own step a failure like any other, in a
    follow-up message the station drops when it goes offline not a CSMS error."""
    kind = "connection_lost"
    detail: dict = {}


@dataclass(frozen=True)
class Outcome:
    """What the metrics hook (``Station.on_outcome``) hears: each request of the station with the
    seconds from its frame going out to its answer, and the failure it ended with (None: answered
    well; else the raised exception, its ``kind`` in :func:`~simulator.verdicts.checks.failure_kind`);
    ``by_csms`` for a CSMS request the station answered, and for a broken OCPP-J rule no step raises
    (an answer to a messageId the station never sent)."""
    action: str
    seconds: float
    failure: BaseException | None = None
    by_csms: bool = False
UNSET: Any = object()

#: the station's normal answer to each CSMS request a case is not waiting for, and the follow-up
#: messages OCPP requires after some answers (NotifyReport after GetBaseReport, …). Filled by
#: ``simulator.station.replies`` when the package is imported: the core knows no behaviour.
DEFAULT_REPLIES: dict[str, Callable[["Station", dict], dict]] = {}
AFTER_REPLY: dict[str, Callable[["Station", dict, dict], Awaitable[Any] | None]] = {}


def _detail(error: BaseException) -> str:
    """One line of what went wrong inside the station, without the place a HarnessError already names."""
    text = " ".join(str(error).split())
    if isinstance(error, HarnessError):
        return text.split(": ", 1)[1] if text.startswith("TC_") and ": " in text else text
    return f"{error.__class__.__name__}: {text}" if text else error.__class__.__name__


def _span(sent: list[float]) -> float:
    """Seconds from a request's frame going out to its answer (to now when none came)."""
    return (sent[1] if len(sent) > 1 else time.perf_counter()) - sent[0] if sent else 0.0


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class CallError:
    code: str
    description: str
    details: Any = None


Match = Union[dict[str, Any], Callable[[dict], bool], None]


@dataclass
class Expectation:
    """A CSMS→CS request the case waits for, registered before the CSMS is asked to act.

    ``match`` names what identifies the step's request (declarative ``{path: value}``, values may
    be OneOf/Rule, or a predicate with ``describe``); requests of the same kind that do not match
    get the station's normal answer, are recorded and do not consume the step. ``armed`` False:
    nothing counts until :meth:`arm` (a step that must come *after* something)."""
    station: "Station"
    action: str
    reply: Reply = None
    match: Match = None
    describe: str = ""  # what ``match`` asks for, e.g. "with transactionId 'T'"
    trigger: Any = None  # the operator action that makes the CSMS send it
    armed: bool = True
    future: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    received_at: float | None = None
    arrived_at: float | None = None  # when the matching request was read (before it was answered)
    since: int = 0  # requests of the station before this one was armed

    def __post_init__(self) -> None:
        if isinstance(self.match, dict) and not self.describe and self.match:
            self.describe = "with " + ", ".join(f"{path} {_show(value)}" for path, value in self.match.items())
        if self.armed:
            self.since = len(self.station.unexpected)

    @property
    def arrived(self) -> bool:
        return self.future.done()

    def arm(self) -> None:
        """From now on a matching request counts ("after step N": call it right before step N's
        message goes out, so nothing the CSMS sent before can satisfy the step)."""
        self.armed = True
        self.since = len(self.station.unexpected)

    def matches(self, payload: dict) -> bool:
        if self.match is None:
            return True
        if callable(self.match):
            return bool(self.match(payload))
        return all(_equal(get_path(payload, path), want) for path, want in self.match.items())

    def mismatches(self, payload: dict) -> int:
        """How many identifying fields of a request of the same kind differ from the step's."""
        if not isinstance(self.match, dict):
            return 0
        return sum(not _equal(get_path(payload, path), want) for path, want in self.match.items())

    def mismatch(self, payload: dict) -> str:
        """Why a request of the same kind was not the step's: the first field that differs, as
        "path expected X, got Y" (empty for a predicate match)."""
        if isinstance(self.match, dict):
            for path, want in self.match.items():
                got = get_path(payload, path)
                if not _equal(got, want):
                    return f"{path} expected {_show(want)}, got {_show(got)}"
        return ""

    async def wait(self, step: int | str | None, trigger: Any = None,
                   timeout: float | None = None) -> dict:
        """The request's payload. ``trigger`` (an operator action; default: the one it was
        registered with) is asked for first unless the request already arrived; the time the
        operator takes counts inside the wait. Fails the step when nothing comes within the
        timeout (plus the link's round trip, see ``Station.round_trip``), naming the requests of
        that kind that came but did not match."""
        trigger = trigger if trigger is not None else self.trigger
        limit = self.station.settings.CSMS_ACTION_TIMEOUT if timeout is None else timeout
        loop = asyncio.get_running_loop()
        started = loop.time()
        if not self.armed:
            self.arm()
        what = f"{self.action}Request{' ' + self.describe if self.describe else ''}"
        if trigger is not None and not self.arrived:
            self.since = len(self.station.unexpected)  # what came before the operator was asked is no answer to it
            with self.station.trace.timing("csms"):  # the operator is the CSMS's side; it keeps to the limit
                await self.station.operator.request(trigger, step, until=self.future, timeout=limit)
        remaining = max(0.0, limit + self.station.round_trip - (loop.time() - started))
        try:
            return await self.station.wait_for(self.future, remaining, what, step, limit=limit, started=started)
        except CaseFailure as failure:
            others = [p for a, p in self.station.unexpected[self.since:] if a == self.action]
            if not others or self.station.problem or isinstance(failure, ConnectionLost):
                raise
            closest = min(others, key=self.mismatches)  # the one most like the step's: likely the CSMS's answer to it
            field = self.mismatch(closest)
            if not field:
                raise CaseFailure(f"{failure}; the CSMS sent instead: "
                                  + "; ".join(f"{self.action}Request {json.dumps(p)}" for p in others[:3]),
                                  pytrace=False) from None
            which = f"the {self.action}Request" if len(others) == 1 else \
                f"the closest of {len(others)} {self.action}Requests"
            raise CaseFailure(f"{where(step)}: {field} (in {which} the CSMS sent; "
                              f"{str(failure).split(': ', 1)[1]})", pytrace=False) from None


class Station(ChargePoint):
    def __init__(self, settings: Any, creds: Credentials, endpoint: Endpoint, trace: Trace,
                 operator: Any = None, model: StationModel | None = None,
                 device_model: DeviceModel | None = None, csms: str | None = None,
                 counters: Any = None, certificates: CertificateStore | None = None) -> None:
        """``csms``: the name the station's counters are kept under in the state file (see
        ``simulator.station.counters``); default CSMS_ADDRESS. ``counters``: another keeper of them
        (the load mode's stations keep theirs in memory); ``certificates``: a truststore already made."""
        super().__init__(creds.station_id, None, response_timeout=settings.CSMS_RESPONSE_TIMEOUT)
        self._ocpp_version = "2.0.1"
        self.settings = settings
        self.creds = creds
        self.endpoint = endpoint
        self.trace = trace
        self.operator = operator
        self.model = model or StationModel.build(settings.CONFIGURED_NUMBER_OF_EVSES,
                                                 settings.CONFIGURED_EVSE_ID,
                                                 settings.CONFIGURED_CONNECTOR_ID)
        self.device = device_model or DeviceModel.for_station(
            len(self.model.evses), {e.id: len(e.connectors) for e in self.model.evses.values()},
            settings.CONFIGURED_CONNECTOR_TYPE,
            clear_monitoring_items=settings.CONFIGURED_CLEAR_MONITORING_ITEMS_PER_MESSAGE)
        sp = self.device.find({"name": "SecurityCtrlr"}, {"name": "SecurityProfile"})
        if sp:
            sp.value = str(creds.profile)
        self.counters = counters or IdCounters(state_dir(settings), csms or settings.CSMS_ADDRESS or EMBEDDED,
                                               creds.station_id)
        self._choices: dict[str, int] = {}
        self.replies: dict[str, Callable[["Station", dict], Any]] = {}
        self.expectations: list[Expectation] = []
        self.unexpected: list[tuple[str, dict]] = []
        self.queue: list[dict] = []
        self.boot_interval: int | None = None
        self.boot_time: str | None = None
        self.registration: str | None = None  # status of the CSMS's last BootNotificationResponse
        self.network_profiles: dict[int, dict] = {}
        self.certificates = certificates or CertificateStore.truststore(settings)
        self.local_list = LocalList(settings.LOCAL_LIST_VERSION)  # unknown content (D block summary)
        self.auth_cache = AuthorizationCache()
        self._pending: dict[str, asyncio.Future] = {}
        self._send_lock = asyncio.Lock()
        self._reader: asyncio.Task | None = None
        self._closed = asyncio.Event()
        self._close_reason = ""
        self._problem: str | None = None
        self._problem_kind = "protocol"
        self._expired: deque[str] = deque(maxlen=16)  # messageIds of requests that got no answer in time
        #: the per-request metrics hook (the load mode); None: nothing is measured beyond the trace
        self.on_outcome: Callable[[Outcome], None] | None = None
        self._harness_error: str | None = None
        self._background: list[asyncio.Task] = []
        self._round_trip = 0.0  # see ``round_trip``
        self._answered = False  # an answer to a request of the station came on this connection
        self._answers = 0  # answers to the station's requests so far: the progress of follow-up work
        if creds.password:
            add_secret(creds.password)

    # ------------------------------------------------------------------ connection
    @property
    def connected(self) -> bool:
        return self._connection is not None and not self._closed.is_set()

    async def connect(self, creds: Credentials | None = None, step: int | str | None = None) -> None:
        """Connect-SP<profile>, CSMS_SETTLE_TIME after this station id's previous connection closed
        (``simulator.wire.connections``); a refusal fails the case (at ``step`` when given) with the
        HTTP status or TLS cause."""
        if creds is not None:
            self.creds = creds
            if creds.password:
                add_secret(creds.password)
        await connections.settle(self.id, self.endpoint.settle_time)  # a configured wait, not the CSMS's time
        error = None
        try:
            with self.trace.timing("csms"):
                ws = await connect_station(self.endpoint, self.creds)
        except ConnectError as e:
            error = str(e)
        if error is not None:
            label = f"Connect-SP{self.creds.profile}"
            fail(f"step {step} ({label})" if step is not None else label, error, "connect")
        self.attach(ws)

    def attach(self, ws: Any) -> None:
        """Adopt an open WebSocket (from connect or a case's own upgrade) and start reading."""
        self._connection = ws
        self._closed = asyncio.Event()
        self._close_reason = ""
        self._round_trip = getattr(ws, "upgrade_seconds", 0.0)  # a new link: learnt afresh
        self._answered = False
        self.trace.note(self.id, f"connected (security profile {self.creds.profile}, "
                                 f"subprotocol {getattr(ws, 'subprotocol', None)})")
        self._reader = asyncio.create_task(self._read(ws), name=f"reader-{self.id}")

    async def disconnect(self) -> None:
        """Close the WebSocket normally (the station goes offline or reboots): it stops reading,
        drops its unfinished follow-up messages, then closes."""
        if self._connection is None:
            return
        for task in self._background:  # unfinished follow-ups end here, before they can see a closed link
            if not task.done():
                task.cancel()
        ws, self._connection = self._connection, None
        self.trace.note(self.id, "station closes the connection")
        if self._reader:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        self._drop_background()
        try:
            await asyncio.wait_for(ws.close(), self.settings.CSMS_RESPONSE_TIMEOUT)  # the closing handshake
        except Exception:
            pass
        if getattr(ws, "transport", None) is not None and not ws.transport.is_closing():
            ws.transport.abort()  # a CSMS that never completed the close: the station hangs up
        try:  # the next connection of this station id counts from the moment both sides are closed
            await asyncio.wait_for(ws.wait_closed(), self.settings.CSMS_RESPONSE_TIMEOUT)
        except Exception:
            pass
        self._closed.set()

    async def reconnect(self, creds: Credentials | None = None, step: int | str | None = None) -> None:
        await self.disconnect()
        await self.connect(creds, step)

    def _drop_background(self) -> None:
        """The station goes offline: unfinished follow-up messages are dropped, but a CSMS error
        a finished one met (a CALLERROR, a broken answer) is kept and fails the case."""
        for task in self._background:
            if task.done() and not task.cancelled() and task.exception() is not None \
                    and not isinstance(task.exception(), ConnectionLost):
                error = task.exception()
                if not isinstance(error, CaseFailure):  # the station's own code failed: no CSMS fault
                    self._harness_error = self._harness_error or f"in a follow-up message: {_detail(error)}"
                elif not self._problem:
                    self._problem = "in a follow-up message: " + str(error).split(": ", 1)[-1]
                    self._problem_kind = getattr(error, "kind", "check")
            else:
                task.cancel()
        self._background.clear()

    async def close(self) -> None:
        """End of the case: stop background work and close."""
        self._drop_background()
        await self.disconnect()

    async def _read(self, ws: Any) -> None:
        try:
            async for message in ws:
                await self.route_message(message)
        except ConnectionClosed:
            pass
        except asyncio.CancelledError:
            raise
        except Exception as e:  # a harness bug must not hang the case, nor count against the CSMS
            self._harness_error = f"while answering the CSMS: {_detail(e)}"
        finally:
            code = getattr(ws, "close_code", None)
            reason = getattr(ws, "close_reason", "") or ""
            self._close_reason = f"close code {code}{' ' + reason if reason else ''}"
            own = station_close(ws)  # the station closed on a protocol error (a frame over its limit)
            if own and self._connection is ws:
                self._close_reason = own.rpartition(": ")[2]
                self._problem = self._problem or own
                self.trace.note(self.id, own)
            elif self._connection is ws:
                self.trace.note(self.id, f"connection closed by the CSMS ({self._close_reason})")
            self._closed.set()

    # ------------------------------------------------------------------ waiting
    def _raise_harness_error(self, step: int | str | None) -> None:
        if self._harness_error:
            raise HarnessError(f"{where(step)}: {self._harness_error}")

    async def wait_for(self, future: asyncio.Future, timeout: float, what: str,
                       step: int | str | None, *, limit: float | None = None,
                       started: float | None = None) -> Any:
        """Wait for ``future``; fail the step on timeout, closed connection or a protocol error.
        ``limit``/``started``: the whole wait's setting and start, when part of it went elsewhere
        (the operator), so the reason states the time really waited."""
        self._raise_harness_error(step)
        if self._problem:
            fail(step, self._problem, self._problem_kind)
        loop = asyncio.get_running_loop()
        started = loop.time() if started is None else started
        closed = asyncio.create_task(self._closed.wait())
        try:
            with self.trace.timing("csms"):
                done, _ = await asyncio.wait({future, closed}, timeout=timeout,
                                             return_when=asyncio.FIRST_COMPLETED)
        finally:
            closed.cancel()
        if future.done():
            return future.result()
        self._raise_harness_error(step)
        if self._problem:
            fail(step, self._problem, self._problem_kind)
        if closed in done:
            raise ConnectionLost(f"{where(step)}: the connection was closed ({self._close_reason or 'by the station'}) "
                                 f"while waiting for {what}", pytrace=False)
        fail(step, f"no {what} from the CSMS within {timeout if limit is None else limit:g} s "
                   f"(waited {loop.time() - started:.1f} s)", "timeout")

    @property
    def round_trip(self) -> float:
        """Seconds a frame of the station and the CSMS's reaction to it take over this connection:
        the shortest request->answer time seen on it (the link's round trip plus the CSMS's
        quickest processing), before any answer the WebSocket upgrade's round trip.

        Every wait for the CSMS lasts its setting plus this: over a link of 150 ms each way the
        CSMS's reaction to the station's last frame arrives 300 ms after it, so a 0.2 s silence
        window would be blind to it and a timeout would be cut short by the link."""
        return self._round_trip

    def _learn_round_trip(self, seconds: float) -> None:
        if not self._answered or seconds < self._round_trip:
            self._round_trip, self._answered = seconds, True

    async def quiet_for(self, seconds: float | None = None, setting: str = "CSMS_SILENCE_WAIT") -> None:
        """The one kind of fixed wait: listen for ``seconds`` (the ``setting``) to see that nothing
        comes, plus the link's round trip (``round_trip``), so that what the CSMS sent in reaction
        to the station's last frame still arrives inside the window. The trace counts the setting's
        part as configured and the round trip as time spent on the link and the CSMS."""
        with self.trace.timing("configured", setting):
            await asyncio.sleep(self.settings.CSMS_SILENCE_WAIT if seconds is None else seconds)
        with self.trace.timing("csms"):
            await asyncio.sleep(self.round_trip)

    @property
    def close_reason(self) -> str:
        """Why the connection ended (close code and reason), empty while open."""
        return self._close_reason

    async def still_connected(self, step: int | str = "Post") -> None:
        """"Post: still connected": the connection is open, free of protocol problems, and the CSMS
        still serves it. Once the CSMS has accepted the station a Heartbeat round trip shows that
        (the CSMS answers it after everything sent before), so no fixed window is spent; a station
        that is not accepted may not send Heartbeat and listens CSMS_SILENCE_WAIT (plus the link's
        round trip) instead."""
        if self.registration != "Accepted":
            await self.stay_connected(self.settings.CSMS_SILENCE_WAIT, step, during="(expected still connected)",
                                      setting="CSMS_SILENCE_WAIT", silence=True)
        if self._problem:
            fail(step, self._problem, self._problem_kind)
        try:
            if not self.connected:
                raise ConnectionLost("closed")
            if self.registration == "Accepted":
                await self.send("Heartbeat", {}, step)
        except ConnectionLost:
            fail(step, f"the CSMS closed the connection ({self._close_reason or 'no close frame'}) "
                       f"(expected still connected)", "connection_lost")

    async def finish(self, step: int | str = "Post") -> None:
        """End of a case: follow-up messages (NotifyReport parts, triggered messages) must have
        got their CALLRESULTs, and no protocol problem may have arrived after the last wait."""
        await self.settle(step)
        self._raise_harness_error(step)
        if self._problem:
            fail(step, self._problem, self._problem_kind)

    def forget(self, expectation: "Expectation") -> None:
        """Stop waiting for a request that has not come (a later one is expected afresh)."""
        if expectation in self.expectations:
            self.expectations.remove(expectation)

    async def stay_connected(self, seconds: float, step: int | str | None,
                             until: "Expectation | None" = None, during: str = "", setting: str = "",
                             silence: bool = False) -> bool:
        """A protocol wait (e.g. a Pending boot's interval): listen ``seconds`` while the CSMS may
        send requests; the step fails if the CSMS closes the connection. True when ``until``
        arrived before the time was up. ``silence``: a "the CSMS sends nothing" window, which
        lasts the link's round trip longer (as ``quiet_for``)."""
        if self._problem:
            fail(step, self._problem, self._problem_kind)
        closed = asyncio.create_task(self._closed.wait())
        waits: set[Any] = {closed} | ({until.future} if until is not None else set())
        try:
            with self.trace.timing("configured", setting):
                done, _ = await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
            if silence and not done:
                with self.trace.timing("csms"):
                    await asyncio.wait(waits, timeout=self.round_trip, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closed.cancel()
        if until is not None and until.arrived and not until.future.cancelled():
            return True
        if self._problem:
            fail(step, self._problem, self._problem_kind)
        if self._closed.is_set():
            fail(step, f"the CSMS closed the connection ({self._close_reason or 'no close frame'}) {during}".rstrip(),
                 "connection_lost")
        if until is not None and until in self.expectations:
            self.expectations.remove(until)
        return False

    # ------------------------------------------------------------------ CS → CSMS
    async def send(self, action: str, payload: dict, step: int | str | None = None,
                   *, allow_error: bool = False, timeout: float | None = None) -> dict | CallError:
        """Send a request and return the CSMS's answer payload.

        The step fails on silence, a closed connection, a CALLERROR (unless ``allow_error``), or
        an answer that breaks the OCPP 2.0.1 schema. ``on_outcome`` (when set) hears how it went.
        """
        sent: list[float] = []  # when the frame went out, when the answer came
        try:
            answer = await self._request(action, payload, step, allow_error, timeout, sent)
        except BaseException as error:
            if self.on_outcome is not None and not isinstance(error, asyncio.CancelledError):
                self.on_outcome(Outcome(action, _span(sent), error))
            raise
        if self.on_outcome is not None:
            self.on_outcome(Outcome(action, _span(sent)))
        return answer

    async def _request(self, action: str, payload: dict, step: int | str | None, allow_error: bool,
                       timeout: float | None, sent: list[float]) -> dict | CallError:
        problem = schema_problem(action, CALL, payload)
        if problem:
            harness_error(step, f"the station's own {action}Request fails its schema self-check: {problem}")
        if not self.connected:
            raise ConnectionLost(f"{where(step)}: cannot send {action}Request: the station is not connected "
                                 f"({self._close_reason or 'never connected'})", pytrace=False)
        async with self._send_lock:
            unique_id = str(uuid.uuid4())
            future = asyncio.get_running_loop().create_future()
            self._pending[unique_id] = future
            try:
                sent.append(time.perf_counter())
                await self._send(dumps([CALL, unique_id, action, payload]))
            except ConnectionClosed:
                self._pending.pop(unique_id, None)
                raise ConnectionLost(f"{where(step)}: the connection was closed before {action}Request could be "
                                     f"sent", pytrace=False) from None
            try:
                limit = self.settings.CSMS_RESPONSE_TIMEOUT if timeout is None else timeout
                frame = await self.wait_for(future, limit + self.round_trip, f"{action}Response", step,
                                            limit=limit)
                sent.append(time.perf_counter())
                self._learn_round_trip(sent[1] - sent[0])
                self._answers += 1
            finally:
                if self._pending.pop(unique_id, None) is not None and len(sent) < 2:
                    self._expired.append(unique_id)  # an answer may still come, late
        if frame[0] == CALLERROR:
            problem = error_code_problem(frame[2])
            if problem:
                fail(step, f"CSMS answered {action}Request with a {problem}", "protocol", rule="error code")
            error = CallError(frame[2], frame[3], frame[4])
            if allow_error:
                return error
            fail(step, f"CSMS answered {action}Request with CALLERROR {error.code}"
                       f"{': ' + error.description if error.description else ''}", "callerror", code=error.code)
        problem = schema_problem(action, CALLRESULT, frame[2])
        if problem:
            fail(step, f"{action}Response breaks the OCPP 2.0.1 schema: {problem}", "schema")
        if action == "BootNotification":
            self.registration = frame[2]["status"]
        return frame[2]

    async def _send(self, message: str) -> None:
        ws = self._connection
        if ws is None:  # the station went offline while answering: nothing reaches the CSMS
            self.trace.note(self.id, f"not sent, the station is offline: {message[:120]}")
            raise ConnectionClosedOK(None, None)
        self.trace.record(self.id, "CS->CSMS", message)
        await ws.send(message)

    @property
    def problem(self) -> str | None:
        """A protocol violation of the CSMS seen on this station (it fails the next wait)."""
        return self._problem

    def clear_problem(self) -> None:
        """Forget the protocol problem and harness error seen: the load mode counts one, reconnects and
        goes on; a case never calls it (a problem is its verdict)."""
        self._problem, self._harness_error = None, None

    # ------------------------------------------------------------------ CSMS → CS
    def expecting(self, action: str | Any, reply: Reply = None, match: Match = None,
                  describe: str = "", *, why: str = "", trigger: Any = None,
                  armed: bool = True) -> Expectation:
        """Register a wait for a CSMS request now, before anything can make the CSMS send it.

        ``action`` is the request's name, or the operator action (see ``simulator.operators.actions``) that
        makes the CSMS send it: then the request and its ``match`` come from the action. A wait
        that identifies nothing beyond the request's kind must say ``why`` no other request of
        that kind can come (a busy CSMS sends GetVariables, SetVariables, GetBaseReport,
        GetReport, TriggerMessage and GetTransactionStatus on its own at any moment, and reads back
        what it wrote: GetChargingProfiles, GetDisplayMessages, GetLocalListVersion, GetVariables,
        GetInstalledCertificateIds). An operator action that identifies no more than the kind counts
        only a request that comes after the operator was asked."""
        if not isinstance(action, str):
            trigger, action = action, action.request
        if trigger is not None and match is None and trigger.request == action:
            match = trigger.identity or None
            if match is None:
                # Nothing in the request tells it from one the CSMS sends on its own (a refresh after
                # its own write, a moment before): only a request that comes after the operator was
                # asked counts (``wait`` arms it right before asking).
                why = why or f"operator action {trigger.name} identifies no more than the request's kind"
                armed = False
        if match is None and not why:
            harness_error(None, f"an expectation of {action}Request must match on content (match=...) "
                                f"or say why it needs not (why=...)")
        exp = Expectation(self, action, reply, match, describe, trigger, armed)
        self.expectations.append(exp)
        return exp

    async def expect(self, action: str | Any, step: int | str | None, *, trigger: Any = None,
                     reply: Reply = None, timeout: float | None = None, match: Match = None,
                     describe: str = "", why: str = "") -> dict:
        """Wait for ``action`` (after asking the operator for ``trigger``) and answer ``reply``."""
        return await self.expecting(action, reply, match, describe, why=why,
                                    trigger=trigger).wait(step, None, timeout)

    async def expect_no(self, action: str, step: int | str | None, seconds: float | None = None,
                        match: Match = None, describe: str = "") -> None:
        """Check that the CSMS does not send ``action`` (matching ``match``) for a short while
        (``quiet_for``: the setting plus the link's round trip)."""
        exp = self.expecting(action, match=match, describe=describe, why="any such request fails the step")
        await self.quiet_for(seconds)
        self.expectations.remove(exp) if exp in self.expectations else None
        if exp.arrived:
            fail(step, f"the CSMS sent an unexpected {action}Request: {exp.future.result()}")

    async def route_message(self, raw: str | bytes) -> None:
        text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
        self.trace.record(self.id, "CSMS->CS", text)
        try:
            frame = parse_frame(raw)
        except FrameError as e:
            self._set_problem(f"the CSMS sent a frame that is not valid OCPP-J: {e}", "protocol")
            return
        kind, unique_id = frame[0], frame[1]
        if kind in (CALLRESULT, CALLERROR):
            future = self._pending.get(unique_id)
            if future and not future.done():
                future.set_result(frame)
            else:
                self.trace.note(self.id, f"answer to an unknown messageId {unique_id} ignored")
                if self.on_outcome is not None and unique_id not in self._expired:
                    # ids echoed (OCPP-J): no step waits for it, the hook counts it (a late answer was
                    # counted as the timeout it is)
                    self.on_outcome(Outcome("?", 0.0, tagged(CaseFailure(
                        f"answer to a messageId the station never sent or that was answered already: {unique_id}",
                        pytrace=False), "protocol", rule="ids echoed"), by_csms=True))
            return
        action, payload = frame[2], frame[3]
        problem = schema_problem(action, CALL, payload)
        if problem:
            code = "NotImplemented" if "not an OCPP 2.0.1 message" in problem else "FormatViolation"
            try:
                await self._send(dumps([CALLERROR, unique_id, code, problem[:250], {}]))
            except ConnectionClosed:
                pass
            self._set_problem(f"the CSMS sent a {action}Request that breaks the OCPP 2.0.1 schema: {problem}",
                              "schema")
            return
        exp = next((e for e in self.expectations
                    if e.action == action and e.armed and not e.arrived and e.matches(payload)), None)
        reply: Any = None
        if exp is not None:
            exp.arrived_at = time.time()
            self.expectations.remove(exp)
            reply = exp.reply(payload) if callable(exp.reply) else exp.reply
        else:
            self.unexpected.append((action, payload))
        if reply is None:
            reply = self.default_reply(action, payload)
        if inspect.isawaitable(reply):
            reply = await reply
        if isinstance(reply, CallError):  # the station refuses the request (e.g. NotSupported)
            try:
                await self._send(dumps([CALLERROR, unique_id, reply.code, reply.description, reply.details or {}]))
            except ConnectionClosed:
                pass
            if exp is not None:
                exp.received_at = time.time()
                exp.future.set_result(payload)
            return
        problem = schema_problem(action, CALLRESULT, reply)
        if problem:
            raise HarnessError(f"the station's own {action}Response fails its schema self-check: {problem}")
        try:
            await self._send(dumps([CALLRESULT, unique_id, reply]))
        except ConnectionClosed:
            pass
        if exp is not None:
            exp.received_at = time.time()
            exp.future.set_result(payload)
        else:
            self._after_reply(action, payload, reply)
        if self.on_outcome is not None:
            self.on_outcome(Outcome(action, 0.0, by_csms=True))

    def _set_problem(self, message: str, kind: str) -> None:
        if not self._problem:
            self._problem, self._problem_kind = message, kind
        self._closed.set()  # wakes every wait, which then reports the problem

    def default_reply(self, action: str, payload: dict) -> dict:
        handler = self.replies.get(action) or DEFAULT_REPLIES.get(action)
        if handler is None:
            return {}
        return handler(self, payload)

    def _after_reply(self, action: str, payload: dict, reply: dict) -> None:
        follow = AFTER_REPLY.get(action)
        if follow:
            coro = follow(self, payload, reply)
            if coro is not None:
                self.later(coro)

    def later(self, coro: Awaitable[Any]) -> asyncio.Task:
        """Run follow-up work (e.g. NotifyReport parts) after the answer went out."""
        task = asyncio.ensure_future(coro)
        self._background.append(task)
        return task

    async def settle(self, step: int | str | None = None) -> None:
        """Wait for follow-up work to finish; its failures fail the case here. Follow-up work may be
        long (a report of many parts over a slow link: one round trip each), so it may go on as long
        as the CSMS keeps answering it; a stretch of twice the response timeout (plus the round trip)
        without an answer ends it (each of its requests has its own timeout: this is the last guard)."""
        while self._background:
            task = self._background.pop(0)
            while not task.done():
                answers = self._answers
                await asyncio.wait({task}, timeout=2 * (self.settings.CSMS_RESPONSE_TIMEOUT + self.round_trip))
                if not task.done() and self._answers == answers:
                    task.cancel()
                    fail(step, "follow-up messages of the station did not finish in time")
            try:
                task.result()
            except Exception as e:  # the station's own code failed in the follow-up: a harness error
                harness_error(step, f"in a follow-up message: {_detail(e)}")

    # ------------------------------------------------------------------ building blocks
    def ensure_evses(self, count: int) -> None:
        """Report at least ``count`` EVSEs (each with connector 1), for a case that names them
        whatever CONFIGURED_NUMBER_OF_EVSES says; call before Booted (the device model is rebuilt)."""
        if len(self.model.evses) >= count:
            return
        for e in range(len(self.model.evses) + 1, count + 1):
            self.model.evses[e] = Evse(e, {1: "Available"})
        self.device = DeviceModel.for_station(
            len(self.model.evses), {e.id: len(e.connectors) for e in self.model.evses.values()},
            self.settings.CONFIGURED_CONNECTOR_TYPE)
        sp = self.device.find({"name": "SecurityCtrlr"}, {"name": "SecurityProfile"})
        if sp:
            sp.value = str(self.creds.profile)

    def choose(self, what: str, options: Sequence[T]) -> T:
        """Content the catalogue leaves to the station (the size of a report's parts, optional
        fields of a meter value, …): one of ``options``, varied across runs by CONTENT_SEED so that a
        CSMS that takes only one shape is found, and the same again for the same seed, case, station
        and choice. Without a seed: the first option."""
        seed = getattr(self.settings, "CONTENT_SEED", None)
        if seed is None or len(options) < 2:
            return options[0]
        n = self._choices[what] = self._choices.get(what, -1) + 1
        return random.Random(f"{seed}|{current_case()}|{self.id}|{what}|{n}").choice(list(options))

    def sampled_value(self, value: float, context: str | None, measurand: str = ENERGY) -> dict:
        """A sampledValue of the register in Wh; unitOfMeasure ({unit Wh} is its default) and location
        (Outlet is its default) are sent or left out, as the station chooses."""
        sampled: dict[str, Any] = {"value": value}
        if context is not None:
            sampled["context"] = context
        sampled["measurand"] = measurand
        unit = self.choose("sampledValue.unitOfMeasure", ({"unit": "Wh"}, None, {"unit": "Wh", "multiplier": 0}))
        if unit is not None:
            sampled["unitOfMeasure"] = dict(unit)
        if self.choose("sampledValue.location", (None, "Outlet")):
            sampled["location"] = "Outlet"
        return sampled

    def new_id(self, kind: str) -> int:
        """A number of counter ``kind`` (eventId, chargingScheduleId, chargingProfileId, …) this
        station never gave this CSMS before, in this run or an earlier one: a real station's counters
        survive reboots, and a CSMS may keep them unique per station."""
        try:
            return self.counters.next(kind)
        except (StateFileError, OSError) as e:
            harness_error(None, str(e))

    def next_event_id(self) -> int:
        """A NotifyEvent's eventId: never the same twice for this station at this CSMS."""
        return self.new_id("eventId")

    def status_report(self, evse: int, connector: int, status: str) -> list[tuple[str, dict]]:
        """'Report X for connector (e, c)' as its two requests: StatusNotification, NotifyEvent."""
        return [("StatusNotification", {"timestamp": now_iso(), "connectorStatus": status,
                                        "evseId": evse, "connectorId": connector}),
                ("NotifyEvent", {
                    "generatedAt": now_iso(), "seqNo": 0, "tbc": False,
                    "eventData": [{"eventId": self.next_event_id(), "timestamp": now_iso(), "trigger": "Delta",
                                   "actualValue": status, "eventNotificationType": "HardWiredNotification",
                                   "component": {"name": "Connector",
                                                 "evse": {"id": evse, "connectorId": connector}},
                                   "variable": {"name": "AvailabilityState"}}]})]

    async def report_status(self, evse: int, connector: int, status: str,
                            step: int | str | None = None, *, notify_event: bool = True) -> None:
        """Report X for connector (e, c); the CSMS must answer both requests with a CALLRESULT.
        ``notify_event`` False: the StatusNotificationRequest alone (where a case names only it)."""
        self.model.evses[evse].connectors[connector] = status
        self.device.set_state({"name": "Connector", "evse": {"id": evse, "connectorId": connector}}, status)
        report = self.status_report(evse, connector, status)
        for action, payload in report if notify_event else report[:1]:
            await self.send(action, payload, step)

    def meter_value(self, evse: int, context: str, measurand: str = ENERGY) -> dict:
        return {"timestamp": now_iso(), "sampledValue": [self.sampled_value(self.model.evses[evse].register(),
                                                                            context, measurand)]}

    def transaction_event_payload(self, event_type: str, trigger: str, *, evse: int | None = None,
                                  connector: int | None = None, charging_state: str | None = None,
                                  stopped_reason: str | None = None, id_token: dict | None = None,
                                  meter: Any = UNSET, offline: bool = False,
                                  transaction: Transaction | None = None, omit_evse: bool = False,
                                  **extra: Any) -> dict:
        """A TransactionEventRequest by the rules of reusable-states.md (new T on Started, seqNo
        +1 per event, evse in every event, Begin/End meter values)."""
        e = evse or self.settings.CONFIGURED_EVSE_ID
        c = connector or self.settings.CONFIGURED_CONNECTOR_ID
        if event_type == "Started":
            tx = self.model.open_transaction(e, c)
        else:
            tx = transaction or self.model.transaction(e)
            if tx is None:
                raise HarnessError(f"no open transaction on EVSE {e} for a {event_type} event")
        info: dict[str, Any] = {"transactionId": tx.id}
        if charging_state is not None:
            info["chargingState"] = charging_state
            tx.charging_state = charging_state
            self.model.evses[tx.evse].set_charging(charging_state == "Charging")
        if stopped_reason is not None:
            info["stoppedReason"] = stopped_reason
        payload: dict[str, Any] = {"eventType": event_type, "timestamp": now_iso(), "triggerReason": trigger,
                                   "seqNo": tx.next_seq(), "transactionInfo": info,
                                   "evse": {"id": tx.evse, "connectorId": tx.connector}}
        if omit_evse:  # e.g. a triggered event for the whole station (TC_F_14)
            del payload["evse"]
        if offline:
            payload["offline"] = True
        if id_token is not None:
            payload["idToken"] = id_token
            tx.id_token = tx.id_token or id_token
        if meter is UNSET:
            context = {"Started": "Transaction.Begin", "Ended": "Transaction.End"}.get(event_type)
            meter = [self.meter_value(tx.evse, context)] if context else None
        if meter:
            payload["meterValue"] = meter
            tx.readings.extend(float(sv["value"]) for mv in meter for sv in mv["sampledValue"]
                               if sv.get("measurand", "Energy.Active.Import.Register") == "Energy.Active.Import.Register")
        if "transaction_info" in extra:
            info.update(extra.pop("transaction_info"))
        payload.update(extra)
        if event_type == "Ended":
            self.model.end_transaction(tx)
        return payload

    async def transaction_event(self, event_type: str, trigger: str, step: int | str | None = None,
                                **fields: Any) -> dict:
        """Build and send a TransactionEventRequest; returns the CSMS's answer."""
        try:
            payload = self.transaction_event_payload(event_type, trigger, **fields)
        except HarnessError as e:
            harness_error(step, str(e))
        return await self.send("TransactionEvent", payload, step)

    def queue_transaction_event(self, event_type: str, trigger: str, **fields: Any) -> dict:
        """While offline: create the event now (offline true, its own time and seqNo) and keep it."""
        payload = self.transaction_event_payload(event_type, trigger, offline=True, **fields)
        self.queue.append(payload)
        return payload

    async def send_queued(self, payload: dict, step: int | str | None = None) -> dict:
        self.queue.remove(payload)
        return await self.send("TransactionEvent", payload, step)

    def id_token(self, token: str | None = None, token_type: str | None = None) -> dict:
        return {"idToken": token if token is not None else self.settings.VALID_ID_TOKEN,
                "type": token_type if token_type is not None else self.settings.VALID_ID_TOKEN_TYPE}
