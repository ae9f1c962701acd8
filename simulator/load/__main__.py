"""``python -m simulator.load compare|under-load|certs …`` (the load run itself is Locust's:
``locust -f simulator/load/locustfile.py``; README "Load: how many stations your CSMS holds")."""
from __future__ import annotations

import sys

from simulator.cli import run

USAGE = """usage: python -m simulator.load COMMAND …
  compare IDLE LOADED [--load S]   conformance verdicts under load next to verdicts idle (two summary.json)
  under-load [--users N …] -- [pytest options]   the suite idle, then while the load runs, compared
  certs --count N [--load-profile P] [--out DIR]  client certificates (CN = station id) for security profile 3"""


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("", [])
    if command == "compare":
        from simulator.load.compare import main as run
    elif command == "under-load":
        from simulator.load.under_load import main as run
    elif command == "certs":
        from simulator.load.certs import main as run
    else:
        print(USAGE + "\n(the gate on a load run: python -m simulator.reporting gate SUMMARY CONDITION…)", file=sys.stderr)
        return 2
    return run(rest)


if __name__ == "__main__":
    run(lambda: main(sys.argv[1:]))
