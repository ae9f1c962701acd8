"""The load mode: exact metrics, the profile, the gate, the comparison, stations' lives against the
reference CSMS and against misbehaving CSMSs (every error kind counted as what it is), the Station's
load hooks leaving the conformance view unchanged, and the smoke: Locust with two worker processes,
50 stations for 20 s, so the mode cannot rot. Nothing is installed here: without the ``load`` extra
the Locust tests fail saying how to install it (.ci/run installs it before the selftests)."""
from __future__ import annotations

import asyncio
import importlib.util
import json
import random
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import serve

from reference_csms.config import CsmsConfig, StationReg, TokenReg
from reference_csms.embedded import EmbeddedCsms
from selftest.misbehaving_csms import MisbehavingCsms
from selftest.support import ROOT, start_standalone_csms
from simulator.load import compare, profile as profiles
from simulator.reporting import load_gate as gate
from simulator.load.fleet import Fleet, FleetError, apply
from simulator.load.metrics import Histogram, Recorder, Run
from simulator.load.report import summary, write_reports
from simulator.provisioning.manifest import pattern_ids
from simulator.settings import Settings
from simulator.station.station import Station
from simulator.verdicts.checks import CaseFailure, failure_kind
from simulator.verdicts.trace import Trace
from simulator.wire.transport import Credentials, Endpoint

PASSWORD = "load-password-0123456789"
LOCUST = "locust is not installed: the load mode is the optional extra 'load' (./run --extra load …, or " \
         "pip install -e '.[load]'); .ci/run installs it before the selftests"


def need_locust() -> None:
    if importlib.util.find_spec("locust") is None:
        pytest.fail(LOCUST, pytrace=False)


# ---------------------------------------------------------------- metrics
def test_percentiles_are_exact_and_merge_exactly() -> None:
    rng = random.Random(7)
    values = [rng.expovariate(1 / 0.05) for _ in range(5001)]
    parts = [Histogram(), Histogram(), Histogram()]
    for i, v in enumerate(values):
        parts[i % 3].add(v)
    merged = Histogram()
    for p in parts:
        merged.update(p.pairs())
    ordered = sorted(round(v * 1e6) for v in values)
    for q in (50, 95, 99):
        rank = -(-q * len(ordered) // 100)  # nearest rank
        assert merged.percentiles([q])[f"p{q}"] == round(ordered[rank - 1] / 1000, 3)
    assert merged.max_ms() == round(ordered[-1] / 1000, 3) and merged.count == len(values)


def test_a_run_merges_workers_and_counts_each_error_once() -> None:
    a, b = Recorder(), Recorder()
    a.request("connect", 0.010, at=1000.0)
    a.request("Heartbeat", 0.002, at=1001.0)
    a.request("Heartbeat", None, "connection_lost", "gone", at=1002.0)  # the request's failure, not an error
    a.error("connection_lost", "closed", at=1002.0)  # the connection's end: one error
    a.disconnected()
    b.request("connect", 0.020, at=1000.5)
    b.request("Authorize", 0.004, "callerror:SecurityError", "not accepted", at=1001.0)
    a.sample(1000.0)
    b.sample(1001.0)
    run = Run()
    run.add("0", a.take())
    run.add("1", b.take())
    data = summary(run, {"started": 999.0, "ended": 1010.0, "users": 2})
    assert data["actions"]["Heartbeat"]["failures"] == 1 and data["actions"]["Heartbeat"]["requests"] == 2
    assert {k: v["count"] for k, v in data["errors"].items()} == {"connection_lost": 1, "callerror:SecurityError": 1}
    assert data["stations"]["connects"] == 2 and data["stations"]["peak_connected"] == 1
    assert set(data["per_worker"]) == {"0", "1"}
    assert data["actions"]["connect"]["p99"] == 20.0


# ---------------------------------------------------------------- profile, ids, gate, comparison
def test_the_example_profile_loads_and_bad_profiles_say_why_in_one_line() -> None:
    assert profiles.load(None).station_id(7) == "LOAD-00007"
    for text, reason in (('{"stations": "LOAD"}', "stations: station id pattern 'LOAD' must contain {n}"),
                         ('{"security_profile": 4}', "security_profile: Input should be 1, 2 or 3"),
                         ('{"transactions": {"every": -1}}', "transactions.every: Input should be greater"),
                         ('{"colour": "red"}', "colour: Extra inputs are not permitted")):
        with pytest.raises(profiles.ProfileError, match=re.escape(reason)):
            profiles.parse(text)


def test_pattern_ids_refuse_what_ocpp_refuses() -> None:
    assert pattern_ids("LOAD-{n:03d}", 3, 998) == ["LOAD-998", "LOAD-999", "LOAD-1000"]
    for pattern, reason in (("L{n}/x", "not an OCPP identity"), ("L{n:.0f}" + "x" * 50, "not an OCPP identity"),
                            ("L{n}{m}", "'m'")):
        with pytest.raises(ValueError, match=re.escape(reason)):
            pattern_ids(pattern, 2)


def _summary(tmp_path: Path) -> Path:
    rec = Recorder()
    rec.request("connect", 0.01, at=1000.0)
    for ms in (10, 20, 600):
        rec.request("BootNotification", ms / 1000, at=1001.0)
    rec.request("Heartbeat", None, "timeout", "no HeartbeatResponse", at=1002.0)
    rec.sample(1001.0)
    run = Run()
    run.add("0", rec.take())
    write_reports(tmp_path, run, {"started": 1000.0, "ended": 1010.0, "users": 1, "target": "ws://x"})
    return tmp_path / "load_summary.json"


def test_the_gate_reads_conditions_and_exits_by_them(tmp_path: Path, capsys: Any) -> None:
    path = str(_summary(tmp_path))
    assert gate.main([path, "p50 BootNotification < 50ms", "stations >= 1", "errors callerror == 0"]) == 0
    assert gate.main([path, "p99 BootNotification < 0.5s"]) == 1
    assert "FAIL p99 BootNotification < 0.5s (p99 BootNotification = 600 ms)" in capsys.readouterr().out
    assert gate.main([path, "errors timeout == 0"]) == 1
    assert gate.main([path, "p99 Authorize < 1s"]) == 1
    assert "no Authorize request was measured" in capsys.readouterr().out
    assert gate.main([path, "p99 < 1s"]) == 4 and gate.main([path, "fast enough"]) == 4
    assert gate.main([str(tmp_path / "none.json"), "stations > 0"]) == 4


def test_the_html_report_is_self_contained(tmp_path: Path) -> None:
    _summary(tmp_path)
    page = (tmp_path / "load.html").read_text()
    assert "<svg" in page and "Stations connected" in page and "<script" not in page and "http" not in \
        page.replace("http://www.w3.org/2000/svg", "")
    assert (tmp_path / "load_actions.csv").read_text().splitlines()[0].startswith("action,requests,failures,p50_ms")


def _conformance(verdicts: dict[str, str]) -> dict[str, Any]:
    return {"target": "ws://x", "started": "t", "counts": {}, "blocks": {"E": [
        {"case": c, "variant": "", "verdict": v, "duration": 1.0, "reason": "" if v == "passed" else f"{c} step 1: x"}
        for c, v in verdicts.items()]}}


def test_the_comparison_names_cases_lost_under_load(tmp_path: Path, capsys: Any) -> None:
    idle, loaded = tmp_path / "idle.json", tmp_path / "loaded.json"
    idle.write_text(json.dumps(_conformance({"TC_E_01": "passed", "TC_E_02": "passed", "TC_E_03": "failed"})))
    loaded.write_text(json.dumps(_conformance({"TC_E_01": "passed", "TC_E_02": "failed", "TC_E_03": "failed"})))
    assert compare.main([str(idle), str(loaded), "--out", str(tmp_path / "c.md")]) == 1
    out = capsys.readouterr().out
    assert "**1 case(s) passed idle but not under load**" in out
    assert "| TC_E_02 | passed | failed ❌ | 1.0 | 1.0 | TC_E_02 step 1: x |" in out
    assert compare.main([str(idle), str(idle)]) == 0


# ---------------------------------------------------------------- the Station serves both
def test_the_trace_keeps_everything_by_default_and_what_load_asks(tmp_path: Path) -> None:
    full, none, ring = Trace(), Trace(keep=0), Trace(keep=2)
    for trace in (full, none, ring):
        for i in range(5):
            trace.record("CP", "CS->CSMS", str(i))
    assert [f.text for f in full.frames] == ["0", "1", "2", "3", "4"]
    assert list(none.frames) == [] and [f.text for f in ring.frames] == ["3", "4"]


def test_a_load_station_keeps_its_counters_in_memory(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, STATION_STATE_DIR=str(tmp_path))
    fleet = Fleet(_settings(STATION_STATE_DIR=str(tmp_path)), profiles.from_dict({}), "ws://127.0.0.1:9", print, 1)
    first, second = fleet.station(0), fleet.station(0)
    a, b = first.next_event_id(), first.next_event_id()
    assert b == a + 1 and second.next_event_id() >= a  # from the seconds since 2020, as a fresh state file
    assert not (tmp_path / "counters.json").exists()
    suite = Station(settings, Credentials("COUNTER_CP", 1, PASSWORD), Endpoint("ws://x", None, None, 1), Trace())
    suite.next_event_id()
    assert (tmp_path / "counters.json").exists()  # the suite's stations keep theirs across runs


def test_failures_carry_their_kind_and_the_message_stays_the_same() -> None:
    from simulator.verdicts.checks import fail
    with pytest.raises(CaseFailure) as caught:
        fail(3, "CSMS answered AuthorizeRequest with CALLERROR SecurityError", "callerror", code="SecurityError")
    assert str(caught.value) == "step 3: CSMS answered AuthorizeRequest with CALLERROR SecurityError"
    assert failure_kind(caught.value) == ("callerror", {"code": "SecurityError"})
    assert failure_kind(ValueError()) == ("check", {})


# ---------------------------------------------------------------- lives, without Locust
def _settings(**overrides: Any) -> Settings:
    return Settings(_env_file=None, BASIC_AUTH_CP_PASSWORD=PASSWORD, VALID_ID_TOKEN="LOADTOKEN",
                    VALID_ID_TOKEN_TYPE="Central", **overrides)


def live(url: str, count: int, seconds: float, profile: dict[str, Any], **settings: Any) -> Run:
    """``count`` stations of a fleet on a plain event loop for ``seconds``; their merged run."""
    rec = Recorder()

    async def main() -> None:
        fleet = Fleet(_settings(**settings), profiles.from_dict(profile), url, lambda e: apply(rec, e), 50, seed=1)
        for n in range(count):
            fleet.start(n)
        for _ in range(int(seconds * 4)):
            await asyncio.sleep(0.25)
            rec.sample()
        await fleet.stop_all()
    asyncio.run(main())
    run = Run()
    run.add("0", rec.take())
    return run


def test_stations_live_their_profile_against_the_reference_csms() -> None:
    ids = pattern_ids("LOAD-{n:05d}", 6)
    csms = EmbeddedCsms(CsmsConfig(wss_port=None, stations=[StationReg(i, PASSWORD, 1) for i in ids],
                                   tokens=[TokenReg("LOADTOKEN", "Central", "Accepted")], heartbeat_interval=1,
                                   options=["busy"], seed=3))
    csms.start()
    try:
        run = live(csms.ws_url, 6, 6, {"transactions": {"every": 2, "duration": 1.5, "meter_values_interval": 0.5}})
        seen = {row["station"] for row in csms.csms.store.rows("SELECT DISTINCT station FROM messages")}
    finally:
        csms.stop()
    data = summary(run, {"started": time.time() - 6, "users": 6})
    assert data["errors"] == {}, data["errors"]
    assert seen == set(ids)
    acts = data["actions"]
    assert acts["BootNotification"]["requests"] == 6 and acts["Heartbeat"]["requests"] >= 12
    assert acts["Authorize"]["requests"] >= 6 and acts["TransactionEvent"]["requests"] >= 6 * 4
    assert data["csms_requests"], "the busy CSMS's own requests were answered and counted"
    assert data["stations"]["peak_connected"] == 6


def test_a_station_stops_even_when_a_wait_swallows_its_cancellation(monkeypatch: Any) -> None:
    """Python 3.11's asyncio.wait_for loses a cancel that arrives as its awaitable finishes (seen once
    in CI: a station that did not stop). Here every settle after a Heartbeat swallows it on purpose;
    the station must still stop at once, and nothing is counted against the CSMS or the harness."""
    async def swallowing_settle(self: Station, step: Any = None) -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            return

    monkeypatch.setattr(Station, "settle", swallowing_settle)
    ids = pattern_ids("LOAD-{n:05d}", 1)
    csms = EmbeddedCsms(CsmsConfig(wss_port=None, stations=[StationReg(i, PASSWORD, 1) for i in ids],
                                   tokens=[TokenReg("LOADTOKEN", "Central", "Accepted")], heartbeat_interval=1))
    csms.start()
    try:
        started = time.monotonic()
        run = live(csms.ws_url, 1, 2, {"heartbeat_interval": 0.2, "transactions": {"every": 0}})
        took = time.monotonic() - started
    finally:
        csms.stop()
    data = summary(run, {"started": time.time() - 2, "users": 1})
    assert data["errors"] == {}, data["errors"]
    assert data["actions"]["Heartbeat"]["requests"] >= 1
    assert took < 2 + 5, f"the fleet took {took:.1f} s to stop"


async def _wrong_ids(ws: Any) -> None:
    """A CSMS that echoes another messageId in its answers after the boot."""
    async for text in ws:
        frame = json.loads(text)
        answer = {"currentTime": "2026-01-01T00:00:00Z", "interval": 1, "status": "Accepted"} \
            if frame[2] == "BootNotification" else {}
        await ws.send(json.dumps([3, frame[1] if frame[2] == "BootNotification" else "not-" + frame[1], answer]))


@pytest.mark.parametrize("behaviour, kind", [
    ("silent", "timeout"), ("callerror", "callerror:InternalError"), ("schema_invalid", "schema"),
    ("malformed_json", "protocol"), ("callerror_16", "protocol:error code"), ("close_mid_case", "connection_lost"),
    ("refuse_subprotocol", "connect"), ("wrong_ids", "protocol:ids echoed")])
def test_each_error_kind_is_counted_as_what_it_is(behaviour: str, kind: str) -> None:
    profile = {"transactions": {"every": 0}, "heartbeat_interval": 0.5,
               "reconnect": {"wait_minimum": 0.3, "random_range": 0, "repeat_times": 0}}
    if behaviour == "wrong_ids":
        async def run_it() -> Run:
            async with serve(_wrong_ids, "127.0.0.1", 0, subprotocols=["ocpp2.0.1"]) as server:
                port = server.sockets[0].getsockname()[1]
                return await asyncio.to_thread(live, f"ws://127.0.0.1:{port}", 2, 2.5, profile,
                                               CSMS_RESPONSE_TIMEOUT=0.5)
        run = asyncio.run(run_it())
    else:
        with MisbehavingCsms(behaviour) as csms:
            run = live(csms.url, 2, 2.5, profile, CSMS_RESPONSE_TIMEOUT=0.5)
    errors = summary(run, {"started": time.time() - 3, "users": 2})["errors"]
    assert kind in errors, errors
    assert all(e["examples"] for e in errors.values())


def test_a_host_of_the_wrong_scheme_stops_the_run_in_one_line() -> None:
    with pytest.raises(FleetError, match="security profile 2 connects to a wss:// address"):
        Fleet(_settings(), profiles.from_dict({"security_profile": 2}), "ws://127.0.0.1:9", print, 1)
    with pytest.raises(FleetError, match="no CSMS address"):
        Fleet(_settings(), profiles.from_dict({}), None, print, 1)


# ---------------------------------------------------------------- the smoke: Locust, two workers
def _reference_csms(count: int, *extra: str) -> tuple[subprocess.Popen, dict[str, str]]:
    csms = start_standalone_csms("--suite", "--load-stations", f"LOAD-{{n:05d}}:{count}", *extra)
    return csms.process, {"ws": csms.ws, "wss": csms.wss or "", "api": csms.api}


def test_smoke_50_stations_20_s_on_two_locust_workers(tmp_path: Path) -> None:
    need_locust()
    server, urls = _reference_csms(50, "--heartbeat-interval", "4")
    (tmp_path / "p.yaml").write_text("transactions: {every: 6, duration: 4, meter_values_interval: 2}\n")
    try:
        locust = subprocess.Popen(
            [sys.executable, "-m", "locust", "-f", "simulator/load/locustfile.py", "--headless", "--processes", "2",
             "--users", "50", "--spawn-rate", "10", "--run-time", "20s", "--host", urls["ws"],
             "--load-profile", str(tmp_path / "p.yaml"), "--load-reports", str(tmp_path / "load"), "--only-summary"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        connected: set[str] = set()
        deadline = time.monotonic() + 60
        while locust.poll() is None and time.monotonic() < deadline:  # the CSMS's view while the fleet lives
            health = json.loads(urllib.request.urlopen(urls["api"].replace("/actions", "/health"), timeout=5).read())
            connected |= {s for s in health["connected"] if s.startswith("LOAD-")}
            time.sleep(1)
        output = locust.communicate(timeout=60)[0]
    finally:
        server.terminate()
        server.wait(10)
    assert locust.returncode == 0, output[-3000:]
    assert connected == set(pattern_ids("LOAD-{n:05d}", 50)), sorted(connected)  # both workers, no clash
    data = json.loads((tmp_path / "load" / "load_summary.json").read_text())
    assert data["errors"] == {} and data["workers_without_final_report"] == [], data["errors"]
    assert data["stations"]["peak_connected"] == 50 and data["workers"] == 2
    assert {w["stations_peak"] for w in data["per_worker"].values()} == {25}
    assert data["actions"]["Heartbeat"]["requests"] >= 50 and data["actions"]["TransactionEvent"]["failures"] == 0
    assert data["stations"]["connects_per_s_peak"] <= 10 * 1.5, "connections are paced at the spawn rate"
    assert (tmp_path / "load" / "load.html").exists() and (tmp_path / "load" / "load_timeline.csv").exists()
    done = subprocess.run([sys.executable, "-m", "simulator.reporting", "gate", str(tmp_path / "load" / "load_summary.json"),
                           "p99 BootNotification < 5s", "errors == 0", "stations >= 50"],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_conformance_under_load_compares_verdicts(tmp_path: Path) -> None:
    need_locust()
    server, urls = _reference_csms(20, "--heartbeat-interval", "5")
    env = {"CSMS_ADDRESS": urls["ws"], "CSMS_WSS_ADDRESS": urls["wss"], "CSMS_OPERATOR": "http",
           "CSMS_OPERATOR_URL": urls["api"], "TRANSACTION_DURATION": "1", "CSMS_SETTLE_TIME": "0"}
    import os
    try:
        done = subprocess.run([sys.executable, "-m", "simulator.load", "under-load", "--users", "20", "--spawn-rate",
                               "10", "--reports", str(tmp_path), "--", "-k", "TC_B_01 or TC_E_03"],
                              cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, **env})
    finally:
        server.terminate()
        server.wait(10)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    table = (tmp_path / "under-load" / "under_load.md").read_text()
    assert "Every case that passed idle passed under load." in table, table
    assert "| TC_B_01 | passed | passed |" in table and "| TC_E_03 | passed | passed |" in table, table
    assert "Load: 20 stations (20 connected at most)" in table, table


def test_the_manifest_lists_the_load_stations_and_a_csms_made_from_it_serves_them() -> None:
    from reference_csms.suite_config import config_from_manifest
    from simulator.provisioning.build import build, load_stations
    from simulator.provisioning.manifest import Manifest
    settings = _settings()
    manifest = build(settings, ["TC_E_01"])
    manifest.stations += load_stations(settings, "LOAD-{n:05d}", 4)
    config = config_from_manifest(Manifest.from_json(manifest.to_json()))
    config.wss_port, config.heartbeat_interval = None, 1
    csms = EmbeddedCsms(config)
    csms.start()
    try:
        run = live(csms.ws_url, 4, 3, {"transactions": {"every": 1, "duration": 1, "meter_values_interval": 0.5}})
    finally:
        csms.stop()
    data = summary(run, {"started": time.time() - 3, "users": 4})
    assert data["errors"] == {} and data["stations"]["peak_connected"] == 4, data["errors"]
    assert data["actions"]["Authorize"]["requests"] >= 4


def test_locust_refuses_a_bad_start_in_one_line(tmp_path: Path) -> None:
    need_locust()
    (tmp_path / "bad.yaml").write_text("security_profile: 5\n")
    for args, reason in (([ "--host", "ws://127.0.0.1:9", "--load-profile", str(tmp_path / "bad.yaml")],
                          "security_profile: Input should be 1, 2 or 3"),
                         (["--host", "ws://127.0.0.1:9", "--load-profile",
                           str(ROOT / "simulator/load/profiles/example.yaml").replace("example", "nothing")],
                          "No such file"),
                         (["--host", "wss://127.0.0.1:9"], "security profile 1 connects to a ws:// address")):
        done = subprocess.run([sys.executable, "-m", "locust", "-f", "simulator/load/locustfile.py", "--headless",
                               "--users", "1", "--run-time", "2s", *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 2 and f"ERROR: " in done.stderr and reason in done.stderr, done.stderr[-1500:]
