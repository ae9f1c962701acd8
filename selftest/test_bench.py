"""The benchmark runs and reports no errors for a few concurrent stations."""
from __future__ import annotations

from simulator.bench import run


async def test_bench_reports_timings_without_errors() -> None:
    rows = await run([1, 5])
    assert rows[2].startswith("| 1 | 0 |") and rows[3].startswith("| 5 | 0 |"), rows
    assert rows[-1].startswith("peak memory")
