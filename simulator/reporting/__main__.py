"""``python -m simulator.reporting diff OLD NEW``: the release gate on two runs' ``summary.json``;
``python -m simulator.reporting gate SUMMARY CONDITION…``: the gate on a load run's ``load_summary.json``."""
from __future__ import annotations

import sys

from simulator.cli import run
from simulator.reporting.diff import USAGE, USAGE_LINE
from simulator.reporting.diff import main as diff_main


def main(argv: list[str]) -> int:
    if argv[:1] == ["diff"]:
        return diff_main(argv[1:])
    if argv[:1] == ["gate"]:
        from simulator.reporting.load_gate import main as gate_main
        return gate_main(argv[1:])
    print(USAGE_LINE, file=sys.stderr)
    return USAGE


if __name__ == "__main__":
    run(lambda: main(sys.argv[1:]))
