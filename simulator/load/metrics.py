"""What a load run measures, exactly: latencies per action as histograms of whole microseconds (sums
of counts, so merging the workers' histograms gives the exact percentiles of the whole run, where
Locust's own statistics round), errors by kind, connects, and stations connected over time.

A :class:`Recorder` lives in each process that runs stations; every few seconds it hands what it
gathered since the last time to whoever merges (:meth:`Recorder.take`), as plain lists and numbers
(Locust's master-worker messages carry them). A :class:`Run` merges those, per worker and in total,
and computes the summary the reports show."""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

#: seconds per row of the timeline (requests, errors, latency percentiles over time)
BUCKET = 5
PERCENTILES = (50, 95, 99)
#: examples kept per error kind (one-line messages)
EXAMPLES = 3
CONNECT = "connect"  # the WebSocket upgrade, measured like an action


@dataclass
class Histogram:
    """Values in integer units (``scale`` per second) → how often; exact and mergeable."""
    scale: float = 1e6
    counts: Counter = field(default_factory=Counter)

    def add(self, seconds: float) -> None:
        self.counts[max(0, round(seconds * self.scale))] += 1

    def update(self, pairs: Iterable[Iterable[int]]) -> None:
        for value, n in pairs:
            self.counts[int(value)] += int(n)

    def pairs(self) -> list[list[int]]:
        return [[v, n] for v, n in sorted(self.counts.items())]

    @property
    def count(self) -> int:
        return sum(self.counts.values())

    def percentiles(self, qs: Iterable[float] = PERCENTILES) -> dict[str, float | None]:
        """Nearest rank: the smallest value with at least q % of the values at or below it, in ms."""
        qs = list(qs)
        total = self.count
        out: dict[str, float | None] = {f"p{q:g}": None for q in qs}
        if not total:
            return out
        ranks = {q: max(1, -(-q * total // 100)) for q in qs}  # ceil(q/100 * total)
        seen = 0
        pending = sorted(qs, key=lambda q: ranks[q])
        for value, n in sorted(self.counts.items()):
            seen += n
            while pending and ranks[pending[0]] <= seen:
                out[f"p{pending.pop(0):g}"] = self._ms(value)
            if not pending:
                break
        return out

    def max_ms(self) -> float | None:
        return self._ms(max(self.counts)) if self.counts else None

    def mean_ms(self) -> float | None:
        total = self.count
        return round(sum(v * n for v, n in self.counts.items()) / total * 1000 / self.scale, 3) if total else None

    def _ms(self, value: int) -> float:
        return round(value * 1000 / self.scale, 3)


@dataclass
class Recorder:
    """One process's measurements since the last :meth:`take` (``connected`` is a level, kept)."""
    latency: dict[str, Histogram] = field(default_factory=dict)   # answered requests, per action
    requests: Counter = field(default_factory=Counter)            # per action, answered or not
    failures: Counter = field(default_factory=Counter)            # per action
    errors: Counter = field(default_factory=Counter)              # per kind ("callerror:SecurityError")
    examples: dict[str, list[str]] = field(default_factory=dict)
    csms_requests: Counter = field(default_factory=Counter)       # the CSMS's own requests, answered
    rows: dict[int, dict[str, Any]] = field(default_factory=dict)  # timeline bucket → counts, latency
    connected_at: dict[int, int] = field(default_factory=dict)    # second → stations connected
    connected: int = 0
    stations: int = 0  # stations living in this process

    def _row(self, at: float) -> dict[str, Any]:
        key = int(at // BUCKET * BUCKET)
        row = self.rows.get(key)
        if row is None:
            row = self.rows[key] = {"connects": 0, "requests": 0, "errors": 0, "latency": Histogram(1e4)}
        return row

    def request(self, action: str, seconds: float | None, error: str | None = None, message: str = "",
                at: float | None = None) -> None:
        """A request of a station: ``seconds`` until its answer (None: none came), ``error`` its kind."""
        row = self._row(time.time() if at is None else at)
        self.requests[action] += 1
        row["requests"] += 1
        if seconds is not None:
            self.latency.setdefault(action, Histogram()).add(seconds)
            if action != CONNECT:
                row["latency"].add(seconds)
        if error is not None:
            self.failures[action] += 1
            if error != "connection_lost":  # a lost connection is counted once, as the connection's event
                self.error(error, message, at)
        elif action == CONNECT:
            row["connects"] += 1
            self.connected += 1

    def error(self, kind: str, message: str = "", at: float | None = None) -> None:
        self.errors[kind] += 1
        self._row(time.time() if at is None else at)["errors"] += 1
        kept = self.examples.setdefault(kind, [])
        if message and len(kept) < EXAMPLES and message not in kept:
            kept.append(message[:300])

    def csms_request(self, action: str) -> None:
        self.csms_requests[action] += 1

    def disconnected(self) -> None:
        self.connected = max(0, self.connected - 1)

    def sample(self, at: float | None = None) -> None:
        """Stations connected now (once a second)."""
        self.connected_at[int(time.time() if at is None else at)] = self.connected

    def take(self) -> dict[str, Any]:
        """Everything since the last take, as plain data; the counters start again."""
        data = {
            "latency": {a: h.pairs() for a, h in self.latency.items()},
            "requests": dict(self.requests), "failures": dict(self.failures), "errors": dict(self.errors),
            "examples": self.examples, "csms_requests": dict(self.csms_requests),
            "rows": [[k, r["connects"], r["requests"], r["errors"], r["latency"].pairs()]
                     for k, r in sorted(self.rows.items())],
            "connected_at": sorted(self.connected_at.items()), "connected": self.connected,
            "stations": self.stations,
        }
        connected, stations = self.connected, self.stations
        self.__init__()  # type: ignore[misc]
        self.connected, self.stations = connected, stations
        return data


@dataclass
class Totals:
    """The merged measurements of one worker, or of all."""
    latency: dict[str, Histogram] = field(default_factory=dict)
    requests: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    csms_requests: Counter = field(default_factory=Counter)
    rows: dict[int, list[Any]] = field(default_factory=dict)  # bucket → [connects, requests, errors, Histogram]

    def add(self, data: dict[str, Any]) -> None:
        for action, pairs in data["latency"].items():
            self.latency.setdefault(action, Histogram()).update(pairs)
        for name in ("requests", "failures", "errors", "csms_requests"):
            getattr(self, name).update(data[name])
        for kind, messages in data["examples"].items():
            kept = self.examples.setdefault(kind, [])
            kept += [m for m in messages if m not in kept][: EXAMPLES - len(kept)]
        for key, connects, requests, errors, pairs in data["rows"]:
            row = self.rows.setdefault(int(key), [0, 0, 0, Histogram(1e4)])
            row[0] += connects
            row[1] += requests
            row[2] += errors
            row[3].update(pairs)

    def actions(self) -> dict[str, dict[str, Any]]:
        out = {}
        for action in sorted(self.requests, key=lambda a: (a != CONNECT, a)):
            h = self.latency.get(action, Histogram())
            out[action] = {"requests": self.requests[action], "failures": self.failures.get(action, 0),
                           **h.percentiles(), "max": h.max_ms(), "mean": h.mean_ms()}
        return out


@dataclass
class Run:
    """A whole run as the merging process sees it: each worker's totals, and the sum."""
    workers: dict[str, Totals] = field(default_factory=dict)
    connected_at: dict[str, dict[int, int]] = field(default_factory=dict)  # worker → second → level
    level: dict[str, int] = field(default_factory=dict)
    stations: dict[str, int] = field(default_factory=dict)
    resources: dict[str, dict[str, float]] = field(default_factory=dict)  # worker → cpu_s, rss_mib, …

    def add(self, worker: str, data: dict[str, Any]) -> None:
        self.workers.setdefault(worker, Totals()).add(data)
        self.connected_at.setdefault(worker, {}).update({int(s): int(n) for s, n in data["connected_at"]})
        self.level[worker] = data["connected"]
        self.stations[worker] = data["stations"]
        if data.get("resources"):
            seen = self.resources.get(worker, {})
            now = dict(data["resources"])
            # memory per station: the process's largest size, with the most stations it held
            now["rss_peak_mib"] = max(now["rss_mib"], seen.get("rss_peak_mib", 0.0))
            now["stations_peak"] = max(data["stations"], seen.get("stations_peak", 0))
            now["gevent_lag_max_s"] = max(now.get("gevent_lag_max_s", 0.0), seen.get("gevent_lag_max_s", 0.0))
            self.resources[worker] = now

    def total(self) -> Totals:
        merged = Totals()
        for totals in self.workers.values():
            merged.add(_as_data(totals))
        return merged

    def connected_series(self) -> list[tuple[int, int]]:
        """Stations connected per second, summed over the workers (each worker's last level carried on)."""
        seconds = sorted({s for series in self.connected_at.values() for s in series})
        if not seconds:
            return []
        last = {w: 0 for w in self.connected_at}
        out = []
        for second in range(seconds[0], seconds[-1] + 1):
            for worker, series in self.connected_at.items():
                if second in series:
                    last[worker] = series[second]
            out.append((second, sum(last.values())))
        return out


def _as_data(t: Totals) -> dict[str, Any]:
    return {"latency": {a: h.pairs() for a, h in t.latency.items()}, "requests": t.requests,
            "failures": t.failures, "errors": t.errors, "examples": t.examples, "csms_requests": t.csms_requests,
            "rows": [[k, r[0], r[1], r[2], r[3].pairs()] for k, r in t.rows.items()]}
