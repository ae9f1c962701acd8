"""``python -m simulator.bench [--stations 1 100]``: connect, boot and heartbeat timings against the
reference CSMS on loopback (median and p95 in ms), plus peak memory of the process."""
from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import time

from reference_csms.config import CsmsConfig, StationReg
from reference_csms.embedded import EmbeddedCsms

from simulator.cli import run
from simulator.verdicts.checks import CaseFailure
from simulator.settings import Settings
from simulator.station.station import Station
from simulator.station.states import boot_notification
from simulator.verdicts.trace import Trace
from simulator.wire.transport import Credentials, Endpoint

PASSWORD = "bench-password-0123456789"


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


async def _one(settings: Settings, endpoint: Endpoint, station_id: str) -> tuple[float, float, float]:
    station = Station(settings, Credentials(station_id, 1, PASSWORD), endpoint, Trace())
    t0 = time.perf_counter()
    await station.connect()
    t1 = time.perf_counter()
    await boot_notification(station)
    t2 = time.perf_counter()
    await station.send("Heartbeat", {})
    t3 = time.perf_counter()
    await station.close()
    return (t1 - t0) * 1000, (t2 - t1) * 1000, (t3 - t2) * 1000


async def run(counts: list[int]) -> list[str]:
    most = max(counts)
    config = CsmsConfig(wss_port=None, stations=[StationReg(f"BENCH_{i}", PASSWORD, 1) for i in range(most)])
    csms = EmbeddedCsms(config)
    csms.start()
    try:
        settings = Settings(_env_file=None, CSMS_ADDRESS=csms.ws_url, CSMS_RESPONSE_TIMEOUT=30)
        endpoint = Endpoint(csms.ws_url, None, None, 30)
        rows = ["| stations | errors | connect median / p95 (ms) | boot median / p95 (ms) | "
                "heartbeat median / p95 (ms) | connect+boot+heartbeat median (ms) | wall (s) |",
                "|---|---|---|---|---|---|---|"]
        for n in counts:
            started = time.perf_counter()
            results = await asyncio.gather(*(_one(settings, endpoint, f"BENCH_{i}") for i in range(n)),
                                           return_exceptions=True)
            wall = time.perf_counter() - started
            ok = [r for r in results if isinstance(r, tuple)]
            errors = len(results) - len(ok)
            cols = list(zip(*ok)) if ok else [[0.0], [0.0], [0.0]]
            total = statistics.median(a + b + c for a, b, c in ok) if ok else 0.0
            rows.append(f"| {n} | {errors} | " + " | ".join(
                f"{statistics.median(c):.1f} / {_p95(list(c)):.1f}" for c in cols) + f" | {total:.1f} | {wall:.2f} |")
            for r in results:
                if isinstance(r, (Exception, CaseFailure)) and not isinstance(r, tuple):
                    rows.append(f"  error: {r}")
                    break
    finally:
        csms.stop()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows.append(f"peak memory (harness and reference CSMS in one process): {peak:.1f} MiB")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stations", type=int, nargs="+", default=[1, 100])
    args = parser.parse_args()
    for line in asyncio.run(run(args.stations)):
        print(line)


if __name__ == "__main__":
    run(main)
