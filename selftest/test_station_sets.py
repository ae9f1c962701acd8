"""Parallel station sets against one CSMS (CSMS_STATION_SETS, issue 25): derived ids, what the CSMS
must hold, the workers' sets and turns, and the proof that matters: a run on several sets gives the
verdicts of a run on one, against a standalone reference CSMS that is busy and has faults, without
two processes ever using one station id at once and with the settle time between a station's
connections kept across workers."""
from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from conftest import station_set_numbers
from reference_csms.suite_config import config_from_settings
from selftest.support import ROOT, retried, run_cases, standalone_csms
from simulator.provisioning.build import build
from simulator.settings import Settings, set_station_ids, station_set, station_set_problem
from simulator.station_sets import SHARED_STATE, Turns
from simulator.wire import connections


def _settings(**given: Any) -> Settings:
    return Settings(_env_file=None, **given)


# ---------------------------------------------------------------- ids
def test_set_k_derives_every_station_id_but_the_certificate_bound_one() -> None:
    s = _settings(CSMS_STATION_SETS=3)
    assert set_station_ids(s, 1) == {"BASIC_AUTH_CP": "CP_1", "SECURITY_PROFILE_2_CP": "CP_2",
                                     "SECURITY_PROFILE_3_CP": "CP_3", "CONFIGURED_PASSWORD_UPDATE_CP": "CP_PWD",
                                     "CONFIGURED_PROFILE_UPGRADE_CP": "CP_UPGRADE"}
    third = station_set(s, 3)
    assert (third.BASIC_AUTH_CP, third.SECURITY_PROFILE_2_CP, third.SECURITY_PROFILE_3_CP) == ("CP_1-3", "CP_2-3", "CP_3")
    assert station_set(_settings(CSMS_STATION_SETS=2, CSMS_STATION_SET_ID="s{set}_{id}"), 2).BASIC_AUTH_CP == "s2_CP_1"
    upgraded = _settings(CSMS_STATION_SETS=2, CONFIGURED_SECURITY_PROFILE=3)  # TC_A_19 then needs its certificate
    assert station_set(upgraded, 2).CONFIGURED_PROFILE_UPGRADE_CP == "CP_UPGRADE"


@pytest.mark.parametrize("pattern, says", [
    ("{id}", r"must contain \{id\} and \{set\}"),
    ("{id}-{worker}", r"only \{id\} and \{set\} may appear in braces"),
    ("{id} {set}", r"set 2's id for BASIC_AUTH_CP \('CP_1 2'\): must be a station identity"),
    ("{id}{set}", None),
])
def test_a_pattern_that_cannot_derive_ids_stops_in_one_line(pattern: str, says: str | None) -> None:
    problem = station_set_problem(_settings(CSMS_STATION_SETS=3, CSMS_STATION_SET_ID=pattern))
    if says is None:
        assert problem is None
    else:
        assert problem and "\n" not in problem and problem.startswith("setting CSMS_STATION_SET_ID: ")
        assert __import__("re").search(says, problem), problem


def test_two_sets_deriving_one_id_stop() -> None:
    s = _settings(CSMS_STATION_SETS=3, BASIC_AUTH_CP="CP", SECURITY_PROFILE_2_CP="CP-2")  # set 2's CP is CP-2
    assert station_set_problem(s) == ("setting CSMS_STATION_SET_ID: set 2 derives 'CP-2' for BASIC_AUTH_CP, "
                                      "an id set 1 uses")


def test_the_manifest_and_the_suite_registration_hold_every_set() -> None:
    s = _settings(CSMS_STATION_SETS=3)
    ids = {station.id for station in build(s).stations}
    assert {"CP_1", "CP_1-2", "CP_1-3", "CP_2-3", "CP_PWD-2", "CP_UPGRADE-3", "CP_3"} <= ids
    assert "CP_3-2" not in ids
    assert [t.station for t in build(s).tariffs] == ["CP_1", "CP_1-2", "CP_1-3"]
    registered = {station.id for station in config_from_settings(s).stations}
    assert ids <= registered


# ---------------------------------------------------------------- workers and their sets
def _config(worker: int, workers: int) -> Any:
    return SimpleNamespace(workerinput={"workerid": f"gw{worker}", "workercount": workers})


def test_each_worker_plays_its_own_sets() -> None:
    assert station_set_numbers(SimpleNamespace(), 4) == [1]
    assert [station_set_numbers(_config(w, 4), 4) for w in range(4)] == [[1], [2], [3], [4]]
    assert [station_set_numbers(_config(w, 4), 8) for w in range(4)] == [[1, 5], [2, 6], [3, 7], [4, 8]]
    played = [n for w in range(3) for n in station_set_numbers(_config(w, 3), 7)]
    assert sorted(played) == list(range(1, 8))  # every set once


def _pytest(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in __import__("os").environ.items() if not k.startswith(("CSMS_", "REFERENCE_CSMS"))}
    return subprocess.run([sys.executable, "-m", "pytest", "tests", "-p", "no:cacheprovider", *args], cwd=ROOT,
                          env={**environment, **env}, capture_output=True, text=True, timeout=120)


def test_more_workers_than_sets_stop_in_one_line() -> None:
    done = _pytest("-n", "3", "-k", "TC_B_01", CSMS_ADDRESS="ws://127.0.0.1:9", CSMS_STATION_SETS="2",
                   CSMS_OPERATOR="command", CSMS_OPERATOR_COMMAND="true")
    assert done.returncode == 4, done.stdout + done.stderr
    assert ("-n 3: against CSMS_ADDRESS each parallel worker plays a station set of its own and CSMS_STATION_SETS "
            "is 2; set CSMS_STATION_SETS=3") in done.stderr


def test_the_manual_operator_runs_one_set() -> None:
    done = _pytest("--collect-only", "-q", "-k", "TC_B_01", CSMS_ADDRESS="ws://127.0.0.1:9", CSMS_STATION_SETS="4",
                   CSMS_OPERATOR="manual")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "CSMS_STATION_SETS=4: the manual operator runs one station set, one case at a time" in done.stderr
    assert "created:" not in done.stdout  # no workers


# ---------------------------------------------------------------- turns between workers
def _hold(folder: str, exclusive: bool, stations: list[str], seconds: float, log: str, name: str) -> None:
    """A case of another worker: its turn until ``folder``/release exists (at least ``seconds``); its
    stations' connections close at its end."""
    turns = Turns(Path(folder))
    turns.take(exclusive, stations)
    start = time.monotonic()
    (Path(folder) / f"{name}.took").touch()
    handed = {station: connections.last_closed(station) for station in stations}  # what the last holder left
    time.sleep(seconds)
    while not (Path(folder) / "release").exists():
        time.sleep(0.01)
    end = time.monotonic()
    for station in stations:
        connections.closed_elsewhere(station, end)
    with open(log, "a") as f:
        f.write(json.dumps({"name": name, "start": start, "end": end, "handed": handed}) + "\n")
    turns.give_back()


def _until(condition: Any, what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


def _gate_taken(folder: Path) -> bool:
    import fcntl
    with open(folder / ".station-sets.gate", "a") as gate:
        try:
            fcntl.flock(gate, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
    return False


def _intervals(log: Path) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in map(json.loads, log.read_text().splitlines())}


def test_a_shared_state_case_runs_alone_and_a_waiting_one_is_not_starved(tmp_path: Path) -> None:
    assert {"TC_N_30", "TC_N_62", "TC_N_63"} <= set(SHARED_STATE)
    log, spawn = tmp_path / "log.jsonl", multiprocessing.get_context("spawn")

    def start(name: str, exclusive: bool) -> Any:
        process = spawn.Process(target=_hold, args=(str(tmp_path), exclusive, [], 0.0, str(log), name))
        process.start()
        return process
    readers = [start("r0", False), start("r1", False)]
    _until(lambda: all((tmp_path / f"r{i}.took").exists() for i in range(2)), "both readers hold a turn")
    writer = start("w", True)
    _until(lambda: _gate_taken(tmp_path), "the writer waits, holding the gate")
    late = start("late", False)
    time.sleep(0.2)  # the late reader asks meanwhile (before or behind the gate: either way behind the writer)
    (tmp_path / "release").touch()
    for process in (*readers, writer, late):
        process.join(30)
    got = _intervals(log)
    assert got["r0"]["start"] < got["r1"]["end"] and got["r1"]["start"] < got["r0"]["end"]  # shared turns overlap
    assert got["w"]["start"] >= max(got["r0"]["end"], got["r1"]["end"])  # the writer waited for both
    assert got["late"]["start"] >= got["w"]["end"]  # and the reader that came after it waited behind it


def test_a_certificate_bound_station_is_held_by_one_case_and_its_close_handed_on(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    spawn = multiprocessing.get_context("spawn")
    first = spawn.Process(target=_hold, args=(str(tmp_path), False, ["CP_3"], 0.4, str(log), "first"))
    first.start()
    _until(lambda: (tmp_path / "first.took").exists(), "the first case holds CP_3")
    (tmp_path / "release").touch()  # it lets go after its 0.4 s
    second = spawn.Process(target=_hold, args=(str(tmp_path), False, ["CP_3"], 0.0, str(log), "second"))
    second.start()
    for process in (first, second):
        process.join(20)
    got = _intervals(log)
    assert got["first"]["handed"] == {"CP_3": None}
    assert got["second"]["start"] >= got["first"]["end"]  # one holder at a time
    assert got["second"]["handed"] == {"CP_3": got["first"]["end"]}  # its settle counts from the first's close
    Turns(tmp_path).remove()
    assert not list(tmp_path.glob(".station-sets.*"))


# ---------------------------------------------------------------- the proof: one set's verdicts
SELECT = "TC_A or TC_C or TC_N"
# Faults whose failures are the cases' own, whatever the busy CSMS's random requests do. (With
# heartbeat_local_time, a busy TriggerMessage Heartbeat failed whichever case it fell into: TC_C_51
# and TC_C_40 once each on three sets and not on one.)
FAULTS = ["customer_info_wrong_identifier", "ignore_group_id"]
SETTLE = 0.2


def _overlaps(log: Path) -> tuple[list[tuple[str, str, str]], float, float]:
    """Station ids two processes had open at once, the shortest close-to-connect gap of a station id,
    and the shortest of an id whose two connections came from different processes."""
    events = sorted((json.loads(line) for line in log.read_text().splitlines()), key=lambda e: e["mono"])
    opened: dict[str, dict[tuple[int, int], str]] = {}
    last: dict[str, tuple[float, int]] = {}
    clashes, shortest, across = [], float("inf"), float("inf")
    for e in events:
        held = opened.setdefault(e["station"], {})
        if e["event"] == "open":
            clashes += [(e["station"], e["case"], other) for (pid, _), other in held.items() if pid != e["pid"]]
            if e["station"] in last and not held:
                gap = e["mono"] - last[e["station"]][0]
                shortest = min(shortest, gap)
                across = min(across, gap) if last[e["station"]][1] != e["pid"] else across
            held[(e["pid"], e["link"])] = e["case"]
        else:
            held.pop((e["pid"], e["link"]), None)
            last[e["station"]] = (e["mono"], e["pid"])
    return clashes, shortest, across


def _one_and_three(seed: str, reports: Path) -> tuple[Any, Any]:
    """The selection on one set (serial) and on three sets (shuffled), against one busy faulty CSMS."""
    with standalone_csms("--suite", "--option", "busy", "--seed", seed, *[a for f in FAULTS for a in ("--fault", f)],
                         env={"CSMS_STATION_SETS": "3"}) as csms:
        env = csms.env(CSMS_SETTLE_TIME=str(SETTLE), CSMS_STATION_SETS="3")
        one = run_cases(SELECT, env=env, args=["-n", "0"], timeout=600)
        three = run_cases(SELECT, env=env, args=["-n", "3", "--shuffle", "7"], timeout=600, keep=reports,
                          preflight=True)
    return one, three


def _differences(one: Any, three: Any) -> dict[str, tuple[str, str, str | None, str | None]]:
    return {c: (v, one.reasons()[c], three.verdicts().get(c), three.reasons().get(c))
            for c, v in one.verdicts().items() if three.verdicts().get(c) != v}


def test_three_sets_shuffled_give_the_verdicts_of_one(tmp_path: Path) -> None:
    one, three = _one_and_three("11", tmp_path / "first")
    reports = tmp_path / "first"
    if _differences(one, three):
        # A busy CSMS's random requests fall differently in a run on one set and on three; a difference
        # they made does not recur with another seed, one the sets made does (named here either way)
        retried(f"verdicts differed with busy seed 11, once more with seed 7919: {_differences(one, three)}")
        one, three = _one_and_three("7919", tmp_path / "second")
        reports = tmp_path / "second"
    assert "3 parallel workers" in three.output or "created: 3/3 workers" in three.output, three.output[-2000:]
    verdicts = one.verdicts()
    assert len(verdicts) > 50 and {"passed", "failed"} <= set(verdicts.values()), verdicts
    assert three.verdicts() == verdicts, _differences(one, three)
    clashes, shortest, across = _overlaps(reports / "connections.jsonl")
    assert not clashes, clashes[:5]
    assert shortest >= SETTLE, shortest  # shuffled, each set's stations keep the settle time
    assert across >= SETTLE, across  # the certificate-bound station's close, handed from one worker to the next
    assert not list(reports.glob(".station-sets.*"))  # the turns' files are removed after the run


def test_a_python_operator_acts_for_two_sets_at_once(tmp_path: Path) -> None:
    """Each worker's operator drives the CSMS for its own set's stations at the same time as the
    other's (their first calls wait for each other), and each answer reaches its own case."""
    record = tmp_path / "calls.jsonl"
    cases = ["TC_F_06", "TC_F_20", "TC_B_20", "TC_F_01"]
    with standalone_csms(env={"CSMS_STATION_SETS": "2"}) as csms:
        run = run_cases(" or ".join(cases), args=["-n", "2"], timeout=300, env={
            "CSMS_ADDRESS": csms.ws, "CSMS_STATION_SETS": "2", "MY_CSMS_API": csms.api, "RECORD_FILE": str(record),
            "CSMS_OPERATOR": "python:selftest.recording_operator:Recording"})
    assert run.verdicts() == {case: "passed" for case in cases}, (run.reasons(), run.output[-2000:])
    calls = [json.loads(line) for line in record.read_text().splitlines()]
    stations_of = {pid: {c["station"] for c in calls if c["pid"] == pid} for pid in {c["pid"] for c in calls}}
    assert sorted(map(sorted, stations_of.values())) == [["CP_1"], ["CP_1-2"]], stations_of
    starts = sorted(c["at"] for c in calls if c["event"] == "start")
    first_end = min(c["at"] for c in calls if c["event"] == "end")
    assert starts[1] < first_end, "the two workers' operators acted at the same time"
