"""The reference CSMS's setup: registrations from a provisioning manifest (``--manifest``), and for a
suite run the manifest of the suite's settings (so the embedded CSMS holds exactly what the manifest
says a CSMS must hold, and every run of the suite proves the manifest sufficient)."""
from __future__ import annotations

from typing import Any

from simulator.provisioning.manifest import Manifest

from .config import CsmsConfig, FirmwareReg, StationReg, TariffReg, TokenReg

ITEMS_PER_MESSAGE = "DeviceDataCtrlr.ItemsPerMessage[GetVariables]"
MASTER_PASS_GROUP = "AuthCtrlr.MasterPassGroupId"


def config_from_manifest(m: Manifest) -> CsmsConfig:
    """Stations, tokens, tariffs, firmware, trusted roots, the CSR-signing CA, the contract
    certificate service and the server certificates of a manifest; nothing else."""
    config = CsmsConfig()
    for st in m.stations:
        items = st.variables.get(ITEMS_PER_MESSAGE)
        config.stations.append(StationReg(st.id, st.password, min(st.security_profiles),
                                          items_per_message_get_variables=int(items) if items else None))
        config.master_pass_group_id = config.master_pass_group_id or st.variables.get(MASTER_PASS_GROUP)
    # an expired token is stored Accepted with its past expiry; the CSMS derives Expired from it
    config.tokens = [TokenReg(t.id_token, t.type, "Accepted" if t.status == "Expired" else t.status, t.group,
                              t.expiry) for t in m.tokens]
    config.tariffs = [TariffReg(t.station, t.id_token, t.type, t.price_per_kwh) for t in m.tariffs]
    config.firmware = [FirmwareReg(f.location, f.image, f.signing_certificate, f.signature) for f in m.firmware]
    station_ca, mo_root = m.certificate("station CA"), m.certificate("MO root")
    if station_ca is not None:
        config.client_ca_cert, config.client_ca_key = station_ca.file, station_ca.key
    if mo_root is not None:
        config.mo_root_cert = mo_root.file
    if m.contract_service is not None:
        c = m.contract_service
        config.contract_ca_cert, config.contract_ca_key, config.contract_ca_chain = c.ca_cert, c.ca_key, c.chain
        config.contract_emaid = c.emaid
    for server in m.server_certificates:
        if server.file and server.key_type == "RSA":
            config.server_rsa_cert, config.server_rsa_key = server.file, server.key
        elif server.file and server.key_type == "EC":
            config.server_ec_cert, config.server_ec_key = server.file, server.key
    return config


def config_from_settings(s: Any) -> CsmsConfig:
    """The manifest of every case for the suite's settings, with the harness's own TLS material (the
    embedded CSMS serves and signs with ``fixtures/certs/`` whatever TLS_CA_CERT names) and the
    run's faults, options and timeouts."""
    from fixtures.make_certs import HERE, ensure, ensure_for_settings
    from simulator.provisioning.build import build
    from simulator.services.ocsp import ensure_fixtures
    certs = HERE / "certs"  # the harness's own folder: it never writes where a user's setting points
    ensure(certs, s.SECURITY_PROFILE_3_CP)
    ensure_for_settings(s)
    ensure_fixtures(s)
    config = config_from_manifest(build(s))
    config.server_rsa_cert, config.server_rsa_key = str(certs / "csms_rsa.pem"), str(certs / "csms_rsa.key")
    config.server_ec_cert, config.server_ec_key = str(certs / "csms_ec.pem"), str(certs / "csms_ec.key")
    config.client_ca_cert, config.client_ca_key = str(certs / "ca.pem"), str(certs / "ca.key")
    config.faults, config.options, config.seed = s.faults, s.csms_options, s.REFERENCE_CSMS_SEED
    config.ocsp_timeout = config.request_timeout = s.CSMS_RESPONSE_TIMEOUT
    config.tariff_price_per_kwh = s.CONFIGURED_TARIFF_PRICE_PER_KWH
    return config
