"""Block A — Security (catalogue: A.md; connection procedures and RenewChargingStationCertificate:
reusable-states.md)."""
from __future__ import annotations

import secrets
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any, AsyncIterator, Callable, Iterator

import pytest

from simulator.operators import actions
from simulator.probes.admission import (check_upgraded, open_upgrade, open_with_station_offer, require_admission,
                                 require_refusal)
from simulator.pki.certificates import (common_name, invalid_fixture_problem, key_description, key_strong_enough, new_csr,
                                    parse_chain, public_key_der)
from simulator.verdicts.checks import (CaseFailure, HarnessError, OneOf, Rule, check, check_fields, check_that, fail, get_path, require_profile,
                              warn, where)
from simulator.settings import Settings
from simulator.station.states import boot_notification, booted, renew_charging_station_certificate, report_connectors
from simulator.station.station import Station, now_iso
from simulator.probes.tls_probes import (certificate_request_check, chosen_checks, cipher_suite_probe, compression_check,
                                  host_port, low_tls_offer, server_certificate_checks, tls_too_low_probe)
from simulator.verdicts.trace import Trace, add_secret
from simulator.wire.transport import Credentials, Endpoint, Upgrade

PASSWORD_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789*-_=:+|@."
TLS_VARIANTS = pytest.mark.parametrize("profile", [2, 3], ids=["SP2", "SP3"])
CLIENT_CERT_REFUSAL = "TLS alert, close or reset at the TLS handshake, or HTTP != 101"


# ---------------------------------------------------------------- helpers
def require_tls_variant(settings: Settings, profile: int) -> None:
    """TC_A_04/TC_A_06 variants: a profile declared unsupported skips its variant, but Part 6 needs
    SP2 and/or SP3, so when neither is declared the SP2 variant fails instead of both skipping; a
    declared profile that cannot be reached fails (require_profile)."""
    if not {2, 3} & settings.supported_profiles:
        if profile == 3:
            pytest.skip("the SP2 variant reports that neither security profile 2 nor 3 can run")
        fail("before step 1", "Part 6 needs security profile 2 and/or 3, but CONFIGURED_SUPPORTED_SECURITY_PROFILES "
                              f"({settings.CONFIGURED_SUPPORTED_SECURITY_PROFILES}) has neither")
    require_profile(settings, profile)


def adopt(station: Station, upgrade: Upgrade, creds: Credentials | None = None) -> None:
    """The station takes over an upgraded connection (closed at the end of the case)."""
    if upgrade.opened:
        if creds is not None:
            station.creds = creds
        station.attach(upgrade.connection)


async def boot(station: Station, step: int, reports_step: int | None = None) -> None:
    """The reusable state Booted as steps of the case: BootNotification Accepted, connectors reported."""
    response = await boot_notification(station, step=step)
    check(step, "status", response["status"], "Accepted")
    await report_connectors(station, reports_step or step)


def random_password(avoid: str) -> str:
    """A fresh passwordString of 16-40 characters, never ``avoid``; registered as a secret."""
    rng = secrets.SystemRandom()
    while True:
        password = "".join(rng.choice(PASSWORD_CHARS) for _ in range(rng.randint(16, 40)))
        if password != avoid:
            add_secret(password)
            return password


def password_shape(value: Any) -> str | None:
    """None for a valid BasicAuthPassword (16-40 passwordString characters), else what is wrong
    (without showing the value)."""
    if not isinstance(value, str):
        return f"a {type(value).__name__}"
    if not 16 <= len(value) <= 40:
        return f"a value of {len(value)} characters"
    if any(c not in PASSWORD_CHARS for c in value):
        return "a value with characters outside the passwordString alphabet"
    return None


def set_variables_reply(status: str) -> Callable[[dict], dict]:
    """SetVariablesResponse with ``status`` for every item; a BasicAuthPassword becomes a secret."""
    def reply(payload: dict) -> dict:
        results = []
        for item in payload["setVariableData"]:
            if item["variable"]["name"] == "BasicAuthPassword":
                add_secret(item.get("attributeValue"))
            results.append({"attributeStatus": status, "component": item["component"],
                            "variable": item["variable"]})
        return {"setVariableResult": results}
    return reply


def warn_unless(station: Station, step: int | str, condition: bool, message: str) -> None:
    """A non-fatal check (Part 6 "warning"): noted in the trace and as a pytest warning."""
    if not condition:
        warn(step, message, station.trace, station.id)


def client_files(settings: Settings, profile: int) -> tuple[Path | None, Path | None]:
    if profile != 3:
        return None, None
    return settings.path(settings.TLS_CLIENT_CERT), settings.path(settings.TLS_CLIENT_KEY)


async def tls_connection(settings: Settings, endpoint: Endpoint, station: Station, *, handshake: int,
                         certificate: int, upgrade_step: int, probe: bool,
                         certificate_request: int | None = None) -> None:
    """Connect-SP2/SP3 with a real station's whole offer; on this connection: what the CSMS chose
    (version, suite, compression), optionally that it asked for the client certificate,
    ServerCertificateChecks, optionally the CipherSuiteProbe; then the HTTP upgrade."""
    host, _ = host_port(settings.wss_address(station.creds.profile) or "")
    upgrade, info, offer = await open_with_station_offer(handshake, endpoint, station.creds, host)
    adopt(station, upgrade)
    station.trace.note(station.id, f"TLS handshake (station offered {offer.lowest}-{offer.highest}): "
                                   f"{info.version}, cipher {info.cipher}, compression {info.compression}")
    notes = [(handshake, note) for note in chosen_checks(handshake, info, offer)]
    if certificate_request is not None:
        notes += [(certificate_request, note) for note in certificate_request_check(certificate_request, info)]
    server_certificate_checks(certificate, info, host)
    notes += [(certificate, note) for note in compression_check(certificate, info, offer)]
    if probe:
        cert, key = client_files(settings, station.creds.profile)
        await cipher_suite_probe(certificate, settings.wss_address(station.creds.profile) or "", endpoint.ca_cert, cert, key,
                                 settings.CSMS_RESPONSE_TIMEOUT, station=station.id, settle=endpoint.settle_time)
        station.trace.note(station.id, "CipherSuiteProbe: all four mandatory suites negotiated over TLS 1.2")
    check_upgraded(upgrade_step, upgrade)
    for step, note in notes:
        warn(step, note, station.trace, station.id)


@pytest.fixture
def key_dir() -> Iterator[Path]:
    """Where a renewed certificate and its private key live during the case (removed after)."""
    with tempfile.TemporaryDirectory(prefix="ocpp-renewed-") as directory:
        yield Path(directory)


# ---------------------------------------------------------------- Basic Auth (A00)
async def test_TC_A_01_basic_auth_valid(make_station: Any, endpoint: Endpoint, settings: Settings) -> None:
    """Basic Authentication - Valid username/password combination"""
    station = await make_station(1, connect=False)
    upgrade = await open_upgrade(2, endpoint, station.creds)
    adopt(station, upgrade)
    check_upgraded(2, upgrade)
    await boot(station, 4, 6)
    await station.still_connected()


async def test_TC_A_02_basic_auth_username_not_station_id(endpoint: Endpoint, settings: Settings,
                                                           trace: Trace) -> None:
    """Basic Authentication - Username does not equal ChargingStationId"""
    require_profile(settings, 1)
    sid, password = settings.BASIC_AUTH_CP, settings.BASIC_AUTH_CP_PASSWORD
    await require_admission("before step 1", endpoint, Credentials(sid, 1, password),
                            "the valid credentials of BASIC_AUTH_CP")
    await require_refusal(2, endpoint, Credentials(sid, 1, password, username=sid + "Invalid"), trace)


async def test_TC_A_03_basic_auth_invalid_password(endpoint: Endpoint, settings: Settings, trace: Trace) -> None:
    """Basic Authentication - Invalid password"""
    require_profile(settings, 1)
    sid = settings.BASIC_AUTH_CP
    await require_admission("before step 1", endpoint, Credentials(sid, 1, settings.BASIC_AUTH_CP_PASSWORD),
                            "the valid credentials of BASIC_AUTH_CP")
    await require_refusal(2, endpoint, Credentials(sid, 1, None), trace, "without Authorization header: ",
                          authorization=None)
    wrong = Credentials(sid, 1, random_password(settings.BASIC_AUTH_CP_PASSWORD))
    await require_refusal(4, endpoint, wrong, trace, "with a wrong password: ")


# ---------------------------------------------------------------- TLS server side (A00)
@TLS_VARIANTS
async def test_TC_A_04_tls_server_certificate_valid(profile: int, make_station: Any, endpoint: Endpoint,
                                                    settings: Settings) -> None:
    """TLS - server-side certificate - Valid certificate"""
    require_tls_variant(settings, profile)
    station = await make_station(profile, connect=False)
    await tls_connection(settings, endpoint, station, handshake=2, certificate=3, upgrade_step=5, probe=True)
    await boot(station, 6)
    await station.still_connected()


@TLS_VARIANTS
async def test_TC_A_06_tls_version_too_low(profile: int, make_station: Any, endpoint: Endpoint,
                                           settings: Settings) -> None:
    """TLS - server-side certificate - TLS version too low"""
    require_tls_variant(settings, profile)
    station = await make_station(profile, connect=False)
    low = low_tls_offer(2, *client_files(settings, profile))
    refusal = await tls_too_low_probe(2, settings.wss_address(profile) or "", low, settings.CSMS_RESPONSE_TIMEOUT,
                                      station=station.id, settle=endpoint.settle_time)
    station.trace.note(station.id, f"TlsTooLowProbe: the CSMS refused ({refusal})")
    await tls_connection(settings, endpoint, station, handshake=4, certificate=4, upgrade_step=6, probe=False)
    await boot(station, 7)
    await station.still_connected()


# ---------------------------------------------------------------- TLS client certificates (A00)
async def test_TC_A_07_client_certificate_valid(make_station: Any, endpoint: Endpoint, settings: Settings) -> None:
    """TLS - Client-side certificate - valid certificate"""
    require_profile(settings, 3)
    station = await make_station(3, connect=False)
    await tls_connection(settings, endpoint, station, handshake=4, certificate=4, upgrade_step=6, probe=True,
                         certificate_request=2)
    await boot(station, 7)
    await station.still_connected()


async def test_TC_A_08_client_certificate_invalid(make_station: Any, endpoint: Endpoint, settings: Settings,
                                                  trace: Trace) -> None:
    """TLS - Client-side certificate - Invalid certificate"""
    require_profile(settings, 3)
    sid, s = settings.SECURITY_PROFILE_3_CP, settings
    invalid = (("TLS_INVALID_CLIENT_CERT", "unknown CA", s.TLS_INVALID_CLIENT_CERT, s.TLS_INVALID_CLIENT_KEY),
               ("TLS_EXPIRED_CLIENT_CERT", "expired", s.TLS_EXPIRED_CLIENT_CERT, s.TLS_EXPIRED_CLIENT_KEY),
               ("TLS_WRONG_CN_CLIENT_CERT", "wrong CN", s.TLS_WRONG_CN_CLIENT_CERT, s.TLS_WRONG_CN_CLIENT_KEY))
    for name, kind, cert, key in invalid:  # the harness's own material must be what it claims
        for setting, value in ((name, cert), (name.replace("_CERT", "_KEY"), key)):
            check_that("before step 1", s.path(value).is_file(), f"{setting} {value} is not a file: set {setting}")
        problem = invalid_fixture_problem(kind, s.path(cert), sid, s.path(s.client_ca_cert))
        if problem:
            raise HarnessError(f"{where('before step 1')}: {name} is not an invalid certificate: {problem}")
    station = await make_station(3, connect=False)
    await require_admission("before step 1", endpoint, station.creds, "the valid certificate TLS_CLIENT_CERT")
    for name, kind, cert, key in invalid:
        await require_refusal(2, endpoint, Credentials(sid, 3, None, s.path(cert), s.path(key)), trace,
                              f"with {name} ({kind}): ", CLIENT_CERT_REFUSAL, certificate=True)
    await require_refusal(2, endpoint, Credentials(sid, 3, None), trace, "without a client certificate: ",
                          CLIENT_CERT_REFUSAL, certificate=True)
    upgrade = await open_upgrade(4, endpoint, station.creds)
    adopt(station, upgrade)
    check_upgraded(4, upgrade)
    await boot(station, 5)
    await station.still_connected()


# ---------------------------------------------------------------- BasicAuthPassword (A01)
@pytest.fixture
async def restore_password(make_station: Any, settings: Settings) -> AsyncIterator[SimpleNamespace]:
    """TC_A_09 teardown (step 5): the CSMS sets the station's password back to
    BASIC_AUTH_CP_PASSWORD; a failure here is a teardown error, not the verdict."""
    holder = SimpleNamespace(station=None)
    yield holder
    station: Station | None = holder.station
    if station is None:
        return
    step = "5 (teardown)"
    if not station.connected:  # step 4 failed: the CSMS may still hold the old password
        await station.connect(Credentials(station.id, 1, settings.BASIC_AUTH_CP_PASSWORD))
    request = await station.expect("SetVariables", step, reply=set_variables_reply("Accepted"),
                                   trigger=actions.set_basic_auth_password(station.id,
                                                                           settings.BASIC_AUTH_CP_PASSWORD))
    await station.disconnect()
    check_fields(step, request, {"setVariableData[0].component.name": "SecurityCtrlr",
                                 "setVariableData[0].variable.name": "BasicAuthPassword"})
    same = get_path(request, "setVariableData[0].attributeValue") == settings.BASIC_AUTH_CP_PASSWORD
    check_that(step, same, "(harness) attributeValue expected BASIC_AUTH_CP_PASSWORD, got another value "
                           "(not shown)")


async def change_password_request(station: Station, settings: Settings, status: str) -> dict:
    """Steps 1-2 of TC_A_09/TC_A_10: the CSMS's SetVariables BasicAuthPassword, answered ``status``."""
    request = await station.expect("SetVariables", 1, reply=set_variables_reply(status),
                                   trigger=actions.set_basic_auth_password(station.id,
                                                                           settings.NEW_BASIC_AUTH_PASSWORD))
    check_fields(1, request, {"setVariableData[0].component.name": "SecurityCtrlr",
                              "setVariableData[0].variable.name": "BasicAuthPassword"})
    return request


async def test_TC_A_09_update_password_accepted(make_station: Any, endpoint: Endpoint, settings: Settings,
                                                restore_password: SimpleNamespace) -> None:
    """Update Charging Station Password for HTTP Basic Authentication - Accepted"""
    sid = settings.CONFIGURED_PASSWORD_UPDATE_CP
    station = await make_station(1, station_id=sid)
    await booted(station)
    restore_password.station = station
    request = await change_password_request(station, settings, "Accepted")
    new = get_path(request, "setVariableData[0].attributeValue")
    shape = password_shape(new)
    check_that(1, shape is None, f"(harness) attributeValue expected 16-40 characters of the passwordString "
                                 f"alphabet, got {shape}")
    await station.disconnect()
    creds = Credentials(sid, 1, new)
    upgrade = await open_upgrade(4, endpoint, creds)
    adopt(station, upgrade, creds)
    check_upgraded(4, upgrade)


async def test_TC_A_10_update_password_rejected(make_station: Any, endpoint: Endpoint, settings: Settings) -> None:
    """Update Charging Station Password for HTTP Basic Authentication - Rejected"""
    sid = settings.CONFIGURED_PASSWORD_UPDATE_CP
    station = await make_station(1, station_id=sid)
    await booted(station)
    await change_password_request(station, settings, "Rejected")
    await station.disconnect()
    upgrade = await open_upgrade(4, endpoint, Credentials(sid, 1, settings.BASIC_AUTH_CP_PASSWORD))
    adopt(station, upgrade)
    check_upgraded(4, upgrade)
    await boot(station, 6, 8)
    await station.still_connected()


# ---------------------------------------------------------------- certificate renewal (A02)
async def test_TC_A_11_renew_charging_station_certificate(make_station: Any, endpoint: Endpoint,
                                                          settings: Settings, key_dir: Path) -> None:
    """Update Charging Station Certificate by request of CSMS - Success - Charging Station Certificate"""
    station = await make_station(3)
    await booted(station)
    renewed = await renew_charging_station_certificate(station)
    creds = renewed.credentials(station.id, key_dir)
    await station.disconnect()
    upgrade = await open_upgrade(8, endpoint, creds)
    adopt(station, upgrade, creds)
    check_upgraded(8, upgrade)
    await station.still_connected()


def require_iso15118(settings: Settings) -> None:
    if not settings.CONFIGURED_SUPPORTS_ISO15118:
        pytest.skip("CONFIGURED_SUPPORTS_ISO15118 is false")


async def renewal_round(station: Station, settings: Settings, kind: str, requested: str,
                        certificate_type: str | None, organizational_unit: str | None,
                        answer: str, chain_check: bool = True) -> tuple[dict, Any]:
    """Steps 1-6 of TC_A_12-TC_A_14: trigger, CSR of a fresh key, CertificateSigned answered
    ``answer`` (step 5 checks a non-empty chain unless ``chain_check`` is off); returns the
    CertificateSignedRequest and the CSR."""
    s = settings
    csr = new_csr(station.id, s.CONFIGURED_CSR_ORGANIZATION, s.CONFIGURED_CSR_COUNTRY, organizational_unit)
    signed = station.expecting("CertificateSigned", reply={"status": answer},
                               why="answers the station's SignCertificateRequest (step 4)")
    trigger = await station.expect("TriggerMessage", 1, reply={"status": "Accepted"},
                                   trigger=actions.renew_certificate(station.id, kind))
    check(1, "requestedMessage", trigger["requestedMessage"], requested)
    request: dict[str, Any] = {"csr": csr.csr_pem}
    if certificate_type:
        request["certificateType"] = certificate_type
    response = await station.send("SignCertificate", request, 4)
    check(4, "status", response["status"], "Accepted")
    payload = await signed.wait(5)
    if chain_check:
        check(5, "certificateChain", get_path(payload, "certificateChain"),
              Rule("present and non-empty", lambda v: isinstance(v, str) and v.strip() != ""))
    return payload, csr


def chain_warnings(station: Station, payload: dict, csr: Any, *, identity: bool) -> None:
    """Step 5 non-fatal checks: PEM X.509, leaf key = CSR key (V2G) / serial and CN (combined),
    key >= 224 bit."""
    try:
        leaf = parse_chain(payload["certificateChain"])[0]
    except ValueError as e:
        warn_unless(station, 5, False, f"certificateChain expected PEM X.509: {e}")
        return
    kind, bits = key_description(leaf)
    warn_unless(station, 5, key_strong_enough(leaf), f"leaf key expected >= 224 bit (EC), got {kind} {bits} bit")
    if identity:
        warn_unless(station, 5, leaf.serial_number > 0, "leaf serial number expected present")
        warn_unless(station, 5, common_name(leaf) == station.id,
                    f"leaf subject CN expected {station.id!r}, got {common_name(leaf)!r}")
    else:
        warn_unless(station, 5, public_key_der(leaf.public_key()) == csr.public_der,
                    "leaf public key expected the CSR's key, got another key")


async def test_TC_A_12_renew_v2g_certificate(make_station: Any, settings: Settings) -> None:
    """Update Charging Station Certificate by request of CSMS - Success - V2G Certificate"""
    require_iso15118(settings)
    station = await make_station(3)
    await booted(station)
    payload, csr = await renewal_round(station, settings, "V2GCertificate", "SignV2GCertificate",
                                       "V2GCertificate", settings.CONFIGURED_CSR_ORGANIZATIONAL_UNIT, "Accepted")
    chain_warnings(station, payload, csr, identity=False)
    await station.still_connected()


async def test_TC_A_13_renew_combined_certificate(make_station: Any, settings: Settings) -> None:
    """Update Charging Station Certificate by request of CSMS - Success - Combined Certificate"""
    require_iso15118(settings)
    station = await make_station(3)
    await booted(station)
    payload, csr = await renewal_round(station, settings, "Combined", "SignCombinedCertificate", None,
                                       settings.CONFIGURED_CSR_ORGANIZATIONAL_UNIT, "Accepted")
    chain_warnings(station, payload, csr, identity=True)
    await station.still_connected()


async def test_TC_A_14_renew_certificate_invalid(make_station: Any, settings: Settings) -> None:
    """Update Charging Station Certificate by request of CSMS - Invalid certificate"""
    station = await make_station(3)
    await booted(station)
    await renewal_round(station, settings, "ChargingStationCertificate", "SignChargingStationCertificate",
                        "ChargingStationCertificate", None, "Rejected", chain_check=False)
    await station.send("SecurityEventNotification", {"type": "InvalidChargingStationCertificate",
                                                     "timestamp": now_iso()}, 8)
    await station.still_connected()


# ---------------------------------------------------------------- security profile upgrade (A05)
@pytest.fixture
async def restore_profile(settings: Settings, operator: Any) -> AsyncIterator[None]:
    """TC_A_19's teardown: the CSMS's administrator registers CONFIGURED_PROFILE_UPGRADE_CP at
    CONFIGURED_SECURITY_PROFILE again, so that a second run starts as the first did. Not part of
    the verdict: a CSMS that cannot do it on request gets a warning naming what to reset."""
    yield
    sid, low = settings.CONFIGURED_PROFILE_UPGRADE_CP, settings.CONFIGURED_SECURITY_PROFILE
    try:
        await operator.request(actions.restore_security_profile(sid, low), "teardown")
    except CaseFailure as e:
        warn("teardown", f"{sid} may still be registered at security profile {low + 1}: reset it to {low} "
                         f"before the next run ({str(e).split(': ', 1)[-1]})")


async def test_TC_A_19_upgrade_security_profile(make_station: Any, endpoint: Endpoint, settings: Settings,
                                                key_dir: Path, restore_profile: None) -> None:
    """Upgrade Charging Station Security Profile - Accepted"""
    low = settings.CONFIGURED_SECURITY_PROFILE
    if low == 3:
        pytest.skip("CONFIGURED_SECURITY_PROFILE is 3: there is no higher profile to upgrade to")
    require_profile(settings, low)
    require_profile(settings, low + 1)
    sid, password = settings.CONFIGURED_PROFILE_UPGRADE_CP, settings.BASIC_AUTH_CP_PASSWORD
    low_creds = Credentials(sid, low, password)
    try:
        station = await make_station(low, creds=low_creds)
    except CaseFailure as e:
        raise CaseFailure(f"{e} (if an earlier run upgraded {sid}, register it at security profile {low} "
                          f"again: README, running again)", pytrace=False) from None
    await booted(station)
    if low == 2:  # Part 6 memory state: the station holds a certificate for profile 3
        renewed = await renew_charging_station_certificate(station)
        high_creds = renewed.credentials(sid, key_dir)
        await station.reconnect(low_creds)
        await booted(station)
    else:
        high_creds = Credentials(sid, 2, password)
    await upgrade_steps(station, settings, low + 1)
    await station.disconnect()
    upgrade = await open_upgrade(8, endpoint, high_creds)
    adopt(station, upgrade, high_creds)
    check_upgraded(8, upgrade)
    await boot(station, 9)
    await station.disconnect()
    await require_refusal(11, endpoint, low_creds, station.trace, f"security profile {low} after the upgrade: ",
                          "HTTP != 101, TLS alert or close")
    upgrade = await open_upgrade(13, endpoint, high_creds)
    adopt(station, upgrade, high_creds)
    check_upgraded(13, upgrade)
    await station.still_connected()


async def upgrade_steps(station: Station, settings: Settings, target: int) -> None:
    """TC_A_19 steps 1-6: network profile for ``target``, its slot first in the priority, reset."""
    s = settings
    slot = s.CONFIGURED_CONFIGURATION_SLOT
    data = {"ocppVersion": "OCPP20", "ocppTransport": "JSON", "ocppCsmsUrl": s.ocpp_csms_url,
            "messageTimeout": s.CONFIGURED_MESSAGE_TIMEOUT, "securityProfile": target,
            "ocppInterface": s.CONFIGURED_OCPP_INTERFACE}
    request = await station.expect("SetNetworkProfile", 1, reply={"status": "Accepted"},
                                   trigger=actions.set_network_profile(station.id, slot, data))
    check_fields(1, request, {"connectionData.messageTimeout": s.CONFIGURED_MESSAGE_TIMEOUT,
                              "connectionData.ocppCsmsUrl": s.ocpp_csms_url,
                              "connectionData.ocppInterface": s.CONFIGURED_OCPP_INTERFACE,
                              "connectionData.ocppTransport": "JSON", "connectionData.ocppVersion": "OCPP20",
                              "connectionData.securityProfile": target})
    chosen = str(request["configurationSlot"])
    priority = {**actions.cv("OCPPCommCtrlr", "NetworkConfigurationPriority"), "attributeValue": str(slot)}
    request = await station.expect("SetVariables", 3, reply=set_variables_reply("Accepted"),
                                   trigger=actions.set_variables(station.id, [priority]))
    check_fields(3, request, {
        "setVariableData[0].component.name": "OCPPCommCtrlr",
        "setVariableData[0].variable.name": "NetworkConfigurationPriority",
        "setVariableData[0].attributeValue": Rule(f"a comma-separated list with element {chosen!r}",
                                                  lambda v: chosen in [p.strip() for p in v.split(",")])})
    # "ResetRequest (any type)": the operator asks for OnIdle, an Immediate reset does the same here
    await station.expect("Reset", 5, reply={"status": "Accepted"}, trigger=actions.reset(station.id, "OnIdle"),
                         match={"type": OneOf("OnIdle", "Immediate")})
