"""``python -m simulator.reporting gate SUMMARY "p99 BootNotification < 500ms" …``: the release gate on a
load run's ``load_summary.json`` (``simulator.load``), beside ``diff`` for the conformance verdicts. Exit 0
when every condition holds, 1 when one does not (each printed with the measured value), 4 (usage) for a
summary that cannot be read or a condition that cannot be parsed.

A condition is ``METRIC [NAME] OP VALUE``:

- ``p50|p95|p99|max|mean ACTION`` the action's latency (``ms`` or ``s``; a bare number is ms), exact
  over all workers; ``connect`` is the WebSocket upgrade
- ``failures ACTION`` / ``requests ACTION`` how many of that action failed / were sent
- ``errors [KIND]`` errors of that kind (``timeout``, ``callerror`` or ``callerror:SecurityError``,
  ``schema``, ``protocol``, ``connection_lost``, ``connect``, ``check``, ``harness``); all without KIND
- ``stations`` the most stations connected at once
"""
from __future__ import annotations

import json
import operator
import re
import sys
from pathlib import Path
from typing import Any, Callable

from simulator.reporting.exit_codes import USAGE

OPS: dict[str, Callable[[float, float], bool]] = {"<": operator.lt, "<=": operator.le, ">": operator.gt,
                                                  ">=": operator.ge, "==": operator.eq, "!=": operator.ne}
_CONDITION = re.compile(r"^\s*(?P<metric>p50|p95|p99|max|mean|failures|requests|errors|stations)"
                        r"(?:\s+(?P<name>[\w:.\-]+))?\s*(?P<op><=|>=|==|!=|<|>)\s*"
                        r"(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>ms|s)?\s*$")
LATENCY = ("p50", "p95", "p99", "max", "mean")


class GateError(Exception):
    """A condition or summary that cannot be read; one line."""


def load(path: str | Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise GateError(f"{path}: cannot read a load summary ({e})") from None
    if not isinstance(data, dict) or data.get("kind") != "ocpp-load-summary":
        raise GateError(f"{path}: not a load_summary.json of python -m simulator.load")
    return data


def measure(summary: dict[str, Any], condition: str) -> tuple[bool, str]:
    """(holds, one line with the measured value) of one condition."""
    m = _CONDITION.match(condition)
    if not m:
        raise GateError(f"cannot read the condition {condition!r} (e.g. 'p99 BootNotification < 500ms', "
                        f"'errors timeout == 0', 'stations >= 1000')")
    metric, name, op, unit = m["metric"], m["name"], m["op"], m["unit"]
    wanted = float(m["value"]) * (1000 if unit == "s" else 1)
    if unit and metric not in LATENCY:
        raise GateError(f"{condition!r}: {metric} is a count, not a time")
    if metric in LATENCY + ("failures", "requests"):
        if not name:
            raise GateError(f"{condition!r}: name the action ({', '.join(summary['actions']) or 'none measured'})")
        action = summary["actions"].get(name)
        if action is None or action.get("requests", 0) == 0:
            return False, f"FAIL {condition.strip()}: no {name} request was measured"
        value = action[metric]
        if value is None:
            return False, f"FAIL {condition.strip()}: no {name} request was answered"
        shown = f"{metric} {name} = {value:g}{' ms' if metric in LATENCY else ''}"
    elif metric == "errors":
        errors = summary["errors"]
        value = sum(e["count"] for k, e in errors.items() if not name or k == name or k.startswith(name + ":"))
        shown = f"errors{' ' + name if name else ''} = {value}"
    else:
        value = summary["stations"]["peak_connected"]
        shown = f"stations (peak connected) = {value}"
    holds = OPS[op](float(value), wanted)
    return holds, f"{'PASS' if holds else 'FAIL'} {condition.strip()} ({shown})"


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print('usage: python -m simulator.reporting gate reports/load/load_summary.json "p99 BootNotification < 500ms" …',
              file=sys.stderr)
        return USAGE
    try:
        summary = load(argv[0])
        results = [measure(summary, c) for c in argv[1:]]
    except GateError as e:
        print(f"ERROR: {e}", file=sys.stderr)
        return USAGE
    print(f"load run {summary.get('started')} · {summary.get('users')} stations · {summary.get('target')}")
    for _, line in results:
        print(line)
    return 0 if all(ok for ok, _ in results) else 1
