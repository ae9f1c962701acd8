"""The manual operator: a person at a terminal does what the step asks in the CSMS's own interface.

The instruction (case, step, the action in words, its params, what the station has just done) goes
to the controlling terminal (``/dev/tty``) at once, past pytest's capture; without a terminal to
the writer the harness gives (pytest's capture suspended) or stderr. The person answers on the same
terminal: Enter = done, ``s`` + Enter = skip the case ("operator skipped"); the CSMS's request
arriving counts as done too. Nothing within the time: the step fails ("the operator did not act
within N s", raised by the caller's time limit)."""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import termios
import time
from typing import Any, Awaitable, Callable, Iterator

import pytest

from simulator.operators.interface import Action, Answer, CsmsOperator
from simulator.verdicts.checks import fail, where
from simulator.verdicts.trace import Trace, redact

Writer = Callable[[str], None]
SKIPPED = "operator skipped"


@contextlib.contextmanager
def terminal() -> Iterator[int | None]:
    """The controlling terminal's file descriptor (read and write), or None without one."""
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        yield None
        return
    try:
        yield fd
    finally:
        os.close(fd)


def has_terminal() -> bool:
    with terminal() as fd:
        return fd is not None


def last_sent(trace: Trace | None, station: str) -> str:
    """What the station has just done: its last message to the CSMS, shortened, and how long ago."""
    for frame in reversed(trace.frames if trace is not None else []):
        if frame.station != station or frame.direction != "CS->CSMS":
            continue
        try:
            message = json.loads(frame.text)
        except ValueError:
            continue
        if isinstance(message, list) and len(message) == 4 and message[0] == 2:
            payload = json.dumps(message[3], separators=(",", ":"))
            payload = payload if len(payload) <= 160 else payload[:157] + "…"
            return f"{message[2]}Request {payload} ({time.time() - frame.at:.1f} s ago)"
        if isinstance(message, list) and len(message) >= 3 and message[0] in (3, 4):
            return f"answered the CSMS's last request ({time.time() - frame.at:.1f} s ago)"
    return "nothing yet on this connection"


def instruction(action: Action, step: int | str | None, trace: Trace | None, timeout: float,
                answer: bool) -> str:
    """The text a person reads: one block, the first line naming case and step."""
    lines = [f"\n>>> {where(step)}: OPERATOR ACTION for station {action.station}",
             f"    Do in your CSMS: {action.text or action.name}",
             f"    Action {action.name} {json.dumps(action.params)}",
             f"    The station has just sent: {last_sent(trace, action.station)}"]
    if action.request:
        lines.append(f"    The harness waits up to {timeout:g} s for the CSMS's {action.request}Request.")
    else:
        lines.append(f"    Nothing on the wire shows it: the harness waits up to {timeout:g} s for you.")
    if answer:
        lines.append("    Press Enter when done, or s + Enter to skip this case.")
    return redact("\n".join(lines)) + "\n"


class ManualOperator(CsmsOperator):
    """Every action through a person (``CSMS_OPERATOR=manual``), and the fallback of a Python
    operator for the actions it does not implement."""

    def __init__(self, settings: Any = None, trace: Trace | None = None, out: Writer | None = None) -> None:
        super().__init__(settings)
        self.trace = trace
        self.out = out  # writes past pytest's capture when there is no terminal

    def _write(self, text: str) -> None:
        if self.out is not None:
            self.out(text)
        else:
            sys.__stderr__.write(text)
            sys.__stderr__.flush()

    async def perform(self, action: Action, step: int | str | None = None,
                      until: Awaitable[Any] | None = None) -> Answer:
        timeout = self.settings.CSMS_ACTION_TIMEOUT
        with terminal() as fd:
            if fd is None:
                self._write(instruction(action, step, self.trace, timeout, answer=False))
                if action.confirm:
                    fail(step, f"manual operator action {action.name} needs a terminal to confirm; "
                               f"use CSMS_OPERATOR=http or command")
                return None  # the step's wait for the CSMS's request goes on
            with contextlib.suppress(termios.error):
                termios.tcflush(fd, termios.TCIFLUSH)  # an Enter typed before this instruction is no answer to it
            os.write(fd, instruction(action, step, self.trace, timeout, answer=True).encode())
            try:
                line = await self._answer(fd, until)
            except asyncio.CancelledError:  # the step's time is up
                os.write(fd, f"    No answer within {timeout:g} s.\n".encode())
                raise
            if line is None:
                os.write(fd, b"    The step's wait ended (the CSMS's request came).\n")
            elif line.strip().lower() == "s":
                os.write(fd, b"    Skipped.\n")
                pytest.skip(SKIPPED)
        return None

    @staticmethod
    async def _answer(fd: int, until: Awaitable[Any] | None) -> str | None:
        """The person's line, or None when ``until`` completed first (the CSMS acted). Read with the
        event loop's reader, so that an abandoned wait leaves no thread eating the next answer."""
        loop = asyncio.get_running_loop()
        line: asyncio.Future[str] = loop.create_future()
        typed = bytearray()

        def readable() -> None:
            try:
                chunk = os.read(fd, 1024)
            except OSError as e:
                if not line.done():
                    line.set_exception(e)
                return
            typed.extend(chunk)
            if (b"\n" in typed or not chunk) and not line.done():
                line.set_result(typed.decode(errors="replace"))

        loop.add_reader(fd, readable)
        waits: set[asyncio.Future[Any]] = {line}
        other = asyncio.ensure_future(until) if until is not None else None
        if other is not None:
            waits.add(other)
        try:
            done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            loop.remove_reader(fd)
        return line.result() if line in done else None
