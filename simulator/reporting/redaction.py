"""Secrets stay out of every output whatever flags a user adds (``-l``, ``-vv``, ``--tb=long``,
``--full-trace``, ``-s``, DEBUG log capture): reports are redacted as they are made, and every
log record (the ``websockets`` library logs handshake headers at DEBUG) as it is formatted."""
from __future__ import annotations

import logging
from typing import Any

import pytest

from simulator.verdicts.trace import redact

_factory = logging.getLogRecordFactory()


class _RedactedRecord(logging.LogRecord):
    def getMessage(self) -> str:  # noqa: N802 (logging's name)
        return redact(super().getMessage())


def install_log_redaction() -> None:
    """Every log record's message is redacted when formatted, whoever logs it."""
    logging.setLogRecordFactory(_RedactedRecord)


class Redaction:
    """pytest plugin: the failure text (with locals, long tracebacks) and the captured output of
    every report are redacted before the terminal, JUnit, HTML or Allure see them."""

    @pytest.hookimpl(hookwrapper=True, trylast=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> Any:
        outcome = yield
        report = outcome.get_result()
        if isinstance(report.longrepr, tuple):  # a skip: (path, line, reason)
            path, line, reason = report.longrepr
            report.longrepr = (path, line, redact(reason))
        elif report.longrepr is not None:
            report.longrepr = redact(str(report.longrepr))
        report.sections = [(name, redact(content)) for name, content in report.sections]
        if call.excinfo is not None and hasattr(call.excinfo.value, "args"):
            value = call.excinfo.value
            value.args = tuple(redact(a) if isinstance(a, str) else a for a in value.args)
            if hasattr(value, "msg") and isinstance(value.msg, str):
                value.msg = redact(value.msg)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.longrepr is not None:
            report.longrepr = redact(str(report.longrepr))
