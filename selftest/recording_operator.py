"""A Python operator for the selftests: the README's example, which also writes down each call
(station, action, process, when) in RECORD_FILE, and whose first call in each process waits until
another process has made one: two workers that do not act at the same time cannot pass."""
from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

from examples.my_csms_operator import MyCsms
from simulator.operators.interface import Answer

RECORD = Path(os.environ.get("RECORD_FILE", "/dev/null"))
_first = True


class Recording(MyCsms):
    async def call(self, station_id: str, action: str, params: dict[str, Any]) -> Answer:
        global _first
        started = time.time()
        _write({"station": station_id, "action": action, "pid": os.getpid(), "event": "start", "at": started})
        if _first:
            _first = False
            while not any(r["pid"] != os.getpid() for r in _read()) and time.time() < started + 20:
                await asyncio.sleep(0.05)
        answer = await super().call(station_id, action, params)
        _write({"station": station_id, "action": action, "pid": os.getpid(), "event": "end", "at": time.time()})
        return answer


def _write(record: dict[str, Any]) -> None:
    with RECORD.open("a") as f:
        f.write(json.dumps(record) + "\n")


def _read() -> list[dict[str, Any]]:
    return [json.loads(line) for line in RECORD.read_text().splitlines()] if RECORD.exists() else []
