"""Against a CSMS that misbehaves, a case fails within its timeout with a one-line reason, and
never passes; the harness never hangs."""
from __future__ import annotations

import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from selftest.misbehaving_csms import MisbehavingCsms
from selftest.support import FAST, free_port, run_cases

EXPECTED = {
    "refuse_subprotocol": r"TC_B_01 Connect-SP1: security profile 1 connection of CP_1 refused: HTTP 400",
    "silent": r"TC_B_01 Booted step 2: no BootNotificationResponse from the CSMS within 3 s",
    "malformed_json": r"TC_B_01 Booted step 2: the CSMS sent a frame that is not valid OCPP-J: malformed JSON",
    "callerror": r"TC_B_01 Booted step 2: CSMS answered BootNotificationRequest with CALLERROR InternalError",
    "schema_invalid": r"TC_B_01 Booted step 2: BootNotificationResponse breaks the OCPP 2.0.1 schema: "
                      r"currentTime|interval|status",
    "close_mid_case": r"TC_B_01 Booted step 2: the connection was closed \(close code 1011 going away\)",
    "silent_upgrade": r"^TC_B_01 Connect-SP1: no answer to the WebSocket upgrade of CP_1 \(security profile 1\) "
                      r"within 3 s$",
    "huge_frame": r"^TC_B_01 Booted step 2: the CSMS sent a frame over the harness's 4 MiB limit: the station closed "
                  r"the connection with 1009 \(message too big\)$",
    "bad_date": r"TC_B_01 Booted step 2: BootNotificationResponse breaks the OCPP 2.0.1 schema: currentTime: "
                r"'not-a-date' is not a 'date-time'",
    "callerror_16": r"TC_B_01 Booted step 2: CSMS answered BootNotificationRequest with a CALLERROR code "
                    r"'FormationViolation' is not an OCPP 2.0.1 RPC error code \(the OCPP 1.6 spelling",
}


@pytest.mark.parametrize("behaviour", sorted(EXPECTED))
def test_misbehaving_csms_fails_the_case(behaviour: str) -> None:
    with MisbehavingCsms(behaviour) as csms:
        started = time.monotonic()
        run = run_cases("TC_B_01", env={"CSMS_ADDRESS": csms.url, "CSMS_WSS_ADDRESS": ""})
        elapsed = time.monotonic() - started
    verdict = run.verdicts().get("TC_B_01")
    assert verdict == "failed", run.output[-2000:]
    reason = run.reasons()["TC_B_01"]
    assert re.search(EXPECTED[behaviour], reason), reason
    assert "\n" not in reason and "Traceback" not in run.output
    assert elapsed < 30 + float(FAST["CSMS_ACTION_TIMEOUT"]) * 3
    # the embedded reference CSMS's settings do not apply to an external CSMS: the summary leaves them out
    assert run.summary["settings"] and not [k for k in run.summary["settings"] if k.startswith("REFERENCE_CSMS")]


def test_unreachable_csms_is_one_line() -> None:
    port = free_port()
    run = run_cases("TC_B_01 or TC_P_02", env={"CSMS_ADDRESS": f"ws://127.0.0.1:{port}"})
    assert set(run.verdicts().values()) == {"failed"}, run.verdicts()
    for reason in run.reasons().values():
        assert re.fullmatch(r"TC_[BP]_0[12] Connect-SP1: cannot reach ws://127\.0\.0\.1:\d+/CP_1: connection refused",
                            reason), reason


def test_block_not_supported_fails_without_hanging() -> None:
    """A CSMS that does only boot and heartbeat: block P fails, each case with one line, quickly."""
    with MisbehavingCsms("boot_only") as csms:
        started = time.monotonic()
        run = run_cases("TC_P", env={"CSMS_ADDRESS": csms.url})
        elapsed = time.monotonic() - started
    verdicts = run.verdicts()
    assert verdicts and set(verdicts.values()) == {"failed"}, verdicts
    assert all("CALLERROR NotImplemented" in r for r in run.reasons().values()), run.reasons()
    assert elapsed < 60


def test_malformed_setting_stops_the_run_with_one_line() -> None:
    run = run_cases("TC_B_01", env={"CONFIGURED_EVSE_ID": "abc"})
    assert run.returncode == 4, run.output
    assert re.search(r"ERROR: setting CONFIGURED_EVSE_ID: Input should be a valid integer.*\(got 'abc'\)",
                     run.output), run.output
    run = run_cases("TC_B_01", env={"CSMS_ADDRESS": "http://x"})
    assert "ERROR: setting CSMS_ADDRESS: must be a ws:// or wss:// URL" in run.output, run.output


#: the only cases a CSMS that boots, answers heartbeats and nothing else may pass: those that check
#: nothing but boot and refusals, and those that check nothing but a CALLRESULT to a NotifyEvent
BOOT_ONLY_PASSES = {"TC_A_01", "TC_A_02", "TC_A_03", "TC_B_01", "TC_B_58", "TC_G_20",
                    "TC_N_21", "TC_N_24", "TC_N_48", "TC_N_49", "TC_N_50"}
#: reasons of blocks whose every failure has one shape
BOOT_ONLY_REASONS = {"D": r"{case} (step [12]|preparation P): no (SendLocalList|GetLocalListVersion)Request[^\n]*",
                     "K": r"{case}( \w+)? step \d+: [^\n]+"}
#: the whole suite in four parts run side by side, each against a boot-only CSMS of its own
PARTS = ("TC_A or TC_B or TC_C or TC_D", "TC_E or TC_F or TC_G or TC_H",
         "TC_I or TC_J or TC_K or TC_L", "TC_M or TC_N or TC_O or TC_P")


def test_whole_suite_against_a_boot_only_csms() -> None:
    """A CSMS that only accepts boot and heartbeat, with an operator hook that does nothing: no case
    passes that needs more, every other case fails (or is skipped, naming why) with one line naming
    it, nothing hangs, and the time stays within what the settings allow."""
    env = {"CSMS_OPERATOR": "command", "CSMS_OPERATOR_COMMAND": "true", "CSMS_ACTION_TIMEOUT": "1",
           "CSMS_WSS_ADDRESS": ""}

    def part(select: str) -> tuple[dict[str, str], dict[str, str], float]:
        with MisbehavingCsms("boot_only") as csms:
            started = time.monotonic()
            run = run_cases(select, env={**env, "CSMS_ADDRESS": csms.url}, timeout=420)
            return run.verdicts(), run.reasons(), time.monotonic() - started

    started = time.monotonic()
    with ThreadPoolExecutor(len(PARTS)) as pool:
        results = list(pool.map(part, PARTS))
    total = time.monotonic() - started
    verdicts = {c: v for r in results for c, v in r[0].items()}
    reasons = {c: why for r in results for c, why in r[1].items()}
    assert len(verdicts) == 254, sorted(verdicts)
    passed = sorted(c for c, v in verdicts.items() if v == "passed")
    assert set(passed) <= BOOT_ONLY_PASSES, passed
    for case, verdict in verdicts.items():
        if verdict == "passed":
            continue
        reason = reasons[case]
        assert reason and "\n" not in reason and (case.split("[")[0] in reason or verdict == "skipped"), (case, reason)
        shape = BOOT_ONLY_REASONS.get(case[3])
        if shape and verdict == "failed":
            assert re.fullmatch(shape.format(case=case), reason), (case, reason)
    # bounded by the settings: each part well within the sum of its cases' waits (ACTION_TIMEOUT 1 s,
    # RESPONSE_TIMEOUT 3 s, at most a few waits per case); printed for the record
    slowest = max(r[2] for r in results)
    print(f"whole suite against a boot-only CSMS: {total:.1f} s wall in {len(PARTS)} parts, slowest part "
          f"{slowest:.1f} s, {len(passed)} passed, {sum(v == 'failed' for v in verdicts.values())} failed")
    assert slowest < 300, [round(r[2]) for r in results]


def test_a_101_with_bad_headers_is_not_a_refusal() -> None:
    """A CSMS that upgrades even with a wrong password, answering 101 with a subprotocol the station
    did not offer: the refusal checks see the 101 (the client library rejects the headers)."""
    with MisbehavingCsms("wrong_subprotocol_101") as csms:
        run = run_cases("TC_A_02 or TC_A_03 or TC_B_01", env={"CSMS_ADDRESS": csms.url})
    verdicts, reasons = run.verdicts(), run.reasons()
    assert verdicts == {"TC_A_02": "failed", "TC_A_03": "failed", "TC_B_01": "failed"}, run.output[-2000:]
    assert re.search(r"TC_A_02 step 2: HTTP status expected a refusal .*got 101: HTTP 101 with unacceptable "
                     r"headers", reasons["TC_A_02"]), reasons["TC_A_02"]
    assert "HTTP 101 with unacceptable headers" in reasons["TC_B_01"], reasons["TC_B_01"]


# ---------------------------------------------------------------- block A: refusals count only when they are ones
ADMITS_NOBODY = {
    "silent_upgrade": r"the CSMS gave no answer to the upgrade within 3 s",
    "close_at_once": r"the CSMS (closed|reset) the connection",
}


@pytest.mark.parametrize("behaviour", sorted(ADMITS_NOBODY))
def test_csms_admitting_nobody_fails_the_refusal_cases(behaviour: str) -> None:
    """A CSMS that never answers the upgrade, or closes at once, refuses everything: TC_A_02 and
    TC_A_03 fail at their valid counterpart instead of passing on the "refusal"."""
    with MisbehavingCsms(behaviour) as csms:
        run = run_cases("TC_A_02 or TC_A_03", env={"CSMS_ADDRESS": csms.url})
    verdicts, reasons = run.verdicts(), run.reasons()
    assert verdicts == {"TC_A_02": "failed", "TC_A_03": "failed"}, run.output[-2000:]
    for case, reason in reasons.items():
        assert re.fullmatch(rf"{case} before step 1: the valid credentials of BASIC_AUTH_CP expected HTTP 101, got "
                            rf"{ADMITS_NOBODY[behaviour]}.*: a refusal counts only from a CSMS that admits the "
                            r"valid counterpart", reason), reason
    assert "Traceback" not in run.output


NOT_A_REFUSAL = {
    "stall_bad_credentials": r"the CSMS gave no answer to the upgrade within 3 s",
    "reset_bad_credentials": r"the CSMS reset the connection after the upgrade request "
                             r"\(no TLS alert, no HTTP answer\)",
}


@pytest.mark.parametrize("behaviour", sorted(NOT_A_REFUSAL))
def test_silence_or_reset_is_not_a_refusal(behaviour: str) -> None:
    """A CSMS that admits the valid credentials but answers wrong ones with silence (or a bare reset):
    the refusal steps fail, saying an explicit refusal was expected. The CSMS still answers the
    valid credentials, so after each failure the run carries on: it is not named as gone."""
    with MisbehavingCsms(behaviour) as csms:
        run = run_cases("TC_A_02 or TC_A_03", env={"CSMS_ADDRESS": csms.url}, preflight=True)
    assert run.summary["csms_gone"] is None, run.summary["csms_gone"]
    verdicts, reasons = run.verdicts(), run.reasons()
    assert verdicts == {"TC_A_02": "failed", "TC_A_03": "failed"}, run.output[-2000:]
    tail = r"; an explicit refusal \(HTTP 401/403/404, TLS alert, close\) was expected"
    assert re.fullmatch(rf"TC_A_02 step 2: {NOT_A_REFUSAL[behaviour]}{tail}", reasons["TC_A_02"]), reasons
    assert re.fullmatch(rf"TC_A_03 step 2: without Authorization header: {NOT_A_REFUSAL[behaviour]}{tail}",
                        reasons["TC_A_03"]), reasons


# ---------------------------------------------------------------- block A: an absent TLS side fails alike
TLS_CASES = "TC_A_04 or TC_A_06 or TC_A_07 or TC_A_08 or TC_A_11 or TC_A_19"
NO_WSS = (r"(TC_A_\d\d) Connect-SP([23]): security profile \2 is declared supported but CSMS_WSS_ADDRESS is not "
          r"set: set it to the CSMS's wss:// endpoint, or remove \2 from CONFIGURED_SUPPORTED_SECURITY_PROFILES "
          r"\({}\)")


def test_no_tls_endpoint_fails_every_tls_case_alike() -> None:
    """CSMS_ADDRESS set, CSMS_WSS_ADDRESS unset: every case of a declared profile 2/3 fails with the
    same one line naming what to set; a profile removed from the declaration is skipped instead."""
    with MisbehavingCsms("boot_only") as csms:
        run = run_cases(TLS_CASES, env={"CSMS_ADDRESS": csms.url})
        declared = run_cases(TLS_CASES, env={"CSMS_ADDRESS": csms.url,
                                             "CONFIGURED_SUPPORTED_SECURITY_PROFILES": "1,2"})
    assert len(run.verdicts()) == 8 and set(run.verdicts().values()) == {"failed"}, run.verdicts()
    for case, reason in run.reasons().items():
        match = re.fullmatch(NO_WSS.format("1,2,3"), reason)
        assert match and case.startswith(match.group(1)), reason
    for case, verdict in declared.verdicts().items():
        reason = declared.reasons()[case]
        if case in ("TC_A_04[SP2]", "TC_A_06[SP2]", "TC_A_19"):
            assert verdict == "failed" and re.fullmatch(NO_WSS.format("1,2"), reason), (case, reason)
        else:
            assert verdict == "skipped" and reason == "security profile 3 is not in " \
                "CONFIGURED_SUPPORTED_SECURITY_PROFILES", (case, verdict, reason)
    assert "Traceback" not in run.output + declared.output


def test_unreachable_tls_endpoint_or_bad_tls_file_is_one_line(tmp_path: Path) -> None:
    """A refused wss port and an unreadable client certificate: each TLS case fails with one line
    naming its step and the cause, never a traceback."""
    port = free_port()
    with MisbehavingCsms("boot_only") as csms:
        run = run_cases("TC_A_04 or TC_A_06 or TC_A_07 or TC_A_08",
                        env={"CSMS_ADDRESS": csms.url, "CSMS_WSS_ADDRESS": f"wss://127.0.0.1:{port}"})
    assert len(run.verdicts()) == 6 and set(run.verdicts().values()) == {"failed"}, run.verdicts()
    for case, reason in run.reasons().items():
        assert re.fullmatch(rf"TC_A_0\d (step \d|before step 1): (TlsTooLowProbe: )?cannot reach "
                            rf"(wss://)?127\.0\.0\.1:{port}(/CP_\d)?: connection refused", reason), reason
    # a TLS file that is not PEM is a setting the run cannot start with, like a missing one: one line, exit 4
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    bad = run_cases("TC_A_06 or TC_A_07 or TC_A_08", env={"TLS_CLIENT_CERT": str(garbage)})
    assert bad.returncode == 4 and not bad.verdicts(), bad.output[-2000:]
    errors = [line for line in bad.output.splitlines() if line.startswith("ERROR")]
    assert errors == [f"ERROR: setting TLS_CLIENT_CERT: file {garbage} is not a PEM certificate (no -----BEGIN "
                      f"CERTIFICATE----- block)"], bad.output[-2000:]
    missing = run_cases("TC_A_06", env={"TLS_CLIENT_CERT": str(tmp_path / "nowhere.pem")})
    assert missing.returncode == 4 and f"ERROR: setting TLS_CLIENT_CERT: file {tmp_path / 'nowhere.pem'} does not " \
        "exist" in missing.output, missing.output[-2000:]
    assert "Traceback" not in run.output + bad.output


def test_the_scripted_csms_stops_when_a_station_never_answers_its_close() -> None:
    """A station that goes quiet after the upgrade leaves its connection closing, not open: the
    scripted CSMS cuts it off and stops within its own limit instead of failing the selftest that
    used it (seen in CI, a load-mode selftest's TimeoutError on leaving)."""
    csms = MisbehavingCsms("silent")
    with csms:
        quiet = socket.create_connection(("127.0.0.1", csms.port))
        quiet.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                      b"Sec-WebSocket-Protocol: ocpp2.0.1\r\n\r\n")
        assert quiet.recv(4096).startswith(b"HTTP/1.1 101"), "the scripted CSMS did not upgrade"
        started = time.monotonic()
    assert time.monotonic() - started < 4
    quiet.close()
