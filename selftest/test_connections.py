"""A station never reconnects faster than a real one (issue 23, item 1): against a standalone
reference CSMS with CSMS_SETTLE_TIME=1, every connection the run opens (admission and TLS probes,
reconnects inside a case, reboots, the next case's, the preflight's and the setup check's) starts at
least 1 s after the same station's previous connection closed on both sides. The times come from the
run's ``connections.jsonl``.

Which cases: every case that opens more than one connection of a station (all of block A with its
upgrade and TLS probes; block B's resets, reboots, Pending close and subprotocol upgrades; block E's
offline periods; block L's firmware reboots), and one case of every other block for the gap between
one case and the next. The rest of the suite opens one connection per case the way those do, and
every connection goes through the same place (``simulator.wire.connections``), so running all 254
items here (a second per connection, one after another) would add minutes and no path.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from selftest.support import run_cases, standalone_csms

RECONNECTING = ["TC_A", "TC_B_01", "TC_B_20", "TC_B_21", "TC_B_22", "TC_B_25", "TC_B_26", "TC_B_27", "TC_B_30",
                "TC_B_58", "TC_E_29", "TC_E_31", "TC_E_33", "TC_L_01", "TC_L_02", "TC_L_03", "TC_L_07", "TC_L_08",
                "TC_L_09", "TC_L_10", "TC_L_11", "TC_L_13"]
ONE_PER_BLOCK = ["TC_C_02", "TC_D_01", "TC_F_01", "TC_G_03", "TC_H_01", "TC_I_01", "TC_J_01", "TC_K_01", "TC_M_01",
                 "TC_N_01", "TC_O_01", "TC_P_02"]
SETTLE = 1.0


def gaps(log: Path) -> tuple[list[tuple[float, str, str, str]], Counter]:
    """For every connection that follows an earlier one of the same station: (seconds since that
    station's last completed close, station, case, how it was opened); and how many opened, by how."""
    events = sorted((json.loads(line) for line in log.read_text().splitlines()),
                    key=lambda e: (e["pid"], e["mono"]))
    last_closed: dict[tuple[int, str], float] = {}
    found, opened = [], Counter()
    for event in events:
        key = (event["pid"], event["station"])
        if event["event"] == "closed":
            last_closed[key] = event["mono"]
            continue
        opened[event["via"]] += 1
        if key in last_closed:
            found.append((event["mono"] - last_closed[key], event["station"], event["case"], event["via"]))
    return sorted(found), opened


def test_no_station_reconnects_within_the_settle_time(tmp_path: Path) -> None:
    with standalone_csms() as csms:
        run = run_cases(" or ".join(RECONNECTING + ONE_PER_BLOCK), env=csms.env(CSMS_SETTLE_TIME=str(SETTLE)),
                        keep=tmp_path, timeout=600, preflight=True)  # the preflight's and the setup check's count too
    verdicts = run.verdicts()
    assert run.returncode == 0 and set(verdicts.values()) <= {"passed", "skipped"}, run.output[-3000:]
    found, opened = gaps(tmp_path / "connections.jsonl")
    assert set(opened) == {"websocket", "upgrade probe", "tls probe", "tls too low probe", "setup tls check"}, opened
    assert len(found) > len(verdicts), (len(found), len(verdicts))  # reconnects inside cases, not only between them
    too_soon = [gap for gap in found if gap[0] < SETTLE]
    assert not too_soon, too_soon[:5]
    shortest, station, case, via = found[0]
    print(f"{sum(opened.values())} connections ({dict(opened)}) in {len(verdicts)} items; shortest close-to-connect "
          f"gap {shortest:.3f} s ({station}, {case}, {via}); run {run.summary['total_seconds']} s")
