"""Every connection a station opens to the CSMS, whoever opens it (the station, an admission or TLS
probe, a reconnect inside a case, the next case): when it may start, when it ended, and what went
wrong on the way. One place below the station and the probes, keyed by station id, for the process.

A real station never reconnects within milliseconds: its reconnect back-off is seconds, and a CSMS
may still be finishing the closed connection (a broker channel, a session row) when the next one
comes. So a connection starts only ``settle`` seconds (CSMS_SETTLE_TIME) after that station's
previous connection closed on both sides, counted from when the close completed, not from when it
was asked. Each connection is a :class:`Link`: :func:`open_link` waits and starts it,
:meth:`Link.close` records its end once (the owner calls it when the close has completed).

The run's connections can be written to a log (``log_to``: one JSON object a line: station, event
``open``/``closed``, how, wall and monotonic time, the case), which the selftests read to show the
gaps. Connection troubles (refused, reset, silence, a connection lost without a close frame) are
kept for the running case, so that the harness can tell a CSMS that went away from one that refused
on purpose (:func:`troubles`, by a recheck).
"""
from __future__ import annotations

import asyncio
import itertools
import json
import os
import time
from pathlib import Path

from simulator.verdicts.checks import where
from simulator.verdicts.trace import timing

#: per station id: time.monotonic() when its last connection closed on both sides
_last_closed: dict[str, float] = {}
_ids = itertools.count(1)
_log: Path | None = None
_troubles: list[str] = []


def log_to(path: Path | None) -> None:
    """Append every open and close of this process to ``path`` (None: no log)."""
    global _log
    _log = path


def _write(event: str, link: "Link", mono: float, **extra: object) -> None:
    """Log ``event`` at ``mono``: the very instant the settle time counts from (a close) or was checked
    at (an open), not a later reading, which a busy machine may delay by milliseconds."""
    if _log is None:
        return
    record = {"station": link.station, "event": event, "via": link.via, "link": link.id, "pid": os.getpid(),
              "at": round(time.time(), 6), "mono": round(mono, 6), "case": where(None), **extra}
    try:
        with _log.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
    except OSError:  # a log that cannot be written never changes a verdict
        pass


class Link:
    """One connection of a station, from the moment it starts to the moment its close completed."""

    def __init__(self, station: str, via: str) -> None:
        self.id = next(_ids)
        self.station = station
        self.via = via
        self.closed = False

    def close(self) -> None:
        """The connection has ended on both sides (or never got further than a refused TCP
        connect): the station's next one waits from now. Once per link."""
        if self.closed:
            return
        self.closed = True
        now = time.monotonic()
        if self.station:
            _last_closed[self.station] = now
        _write("closed", self, now)


async def settle(station: str, seconds: float) -> float:
    """Wait until ``seconds`` have passed since ``station``'s last connection closed; the time
    waited (counted as the configured wait CSMS_SETTLE_TIME of the running case)."""
    waited = 0.0
    while station and seconds > 0:
        remaining = seconds - (time.monotonic() - _last_closed.get(station, float("-inf")))
        if remaining <= 0:
            break
        started = time.monotonic()
        with timing("configured", "CSMS_SETTLE_TIME"):
            await asyncio.sleep(remaining)
        waited += time.monotonic() - started
    return waited


async def open_link(station: str, seconds: float, via: str) -> Link:
    """A new connection of ``station`` (``""``: one that carries no station's identity), started
    no earlier than ``seconds`` after its previous one closed; the caller opens the socket now."""
    waited = await settle(station, seconds)
    link = Link(station, via)
    now = time.monotonic()
    since = now - _last_closed.get(station, float("-inf"))
    _write("open", link, now, waited=round(waited, 3),
           since_close=round(since, 3) if since != float("inf") else None)
    return link


def last_closed(station: str) -> float | None:
    """time.monotonic() of the station's last completed close, None before its first."""
    return _last_closed.get(station)


def closed_elsewhere(station: str, at: float) -> None:
    """Another process of the run closed ``station``'s connection at ``at`` (time.monotonic(), one
    clock for the machine's processes): this one's next connection settles from then too."""
    _last_closed[station] = max(_last_closed.get(station, float("-inf")), at)


# ---------------------------------------------------------------- troubles of the running case
def trouble(cause: str) -> None:
    """A connection ended without an answer from the CSMS (refused, reset, silence, lost without a
    close frame): a sign, not a verdict, that the CSMS may have gone away."""
    _troubles.append(cause)


def troubles() -> list[str]:
    return list(_troubles)


def clear_troubles() -> None:
    _troubles.clear()
