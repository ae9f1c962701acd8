"""``python -m simulator.load under-load [--users N …] -- [pytest options, e.g. -k TC_E]``: conformance
under load. Against the CSMS of ``CSMS_ADDRESS`` (one that serves every connection: the standalone
reference CSMS, or yours) it runs the selection idle (``REPORTS/idle``), starts the load mode headless
(``REPORTS/load``), waits until every station is connected, runs the same selection again while the
fleet lives (``REPORTS/under-load``), stops the load and writes the comparison
(``REPORTS/under-load/under_load.md``). Exit 1 when a case that passed idle did not pass under load,
2 when the run could not be made (the reason in one line), else 0."""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from simulator.load import profile as profiles
from simulator.load.compare import load_summary, lost, markdown, rows
from simulator.reporting.diff import NotASummary
from simulator.settings import ROOT, SettingError, load_settings

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"


def _pytest(args: list[str], reports: Path) -> int:
    command = [sys.executable, "-m", "pytest", "tests", *args, "--reports", str(reports), "-q", "-p",
               "no:cacheprovider"]
    print("$ " + " ".join(command), flush=True)
    return subprocess.call(command, cwd=ROOT)


def _wait_connected(folder: Path, users: int, limit: float, locust: subprocess.Popen) -> str | None:
    """None once ``users`` stations are connected, else why not."""
    deadline = time.monotonic() + limit
    seen = 0
    while time.monotonic() < deadline:
        if locust.poll() is not None:
            return f"the load stopped early (exit code {locust.returncode}); see its output above"
        try:
            seen = json.loads((folder / "status.json").read_text())["connected"]
        except (OSError, ValueError, KeyError):
            pass
        if seen >= users:
            return None
        time.sleep(1)
    return f"only {seen} of {users} stations connected within {limit:.0f} s"


def main(argv: list[str]) -> int:
    if "--" in argv:
        i = argv.index("--")
        argv, selection = argv[:i], argv[i + 1:]
    else:
        selection = []
    parser = argparse.ArgumentParser(prog="python -m simulator.load under-load", description=__doc__)
    parser.add_argument("--users", type=int, default=100, help="stations of the load (Locust's --users)")
    parser.add_argument("--spawn-rate", type=float, default=20, help="stations started (and connected) per second")
    parser.add_argument("--processes", type=int, default=0, help="Locust worker processes (0: one process)")
    parser.add_argument("--load-profile", default=str(profiles.EXAMPLE), help="profile of the stations' life")
    parser.add_argument("--reports", default="reports", help="folder of idle/, load/ and under-load/")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        profile = profiles.load(args.load_profile)
    except (SettingError, profiles.ProfileError) as e:
        print(f"ERROR: {e}", file=sys.stderr)
        return 2
    host = settings.CSMS_ADDRESS if profile.security_profile == 1 else settings.wss_address(profile.security_profile)
    if not settings.CSMS_ADDRESS or not host:
        print("ERROR: under-load needs a CSMS that serves both runs: set CSMS_ADDRESS (and CSMS_WSS_ADDRESS for "
              "a profile at security profile 2 or 3), e.g. to the standalone reference CSMS "
              "(python -m reference_csms --suite --load-stations 'LOAD-{n:05d}:COUNT')", file=sys.stderr)
        return 2
    reports = Path(args.reports)
    idle_rc = _pytest(selection, reports / "idle")
    if idle_rc not in (0, 1, 3):
        print(f"ERROR: the idle run ended with exit code {idle_rc}", file=sys.stderr)
        return 2
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--users", str(args.users),
               "--spawn-rate", str(args.spawn_rate), "--host", host, "--load-profile", args.load_profile,
               "--load-reports", str(reports / "load"), "--only-summary"]
    if args.processes:
        command += ["--processes", str(args.processes)]
    print("$ " + " ".join(command), flush=True)
    (reports / "load" / "status.json").unlink(missing_ok=True)
    locust = subprocess.Popen(command, cwd=ROOT, env=os.environ.copy())
    try:
        rate = profile.connect_rate or args.spawn_rate
        problem = _wait_connected(reports / "load", args.users, args.users / rate * 2 + 60, locust)
        if problem:
            print(f"ERROR: {problem}", file=sys.stderr)
            return 2
        loaded_rc = _pytest(selection, reports / "under-load")
    finally:
        if locust.poll() is None:
            locust.send_signal(signal.SIGTERM)  # Locust quits and writes the load reports
        try:
            locust.wait(120)
        except subprocess.TimeoutExpired:
            locust.kill()
    if loaded_rc not in (0, 1, 3):
        print(f"ERROR: the run under load ended with exit code {loaded_rc}", file=sys.stderr)
        return 2
    try:
        idle, loaded = load_summary(reports / "idle" / "summary.json"), load_summary(reports / "under-load" / "summary.json")
        load = json.loads((reports / "load" / "load_summary.json").read_text())
    except (NotASummary, OSError, ValueError) as e:
        print(f"ERROR: {e}", file=sys.stderr)
        return 2
    table = rows(idle, loaded)
    text = markdown(idle, loaded, table, load)
    (reports / "under-load" / "under_load.md").write_text(text, encoding="utf-8")
    print(text, end="")
    return 1 if lost(table) else 0
