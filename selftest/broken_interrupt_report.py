"""Loaded with ``-p selftest.broken_interrupt_report`` by a selftest: pytest's own report of a Ctrl-C
fails as it did in a CI run under CPython 3.11, where a frame the interrupt cut short had no line
number and building the traceback raised a TypeError."""
from __future__ import annotations

from typing import Any

from _pytest._code.code import ExceptionInfo

_getrepr = ExceptionInfo.getrepr


def _getrepr_without_line_numbers(self: ExceptionInfo[BaseException], *args: Any, **kwargs: Any) -> Any:
    if isinstance(self.value, KeyboardInterrupt):
        raise TypeError("unsupported operand type(s) for -: 'NoneType' and 'int'")
    return _getrepr(self, *args, **kwargs)


ExceptionInfo.getrepr = _getrepr_without_line_numbers  # type: ignore[method-assign]
