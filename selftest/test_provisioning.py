"""The provisioning manifest: what the CSMS must hold for a selection of cases, with the values of
the settings, as JSON and Markdown; the reference CSMS's configuration from it. (That it is
sufficient, and the setup check built on it: selftest/test_standalone_csms.py.)"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from reference_csms.suite_config import config_from_manifest
from selftest.support import ROOT
from simulator.provisioning.build import PAST, build, references, select, setup_text
from simulator.provisioning.manifest import FORMAT, Manifest
from simulator.settings import Settings, named_tokens

ENV = {"VALID_ID_TOKEN": "AA11BB22", "VALID_ID_TOKEN_TYPE": "ISO14443", "BLOCKED_ID_TOKEN": "CC33DD44",
       "EXPIRED_ID_TOKEN": "-", "GROUP_ID": "MYGROUP", "BASIC_AUTH_CP": "MY_CP", "CONFIGURED_NUMBER_OF_EVSES": "2"}


def provisioning(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CSMS_", "REFERENCE_CSMS"))}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "simulator.provisioning", *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_the_manifest_of_a_block_holds_the_values_of_the_settings() -> None:
    done = provisioning("-k", "TC_C", "--format", "json", env=ENV)
    assert done.returncode == 0, done.stderr
    m = Manifest.from_json(done.stdout)
    s = Settings(_env_file=None, **ENV)
    assert m.cases == [c for c in select("TC_C")] and all(c.startswith("TC_C_") for c in m.cases)
    tokens = {t.id_token: t for t in m.tokens}
    expected = {t.value: t for t in named_tokens(s) if t.setting != "VALID_IDTOKEN_IDTOKEN"}  # no case uses it
    assert set(tokens) == set(expected) and s.EXPIRED_ID_TOKEN is None
    valid, blocked = tokens["AA11BB22"], tokens["CC33DD44"]
    assert (valid.type, valid.status, valid.group, valid.authorize) == ("ISO14443", "Accepted", "MYGROUP", ["Accepted"])
    assert (blocked.status, blocked.authorize, blocked.cases) == ("Blocked", ["Blocked", "Invalid"], ["TC_C_06"])
    assert tokens[s.INVALID_ID_TOKEN].authorize == ["Invalid", "Unknown"]
    assert tokens[s.CONFIGURED_CONTRACT_EMAID].type == "eMAID"
    assert tokens[s.MASTERPASS_ID_TOKEN].group == s.MASTERPASS_GROUP_ID
    [station] = m.stations
    assert (station.id, station.security_profiles, station.password) == ("MY_CP", [1], s.BASIC_AUTH_CP_PASSWORD)
    assert [e.id for e in station.evses] == [1, 2] and station.evses[0].connectors[0].type == "cType2"
    assert station.variables == {"AuthCtrlr.MasterPassGroupId": s.MASTERPASS_GROUP_ID}
    assert [u.url for u in m.urls] == [s.CONFIGURED_OCSP_RESPONDER_URL]
    assert m.certificate("MO root").file == str(s.path(s.CONFIGURED_MO_ROOT_CERT_FILE))
    assert not m.tariffs and not m.firmware and m.contract_service is None


def test_a_selection_holds_only_what_its_cases_need() -> None:
    s = Settings(_env_file=None)
    m = build(s, select("TC_B_01"))
    assert m.cases == ["TC_B_01"] and [st.id for st in m.stations] == [s.BASIC_AUTH_CP]
    assert not m.tokens and not m.certificates and not m.server_certificates
    i = build(s, select("TC_I_01"))
    assert [(t.station, t.id_token, t.price_per_kwh) for t in i.tariffs] == \
        [(s.BASIC_AUTH_CP, s.VALID_ID_TOKEN, s.CONFIGURED_TARIFF_PRICE_PER_KWH)]
    a = build(s, select("TC_A_04 or TC_A_11 or TC_A_19"))
    stations = {st.id: st for st in a.stations}
    assert stations[s.SECURITY_PROFILE_3_CP].client_certificate_cn == s.SECURITY_PROFILE_3_CP
    assert stations[s.CONFIGURED_PROFILE_UPGRADE_CP].security_profiles == [s.CONFIGURED_SECURITY_PROFILE]
    assert a.certificate("station CA").key and {c.key_type for c in a.server_certificates} == {"RSA", "EC"}
    b = build(s, select("TC_B_08"))
    assert b.stations[0].variables == {"DeviceDataCtrlr.ItemsPerMessage[GetVariables]": "4"}
    unsupported = build(Settings(_env_file=None, CONFIGURED_SUPPORTED_SECURITY_PROFILES="1"), select("TC_A"))
    assert {st.id for st in unsupported.stations} == {s.BASIC_AUTH_CP, s.CONFIGURED_PASSWORD_UPDATE_CP,
                                                      s.CONFIGURED_PROFILE_UPGRADE_CP}


def test_setup_lines_are_resolved() -> None:
    """"as TC_…", "as in the block summary" and reusable states are written out."""
    assert setup_text("TC_A_02") == setup_text("TC_A_01") and "<BASIC_AUTH_CP>" in setup_text("TC_A_01")
    assert "<CONFIGURED_TARIFF_PRICE_PER_KWH>" in setup_text("TC_I_01")
    assert "contract certificate service" in setup_text("TC_M_28")
    assert setup_text("TC_B_06") == ""
    assert {"VALID_ID_TOKEN", "BASIC_AUTH_CP"} <= references("TC_J_02")  # its states authorize the valid token


def test_markdown_is_for_people_and_json_round_trips() -> None:
    done = provisioning("-k", "TC_C_47 or TC_L_01")
    assert done.returncode == 0, done.stderr
    for heading in ("# What the CSMS must hold (2 cases)", "## Stations", "## Id tokens", "## Firmware",
                    "## What the catalogue asks (CSMS setup)"):
        assert heading in done.stdout
    assert "| CP_1 | 1 |" in done.stdout and "1 (1 cType2); 2 (1 cType2)" in done.stdout
    m = build(Settings(_env_file=None))
    assert Manifest.from_json(m.to_json()) == m and json.loads(m.to_json())["format"] == FORMAT
    with pytest.raises(ValueError, match="not a provisioning manifest"):
        Manifest.from_json('{"stations": []}')
    with pytest.raises(ValueError, match="StationItem: unknown field"):
        Manifest.from_json(m.to_json().replace('"security_profiles"', '"profiles"'))


def test_bad_selections_and_settings_are_one_line() -> None:
    none = provisioning("-k", "TC_Z")
    assert none.returncode == 5 and none.stderr == "ERROR: -k 'TC_Z' selects no case\n"
    bad = provisioning(env={"CSMS_ADRESS": "ws://x:9000"})
    assert bad.returncode == 2 and bad.stderr.startswith("ERROR: unknown setting CSMS_ADRESS; did you mean")


def test_the_reference_csms_config_from_the_manifest() -> None:
    s = Settings(_env_file=None)
    config = config_from_manifest(build(s))
    stations = {st.id: st for st in config.stations}
    assert stations[s.BASIC_AUTH_CP].items_per_message_get_variables == 4
    assert stations[s.SECURITY_PROFILE_3_CP].security_profile == 3 and stations[s.SECURITY_PROFILE_3_CP].password is None
    assert stations[s.CONFIGURED_PASSWORD_UPDATE_CP].password == s.BASIC_AUTH_CP_PASSWORD
    tokens = {t.id_token: t for t in config.tokens}
    assert (tokens[s.EXPIRED_ID_TOKEN].status, tokens[s.EXPIRED_ID_TOKEN].expiry) == ("Accepted", PAST)
    assert tokens[s.BLOCKED_ID_TOKEN].status == "Blocked" and tokens[s.VALID_ID_TOKEN_2].group_id == s.GROUP_ID
    assert config.master_pass_group_id == s.MASTERPASS_GROUP_ID
    assert {f.location for f in config.firmware} == {s.CONFIGURED_FIRMWARE_LOCATION, s.CONFIGURED_FIRMWARE_LOCATION_2}
    assert config.mo_root_cert == str(s.path(s.CONFIGURED_MO_ROOT_CERT_FILE))
    assert config.client_ca_key and config.contract_ca_key and config.contract_emaid == s.CONFIGURED_CONTRACT_EMAID
    assert config.server_rsa_cert.endswith("csms_rsa.pem") and config.server_ec_cert.endswith("csms_ec.pem")


def test_the_reference_csms_refuses_a_bad_manifest_in_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "manifest.json"
    bad.write_text('{"format": "something else"}')
    done = subprocess.run([sys.executable, "-m", "reference_csms", "--manifest", str(bad), "--port", "0",
                           "--api-port", "0"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == f"reference CSMS: {bad}: not a provisioning manifest (format {FORMAT!r} expected)\n"
