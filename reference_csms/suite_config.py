"""The reference CSMS's setup for a suite run: registrations that match the suite's settings."""
from __future__ import annotations

from typing import Any

from .config import CsmsConfig, FirmwareReg, StationReg, TariffReg, TokenReg

PAST = "2020-01-01T00:00:00Z"


def config_from_settings(s: Any) -> CsmsConfig:
    """Stations, id tokens, TLS files and faults as the catalogue's "CSMS setup" asks."""
    from fixtures.make_certs import HERE, ensure, ensure_for_settings
    certs = HERE / "certs"  # the harness's own folder: it never writes where a user's setting points
    ensure(certs, s.SECURITY_PROFILE_3_CP)
    ensure_for_settings(s)
    stations: dict[str, StationReg] = {}

    def station(sid: str, profile: int, password: str | None, **kw: Any) -> None:
        old = stations.get(sid)
        if old is not None:  # one id at several profiles: accept from the lowest
            old.security_profile = min(old.security_profile, profile)
            old.password = old.password or password
            return
        stations[sid] = StationReg(sid, password, profile, **kw)

    pwd = s.BASIC_AUTH_CP_PASSWORD
    station(s.BASIC_AUTH_CP, 1, pwd, items_per_message_get_variables=4)
    station(s.SECURITY_PROFILE_2_CP, 2, pwd)
    station(s.SECURITY_PROFILE_3_CP, 3, None)
    station(s.CONFIGURED_PASSWORD_UPDATE_CP, 1, pwd)
    station(s.CONFIGURED_PROFILE_UPGRADE_CP, s.CONFIGURED_SECURITY_PROFILE, pwd)
    tokens = [TokenReg(s.VALID_ID_TOKEN, s.VALID_ID_TOKEN_TYPE, "Accepted", s.GROUP_ID),
              TokenReg(s.VALID_IDTOKEN_IDTOKEN, s.VALID_IDTOKEN_TYPE, "Accepted"),
              TokenReg(s.INVALID_ID_TOKEN, s.INVALID_ID_TOKEN_TYPE, "Invalid"),
              TokenReg(s.CONFIGURED_CONTRACT_EMAID, "eMAID", "Accepted")]
    if s.VALID_ID_TOKEN_2:
        tokens.append(TokenReg(s.VALID_ID_TOKEN_2, s.VALID_ID_TOKEN_TYPE_2 or "ISO14443", "Accepted", s.GROUP_ID))
    if s.BLOCKED_ID_TOKEN:
        tokens.append(TokenReg(s.BLOCKED_ID_TOKEN, s.BLOCKED_ID_TOKEN_TYPE or "ISO14443", "Blocked"))
    if s.EXPIRED_ID_TOKEN:
        tokens.append(TokenReg(s.EXPIRED_ID_TOKEN, s.EXPIRED_ID_TOKEN_TYPE or "ISO14443", "Accepted", expiry=PAST))
    if s.MASTERPASS_ID_TOKEN:
        tokens.append(TokenReg(s.MASTERPASS_ID_TOKEN, s.MASTERPASS_ID_TOKEN_TYPE or "ISO14443", "Accepted",
                               s.MASTERPASS_GROUP_ID))
    from simulator.services.ocsp import ensure_fixtures
    ensure_fixtures(s)
    # L: the firmware the suite orders and publishes, registered with its signing certificate and
    # signature; M: the contract certificate service issues from the MO Sub-CA beside the MO root
    firmware = [FirmwareReg(location, str(s.path(s.CONFIGURED_FIRMWARE_IMAGE)),
                            str(s.path(s.CONFIGURED_FIRMWARE_SIGNING_CERT)),
                            str(s.path(s.CONFIGURED_FIRMWARE_SIGNATURE_FILE)))
                for location in dict.fromkeys((s.CONFIGURED_FIRMWARE_LOCATION, s.CONFIGURED_FIRMWARE_LOCATION_2))]
    mo = s.path(s.CONFIGURED_MO_ROOT_CERT_FILE).parent
    return CsmsConfig(
        firmware=firmware, contract_ca_cert=str(mo / "mo_subca.pem"), contract_ca_key=str(mo / "mo_subca.key"),
        contract_ca_chain=str(s.path(s.CONFIGURED_MO_ROOT_CERT_FILE)), contract_emaid=s.CONFIGURED_CONTRACT_EMAID,
        ocsp_timeout=s.CSMS_RESPONSE_TIMEOUT,
        server_rsa_cert=str(certs / "csms_rsa.pem"), server_rsa_key=str(certs / "csms_rsa.key"),
        server_ec_cert=str(certs / "csms_ec.pem"), server_ec_key=str(certs / "csms_ec.key"),
        client_ca_cert=str(certs / "ca.pem"), client_ca_key=str(certs / "ca.key"),
        stations=list(stations.values()), tokens=tokens, faults=s.faults, options=s.csms_options,
        seed=s.REFERENCE_CSMS_SEED,
        tariff_price_per_kwh=s.CONFIGURED_TARIFF_PRICE_PER_KWH,
        # block I: the energy tariff of VALID_ID_TOKEN's transactions at BASIC_AUTH_CP
        tariffs=[TariffReg(s.BASIC_AUTH_CP, s.VALID_ID_TOKEN, s.VALID_ID_TOKEN_TYPE)],
        mo_root_cert=str(s.path(s.CONFIGURED_MO_ROOT_CERT_FILE)), master_pass_group_id=s.MASTERPASS_GROUP_ID,
        request_timeout=s.CSMS_RESPONSE_TIMEOUT)
