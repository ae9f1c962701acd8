"""The operator the cases call: how the suite asks the CSMS under test to act ("Manual Action" steps).

``Operator`` takes an action from ``actions`` and hands it to the implementation CSMS_OPERATOR
names (``interface.CsmsOperator``: ``manual``, ``http``, ``command``, ``citrineos`` or a class of
the user's, ``python:MODULE:CLASS``). It records the action and the answer in the case's trace,
bounds the time (CSMS_ACTION_TIMEOUT), turns a refusal into the step's one-line failure, and gives
an action the implementation does not do to the manual operator when a terminal is attached.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any, Awaitable

from simulator.operators.command import CommandOperator
from simulator.operators.http_api import HttpOperator
from simulator.operators.interface import Action, ActionRefused, Answer, CsmsOperator
from simulator.operators.manual import ManualOperator, Writer, has_terminal
from simulator.settings import operator_class
from simulator.verdicts.checks import HarnessError, fail
from simulator.verdicts.trace import Trace

__all__ = ["Action", "Operator", "implementation", "refusal"]


def implementation(settings: Any, trace: Trace | None = None, url: str | None = None,
                   out: Writer | None = None) -> CsmsOperator:
    """The operator CSMS_OPERATOR names, made for one case."""
    mode = settings.CSMS_OPERATOR
    if mode == "manual":
        return ManualOperator(settings, trace, out)
    if mode == "http":
        return HttpOperator(settings, url)
    if mode == "command":
        return CommandOperator(settings)
    cls = operator_class(mode)
    assert cls is not None
    return cls(settings)


def describe(operator: Any) -> str:
    cls = type(operator)
    return f"{cls.__module__}.{cls.__qualname__}"


def refusal(error: ActionRefused, action: Action) -> str:
    """The step's reason when the operator refuses an action."""
    return f"operator action {error.action or action.name} refused by {error.by}: {error.reason}"


class Operator:
    def __init__(self, settings: Any, trace: Trace | None = None, url: str | None = None,
                 out: Writer | None = None, operator: Any = None) -> None:
        self.settings = settings
        self.mode = settings.CSMS_OPERATOR
        self.trace = trace
        self.implementation = operator if operator is not None else implementation(settings, trace, url, out)
        self.manual = ManualOperator(settings, trace, out)
        self.done: list[Action] = []

    async def request(self, action: Action, step: int | str | None = None, *,
                      until: Awaitable[Any] | None = None, timeout: float | None = None) -> dict[str, Any]:
        """Ask the CSMS to act; a refusal, an operator that cannot be reached, or no action within
        ``timeout`` (CSMS_ACTION_TIMEOUT) fails the step. ``until`` completes when the request the
        action asks for arrived (a person at the terminal needs not confirm then)."""
        limit = self.settings.CSMS_ACTION_TIMEOUT if timeout is None else timeout
        if self.trace is not None:
            self.trace.note(action.station, f"operator action {json.dumps(action.to_json())}")
        self.done.append(action)
        try:
            answer = await asyncio.wait_for(self._perform(action, step, until), limit)
        except asyncio.TimeoutError:
            answer = _TIMED_OUT
        if answer is _TIMED_OUT:  # failed outside the except: the reason is the one line, no chained timeout
            fail(step, f"the operator did not act within {limit:g} s (operator action {action.name})")
        if isinstance(answer, _Failure):
            fail(step, answer.reason)
        if self.trace is not None and answer is not None:  # what the CSMS's side said, beside what it was asked
            self.trace.note(action.station, f"operator answer {json.dumps(answer, default=str)}")
        return answer if isinstance(answer, dict) else {}

    async def _perform(self, action: Action, step: int | str | None,
                       until: Awaitable[Any] | None) -> Answer | _Failure:
        """The implementation's answer, or why the step fails (returned, so that the failure is
        raised outside the handler and shows as one line)."""
        operator = self.implementation
        perform = getattr(operator, "perform", None)
        try:
            if perform is None:  # a class of the user's that does not derive from CsmsOperator
                return await CsmsOperator.perform(operator, action, step, until)
            return await perform(action, step, until)
        except NotImplementedError as e:
            why = f" ({e})" if str(e) else ""
            missing = f"{describe(operator)} does not implement {action.method}{why}"
        except ActionRefused as e:
            e.action = e.action or action.name
            return _Failure(refusal(e, action))
        except HarnessError:
            raise
        except Exception as e:  # noqa: BLE001 - the operator is the CSMS's side: its failure fails the step
            return _Failure(f"operator action {action.name}: {describe(operator)}.{action.method} raised "
                            f"{type(e).__name__}: {e}")
        if not has_terminal():
            return _Failure(f"operator action {action.name}: {missing}, and no terminal is attached for the "
                            f"manual fallback")
        if self.trace is not None:
            self.trace.note(action.station, f"operator fallback: {missing}; asking the person at the terminal")
        return await self.manual.perform(action, step, until)


class _Failure:
    """Why the step fails, as ``Operator._perform`` found it."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


_TIMED_OUT = object()
