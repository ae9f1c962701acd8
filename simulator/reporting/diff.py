"""Verdict diff of two runs and the release gate on it (``python -m simulator.reporting diff OLD NEW``).

OLD and NEW are each a ``summary.json`` or the run folder holding one (``reports/latest``). Per block
it lists the cases that went pass→fail, fail→pass, are new, were removed or not run (skipped now),
and other changes. Exit 1 (the gate fails) on any pass→fail; on a case OLD has that NEW removed or
did not run (``--subset``: NEW may run part of OLD's cases); on a NEW run that was interrupted or is
otherwise incomplete. Exit 3 when OLD and NEW tested different CSMSs (``--allow-other-csms`` compares
them anyway): a run that silently fell back to the embedded reference CSMS must not pass as a run of
yours. Exit 4 for a wrong argument or a file that is no summary of this harness. Every message names
the file it is about."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

OK, GATE_FAILED, OTHER_CSMS, USAGE = 0, 1, 3, 4
FAILING = ("failed", "error")
RAN = ("passed", "failed", "error")
KINDS = ("pass→fail", "fail→pass", "new", "removed", "not run", "other")
USAGE_LINE = ("usage: python -m simulator.reporting diff [--subset] [--allow-other-csms] OLD NEW\n"
              "  OLD, NEW: a summary.json, or the run folder that holds it (e.g. reports/latest)\n"
              "  --subset: NEW may have run only part of OLD's cases\n"
              "  --allow-other-csms: compare runs against different CSMSs")


class NotASummary(Exception):
    """A file that cannot be compared; the message is one line starting with its path."""


def load(path: str | Path) -> tuple[Path, dict[str, Any]]:
    """The summary's path and content; NotASummary naming the path when it is not one of this harness's."""
    file = Path(path)
    if file.is_dir():
        file = file / "summary.json"
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as e:
        raise NotASummary(f"{file}: cannot read it ({e.strerror or e})") from None
    except UnicodeDecodeError:
        raise NotASummary(f"{file}: not a summary.json of this harness (not UTF-8 text)") from None
    try:
        data = json.loads(text)
    except ValueError as e:
        raise NotASummary(f"{file}: not a summary.json of this harness (not JSON: {e})") from None
    if not isinstance(data, dict) or not isinstance(data.get("blocks"), dict):
        raise NotASummary(f"{file}: not a summary.json of this harness (no 'blocks' with the verdicts per block)")
    for block, results in data["blocks"].items():
        if not isinstance(results, list) or not all(isinstance(r, dict) and "case" in r and "verdict" in r
                                                    for r in results):
            raise NotASummary(f"{file}: not a summary.json of this harness (block {block!r} is no list of "
                              f"case verdicts)")
    return file, data


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
                    "fail→pass" if was in FAILING and now == "passed" else
                    "not run" if was in RAN and now == "skipped" else "other")
            add(block, kind, f"{case}: {was} → {now}" + (f" ({reason})" if reason and now != "passed" else ""))
    return out


def _order(case: str) -> tuple[str, int, str]:
    parts = case.split("[")[0].split("_")
    try:
        return parts[1], int(parts[2]), case
    except (IndexError, ValueError):
        return "~", 0, case


def csms(summary: dict[str, Any]) -> str:
    """The CSMS a run tested: its ``csms`` field, or for older summaries the start of ``target``
    (every run of the embedded reference CSMS is the same CSMS whatever its faults, options and seed)."""
    if summary.get("csms"):
        return str(summary["csms"])
    target = str(summary.get("target", "?"))
    return "embedded reference CSMS" if target.startswith("embedded reference CSMS") else target.split(" / ")[0]


def other_csms(old_file: Path, old: dict[str, Any], new_file: Path, new: dict[str, Any]) -> str | None:
    """One line when OLD and NEW tested different CSMSs."""
    if csms(old) == csms(new):
        return None
    return (f"{new_file}: NEW tested {csms(new)}, but OLD ({old_file}) tested {csms(old)}: not the same CSMS "
            f"(--allow-other-csms compares them anyway)")


def run_problem(summary: dict[str, Any]) -> str | None:
    """Why a run cannot stand for a release: interrupted, incomplete, or silent about it."""
    state = summary.get("run")
    if not isinstance(state, dict) or "status" not in state:
        return "does not say whether its run completed (written by an older harness): run the suite again"
    if state["status"] == "complete":
        return None
    reason = f" ({state['reason']})" if state.get("reason") else ""
    return f"the run is {state['status']}: {state.get('ran', '?')} of {state.get('selected', '?')} selected cases ran{reason}"


def gate(old_file: Path, old: dict[str, Any], new_file: Path, new: dict[str, Any],
         changes: dict[str, dict[str, list[str]]], subset: bool = False) -> list[str]:
    """Why NEW does not pass the release gate against OLD, one line each (empty: it passes)."""
    problems = []
    regressions = [line for c in changes.values() for line in c["pass→fail"]]
    if regressions:
        problems.append(f"{new_file}: {len(regressions)} case(s) went pass→fail against {old_file}: "
                        + ", ".join(line.split(":")[0] for line in regressions))
    missing = [line.split(":")[0] for c in changes.values() for line in c["removed"] + c["not run"]]
    if missing and not subset:
        problems.append(f"{new_file}: {len(missing)} case(s) of {old_file} were not run: "
                        + ", ".join(missing[:10]) + (", …" if len(missing) > 10 else "")
                        + " (--subset accepts a run of part of the cases)")
    problem = run_problem(new)
    if problem:
        problems.append(f"{new_file}: {problem}")
    return problems


def render(old_file: Path, old: dict[str, Any], new_file: Path, new: dict[str, Any],
           changes: dict[str, dict[str, list[str]]], problems: list[str]) -> str:
    lines = [f"OLD: {old_file}: {_describe(old)}", f"NEW: {new_file}: {_describe(new)}"]
    old_problem = run_problem(old)
    if old_problem:
        lines.append(f"note: {old_file}: {old_problem}; only the cases it ran are compared")
    if not changes:
        lines.append("no verdict changed")
    for block in sorted(changes):
        lines.append(f"Block {block}")
        for kind in KINDS:
            for line in changes[block][kind]:
                lines.append(f"  {kind:9} {line}")
    lines.append(", ".join(f"{sum(len(c[kind]) for c in changes.values())} {kind}" for kind in KINDS))
    lines += [f"GATE FAILED: {p}" for p in problems] or ["gate passed: no regression"]
    return "\n".join(lines)


def _describe(summary: dict[str, Any]) -> str:
    counts = summary.get("counts", {})
    return (f"{summary.get('started', '?')} harness {summary.get('harness_version', '?')} · "
            f"{summary.get('target', '?')} · " + ", ".join(f"{n} {v}" for v, n in counts.items()))


def main(argv: list[str]) -> int:
    options = {a for a in argv if a.startswith("-")}
    files = [a for a in argv if not a.startswith("-")]
    unknown = options - {"--subset", "--allow-other-csms"}
    if unknown or len(files) != 2:
        reason = f"unknown option {sorted(unknown)[0]}" if unknown else f"expected OLD and NEW, got {len(files)} file(s)"
        print(f"ERROR: {reason}\n{USAGE_LINE}", file=sys.stderr)
        return USAGE
    try:
        (old_file, old), (new_file, new) = load(files[0]), load(files[1])
    except NotASummary as e:
        print(f"ERROR: {e}", file=sys.stderr)
        return USAGE
    other = other_csms(old_file, old, new_file, new)
    if other and "--allow-other-csms" not in options:
        print(f"ERROR: {other}", file=sys.stderr)
        return OTHER_CSMS
    changes = diff(old, new)
    problems = gate(old_file, old, new_file, new, changes, "--subset" in options)
    print(render(old_file, old, new_file, new, changes, problems))
    return GATE_FAILED if problems else OK
