"""The reports of a load run, beside the conformance reports (``reports/load/`` by default):
``load_summary.json`` (what a gate reads), ``load_actions.csv``, ``load_errors.csv``,
``load_timeline.csv`` and ``load.html`` (self-contained: tables and inline SVG plots of the stations
connected and the latency percentiles over time, no script, no network). While the run lasts,
``status.json`` says how many stations are connected (``under-load`` waits on it)."""
from __future__ import annotations

import csv
import json
import time
from datetime import datetime, timezone
from html import escape
from pathlib import Path
from typing import Any

from simulator.load.metrics import BUCKET, CONNECT, PERCENTILES, Run
from simulator.verdicts.trace import redact

SUMMARY = "load_summary.json"


def _iso(epoch: float | None) -> str | None:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="seconds") if epoch else None


def summary(run: Run, facts: dict[str, Any]) -> dict[str, Any]:
    total = run.total()
    started, ended = facts.get("started"), facts.get("ended") or time.time()
    stopping = facts.get("stopping") or ended  # Locust began to stop the stations: the run's end
    connected = [(t, n) for t, n in run.connected_series() if t < stopping]
    ended = min(ended, stopping)
    duration = max(1e-9, ended - started) if started else None
    requests = sum(n for a, n in total.requests.items() if a != CONNECT)
    failures = sum(n for a, n in total.failures.items() if a != CONNECT)
    connects = total.requests.get(CONNECT, 0) - total.failures.get(CONNECT, 0)
    per_second = [r[0] / BUCKET for _, r in sorted(total.rows.items())]
    workers = {}
    cpu = rss_grown = 0.0
    peak_stations = 0
    for worker, totals in sorted(run.workers.items()):
        res = run.resources.get(worker, {})
        used = res.get("cpu_s", 0.0) - res.get("cpu_base_s", 0.0)
        grown = res.get("rss_peak_mib", 0.0) - res.get("rss_base_mib", 0.0)
        cpu += used
        rss_grown += grown
        peak_stations += res.get("stations_peak", 0)
        workers[worker] = {"actions": totals.actions(), "stations_peak": res.get("stations_peak", 0),
                           "cpu_s": round(used, 2), "rss_peak_mib": res.get("rss_peak_mib"),
                           "rss_base_mib": res.get("rss_base_mib"), "gevent_lag_max_s": res.get("gevent_lag_max_s")}
    timeline = []
    for key, (conn, reqs, errs, hist) in sorted(total.rows.items()):
        timeline.append({"t": key, "connects": conn, "requests": reqs, "errors": errs, **hist.percentiles()})
    return {
        "kind": "ocpp-load-summary", "version": 1,
        "started": _iso(started), "ended": _iso(ended), "duration_s": round(duration, 1) if duration else None,
        **{k: facts.get(k) for k in ("target", "profile", "users", "spawn_rate", "connect_rate", "workers",
                                     "run_time", "machine", "load_average_start", "load_average_end")},
        "stations": {"peak_connected": max((n for _, n in connected), default=0),
                     "connected_at_end": connected[-1][1] if connected else 0,
                     "connects": connects, "connect_failures": total.failures.get(CONNECT, 0),
                     "connects_per_s_peak": max(per_second, default=0.0),
                     "connects_per_s_mean": round(connects / duration, 2) if duration else None},
        "requests": {"total": requests, "failures": failures,
                     "per_s_mean": round(requests / duration, 2) if duration else None},
        "actions": total.actions(),
        "csms_requests": dict(sorted(total.csms_requests.items())),
        "errors": {k: {"count": n, "examples": [redact(m) for m in total.examples.get(k, [])]}
                   for k, n in sorted(total.errors.items(), key=lambda kv: -kv[1])},
        "resources": {"cpu_s": round(cpu, 2),
                      "cpu_ms_per_request": round(cpu * 1000 / (requests + connects), 3) if requests + connects else None,
                      "rss_grown_mib": round(rss_grown, 1),
                      "kib_per_station": round(rss_grown * 1024 / peak_stations, 1) if peak_stations else None},
        "per_worker": workers,
        "workers_without_final_report": facts.get("workers_without_final_report", []),
        "connected": [[t, n] for t, n in connected],
        "timeline": timeline,
    }


def write_status(folder: Path, run: Run, facts: dict[str, Any]) -> None:
    """The run so far, for whoever waits on it (``python -m simulator.load under-load``)."""
    folder.mkdir(parents=True, exist_ok=True)
    total = run.total()
    status = {"connected": sum(run.level.values()), "stations": sum(run.stations.values()),
              "users": facts.get("users"), "requests": sum(total.requests.values()),
              "errors": sum(total.errors.values()), "at": time.time()}
    tmp = folder / "status.json.tmp"
    tmp.write_text(json.dumps(status))
    tmp.replace(folder / "status.json")


def write_reports(folder: Path, run: Run, facts: dict[str, Any]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    data = summary(run, facts)
    paths = [folder / SUMMARY, folder / "load_actions.csv", folder / "load_errors.csv",
             folder / "load_timeline.csv", folder / "load.html"]
    paths[0].write_text(json.dumps(data, indent=1), encoding="utf-8")
    with paths[1].open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["action", "requests", "failures", *(f"p{q}_ms" for q in PERCENTILES), "max_ms", "mean_ms"])
        for action, a in data["actions"].items():
            w.writerow([action, a["requests"], a["failures"], *(a[f"p{q}"] for q in PERCENTILES), a["max"], a["mean"]])
    with paths[2].open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["kind", "count", "example"])
        for kind, e in data["errors"].items():
            w.writerow([kind, e["count"], e["examples"][0] if e["examples"] else ""])
    with paths[3].open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["time", "connected_max", "connects", "requests", "errors", *(f"p{q}_ms" for q in PERCENTILES)])
        for r in data["timeline"]:  # one row per BUCKET seconds
            level = max((n for t, n in data["connected"] if r["t"] <= t < r["t"] + BUCKET), default="")
            w.writerow([_iso(r["t"]), level, r["connects"], r["requests"], r["errors"],
                        *(r[f"p{q}"] for q in PERCENTILES)])
    paths[4].write_text(html(data), encoding="utf-8")
    status = folder / "status.json"
    if status.exists():
        status.unlink()
    return paths


# ---------------------------------------------------------------- HTML
def _e(value: Any) -> str:
    return escape(redact("" if value is None else str(value)))


def _plot(title: str, series: dict[str, list[tuple[float, float]]], unit: str,
          width: int = 720, height: int = 220) -> str:
    """A line plot as inline SVG: x is time since the first point, y from 0 to the largest value."""
    colors = ["#2e6fd6", "#e69a1c", "#d63a2f", "#2e9e4f"]
    points = [p for s in series.values() for p in s]
    if not points:
        return f"<p><b>{_e(title)}</b>: no data</p>"
    x0, x1 = min(p[0] for p in points), max(p[0] for p in points)
    top = max(p[1] for p in points) or 1.0
    left, bottom, right, up = 60, 30, 10, 20
    sx = (width - left - right) / max(x1 - x0, 1e-9)
    sy = (height - bottom - up) / top
    out = [f'<figure style="margin:8px 0"><figcaption><b>{_e(title)}</b></figcaption>'
           f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'style="font:11px sans-serif;background:#fafafa;border:1px solid #ddd">']
    for i in range(5):  # horizontal grid with values
        value = top * i / 4
        y = height - bottom - value * sy
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e3e3e3"/>'
                   f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{value:.4g}</text>')
    out.append(f'<text x="{left}" y="{height - 8}">0 s</text><text x="{width - right}" y="{height - 8}" '
               f'text-anchor="end">{x1 - x0:.0f} s</text><text x="4" y="12">{_e(unit)}</text>')
    for (name, pts), color in zip(series.items(), colors):
        path = " ".join(f"{left + (x - x0) * sx:.1f},{height - bottom - y * sy:.1f}" for x, y in pts)
        out.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.6" points="{path}"/>')
    legend = "".join(f'<span style="color:{c}">&#9632; {_e(n)}</span> ' for n, c in zip(series, colors))
    out.append(f"</svg><div>{legend}</div></figure>")
    return "".join(out)


def _table(head: list[str], rows: list[list[Any]]) -> str:
    cells = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table border="1" cellspacing="0" cellpadding="3" style="border-collapse:collapse">' \
           f"<tr>{cells}</tr>{body}</table>"


def html(data: dict[str, Any]) -> str:
    st, rq, res = data["stations"], data["requests"], data["resources"]
    facts = [["CSMS", data["target"]], ["started / ended", f"{data['started']} / {data['ended']}"],
             ["stations (users) / workers", f"{data['users']} / {data['workers']}"],
             ["spawn rate / connect rate (per s)", f"{data['spawn_rate']} / {data['connect_rate']}"],
             ["peak connected / at end", f"{st['peak_connected']} / {st['connected_at_end']}"],
             ["connects (failed)", f"{st['connects']} ({st['connect_failures']})"],
             ["connects/s mean / peak", f"{st['connects_per_s_mean']} / {st['connects_per_s_peak']}"],
             ["requests (failed), per s", f"{rq['total']} ({rq['failures']}), {rq['per_s_mean']}"],
             ["load generator CPU s, ms per request", f"{res['cpu_s']}, {res['cpu_ms_per_request']}"],
             ["memory grown (MiB), KiB per station", f"{res['rss_grown_mib']}, {res['kib_per_station']}"],
             ["machine, load average start → end",
              f"{data['machine']}, {data['load_average_start']} → {data['load_average_end']}"],
             ["profile", data["profile"]]]
    actions = [[a, v["requests"], v["failures"], *(v[f"p{q}"] for q in PERCENTILES), v["max"], v["mean"]]
               for a, v in data["actions"].items()]
    errors = [[k, v["count"], "; ".join(v["examples"])] for k, v in data["errors"].items()]
    connected = {"connected": [(t, n) for t, n in data["connected"]]}
    latency = {f"p{q}": [(r["t"], r[f"p{q}"]) for r in data["timeline"] if r[f"p{q}"] is not None]
               for q in PERCENTILES}
    workers = [[w, v["stations_peak"], v["cpu_s"], v["rss_base_mib"], v["rss_peak_mib"], v["gevent_lag_max_s"],
                ", ".join(f"{a} {x['p99']}" for a, x in v["actions"].items())] for w, v in data["per_worker"].items()]
    missing = data.get("workers_without_final_report") or []
    return "".join([
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>OCPP load run</title></head>'
        '<body style="font:13px sans-serif;max-width:1000px">',
        "<h2>OCPP 2.0.1 load run</h2>", _table(["", ""], facts),
        f"<p style='color:#c0392b'>no last report from worker(s) {_e(missing)}: their last seconds are missing</p>"
        if missing else "",
        _plot("Stations connected", connected, "stations"),
        _plot(f"Latency of the stations' requests ({BUCKET} s windows, all actions)", latency, "ms"),
        "<h3>Per action (ms, exact over all workers)</h3>",
        _table(["action", "requests", "failures", *(f"p{q}" for q in PERCENTILES), "max", "mean"], actions),
        "<h3>Errors by kind</h3>", _table(["kind", "count", "examples"], errors) if errors else "<p>none</p>",
        "<h3>The CSMS's own requests, answered by the stations</h3>",
        _table(["action", "count"], [[a, n] for a, n in data["csms_requests"].items()])
        if data["csms_requests"] else "<p>none</p>",
        "<h3>Per worker (exact, before merging)</h3>",
        _table(["worker", "stations", "CPU s", "RSS base MiB", "RSS peak MiB", "gevent late at most (s)",
                "p99 per action (ms)"], workers),
        "</body></html>"])
