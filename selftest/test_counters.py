"""The stations' counters (simulator.station.counters): kept per CSMS and station across runs, never
the same number twice when processes take them at once, and two runs against one CSMS send it
disjoint eventIds and chargingSchedule ids."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from selftest.support import ROOT, run_cases, standalone_csms
from simulator.station.counters import FILE_NAME, IdCounters, StateFileError, describe, fresh_start, reset


def test_a_counter_runs_on_across_instances_per_csms_and_station(tmp_path: Path) -> None:
    a = IdCounters(tmp_path, "ws://csms-a/ocpp", "CP_1")
    first = a.next("eventId")
    assert abs(first - fresh_start()) <= 2  # a counter the file did not hold starts from the clock
    assert a.next("eventId") == first + 1
    assert IdCounters(tmp_path, "ws://csms-a/ocpp", "CP_1").next("eventId") == first + 2  # "after a reboot"
    assert a.take("chargingScheduleId", 3) + 3 == a.next("chargingScheduleId")
    other_csms = IdCounters(tmp_path, "ws://csms-b/ocpp", "CP_1").next("eventId")
    other_station = IdCounters(tmp_path, "ws://csms-a/ocpp", "CP_2").next("eventId")
    assert other_csms < first + 2 and other_station < first + 2  # their own counters
    data = json.loads((tmp_path / FILE_NAME).read_text())
    assert data["ws://csms-a/ocpp"]["CP_1"]["eventId"] == first + 3
    assert "ws://csms-b/ocpp" in describe(tmp_path)


def test_reset_forgets_one_csms_or_all(tmp_path: Path) -> None:
    IdCounters(tmp_path, "ws://a/ocpp", "CP_1").next("eventId")
    IdCounters(tmp_path, "ws://b/ocpp", "CP_1").next("eventId")
    assert reset(tmp_path, "ws://a/ocpp/").startswith("forgot")
    assert set(json.loads((tmp_path / FILE_NAME).read_text())) == {"ws://b/ocpp"}
    assert reset(tmp_path).startswith("deleted") and not (tmp_path / FILE_NAME).exists()


def test_a_broken_state_file_is_one_line_naming_it(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_text("{not json")
    with pytest.raises(StateFileError, match=r"counters.json is not valid JSON: delete it"):
        IdCounters(tmp_path, "ws://a/ocpp", "CP_1").next("eventId")


def test_the_command_shows_and_resets_the_file(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "STATION_STATE_DIR": str(tmp_path)}
    IdCounters(tmp_path, "ws://a/ocpp", "CP_1").next("eventId")
    shown = subprocess.run([sys.executable, "-m", "simulator.station.counters"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0 and "ws://a/ocpp" in shown.stdout and "next eventId" in shown.stdout, shown
    done = subprocess.run([sys.executable, "-m", "simulator.station.counters", "--reset"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and not (tmp_path / FILE_NAME).exists(), done


TAKE = """
import sys
from simulator.station.counters import IdCounters
c = IdCounters(sys.argv[1], "ws://shared/ocpp", "CP_1")
print(" ".join(str(c.next("eventId")) for _ in range(int(sys.argv[2]))))
"""


def test_processes_taking_numbers_at_once_never_get_the_same(tmp_path: Path) -> None:
    """As parallel workers and parallel pytest processes do: every number is taken under the lock."""
    count = 150
    procs = [subprocess.Popen([sys.executable, "-c", TAKE, str(tmp_path), str(count)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True) for _ in range(3)]
    numbers = [int(n) for p in procs for n in p.communicate(timeout=120)[0].split()]
    assert all(p.returncode == 0 for p in procs)
    assert len(numbers) == 3 * count and len(set(numbers)) == len(numbers)
    assert max(numbers) - min(numbers) == len(numbers) - 1  # and none was lost


def _ids(reports: Path) -> dict[str, set[int]]:
    """The eventIds and chargingSchedule ids in the frames of a run's reports."""
    text = "\n".join(p.read_text() for p in (reports / "allure-results").glob("*-attachment.txt"))
    return {"eventId": {int(v) for v in re.findall(r'"eventId":\s*(\d+)', text)},
            "chargingSchedule.id": {int(v) for v in re.findall(r'"chargingSchedule":\s*\[\{"id":\s*(\d+)', text)}}


def test_two_runs_against_one_csms_send_it_disjoint_ids(tmp_path: Path) -> None:
    """A CSMS that keeps eventIds and schedule ids unique per station (as real ones do) takes a rerun."""
    seen = []
    with standalone_csms() as csms:
        for n in (1, 2):
            run = run_cases("TC_K_48 or TC_K_52 or TC_G_20", env=csms.env(), keep=tmp_path / f"run{n}")
            assert run.returncode == 0, run.output[-3000:]
            seen.append(_ids(tmp_path / f"run{n}"))
    for kind in ("eventId", "chargingSchedule.id"):
        assert seen[0][kind] and seen[1][kind], (kind, seen)
        assert not seen[0][kind] & seen[1][kind], (kind, seen)
