"""Verdicts under load next to verdicts idle: two conformance ``summary.json`` of the same selection
against the same CSMS, one run while no load ran and one while the load mode held its fleet
(``python -m simulator.load compare IDLE LOADED [--load load_summary.json] [--out FILE]``). Each case
with both verdicts, both durations and the reason under load; exit 1 when a case that passed idle
did not pass under load (the CSMS lost conformance when busy), 2 when a file is not a summary."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from simulator.reporting.diff import NotASummary, load as load_file


def load_summary(path: str | Path) -> dict[str, Any]:
    """A conformance summary.json (or the run folder holding it); NotASummary naming the file otherwise."""
    return load_file(path)[1]


def rows(idle: dict[str, Any], loaded: dict[str, Any]) -> list[dict[str, Any]]:
    def by_case(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {r["case"] + (f"[{r['variant']}]" if r.get("variant") else ""): r
                for results in summary["blocks"].values() for r in results}
    before, after = by_case(idle), by_case(loaded)
    out = []
    for case in sorted(set(before) | set(after), key=_order):
        a, b = before.get(case, {}), after.get(case, {})
        out.append({"case": case, "idle": a.get("verdict", "not run"), "under_load": b.get("verdict", "not run"),
                    "idle_s": a.get("duration"), "under_load_s": b.get("duration"),
                    "reason": b.get("reason", "") if b.get("verdict") in ("failed", "error") else ""})
    return out


def _order(case: str) -> tuple[str, int, str]:
    parts = case.split("[")[0].split("_")
    return parts[1], int(parts[2]), case


def lost(table: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The cases that passed idle and did not pass under load."""
    return [r for r in table if r["idle"] == "passed" and r["under_load"] != "passed"]


def markdown(idle: dict[str, Any], loaded: dict[str, Any], table: list[dict[str, Any]],
             load: dict[str, Any] | None = None) -> str:
    lines = ["# Conformance under load", "",
             f"CSMS under test: {loaded.get('csms') or loaded.get('target', '?')}  ",
             f"Idle run: {idle.get('started', '?')}, under load: {loaded.get('started', '?')}  "]
    if load:
        st, acts = load["stations"], load["actions"]
        p99 = ", ".join(f"{a} {v['p99']} ms" for a, v in acts.items() if v.get("p99") is not None)
        lines.append(f"Load: {load.get('users')} stations ({st['peak_connected']} connected at most) on "
                     f"{load.get('workers')} worker(s), {load['requests']['per_s_mean']} requests/s, "
                     f"{sum(e['count'] for e in load['errors'].values())} errors; p99 {p99}  ")
    changed = lost(table)
    lines += ["", f"**{len(changed)} case(s) passed idle but not under load**" if changed
              else "Every case that passed idle passed under load.", "",
              "| case | idle | under load | idle s | under load s | reason under load |", "|---|---|---|---|---|---|"]
    for r in table:
        mark = " ❌" if r in changed else ""
        lines.append(f"| {r['case']} | {r['idle']} | {r['under_load']}{mark} | {r['idle_s']} | {r['under_load_s']} | "
                     f"{r['reason'].replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator.load compare", description=__doc__)
    parser.add_argument("idle", help="summary.json of the run without load")
    parser.add_argument("loaded", help="summary.json of the run under load")
    parser.add_argument("--load", help="load_summary.json of the load that ran meanwhile")
    parser.add_argument("--out", help="also write the table as Markdown to this file")
    args = parser.parse_args(argv)
    try:
        idle, loaded = load_summary(args.idle), load_summary(args.loaded)
        load = json.loads(Path(args.load).read_text()) if args.load else None
    except (NotASummary, OSError, ValueError) as e:
        print(f"ERROR: {e}", file=sys.stderr)
        return 2
    table = rows(idle, loaded)
    text = markdown(idle, loaded, table, load)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    print(text, end="")
    return 1 if lost(table) else 0
