"""Pytest's report of a Ctrl-C, made safe: an interrupted run exits 2 even when pytest cannot build
the interrupt's traceback."""
from __future__ import annotations

from typing import Any

import pytest


class InterruptReport:
    """Under CPython 3.11 a frame the interrupt cut short can have no line number; building its
    traceback raises a TypeError, and pytest's terminal, left without its report of the interrupt,
    then failed the run on an assertion (exit 1 instead of 2, seen in CI). The terminal gets a
    one-line report instead: the interrupt and the deepest place with a line number."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl(wrapper=True)
    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> Any:
        try:
            return (yield)
        except Exception:  # noqa: BLE001 - only the traceback is lost; the run's reports say interrupted
            terminal = self.config.pluginmanager.get_plugin("terminalreporter")
            if terminal is not None:
                terminal._keyboardinterrupt_memo = without_traceback(excinfo)
            return None


def without_traceback(excinfo: pytest.ExceptionInfo[BaseException]) -> Any:
    """The report pytest's terminal prints for an interrupt ("!!! KeyboardInterrupt !!!", then
    where), with no traceback."""
    from _pytest._code.code import ReprExceptionInfo, ReprFileLocation, ReprTraceback
    path, lineno, tb = "<unknown>", 0, excinfo.tb
    while tb is not None:
        if tb.tb_lineno is not None:
            path, lineno = tb.tb_frame.f_code.co_filename, tb.tb_lineno
        tb = tb.tb_next
    return ReprExceptionInfo(reprtraceback=ReprTraceback([], None, "short"),
                             reprcrash=ReprFileLocation(path, lineno, excinfo.exconly(tryshort=True)))
