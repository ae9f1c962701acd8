"""Verdict diff of two runs (``python -m simulator.reporting diff OLD NEW``): per block the cases that
went pass→fail, fail→pass, are new or were removed, so CI can gate a CSMS release on "no
regression" (exit 1 on any pass→fail; 2 when a summary cannot be read; 3 when OLD and NEW tested
different CSMSs, unless ``--allow-other-csms``: a run that silently fell back to the embedded
reference CSMS must not pass as a run of yours)."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

FAILING = ("failed", "error")
KINDS = ("pass→fail", "fail→pass", "new", "removed", "other")


def load(path: str | Path) -> dict[str, Any]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "blocks" not in data:
        raise ValueError(f"{path}: not a conformance summary.json (no 'blocks')")
    return data


def verdicts(summary: dict[str, Any]) -> dict[str, tuple[str, str, str]]:
    """``TC_A_04[SP2]`` → (block, verdict, reason)."""
    return {r["case"] + (f"[{r['variant']}]" if r.get("variant") else ""): (block, r["verdict"], r.get("reason", ""))
            for block, results in summary["blocks"].items() for r in results}


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    """block → kind → lines ``TC_E_16: passed → failed (reason)``; blocks without change left out."""
    before, after = verdicts(old), verdicts(new)
    out: dict[str, dict[str, list[str]]] = {}

    def add(block: str, kind: str, line: str) -> None:
        out.setdefault(block, {k: [] for k in KINDS})[kind].append(line)

    for case in sorted(set(before) | set(after), key=_order):
        if case not in before:
            block, verdict, reason = after[case]
            add(block, "new", f"{case}: {verdict}" + (f" ({reason})" if reason else ""))
        elif case not in after:
            add(before[case][0], "removed", f"{case}: was {before[case][1]}")
        else:
            (block, was, _), (_, now, reason) = before[case], after[case]
            if was == now:
                continue
            kind = ("pass→fail" if was == "passed" and now in FAILING else
                    "fail→pass" if was in FAILING and now == "passed" else "other")
            add(block, kind, f"{case}: {was} → {now}" + (f" ({reason})" if reason and now != "passed" else ""))
    return out


def _order(case: str) -> tuple[str, int, str]:
    parts = case.split("[")[0].split("_")
    return parts[1], int(parts[2]), case


def render(old: dict[str, Any], new: dict[str, Any], changes: dict[str, dict[str, list[str]]]) -> str:
    lines = [f"OLD: {_describe(old)}", f"NEW: {_describe(new)}"]
    if not changes:
        lines.append("no verdict changed")
    for block in sorted(changes):
        lines.append(f"Block {block}")
        for kind in KINDS:
            for line in changes[block][kind]:
                lines.append(f"  {kind:9} {line}")
    regressions = sum(len(c["pass→fail"]) for c in changes.values())
    lines.append(f"{regressions} pass→fail, {sum(len(c['fail→pass']) for c in changes.values())} fail→pass, "
                 f"{sum(len(c['new']) for c in changes.values())} new, "
                 f"{sum(len(c['removed']) for c in changes.values())} removed")
    return "\n".join(lines)


def _describe(summary: dict[str, Any]) -> str:
    counts = summary.get("counts", {})
    return (f"{summary.get('started', '?')} harness {summary.get('harness_version', '?')} · "
            f"{summary.get('target', '?')} · " + ", ".join(f"{n} {v}" for v, n in counts.items()))


USAGE = "usage: python -m simulator.reporting diff [--allow-other-csms] OLD/summary.json NEW/summary.json"
OTHER_CSMS = 3


def csms(summary: dict[str, Any]) -> str:
    """The CSMS a run tested: its ``csms`` field, or for older summaries the start of ``target``."""
    if summary.get("csms"):
        return str(summary["csms"])
    target = str(summary.get("target", "?"))
    return "embedded reference CSMS" if target.startswith("embedded reference CSMS") else target.split(" / ")[0]


def main(argv: list[str]) -> int:
    allow_other = "--allow-other-csms" in argv
    files = [a for a in argv if a != "--allow-other-csms"]
    if len(files) != 2 or any(a.startswith("--") for a in files):
        print(USAGE, file=sys.stderr)
        return 2
    try:
        old, new = load(files[0]), load(files[1])
    except (OSError, ValueError) as e:
        print(f"ERROR: {e}", file=sys.stderr)
        return 2
    if csms(old) != csms(new) and not allow_other:
        print(f"ERROR: OLD tested {csms(old)}, NEW tested {csms(new)}: not the same CSMS "
              "(--allow-other-csms compares them anyway)", file=sys.stderr)
        return OTHER_CSMS
    changes = diff(old, new)
    print(render(old, new, changes))
    return 1 if any(c["pass→fail"] for c in changes.values()) else 0
