"""Verdicts: every failed check is one line naming case, state, step, field, expected and actual.

A check compares a real value from the CSMS with the expected one. Expected values are written
declaratively (``{"idTokenInfo.status": "Accepted", "evseId": ABSENT}``) and matched with
:func:`check_fields`; alternatives use :class:`OneOf`, free rules :class:`Rule`.
"""
from __future__ import annotations

import contextlib
import re
import warnings
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Callable, Iterator, NoReturn

import pytest

_case: ContextVar[str] = ContextVar("case", default="")
_state: ContextVar[str] = ContextVar("state", default="")
_round: ContextVar[str] = ContextVar("round", default="")


#: A conformance check failed: pytest shows only the one-line message ("Failed: ..."), no traceback.
CaseFailure = pytest.fail.Exception


class HarnessError(Exception):
    """Something on the harness side (this machine, its material, its own code) prevents the case:
    an ``error`` labelled harness, never a CSMS failure, never a pass. Raise it with
    :func:`harness_error` so the message names case and step."""


HARNESS_PREFIX = "harness error in "
_WHERE = re.compile(r"^(TC_[A-P]_\d+(?: [^:]*)?): (.*)$", re.S)


def harness_error(step: int | str | None, message: str) -> NoReturn:
    """Raise a :class:`HarnessError` for ``step``: ``TC_N_02 step 6: own NotifyMonitoringReport…``."""
    raise HarnessError(f"{where(step)}: {message}")


def harness_reason(error: BaseException | str, case: str = "", phase: str = "call") -> str:
    """The one-line reason of a harness error: ``harness error in TC_N_02 step 6: …``. A message
    that does not name its place gets the case and the pytest phase (a fixture: before step 1)."""
    text = " ".join(str(error).split()) or error.__class__.__name__
    text = text.removeprefix(HARNESS_PREFIX).removeprefix("HarnessError: ").removeprefix("harness bug: ")
    m = _WHERE.match(text)
    place, message = (m.group(1), m.group(2)) if m else (case, text)
    if " " not in place.strip():  # the case alone: the pytest phase says where (a fixture: before step 1)
        place = place.strip() + {"setup": " before step 1", "teardown": " after the last step"}.get(phase, "")
    return f"{HARNESS_PREFIX}{place.strip() or 'harness'}: {message.removeprefix('harness bug: ')}"


def set_case(case_id: str) -> None:
    _case.set(case_id)


def current_case() -> str:
    """The case being run ("" outside one)."""
    return _case.get()


@contextlib.contextmanager
def in_state(name: str) -> Iterator[None]:
    """Checks inside a reusable state carry its name: ``TC_B_21 EnergyTransferStarted step 4``."""
    token = _state.set(name)
    try:
        yield
    finally:
        _state.reset(token)


@contextlib.contextmanager
def in_round(name: str) -> Iterator[None]:
    """A case that repeats its steps (e.g. for T1, then T2) names the round: ``TC_E_53 [T2] …``."""
    token = _round.set(f"[{name}]")
    try:
        yield
    finally:
        _round.reset(token)


def where(step: int | str | None) -> str:
    parts = [p for p in (_case.get(), _round.get(), _state.get()) if p]
    if step is not None and step != "":
        parts.append(f"step {step}" if not isinstance(step, str) or step[:1].isdigit() else step)
    return " ".join(parts) or "harness"


#: what kind of failure a CaseFailure is (its ``kind``), for those who count failures rather than read
#: them (the load mode): a check of a value, no answer in time, a CALLERROR (``detail["code"]``), a
#: frame that breaks the schema, an OCPP-J rule broken (``detail["rule"]``), the connection lost or refused
FAILURE_KINDS = ("check", "timeout", "callerror", "schema", "protocol", "connection_lost", "connect")


def fail(step: int | str | None, message: str, kind: str = "check", **detail: Any) -> NoReturn:
    """Raise a case failure for ``step``; ``kind`` (one of FAILURE_KINDS) and ``detail`` ride along on
    the exception for a caller that counts failures by kind. The message is all pytest shows."""
    raise tagged(CaseFailure(f"{where(step)}: {message}", pytrace=False), kind, **detail)


def tagged(error: BaseException, kind: str, **detail: Any) -> BaseException:
    """``error`` with its structured kind attached (see :func:`failure_kind`)."""
    error.kind, error.detail = kind, detail  # type: ignore[attr-defined]
    return error


def failure_kind(error: BaseException) -> tuple[str, dict[str, Any]]:
    """(kind, detail) of a failure raised by :func:`fail`; "check" for one raised otherwise."""
    return getattr(error, "kind", "check"), getattr(error, "detail", {})


class _Absent:
    def __repr__(self) -> str:
        return "absent"


ABSENT: Any = _Absent()


@dataclass(frozen=True)
class OneOf:
    """The value must equal one of the options (``absent`` may be one of them)."""
    options: tuple[Any, ...]

    def __init__(self, *options: Any) -> None:
        object.__setattr__(self, "options", options)

    def matches(self, value: Any) -> bool:
        return any(_equal(value, o) for o in self.options)

    def __str__(self) -> str:
        return " or ".join(_show(o) for o in self.options)


@dataclass(frozen=True)
class Rule:
    """A named predicate, e.g. ``Rule("an integer >= 0", lambda v: isinstance(v, int) and v >= 0)``."""
    text: str
    predicate: Callable[[Any], bool]

    def matches(self, value: Any) -> bool:
        try:
            return value is not ABSENT and bool(self.predicate(value))
        except Exception:
            return False

    def __str__(self) -> str:
        return self.text


PRESENT = Rule("present", lambda v: True)


def _equal(value: Any, expected: Any) -> bool:
    if isinstance(expected, (OneOf, Rule)):
        return expected.matches(value)
    if expected is ABSENT or value is ABSENT:
        return value is expected
    if isinstance(expected, bool) or isinstance(value, bool):
        return type(value) is type(expected) and value == expected
    return value == expected


def _show(value: Any) -> str:
    if isinstance(value, (OneOf, Rule)):
        return str(value)
    if value is ABSENT:
        return "absent"
    if isinstance(value, list) and value and all(isinstance(v, dict) and "component" in v and "variable" in v
                                                 for v in value):
        return "[" + ", ".join(_variable_name(v) for v in value) + "]"
    return repr(value)


def _variable_name(entry: dict[str, Any]) -> str:
    """``Component.Variable[instance]`` (EVSE e) of a component/variable entry."""
    component, variable = entry.get("component") or {}, entry.get("variable") or {}
    instance = f"[{variable['instance']}]" if variable.get("instance") else ""
    evse = component.get("evse")
    return f"{component.get('name')}.{variable.get('name')}{instance}" + (f" of EVSE {evse.get('id')}" if evse else "")


_PATH = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def get_path(payload: Any, path: str) -> Any:
    """``idTokenInfo.status`` / ``getVariableData[0].component.name``; ABSENT when not there."""
    current = payload
    for name, index in _PATH.findall(path):
        if name:
            if not isinstance(current, dict) or name not in current:
                return ABSENT
            current = current[name]
        else:
            i = int(index)
            if not isinstance(current, list) or i >= len(current):
                return ABSENT
            current = current[i]
    return current


def check(step: int | str | None, field: str, actual: Any, expected: Any) -> None:
    """One comparison; the failure names step, field, expected and actual."""
    if not _equal(actual, expected):
        fail(step, f"{field} expected {_show(expected)}, got {_show(actual)}")


def check_fields(step: int | str | None, payload: dict[str, Any], expected: dict[str, Any],
                 prefix: str = "") -> None:
    """Match a payload against declarative expectations, path by path."""
    for path, want in expected.items():
        check(step, f"{prefix}{path}", get_path(payload, path), want)


def check_that(step: int | str | None, condition: bool, message: str) -> None:
    """A check that is not one field (e.g. a count); ``message`` says what was seen."""
    if not condition:
        fail(step, message)


def require_settings(settings: Any, *names: str) -> None:
    """Skip the case when an optional setting it needs is unset, naming the setting."""
    missing = [n for n in names if getattr(settings, n) in (None, "")]
    if missing:
        pytest.skip(f"setting {', '.join(missing)} is not set")


def require_profile(settings: Any, profile: int) -> None:
    """A case (or variant) that needs a security profile: skipped when the user declares the CSMS
    does not support it; failed, naming what to set, when it is declared supported but the station
    cannot reach it (no CSMS_WSS_ADDRESS, a missing TLS file): a report must not hide a CSMS without
    TLS behind skips."""
    if profile not in settings.supported_profiles:
        pytest.skip(f"security profile {profile} is not in CONFIGURED_SUPPORTED_SECURITY_PROFILES")
    if profile == 1:
        return
    unset = f"or remove {profile} from CONFIGURED_SUPPORTED_SECURITY_PROFILES " \
            f"({settings.CONFIGURED_SUPPORTED_SECURITY_PROFILES})"
    if not settings.wss_address(profile):
        fail(f"Connect-SP{profile}", f"security profile {profile} is declared supported but CSMS_WSS_ADDRESS is "
                                     f"not set: set it to the CSMS's wss:// endpoint, {unset}")
    files = [("TLS_CA_CERT", settings.TLS_CA_CERT)]
    if profile == 3:
        files += [("TLS_CLIENT_CERT", settings.TLS_CLIENT_CERT), ("TLS_CLIENT_KEY", settings.TLS_CLIENT_KEY)]
    for name, value in files:
        if not value or not settings.path(value).is_file():
            fail(f"Connect-SP{profile}", f"security profile {profile} needs {name}, but {value or '(unset)'} is not "
                                         f"a file: set {name}, {unset}")


class ConformanceWarning(UserWarning):
    """A check that is reported, not part of the verdict: Part 6's non-fatal checks, and checks
    this machine cannot make fail (never counted as a pass)."""


def warn(step: int | str | None, message: str, trace: Any = None, source: str = "harness") -> None:
    """A warning in the trace and as a pytest warning: ``TC_A_04 step 3 (warning): ...``."""
    text = f"{where(step)} (warning): {message}"
    if trace is not None:
        trace.note(source, text)
    warnings.warn(ConformanceWarning(text), stacklevel=2)


def warn_unless(station: Any, step: int | str | None, condition: bool, message: str) -> None:
    """A non-fatal check: when it fails, noted in the trace and as a pytest warning; the case goes on."""
    if not condition:
        warn(step, message, station.trace, station.id)


def require_support(settings: Any, name: str, what: str) -> None:
    """Skip a case about a feature the CSMS does not support, naming the boolean setting that says so."""
    if not getattr(settings, name):
        pytest.skip(f"{name} is false: the CSMS does not support {what}")
