"""Benchmark of parallel station sets (issue 25): the whole suite against a standalone reference CSMS,
on a local link or through the selftests' latency relay, with one or more sets; prints the wall time,
the verdicts, and where the time goes per case (round trips, configured waits).

    ./run python -m selftest.bench_station_sets --sets 4 --latency 0.15 TRANSACTION_DURATION=0.5
    ./run python -m selftest.bench_station_sets --sets 1 --latency 0 --fast

Not a timed test: the README reports what it printed, with the machine it ran on."""
from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from selftest.latency_relay import LatencyRelay
from selftest.support import ROOT, standalone_csms

FAST = {"TRANSACTION_DURATION": "1", "CONFIGURED_FIRMWARE_SCHEDULE_DELAY": "1",
        "CONFIGURED_NO_RENEGOTIATION_WAIT": "1", "CSMS_SETTLE_TIME": "0"}  # the README's first command
CALL = re.compile(r"^\S+ (\S+) (CS->CSMS|CSMS->CS) \[2,")


def round_trips(reports: Path) -> dict[str, float]:
    """Per case, on average: OCPP request/answer exchanges (either side asking), connections opened
    (each a TCP and an HTTP upgrade round trip, plus TLS for wss), from the run's traces and
    connections.jsonl."""
    exchanges: list[int] = []
    for attachment in (reports / "allure-results").glob("*-attachment.txt"):
        exchanges.append(sum(1 for line in attachment.read_text().splitlines() if CALL.match(line)))
    opened = collections.Counter()
    for line in (reports / "connections.jsonl").read_text().splitlines():
        event = json.loads(line)
        if event["event"] == "open" and event["case"] != "harness":
            opened[event["case"]] += 1
    cases = max(len(exchanges), 1)
    return {"exchanges": sum(exchanges) / cases, "connections": sum(opened.values()) / max(len(opened), 1)}


def run(sets: int, workers: int | None, latency: float, env: dict[str, str], select: str | None) -> dict[str, Any]:
    with standalone_csms("--suite", env={"CSMS_STATION_SETS": str(sets)}) as csms:
        ws, wss = urlsplit(csms.ws), urlsplit(csms.wss or "")
        with LatencyRelay("127.0.0.1", ws.port or 0, latency) as plain, \
                LatencyRelay("127.0.0.1", wss.port or 0, latency) as tls:
            reports = Path(tempfile.mkdtemp(prefix="bench-sets-"))
            settings = csms.env(CSMS_ADDRESS=f"ws://127.0.0.1:{plain.port}",
                                CSMS_WSS_ADDRESS=f"wss://localhost:{tls.port}",  # the server certificate's name
                                CSMS_STATION_SETS=str(sets), **env)
            environment = {k: v for k, v in os.environ.items() if not k.startswith(("CSMS_", "REFERENCE_CSMS"))}
            argv = [sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider", "--reports", str(reports)]
            argv += ["-n", str(workers if workers is not None else (sets if sets > 1 else 0))]
            argv += ["-k", select] if select else []
            started = time.monotonic()
            done = subprocess.run(argv, cwd=ROOT, env={**environment, **settings}, capture_output=True, text=True)
            wall = time.monotonic() - started
    summary = json.loads((reports / "summary.json").read_text())
    timing = summary.get("timing", {})
    return {"sets": sets, "workers": workers, "latency": latency, "wall": round(wall, 1), "exit": done.returncode,
            "counts": summary["counts"], "timing": timing, "round_trips": round_trips(reports),
            "verdicts": {r["case"] + (f"[{r['variant']}]" if r["variant"] else ""): r["verdict"]
                         for results in summary["blocks"].values() for r in results},
            "reports": str(reports), "tail": done.stdout[-300:]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m selftest.bench_station_sets", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", type=int, default=4)
    parser.add_argument("--workers", type=int, default=None, help="-n (default: the number of sets)")
    parser.add_argument("--latency", type=float, default=0.150, help="one-way seconds (0: a local link)")
    parser.add_argument("--fast", action="store_true", help="the README first command's settings")
    parser.add_argument("-k", dest="select", default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the result here")
    parser.add_argument("settings", nargs="*", metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    env = {**(FAST if args.fast else {}), **dict(s.split("=", 1) for s in args.settings)}
    result = run(args.sets, args.workers, args.latency, env, args.select)
    trips = result["round_trips"]
    print(f"sets {args.sets}, workers {args.workers or args.sets}, latency {args.latency * 1000:g} ms each way, "
          f"settings {env or 'defaults'}: wall {result['wall']} s, exit {result['exit']}, {result['counts']}; per case "
          f"{trips['exchanges']:.1f} OCPP exchanges and {trips['connections']:.1f} connections; timing "
          f"{ {k: v for k, v in result['timing'].items() if not isinstance(v, dict)} }; reports {result['reports']}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return result["exit"]


if __name__ == "__main__":
    sys.exit(main())
