"""A CSMS team's first hour: the harness never writes where a setting points, a bad setting is
one line at start, and a dead CSMS is known in seconds."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from selftest.misbehaving_csms import MisbehavingCsms
from selftest.support import ROOT, run_cases
from simulator.settings import SettingError, load_settings


def test_a_users_ca_file_is_only_read(tmp_path: Path) -> None:
    """TLS_CA_CERT naming a user's own file: after a run it is byte for byte unchanged and nothing
    was added beside it (the harness generates its material in fixtures/ only)."""
    ca = tmp_path / "my-ca.pem"
    ca.write_bytes((ROOT / "fixtures" / "certs" / "ca.pem").read_bytes() if (ROOT / "fixtures/certs/ca.pem").exists()
                   else b"-----BEGIN CERTIFICATE-----\nnot mine to change\n-----END CERTIFICATE-----\n")
    before = ca.read_bytes()
    run = run_cases("TC_B_01", env={"TLS_CA_CERT": str(ca)})
    assert run.verdicts() == {"TC_B_01": "passed"}, run.output[-2000:]
    assert ca.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my-ca.pem"]


def test_a_missing_file_is_one_line_at_start_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "ca.pem"
    run = run_cases("TC_B_01", env={"TLS_CA_CERT": str(missing)})
    assert run.returncode == 4, run.output[-2000:]
    assert f"ERROR: setting TLS_CA_CERT: file {missing} does not exist" in run.output, run.output[-2000:]
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("env, line", [
    ({"CONFIGURED_EVSE_ID": "2"}, "setting CONFIGURED_EVSE_ID: must be between 1 and CONFIGURED_NUMBER_OF_EVSES (1) (got 2)"),
    ({"NEW_BASIC_AUTH_PASSWORD": "short"}, "setting NEW_BASIC_AUTH_PASSWORD: OCPP 2.0.1 passwords have 16 to 40 "
                                           "characters (got 5)"),
    ({"CSMS_ADDRESS": "ws://127.0.0.1:9/ocpp"}, "setting CSMS_OPERATOR_URL: CSMS_OPERATOR=http against an external CSMS "
                                                 "needs the URL of its action endpoint"),
    ({"CSMS_OPERATOR": "command", "CSMS_OPERATOR_COMMAND": "no-such-program-here"},
     "setting CSMS_OPERATOR_COMMAND: program 'no-such-program-here' not found"),
])
def test_settings_are_checked_at_start(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], line: str) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingError) as error:
        load_settings(_env_file=None)
    assert str(error.value).startswith(line) and "\n" not in str(error.value)


def test_a_silent_csms_is_known_in_seconds(tmp_path: Path) -> None:
    """A CSMS that accepts the WebSocket and never answers: the run says so in one line before the
    first case, and the whole suite ends within 30 s, every case failed for that reason."""
    with MisbehavingCsms("silent") as csms:
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("CSMS_", "REFERENCE_CSMS"))}
        environment.update({"CSMS_ADDRESS": csms.url, "CSMS_OPERATOR": "command", "CSMS_OPERATOR_COMMAND": "true"})
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "tests"), "-q", "-p", "no:cacheprovider",
                               "-o", "addopts=", "--reports", str(tmp_path / "reports")], cwd=ROOT,
                              env=environment, capture_output=True, text=True, timeout=120)
        elapsed = time.monotonic() - started
    assert "ERROR: the CSMS did not accept a station before the first case: no BootNotificationResponse" in done.stderr
    assert " passed" not in done.stdout.splitlines()[-1] and "254 failed" in done.stdout.splitlines()[-1], \
        done.stdout[-1000:]
    assert elapsed < 30, elapsed


def test_a_misspelled_setting_stops_the_run_in_one_line() -> None:
    """``CSMS_ADRESS`` used to run the suite against the embedded CSMS and pass: now the run stops
    before anything starts, naming the setting meant."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CSMS_", "REFERENCE_CSMS"))}
    environment["CSMS_ADRESS"] = "ws://csms.example.com:9000/ocpp"
    done = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "tests"), "-k", "TC_B_01", "-q", "-p",
                           "no:cacheprovider", "-o", "addopts="], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 4, done.stdout[-2000:]
    assert "ERROR: unknown setting CSMS_ADRESS; did you mean CSMS_ADDRESS? (environment)" in done.stderr
    assert "passed" not in done.stdout


def test_the_csms_under_test_is_named_first_in_the_terminal_junit_and_summary(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET
    run = run_cases("TC_B_01", keep=tmp_path)
    assert run.verdicts() == {"TC_B_01": "passed"}, run.output[-2000:]
    assert run.output.splitlines()[0].startswith("CSMS under test: embedded reference CSMS (ws://127.0.0.1:")
    assert run.summary["csms"] == "embedded reference CSMS"
    suite = next(ET.parse(tmp_path / "junit.xml").iter("testsuite"))
    properties = {p.get("name"): p.get("value") for p in suite.find("properties").iter("property")}
    assert properties["ocpp.csms"] == "embedded reference CSMS"
    assert properties["ocpp.target"].startswith("embedded reference CSMS (ws://127.0.0.1:")


def test_diff_refuses_runs_of_different_csmss(tmp_path: Path) -> None:
    """A run that fell back to the embedded CSMS compared with a run of yours: exit 3 and one line,
    unless --allow-other-csms."""
    import json

    def summary(name: str, csms: str, verdict: str) -> Path:
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"csms": csms, "target": csms, "run": {"status": "complete"}, "blocks": {
            "B": [{"case": "TC_B_01", "variant": "", "verdict": verdict, "reason": ""}]}}))
        return path

    yours = summary("yours", "ws://csms.example.com:9000/ocpp", "failed")
    embedded = summary("embedded", "embedded reference CSMS", "passed")
    older = tmp_path / "older.json"  # a summary from before the "csms" field: its target says it
    older.write_text(json.dumps({"target": "ws://csms.example.com:9000/ocpp / wss://csms.example.com:9443/ocpp",
                                 "blocks": {"B": [{"case": "TC_B_01", "variant": "", "verdict": "failed"}]}}))

    def diff(*args: Path | str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "simulator.reporting", "diff", *map(str, args)], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)

    refused = diff(yours, embedded)
    assert refused.returncode == 3 and refused.stdout == "", refused.stdout
    assert refused.stderr.strip() == (f"ERROR: {embedded}: NEW tested embedded reference CSMS, but OLD ({yours}) "
                                      "tested ws://csms.example.com:9000/ocpp: not the same CSMS (--allow-other-csms "
                                      "compares them anyway)")
    allowed = diff("--allow-other-csms", yours, embedded)
    assert allowed.returncode == 0 and "fail→pass TC_B_01" in allowed.stdout, allowed.stdout + allowed.stderr
    same = diff(older, yours)
    assert same.returncode == 0 and "no verdict changed" in same.stdout, same.stdout + same.stderr
