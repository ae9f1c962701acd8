"""Block C: each named reference-CSMS fault makes the right cases fail with a reason naming step and
field, the fault-free block passes (test_fault_proofs), and a CSMS without the block fails every
case quickly with one line."""
from __future__ import annotations

import re
from pathlib import Path

from cryptography import x509

from selftest.support import free_port, run_cases

ACCEPTED_GOT = r"idTokenInfo\.status expected 'Accepted', got"
NO_GROUP = r"idTokenInfo\.groupIdToken\.idToken expected '{}', got absent"
OCSP_NONE = r"step 2: OCSP request for {} \(serial [0-9A-F]+\) expected at the responder while the AuthorizeRequest was open, got none"

# fault -> {case: regex the one-line reason must match}
FAULTS: dict[str, dict[str, str]] = {
    # an invalid, blocked or expired token is accepted (at Authorize and in a TransactionEvent)
    "accept_bad_tokens": {
        "TC_C_02": r"TC_C_02 step 2: idTokenInfo\.status expected 'Invalid' or 'Unknown', got 'Accepted'",
        "TC_C_06": r"TC_C_06 step 2: idTokenInfo\.status expected 'Blocked' or 'Invalid', got 'Accepted'",
        "TC_C_07": r"TC_C_07 step 2: idTokenInfo\.status expected 'Expired' or 'Invalid', got 'Accepted'",
        "TC_C_20": r"TC_C_20 step 2: idTokenInfo\.status expected 'Invalid' or 'Unknown', got 'Accepted'"},
    # groupIdToken never sent
    "ignore_group_id": {
        **{case: rf"{case} step 2: {NO_GROUP.format('GROUP001')}" for case in ("TC_C_39", "TC_C_40", "TC_C_43")},
        **{case: rf"{case} step 2: {NO_GROUP.format('MASTERPASS01')}" for case in ("TC_C_47", "TC_C_48", "TC_C_49")}},
    # the master pass is not recognised
    "master_pass_not_honoured": {
        case: rf"{case} step 2: {NO_GROUP.format('MASTERPASS01')}" for case in ("TC_C_47", "TC_C_48", "TC_C_49")},
    "master_pass_stop_refused": {
        case: rf"{case} step 4: {ACCEPTED_GOT} 'Invalid'" for case in ("TC_C_47", "TC_C_48")},
    # tokens from the station's cache / local list are not authorized
    "trust_only_authorized_tokens": {
        "TC_C_08": rf"TC_C_08 step 2: {ACCEPTED_GOT} 'Unknown'",
        "TC_C_39": rf"TC_C_39 step 4: {ACCEPTED_GOT} 'Unknown'",
        "TC_C_40": rf"TC_C_40 step 2: {ACCEPTED_GOT} 'Unknown'",
        "TC_C_43": rf"TC_C_43 step 2: {ACCEPTED_GOT} 'Unknown'"},
    "never_clear_cache": {
        case: rf"{case} step 1: no ClearCacheRequest from the CSMS within 3 s" for case in ("TC_C_37", "TC_C_38")},
    "omit_certificate_status": {
        "TC_C_50": r"TC_C_50 step 4: certificateStatus expected 'Accepted', got absent",
        "TC_C_51": r"TC_C_51 step 4: certificateStatus expected 'CertificateRevoked', got absent",
        "TC_C_52": r"TC_C_52 step 4: certificateStatus expected 'Accepted', got absent"},
    "accept_revoked_certificate": {
        "TC_C_51": r"TC_C_51 step 4: idTokenInfo\.status expected 'Invalid', got 'Accepted'"},
    "skip_ocsp_check": {
        "TC_C_50": rf"TC_C_50 {OCSP_NONE.format('good-A')}",
        "TC_C_51": rf"TC_C_51 {OCSP_NONE.format('revoked-B')}",
        "TC_C_52": rf"TC_C_52 {OCSP_NONE.format('good-C')}"},
}

CASES = 16
MODULES = ("reference_csms.handlers.authorization",)


def test_emptied_token_settings_skip_naming_them() -> None:
    """The optional token settings have defaults; set to "-", their cases are skipped naming them."""
    run = run_cases("TC_C_06 or TC_C_07 or TC_C_39 or TC_C_47",
                    env={"BLOCKED_ID_TOKEN": "-", "EXPIRED_ID_TOKEN": "-", "VALID_ID_TOKEN_2": "-", "MASTERPASS_ID_TOKEN": "-"})
    assert run.verdicts() == {c: "skipped" for c in ("TC_C_06", "TC_C_07", "TC_C_39", "TC_C_47")}, run.output[-2000:]
    reasons = run.reasons()
    assert "setting BLOCKED_ID_TOKEN is not set" in reasons["TC_C_06"], reasons
    assert "setting EXPIRED_ID_TOKEN is not set" in reasons["TC_C_07"], reasons
    assert "setting VALID_ID_TOKEN_2 is not set" in reasons["TC_C_39"], reasons
    assert "VALID_ID_TOKEN_2, MASTERPASS_ID_TOKEN is not set" in reasons["TC_C_47"], reasons


def test_ocsp_responder_answers_by_rfc_6960(tmp_path: Path) -> None:
    """The harness responder: POST and GET, signed by the MO root, good / revoked / unknown by serial,
    nonce echoed, every request recorded with its CertID."""
    import base64
    import urllib.parse
    import urllib.request

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509 import ocsp

    from fixtures.make_certs import generate_contracts
    from simulator.services.ocsp import responder_from_settings
    from simulator.settings import Settings

    url = f"http://127.0.0.1:{free_port()}/ocsp"
    generate_contracts(tmp_path, "NLTSTC00000001Z", url)
    settings = Settings(_env_file=None, CONFIGURED_OCSP_RESPONDER_URL=url,
                        ISO15118_CERT_HASH_DATA_FILE=str(tmp_path / "iso15118_cert_hash_data.json"),
                        ISO15118_REVOKED_CERT_HASH_DATA_FILE=str(tmp_path / "iso15118_revoked_cert_hash_data.json"),
                        CONTRACT_CERT_FILE=str(tmp_path / "contract.pem"),
                        CONFIGURED_MO_ROOT_CERT_FILE=str(tmp_path / "mo_root.pem"),
                        CONFIGURED_MO_ROOT_KEY_FILE=str(tmp_path / "mo_root.key"))
    root = x509.load_pem_x509_certificate((tmp_path / "mo_root.pem").read_bytes())
    contract = x509.load_pem_x509_certificate((tmp_path / "contract.pem").read_bytes())
    responder = responder_from_settings(settings)
    responder.start()
    try:
        def ask(serial_cert: x509.Certificate | None, serial: int, method: str) -> ocsp.OCSPResponse:
            builder = ocsp.OCSPRequestBuilder()
            builder = (builder.add_certificate(serial_cert, root, hashes.SHA1()) if serial_cert else
                       builder.add_certificate_by_hash(*_root_hashes(root), serial, hashes.SHA256()))
            der = builder.add_extension(x509.OCSPNonce(b"0123456789abcdef"), critical=False).build() \
                .public_bytes(serialization.Encoding.DER)
            if method == "POST":
                request = urllib.request.Request(url, data=der, headers={"Content-Type": "application/ocsp-request"})
            else:
                request = urllib.request.Request(url + "/" + urllib.parse.quote(base64.b64encode(der).decode(), safe=""))
            with urllib.request.urlopen(request, timeout=5) as answer:
                return ocsp.load_der_ocsp_response(answer.read())

        revoked_serial = next(iter(responder.revoked))
        good = ask(contract, 0, "POST")
        revoked = ask(None, revoked_serial, "GET")
        unknown = ask(None, 12345, "POST")
        assert good.certificate_status == ocsp.OCSPCertStatus.GOOD and good.next_update_utc is None
        assert revoked.certificate_status == ocsp.OCSPCertStatus.REVOKED
        assert revoked.revocation_reason == x509.ReasonFlags.key_compromise
        assert unknown.certificate_status == ocsp.OCSPCertStatus.UNKNOWN
        for answer in (good, revoked, unknown):
            root.public_key().verify(answer.signature, answer.tbs_response_bytes, ec.ECDSA(answer.signature_hash_algorithm))
            assert answer.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == b"0123456789abcdef"
        records = responder.since(0)
        assert [(r.algorithm, r.serial) for r in records] == [("SHA1", contract.serial_number),
                                                              ("SHA256", revoked_serial), ("SHA256", 12345)]
    finally:
        responder.stop()


def _root_hashes(root: x509.Certificate) -> tuple[bytes, bytes]:
    from simulator.pki.ocsp_ids import issuer_hashes
    name, key = issuer_hashes(root, "SHA256")
    return bytes.fromhex(name), bytes.fromhex(key)


def test_expired_comes_from_the_stored_expiry() -> None:
    """The reference CSMS answers Expired because the stored expiry has passed (no status flag), keeps
    groupIdToken, and answers Unknown for a token it does not store."""
    from reference_csms.config import CsmsConfig, TokenReg
    from reference_csms.store import Store
    store = Store(":memory:")
    store.load(CsmsConfig(tokens=[TokenReg("PAST", "ISO14443", "Accepted", "G1", "2020-01-01T00:00:00Z"),
                                  TokenReg("FUTURE", "ISO14443", "Accepted", "G1", "2999-01-01T00:00:00Z"),
                                  TokenReg("BLOCKED", "ISO14443", "Blocked")]))
    info = store.token_info({"idToken": "PAST", "type": "ISO14443"})
    assert info["status"] == "Expired" and info["groupIdToken"]["idToken"] == "G1", info
    assert store.token_info({"idToken": "FUTURE", "type": "ISO14443"})["status"] == "Accepted"
    assert store.token_info({"idToken": "BLOCKED", "type": "ISO14443"})["status"] == "Blocked"
    assert store.token_info({"idToken": "NONE", "type": "ISO14443"}) == {"status": "Unknown"}


def test_hash_data_of_another_responder_makes_the_case_error(tmp_path: Path) -> None:
    """The harness cannot observe an OCSP query sent elsewhere: the case errors with one line."""
    other = tmp_path / "hash_data.json"
    other.write_text('[{"hashAlgorithm": "SHA256", "issuerNameHash": "00", "issuerKeyHash": "00", '
                     '"serialNumber": "1", "responderURL": "http://127.0.0.1:9/ocsp"}]')
    run = run_cases("TC_C_50", env={"ISO15118_CERT_HASH_DATA_FILE": str(other)})
    assert run.verdicts() == {"TC_C_50": "error"}, run.output[-2000:]
    assert re.search(r"harness error in TC_C_50 before step 1: ISO15118_CERT_HASH_DATA_FILE: responderURL 'http://127\.0\.0\.1:9/ocsp' is not "
                     r"CONFIGURED_OCSP_RESPONDER_URL", run.reasons()["TC_C_50"]), run.reasons()
