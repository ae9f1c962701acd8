"""``python -m reference_csms`` alone, and the suite pointed at it as at any external CSMS."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from selftest.support import ROOT, implemented_case_items, run_cases, standalone_csms, start_standalone_csms


def test_suite_against_the_standalone_reference_csms() -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "reference_csms", "--port", "0", "--wss-port", "0", "--api-port", "0",
         "--station", "EXT_1:ext-password-0123456789:1", "--token", "EXT_TOKEN:Central:Accepted"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = server.stdout.readline()
        match = re.search(r"ws://127\.0\.0\.1:(\d+) .* actions (http://\S+)", line)
        assert match, line
        run = run_cases("TC_B_01 or TC_B_06 or TC_P_02 or TC_E_02", env={
            "CSMS_ADDRESS": f"ws://127.0.0.1:{match.group(1)}", "CSMS_OPERATOR": "http",
            "CSMS_OPERATOR_URL": match.group(2), "BASIC_AUTH_CP": "EXT_1",
            "BASIC_AUTH_CP_PASSWORD": "ext-password-0123456789", "VALID_ID_TOKEN": "EXT_TOKEN"})
        assert run.verdicts() == {"TC_B_01": "passed", "TC_B_06": "passed", "TC_P_02": "passed",
                                  "TC_E_02": "passed"}, run.output[-3000:]
        assert "ext-password-0123456789" not in run.output
    finally:
        server.terminate()
        server.wait(10)


def test_faults_are_listed() -> None:
    done = subprocess.run([sys.executable, "-m", "reference_csms", "--list-faults"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "reject_every_boot" in done.stdout and "accept_tls_1_1" in done.stdout


def test_unknown_fault_is_refused_in_one_line() -> None:
    done = subprocess.run([sys.executable, "-m", "reference_csms", "--port", "0", "--api-port", "0",
                           "--fault", "no_such_fault"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.startswith("reference CSMS: unknown reference CSMS fault(s): "
                                                           "no_such_fault"), done.stderr


def test_whole_suite_twice_against_the_standalone_csms_with_suite_registrations() -> None:
    """``--suite`` registers what the settings need; every block passes against it over the network
    as against any external CSMS, TLS cases included, and a second run against the same CSMS gives
    the same verdicts (the cases leave it as they found it)."""
    with standalone_csms() as csms:
        env = csms.env()  # exactly the printed addresses
        items = len(implemented_case_items())
        first = run_cases("TC_", env=env, timeout=900)
        assert first.returncode == 0 and len(first.verdicts()) == items, first.output[-3000:]
        second = run_cases("TC_", env=env, timeout=900)
        assert second.verdicts() == first.verdicts(), {
            case: (verdict, second.reasons()[case]) for case, verdict in second.verdicts().items()
            if first.verdicts().get(case) != verdict}


def standalone_from_manifest(manifest: dict) -> tuple[subprocess.Popen, dict[str, str]]:
    """``python -m reference_csms --manifest FILE`` (and nothing else) on free ports, and the settings
    that point the suite at it as at any external CSMS."""
    import json
    import tempfile
    path = Path(tempfile.mkdtemp()) / "manifest.json"
    path.write_text(json.dumps(manifest))
    csms = start_standalone_csms("--manifest", str(path))
    return csms.process, csms.env()


def manifest_json(select: str | None = None) -> dict:
    """The manifest as a user makes it: ``python -m simulator.provisioning --format json``."""
    import json
    import os
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CSMS_", "REFERENCE_CSMS"))}
    done = subprocess.run([sys.executable, "-m", "simulator.provisioning", "--format", "json",
                           *(["-k", select] if select else [])], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_manifest_is_sufficient_the_whole_suite_passes_against_a_csms_made_from_it() -> None:
    """A reference CSMS that knows only what the manifest JSON says passes every case, the setup check
    included (it finds nothing missing)."""
    server, env = standalone_from_manifest(manifest_json())
    try:
        run = run_cases("TC_", env=env, timeout=900, preflight=True)
    finally:
        server.terminate()
        server.wait(10)
    assert "setup:" not in run.output, run.output[-3000:]
    assert run.returncode == 0 and len(run.verdicts()) == len(implemented_case_items()), run.output[-3000:]
    assert set(run.verdicts().values()) == {"passed"}, {c: r for c, r in run.reasons().items() if r}


SETUP_CHECKED = "TC_C_02 or TC_C_06 or TC_C_39 or TC_E_02 or TC_A_09"


def test_the_setup_check_names_what_the_csms_lacks_and_fails_only_those_cases() -> None:
    """A CSMS that misses a token and holds another with the wrong status: one line each before the
    first case, the cases that need them fail at once with it, the others run (TC_C_02 before them in
    their module, TC_E_02 after them in another: what TC_C_02 set up is torn down as the next case
    needs); --no-preflight runs them all."""
    from simulator.settings import Settings
    s = Settings(_env_file=None)
    manifest = manifest_json(SETUP_CHECKED)
    manifest["tokens"] = [t for t in manifest["tokens"] if t["id_token"] != s.VALID_ID_TOKEN_2]
    for token in manifest["tokens"]:
        if token["id_token"] == s.BLOCKED_ID_TOKEN:
            token["status"] = "Accepted"
    server, env = standalone_from_manifest(manifest)
    try:
        run = run_cases(SETUP_CHECKED, env=env, preflight=True, args=["-n", "0"])
        unchecked = run_cases("TC_C_06 or TC_C_39", env=env)
    finally:
        server.terminate()
        server.wait(10)
    blocked = f"setup: token {s.BLOCKED_ID_TOKEN} is Accepted in your CSMS, the manifest says Blocked"
    missing = f"setup: token {s.VALID_ID_TOKEN_2} is Unknown in your CSMS, the manifest says Accepted"
    assert run.output.count(f"ERROR: {blocked}; affects TC_C_06\n") == 1, run.output[-3000:]
    assert run.output.count(f"ERROR: {missing}; affects TC_C_39\n") == 1, run.output[-3000:]
    assert run.verdicts() == {"TC_C_02": "passed", "TC_C_06": "failed", "TC_C_39": "failed", "TC_E_02": "passed",
                              "TC_A_09": "passed"}, run.reasons()
    assert run.reasons()["TC_C_06"] == f"TC_C_06 before step 1: {blocked}"
    assert run.reasons()["TC_C_39"] == f"TC_C_39 before step 1: {missing}"
    assert "setup:" not in unchecked.output and unchecked.reasons()["TC_C_06"].startswith("TC_C_06 step 2:")
