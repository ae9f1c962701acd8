"""Numbers a station chooses that a CSMS may keep unique per station: eventIds (NotifyEvent), the
ids of the chargingSchedules and charging profiles it sends or reports, and any other id the
station makes up. A real station keeps these counters across reboots; a CSMS that stores them
with a unique key per station rejects a number it has seen, so the simulated stations keep them
in a state file across runs, per CSMS and station id.

The file (``<STATION_STATE_DIR>/counters.json``) is the harness's own. Every number is taken under
an exclusive file lock, so parallel workers and parallel pytest processes never give out one twice.
A counter met for the first time starts at the seconds since 2020-01-01, so a deleted state file
(or a fresh CI checkout) does not restart at 1 where an earlier run already counted.

``python -m simulator.station.counters`` shows the file; ``--reset`` deletes it, ``--reset --csms
URL`` forgets one CSMS's counters.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

from simulator.cli import run

FILE_NAME = "counters.json"
LOCK_NAME = "counters.lock"
EPOCH = 1577836800  # 2020-01-01T00:00:00Z: fresh counters stay far below 2^31 for decades
#: the key of the embedded reference CSMS, which starts afresh every run (any number does there)
EMBEDDED = "embedded reference CSMS"


class StateFileError(Exception):
    """The state file cannot be read or written; the message names it and what to do."""


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """An exclusive lock on the state folder, across threads and processes."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / LOCK_NAME, "a+b") as handle:
        if os.name == "nt":  # pragma: no cover - Windows
            import msvcrt
            handle.seek(0)
            while True:
                try:
                    msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
                    break
                except OSError:
                    continue
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise StateFileError(f"cannot read the stations' state file {path}: {e.strerror}") from None
    try:
        data = json.loads(text) if text.strip() else {}
    except ValueError:
        raise StateFileError(f"the stations' state file {path} is not valid JSON: delete it "
                             f"(python -m simulator.station.counters --reset)") from None
    if not isinstance(data, dict):
        raise StateFileError(f"the stations' state file {path} is not a JSON object: delete it")
    return data


def _write(path: Path, data: dict[str, Any]) -> None:
    """Replace the file at once: a reader (or a killed writer) never sees half of it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".counters-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def fresh_start() -> int:
    """Where a counter nobody kept starts: the seconds since 2020-01-01 (a number that grows)."""
    return max(1, int(time.time()) - EPOCH)


class IdCounters:
    """The counters of one station at one CSMS, kept in ``directory/counters.json``."""

    def __init__(self, directory: Path, csms: str, station_id: str) -> None:
        self.directory = Path(directory)
        self.csms = csms
        self.station_id = station_id

    @property
    def path(self) -> Path:
        return self.directory / FILE_NAME

    def take(self, kind: str, count: int = 1) -> int:
        """The first of ``count`` consecutive numbers of counter ``kind`` nobody got before."""
        with _locked(self.directory):
            data = _read(self.path)
            station = data.setdefault(self.csms, {}).setdefault(self.station_id, {})
            first = int(station.get(kind) or fresh_start())
            station[kind] = first + count
            _write(self.path, data)
        return first

    def next(self, kind: str) -> int:
        return self.take(kind)


def state_dir(settings: Any) -> Path:
    """STATION_STATE_DIR as an absolute path (relative to the project)."""
    return settings.path(settings.STATION_STATE_DIR)


def describe(directory: Path) -> str:
    """The state file's place and content, for a person."""
    path = directory / FILE_NAME
    data = _read(path)
    if not data:
        return f"{path}: no counters yet"
    lines = [f"{path}:"]
    for csms, stations in sorted(data.items()):
        lines.append(f"  {csms}")
        for station, counters in sorted(stations.items()):
            lines.append(f"    {station}: " + ", ".join(f"next {k} {v}" for k, v in sorted(counters.items())))
    return "\n".join(lines)


def reset(directory: Path, csms: str | None = None) -> str:
    """Forget every counter (the file is deleted) or one CSMS's; what was done, for a person."""
    path = directory / FILE_NAME
    with _locked(directory):
        if csms is None:
            existed = path.exists()
            path.unlink(missing_ok=True)
            return f"deleted {path}" if existed else f"{path} did not exist"
        data = _read(path)
        if data.pop(csms.rstrip("/"), None) is None:
            return f"{path} holds no counters for {csms}"
        _write(path, data)
        return f"forgot the counters for {csms} in {path}"


def main(argv: list[str] | None = None) -> int:
    from simulator.settings import SettingError, load_settings
    parser = argparse.ArgumentParser(prog="python -m simulator.station.counters",
                                     description="Show or reset the stations' counters (eventIds, schedule and "
                                                 "profile ids) kept across runs per CSMS and station id.")
    parser.add_argument("--reset", action="store_true", help="delete the state file (every CSMS's counters)")
    parser.add_argument("--csms", help="with --reset: forget only this CSMS's counters (its CSMS_ADDRESS)")
    args = parser.parse_args(argv)
    try:
        directory = state_dir(load_settings())
    except SettingError as e:
        sys.stderr.write(f"ERROR: {e}\n")
        return 2
    try:
        print(reset(directory, args.csms) if args.reset else describe(directory))
    except StateFileError as e:
        sys.stderr.write(f"ERROR: {e}\n")
        return 1
    return 0


if __name__ == "__main__":
    run(main)
