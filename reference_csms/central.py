"""The CSMS as its behaviour sees it: configuration, store, named faults and options, and the
session of each connected station. The CSMS and a session refer to each other, so they share one
module; the network server (``app``) builds on it, and no handler needs more than it."""
from __future__ import annotations

import asyncio
import inspect
import json
import logging
import random
import uuid
from collections import Counter
from typing import Any, Awaitable, Callable

from ocpp.charge_point import ChargePoint  # not ocpp.v201's: its hundreds of dataclasses cost every process
from websockets.exceptions import ConnectionClosed

from simulator.wire.protocol import CALL, CALLERROR, CALLRESULT, FrameError, dumps, parse_frame, schema_problem

from .config import CsmsConfig
from .optional_fields import embellish
from .registry import ACTIONS, FAULTS, MESSAGE_HANDLERS, ActionError, CallErrorReply, NoReply
from .store import Store

log = logging.getLogger("reference_csms")
OPTIONS = ("base_report_at_boot", "query_on_reconnect", "busy")

#: B02.FR.09: while a station is Pending, what it sends because the CSMS asked is not refused.
ASKED_BY = {"GetBaseReport": "NotifyReport", "GetReport": "NotifyReport"}
TRIGGERED_AS = {"SignChargingStationCertificate": "SignCertificate", "SignV2GCertificate": "SignCertificate",
                "SignCombinedCertificate": "SignCertificate"}

#: A request's payload, or what builds it the moment it is sent: a counter (requestId, list
#: version, profile or message id) is taken then, so that requests asked back to back, or queued
#: behind a slow station's answer, never carry the same number.
Payload = dict[str, Any] | Callable[[], dict[str, Any]]


class CentralSystem:
    def __init__(self, config: CsmsConfig) -> None:
        wrong = [o for o in config.options if o not in OPTIONS]
        if wrong:
            raise ValueError(f"unknown reference CSMS option(s): {', '.join(wrong)}; known: {', '.join(OPTIONS)}")
        unknown = [f for f in config.faults if f not in FAULTS]
        if unknown:
            raise ValueError(f"unknown reference CSMS fault(s): {', '.join(unknown)}; "
                             f"known: {', '.join(sorted(FAULTS))}")
        self.config = config
        #: seed of the busy option's requests; picked at start when not given (logged, shown by pytest)
        self.seed: int = config.seed if config.seed is not None else random.randrange(1_000_000)
        self.store = Store(config.database)
        self.store.load(config)
        self.sessions: dict[str, CsmsSession] = {}
        self._issued: dict[tuple[str, str], int] = {}  # the last number of each counter (issue)

    def issue(self, station_id: str, kind: str, at_least: int) -> int:
        """The next number of one of a station's counters (``kind``: profile id, message id …):
        ``at_least`` (above what the store holds) and above every number issued before, also one
        whose request the station refused or has not answered yet."""
        key = (station_id, kind)
        number = max(at_least, self._issued.get(key, 0) + 1)
        self._issued[key] = number
        return number

    def option(self, name: str) -> bool:
        return name in self.config.options

    def fault(self, name: str) -> bool:
        if name not in FAULTS:
            raise KeyError(f"fault {name} is not declared")
        return name in self.config.faults

    def raise_profile(self, station_id: str, profile: int) -> None:
        """A05: after a station booted at the profile it was told to use, the lower one is refused."""
        row = self.store.station(station_id)
        if row["pending_profile"] == profile and not self.fault("downgrade_security_profile"):
            self.store.update_station(station_id, security_profile=profile, pending_profile=None)

    def session(self, station_id: str) -> CsmsSession:
        session = self.sessions.get(station_id)
        if session is None:
            raise ActionError(f"station {station_id} is not connected", 409)
        return session

    async def perform(self, action: dict[str, Any]) -> dict[str, Any]:
        """One operator action (the action API's request body): the handler registered for it."""
        name = action.get("action")
        station_id = action.get("stationId")
        handler = ACTIONS.get(name)
        if handler is None:
            raise ActionError(f"action {name!r} is not supported by the reference CSMS", 501)
        if not isinstance(station_id, str) or self.store.station(station_id) is None:
            raise ActionError(f"unknown station {station_id!r}", 404)
        return await handler(self, station_id, action.get("params") or {})


class RequestFailed(Exception):
    """The station did not answer a CSMS request with a valid CALLRESULT."""


class CsmsSession(ChargePoint):
    """One connected station as the CSMS sees it, on the ``ocpp`` library's generic ChargePoint."""

    def __init__(self, csms: CentralSystem, station_id: str, connection: Any, profile: int) -> None:
        super().__init__(station_id, connection, response_timeout=csms.config.request_timeout)
        self._ocpp_version = "2.0.1"
        self.csms = csms
        self.store = csms.store
        self.profile = profile
        self._pending: dict[str, asyncio.Future] = {}
        self._hooks: dict[str, Callable[[dict[str, Any]], Any]] = {}
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task] = set()
        self.asked_for: set[str] = set()  # actions the station may send before it is accepted
        self.wanted: Counter[str] = Counter()  # the CSMS's own (non-busy) requests queued or in flight
        self.in_service = asyncio.Event()  # accepted on this connection: busy requests may go out
        #: called with (action, payload sent, answer) after each request of the CSMS (not of option
        #: busy) the station answered; option busy reads back what the CSMS wrote with it
        self.after_answer: Callable[[str, dict[str, Any], dict[str, Any]], None] | None = None

    @property
    def accepted(self) -> bool:
        row = self.store.station(self.id)
        return bool(row and row["accepted"])

    async def serve(self) -> None:
        try:
            async for message in self._connection:
                await self.route_message(message)
        except ConnectionClosed:
            pass
        finally:
            for task in self._tasks:
                task.cancel()

    async def route_message(self, raw: str | bytes) -> None:
        try:
            frame = parse_frame(raw)
        except FrameError as e:
            log.warning("%s: %s", self.id, e)
            return
        if frame[0] in (CALLRESULT, CALLERROR):
            future = self._pending.get(frame[1])
            hook = self._hooks.pop(frame[1], None)
            if hook is not None and frame[0] == CALLRESULT:
                try:
                    result = hook(frame[2])
                    if inspect.isawaitable(result):
                        self.later(result)
                except Exception:
                    log.exception("%s: answer hook failed", self.id)
            if future and not future.done():
                future.set_result(frame)
            return
        unique_id, action, payload = frame[1], frame[2], frame[3]
        self.store.log(self.id, "in", action, payload)
        problem = schema_problem(action, CALL, payload)
        if problem:
            code = "NotImplemented" if "not an OCPP" in problem else "FormatViolation"
            await self._send(dumps([CALLERROR, unique_id, code, problem[:200], {}]))
            return
        if action != "BootNotification" and not self.accepted and action not in self.asked_for:
            # B02.FR.09 / B03.FR.07: nothing but a boot before the station is accepted
            await self._send(dumps([CALLERROR, unique_id, "SecurityError",
                                    "station is not accepted by the CSMS yet", {}]))
            return
        if self.csms.fault("reject_custom_data") and '"customData"' in json.dumps(payload):
            await self._send(dumps([CALLERROR, unique_id, "FormatViolation", "customData not allowed", {}]))
            return
        handler = MESSAGE_HANDLERS.get(action)
        if handler is None:
            await self._send(dumps([CALLERROR, unique_id, "NotImplemented", f"{action} not handled", {}]))
            return
        try:
            response = handler(self, payload)
            if inspect.isawaitable(response):
                response = await response
        except Exception as e:  # a CSMS bug must become a CALLERROR, not a dead session
            log.exception("%s: %s handler failed", self.id, action)
            await self._send(dumps([CALLERROR, unique_id, "InternalError", str(e)[:200], {}]))
            return
        if isinstance(response, NoReply):
            return
        if isinstance(response, CallErrorReply):
            await self._send(dumps([CALLERROR, unique_id, response.code, response.description, {}]))
            return
        serving = self._serving_after(action, response)
        if not serving:
            self.in_service.clear()
        if self.csms.option("busy"):
            response = embellish(action, response)
        self.store.log(self.id, "out", action + "Response", response)
        await self._send(dumps([CALLRESULT, unique_id, response]))
        if serving:  # only once the answer is out: no busy request overtakes an Accepted boot
            self.in_service.set()

    def _serving_after(self, action: str, response: dict[str, Any]) -> bool:
        """Whether the CSMS has accepted the station on this connection once this answer is out:
        after a boot as the answer says; after any other message it answered normally as the store
        says (a station that reconnects without rebooting stays accepted)."""
        if action == "BootNotification":
            return response.get("status") == "Accepted"
        return self.in_service.is_set() or self.accepted

    def busy_may_send(self, action: str) -> bool:
        """Whether a busy request (option busy) of ``action`` may go out now (else it is skipped)."""
        # Decision: never while the CSMS has a request of the same action queued or in flight for
        # this station (an operator action, or one a handler makes on its own). The harness tells
        # the operator's request from others by its content; a busy one of the same action inside
        # that window is an ambiguity no harness could resolve.
        same_action = self.wanted[action] > 0
        # Nor while any request of the CSMS holds or waits for the request lock: busy traffic never
        # queues ahead of the CSMS's own requests (and holds the lock ANSWER_TIMEOUT at most itself).
        lock_wanted = any(self.wanted.values()) or self._lock.locked()
        return self.in_service.is_set() and not same_action and not lock_wanted

    async def request(self, action: str, payload: Payload,
                      on_answer: Callable[[dict[str, Any]], Any] | None = None, *,
                      timeout: float | None = None, busy: bool = False, validate: bool = True) -> dict[str, Any]:
        """Send a CSMS→CS request and return the answer; RequestFailed when there is none.

        ``payload`` may be a function that builds it: it runs under the session's request lock,
        right before the request goes out, after every earlier request's answer was taken in.
        ``on_answer`` (synchronous) runs the moment the CALLRESULT is read, before any later
        frame or connection is handled: a station that answers and at once reconnects (e.g. with
        its new password) finds the CSMS's state already updated. ``busy`` marks a request of the
        busy option: it waits ``timeout`` at most and opens no B02.FR.09 exception (it only goes to
        accepted stations). ``validate`` False: only for a named fault that sends a schema-invalid
        request on purpose."""
        if busy:
            return await self._exchange(action, payload, on_answer, timeout, busy=True, validate=validate)
        self.wanted[action] += 1
        try:
            return await self._exchange(action, payload, on_answer, timeout, busy=False, validate=validate)
        finally:
            self.wanted[action] -= 1

    async def _exchange(self, action: str, payload: Payload, on_answer: Callable[[dict[str, Any]], Any] | None,
                        timeout: float | None, *, busy: bool, validate: bool) -> dict[str, Any]:
        """One request and its answer under the session's request lock (the payload built there)."""
        async with self._lock:
            if callable(payload):
                payload = payload()
            problem = schema_problem(action, CALL, payload) if validate else None
            if problem:
                raise RequestFailed(f"{action}Request would break the schema: {problem}")
            if not busy:  # what the station sends because the CSMS asked is not refused (B02.FR.09)
                asked = payload.get("requestedMessage") if action == "TriggerMessage" else ASKED_BY.get(action)
                if asked:
                    self.asked_for.add(TRIGGERED_AS.get(asked, asked))
            unique_id = str(uuid.uuid4())
            future = asyncio.get_running_loop().create_future()
            self._pending[unique_id] = future
            if on_answer is not None:
                self._hooks[unique_id] = on_answer
            self.store.log(self.id, "out", action, payload)
            try:
                await self._send(dumps([CALL, unique_id, action, payload]))
                frame = await asyncio.wait_for(future, self._response_timeout if timeout is None else timeout)
            except (asyncio.TimeoutError, ConnectionClosed) as e:
                raise RequestFailed(f"no answer to {action}Request ({e.__class__.__name__})") from None
            finally:
                self._pending.pop(unique_id, None)
                self._hooks.pop(unique_id, None)
        if frame[0] == CALLERROR:
            raise RequestFailed(f"{action}Request answered with CALLERROR {frame[2]}")
        self.store.log(self.id, "in", action + "Response", frame[2])
        if self.after_answer is not None and not busy:  # busy's own write-backs write what was just read
            self.after_answer(action, payload, frame[2])
        return frame[2]

    def later(self, coro: Awaitable[Any]) -> None:
        """Run work after the current answer went out (e.g. a request the answer implies)."""
        async def guarded() -> None:
            try:
                await coro
            except RequestFailed as e:
                log.info("%s: %s", self.id, e)
            except Exception:
                log.exception("%s: follow-up failed", self.id)
        task = asyncio.get_running_loop().create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, message: str) -> None:
        # the ocpp library logs whole frames at INFO; frames may carry passwords, so send quietly
        await self._connection.send(message)

    async def close(self) -> None:
        await self._connection.close()
