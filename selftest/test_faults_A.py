"""Block A: each named reference-CSMS fault makes the right case(s) fail with a reason naming step
and field, the fault-free block passes, a machine that cannot offer TLS < 1.2 makes TC_A_06 error
(never pass), and no password or private key reaches a trace or report."""
from __future__ import annotations

import os
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from selftest.support import FAST, ROOT, assert_fault_fails, assert_no_secret, report_texts, run_cases
from simulator.verdicts.checks import HarnessError
from simulator.probes.tls_probes import client_hello_versions, low_hello_precheck, low_tls_context

SP2, SP3 = "TC_A_04[SP2]", "TC_A_04[SP3]"
ANY_101 = r"HTTP status expected a refusal \(not 101; 401 expected\), got 101"
CERT_101 = (r"HTTP status expected a refusal \(TLS alert, close or reset at the TLS handshake, or HTTP != 101\), "
            r"got 101: the WebSocket was opened")
TLS_VERSION = r"negotiated TLS version expected 'TLSv1\.2' or 'TLSv1\.3', got 'TLSv1\.1'"
WEAK_SUITE = (r"negotiated cipher suite expected one of the four A00\.FR\.318 suites over TLSv1\.2, got "
              r"ECDHE-ECDSA-AES128-SHA \(OpenSSL name\)")

# fault -> {case (with [variant]): regex the one-line reason must match}
FAULTS: dict[str, dict[str, str]] = {
    "refuse_valid_basic_auth": {
        "TC_A_01": r"TC_A_01 step 2: status expected 101 with Sec-WebSocket-Protocol ocpp2\.0\.1, got HTTP 401"},
    "accept_wrong_password": {
        "TC_A_02": rf"TC_A_02 step 2: {ANY_101}",
        "TC_A_03": rf"TC_A_03 step 4: with a wrong password: {ANY_101}"},
    "accept_tls_1_1": {
        "TC_A_06[SP2]": r"TC_A_06 step 2: TlsTooLowProbe: CSMS accepted TLSv1(\.[01])? ",
        "TC_A_06[SP3]": r"TC_A_06 step 2: TlsTooLowProbe: CSMS accepted TLSv1(\.[01])? "},
    "tls_max_1_1": {
        SP2: rf"TC_A_04 step 2: {TLS_VERSION}$",
        SP3: rf"TC_A_04 step 2: {TLS_VERSION}$",
        "TC_A_06[SP2]": r"TC_A_06 step 2: TlsTooLowProbe: CSMS accepted TLSv1\.1 ",
        "TC_A_07": rf"TC_A_07 step 4: {TLS_VERSION}$"},
    "weak_cipher_suite": {
        SP2: rf"TC_A_04 step 2: {WEAK_SUITE}",
        SP3: rf"TC_A_04 step 2: {WEAK_SUITE}",
        "TC_A_06[SP3]": rf"TC_A_06 step 4: {WEAK_SUITE}",
        "TC_A_07": rf"TC_A_07 step 4: {WEAK_SUITE}"},
    "accept_unknown_client_certificate": {
        "TC_A_07": r"TC_A_07 step 2: CertificateRequest expected in the CSMS's TLS handshake, got none",
        "TC_A_08": rf"TC_A_08 step 2: with TLS_INVALID_CLIENT_CERT \(unknown CA\): {CERT_101}"},
    "sp3_without_client_certificate": {
        "TC_A_08": rf"TC_A_08 step 2: without a client certificate: {CERT_101}"},
    "password_wrong_length": {
        "TC_A_09": r"TC_A_09 step 1: \(harness\) attributeValue expected 16-40 characters of the passwordString "
                   r"alphabet, got a value of 12 characters"},
    "store_rejected_password": {
        "TC_A_10": r"TC_A_10 step 4: status expected 101 with Sec-WebSocket-Protocol ocpp2\.0\.1, got HTTP 401"},
    "sign_with_wrong_ca": {
        "TC_A_11": r"TC_A_11 RenewChargingStationCertificate step 5: \(harness\) certificateChain expected to "
                   r"chain to TLS_CLIENT_CA_CERT: 'CP_3' is not issued by the CA"},
    "never_send_certificate_signed": {
        "TC_A_11": r"TC_A_11 RenewChargingStationCertificate step 5: no CertificateSignedRequest from the CSMS",
        "TC_A_12": r"TC_A_12 step 5: no CertificateSignedRequest from the CSMS",
        "TC_A_13": r"TC_A_13 step 5: no CertificateSignedRequest from the CSMS",
        "TC_A_14": r"TC_A_14 step 5: no CertificateSignedRequest from the CSMS"},
    "reject_csr": {
        "TC_A_11": r"TC_A_11 RenewChargingStationCertificate step 4: status expected 'Accepted', got 'Rejected'",
        "TC_A_14": r"TC_A_14 step 4: status expected 'Accepted', got 'Rejected'"},
    "renew_wrong_trigger": {
        "TC_A_12": r"TC_A_12 step 1: requestedMessage expected 'SignV2GCertificate', got 'SignChargingStationCertificate'",
        "TC_A_13": r"TC_A_13 step 1: requestedMessage expected 'SignCombinedCertificate', got "
                   r"'SignChargingStationCertificate'"},
    "reject_security_events": {
        "TC_A_14": r"TC_A_14 step 8: CSMS answered SecurityEventNotificationRequest with CALLERROR"},
    "downgrade_security_profile": {
        "TC_A_19": r"TC_A_19 step 11: security profile 1 after the upgrade: HTTP status expected a refusal "
                   r"\(HTTP != 101, TLS alert or close\), got 101"},
    "wrong_network_profile": {
        "TC_A_19": r"TC_A_19 step 1: connectionData.messageTimeout expected 30, got 31"},
    "no_rsa_cipher_suites": {
        SP2: r"TC_A_04 step 3: CipherSuiteProbe TLS_RSA_WITH_AES_128_GCM_SHA256: the handshake with only this "
             r"suite over TLS 1.2 failed",
        SP3: r"TC_A_04 step 3: CipherSuiteProbe TLS_RSA_WITH_AES_128_GCM_SHA256: the handshake",
        "TC_A_07": r"TC_A_07 step 4: CipherSuiteProbe TLS_RSA_WITH_AES_128_GCM_SHA256: the handshake"},
    "server_certificate_wrong_cn": {
        SP2: r"TC_A_04 step 3: ServerCertificateChecks: subject CN expected 'localhost', got 'csms.invalid'",
        SP3: r"TC_A_04 step 3: ServerCertificateChecks: subject CN expected 'localhost', got 'csms.invalid'",
        "TC_A_07": r"TC_A_07 step 4: ServerCertificateChecks: subject CN expected 'localhost', got 'csms.invalid'"},
}

CASES = 16  # 14 cases, TC_A_04 and TC_A_06 in two variants
MODULES = ("reference_csms.handlers.security", "reference_csms.tls")


def test_profile_upgrade_from_sp2() -> None:
    """TC_A_19 with CONFIGURED_SECURITY_PROFILE=2 (renewal, then SP3): passes; wrong CA / downgrade fail."""
    env = {"CONFIGURED_SECURITY_PROFILE": "2"}
    run = run_cases("TC_A_19", env=env)
    assert run.verdicts() == {"TC_A_19": "passed"}, run.output[-3000:]
    assert_fault_fails("sign_with_wrong_ca", {
        "TC_A_19": r"TC_A_19 RenewChargingStationCertificate step 5: \(harness\) certificateChain expected to "
                   r"chain to TLS_CLIENT_CA_CERT"}, env)
    assert_fault_fails("downgrade_security_profile", {
        "TC_A_19": r"TC_A_19 step 11: security profile 2 after the upgrade: HTTP status expected a refusal "
                   r"\(HTTP != 101, TLS alert or close\), got 101"}, env)


# ---------------------------------------------------------------- TLS < 1.2 cannot be offered
def test_precheck_refuses_a_tls12_hello() -> None:
    """The pre-check reads the real ClientHello: a TLS 1.2+ context is not a 'too low' probe."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    with pytest.raises(ssl.SSLWantReadError):
        ctx.wrap_bio(incoming, outgoing, server_hostname="localhost").do_handshake()
    legacy, supported, suites = client_hello_versions(outgoing.read())
    assert legacy == 0x0303 and max(supported) == 0x0304 and suites > 0
    with pytest.raises(HarnessError, match="cannot offer TLS < 1.2 on this machine"):
        low_hello_precheck(ctx, "localhost")
    assert low_hello_precheck(low_tls_context(), "localhost") in ("TLSv1.0", "TLSv1.1")


def test_tc_a_06_errors_when_tls_below_12_is_unavailable(tmp_path: Path) -> None:
    """An OpenSSL configured to refuse TLS 1.0/1.1 makes TC_A_06 error, never pass."""
    conf = tmp_path / "openssl.cnf"
    conf.write_text("openssl_conf = openssl_init\n[openssl_init]\nssl_conf = ssl_sect\n[ssl_sect]\n"
                    "system_default = system_default_sect\n[system_default_sect]\nProtocol = -TLSv1, -TLSv1.1\n")
    run = run_cases("TC_A_06", env={"OPENSSL_CONF": str(conf)})
    assert run.verdicts() == {"TC_A_06[SP2]": "error", "TC_A_06[SP3]": "error"}, run.output[-2500:]
    for reason in run.reasons().values():
        assert "TC_A_06 step 2: TlsTooLowProbe: cannot offer TLS < 1.2 on this machine" in reason, reason


# ---------------------------------------------------------------- secrets
@pytest.mark.parametrize("faults", [[], ["password_wrong_length", "sign_with_wrong_ca"]], ids=["clean", "faulty"])
def test_no_secret_in_traces_or_reports(tmp_path: Path, faults: list[str]) -> None:
    """Run block A with every report kept (traces of passed cases included) and search them all."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CSMS_", "REFERENCE_CSMS"))}
    env.update(FAST)
    env["REFERENCE_CSMS_FAULTS"] = ",".join(faults)
    reports = tmp_path / "reports"
    done = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "tests"), "-k", "TC_A", "-q", "-rA",
                           "-p", "no:cacheprovider", "-o", "junit_logging=all", "--reports", str(reports)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    texts = {"terminal": done.stdout + done.stderr}
    texts.update(report_texts(reports))
    assert "OCPP message trace" in texts["terminal"] and "SetVariables" in texts["terminal"]
    assert_no_secret(texts, passwords=("new_Passw0rd",))  # also the cut password of password_wrong_length
