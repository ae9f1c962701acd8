"""The trace: every frame in both directions with time, and the redaction of secrets."""
from __future__ import annotations

import base64
import contextlib
import re
import time
from collections import deque
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Iterator, MutableSequence
from datetime import datetime, timezone

_PEM_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S)
_AUTH = re.compile(r"\b(Basic|Bearer)\s+([A-Za-z0-9+/]{4,}={0,2})")


def _credentials(match: re.Match) -> str:
    """``Basic <base64 of user:password>`` (or any Bearer token) loses its value; prose such as
    "Basic Authentication" stays."""
    scheme, value = match.group(1), match.group(2)
    if scheme == "Basic":
        try:
            if ":" not in base64.b64decode(value, validate=True).decode("utf-8"):
                return match.group(0)
        except (ValueError, UnicodeDecodeError):
            return match.group(0)
    return f"{scheme} ***"
_PASSWORD_FIELD = re.compile(r'("(?:password|basicAuthPassword)"\s*:\s*")[^"]*(")', re.I)

_secrets: set[str] = set()


def add_secret(value: str | None) -> None:
    """Register a value (a password) that must never appear in any output."""
    if value and len(value) >= 4:
        _secrets.add(value)
        user_pass = base64.b64encode(f"x:{value}".encode()).decode()
        _secrets.add(user_pass[4:])


def redact(text: str) -> str:
    text = _PEM_KEY.sub("-----PRIVATE KEY REDACTED-----", text)
    text = _AUTH.sub(_credentials, text)
    text = _PASSWORD_FIELD.sub(r"\1***\2", text)
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


@dataclass
class Frame:
    at: float
    station: str
    direction: str  # "CS->CSMS", "CSMS->CS" or "note"
    text: str

    def line(self) -> str:
        stamp = datetime.fromtimestamp(self.at, timezone.utc).strftime("%H:%M:%S.%f")[:-3]
        return f"{stamp} {self.station} {self.direction} {redact(self.text)}"


@dataclass
class Trace:
    """All frames of one case, across every station and reconnect it uses, and where its time
    went: ``waits["csms"]`` (waiting on the CSMS or its operator) and ``waits["configured"]`` (the
    fixed waits settings ask for: silence windows, protocol intervals, TRANSACTION_DURATION).

    ``keep`` None keeps every frame (a case's trace is its evidence); a station of the load mode runs
    for hours, so there it is 0 (no frames) or n (a ring of the last n frames, for a failure's context)."""
    frames: MutableSequence[Frame] = field(default_factory=list)
    waits: dict[str, float] = field(default_factory=lambda: {"csms": 0.0, "configured": 0.0})
    configured_by: dict[str, float] = field(default_factory=dict)  # configured waits per setting
    keep: int | None = None

    def __post_init__(self) -> None:
        if self.keep is not None:
            self.frames = deque(self.frames, maxlen=self.keep)

    @contextlib.contextmanager
    def timing(self, kind: str, setting: str = "") -> Iterator[None]:
        """Add the time spent inside to ``waits[kind]`` (two monotonic reads: cheap enough for
        every wait); a configured wait also names the setting it comes from, so the summary can
        say which setting to shorten."""
        started = time.monotonic()
        try:
            yield
        finally:
            spent = time.monotonic() - started
            self.waits[kind] += spent
            if setting:
                self.configured_by[setting] = self.configured_by.get(setting, 0.0) + spent

    def record(self, station: str, direction: str, text: str) -> None:
        if self.keep != 0:
            self.frames.append(Frame(time.time(), station, direction, text))

    def note(self, station: str, text: str) -> None:
        self.record(station, "note", text)

    def text(self) -> str:
        return "\n".join(f.line() for f in self.frames)


_current: ContextVar[Trace | None] = ContextVar("trace", default=None)


def set_current(trace: Trace | None) -> None:
    """The running case's trace, for waits that have no station at hand (clock-aligned readings)."""
    _current.set(trace)


@contextlib.contextmanager
def timing(kind: str, setting: str = "") -> Iterator[None]:
    """``Trace.timing`` of the running case (nothing outside a case)."""
    trace = _current.get()
    if trace is None:
        yield
        return
    with trace.timing(kind, setting):
        yield
