"""Settings: defaults, validation with one-line errors, env.example in sync with the class."""
from __future__ import annotations

import pytest

from simulator.settings import ROOT, SettingError, Settings, env_example, load_settings


def test_defaults_match_the_catalogue() -> None:
    s = Settings(_env_file=None)
    assert s.BASIC_AUTH_CP == "CP_1" and s.CONFIGURED_EVSE_ID == 1 and s.CSMS_ACTION_TIMEOUT == 30
    assert s.CONFIGURED_CP_MODEL == "SimStation-201" and s.CONFIGURED_PASSWORD_UPDATE_CP == "CP_PWD"
    assert s.embedded and s.client_ca_cert == s.TLS_CA_CERT and s.supported_profiles == {1, 2, 3}


@pytest.mark.parametrize("name, value, words", [
    ("CSMS_ADDRESS", "http://x", "must be a ws:// or wss:// URL"),
    ("CONFIGURED_EVSE_ID", "abc", "valid integer"),
    ("CONFIGURED_EVSE_ID", "0", "greater than or equal to 1"),
    ("CSMS_ACTION_TIMEOUT", "-1", "greater than 0"),
    ("VALID_ID_TOKEN_TYPE", "Cash", "must be one of Central"),
    ("CSMS_OPERATOR", "robot", "must be manual, http, command, citrineos, python:MODULE:CLASS"),
    ("CONFIGURED_SUPPORTED_SECURITY_PROFILES", "1,4", "comma-separated list"),
])
def test_malformed_value_is_one_line_naming_the_variable(monkeypatch: pytest.MonkeyPatch, name: str,
                                                          value: str, words: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingError) as error:
        load_settings(_env_file=None)
    message = str(error.value)
    assert message.startswith(f"setting {name}: ") and words in message and "\n" not in message


def test_secret_values_are_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASIC_AUTH_CP_PASSWORD", "tooShort-s3cret")
    with pytest.raises(SettingError) as error:
        load_settings(_env_file=None)
    assert str(error.value) == "setting BASIC_AUTH_CP_PASSWORD: OCPP 2.0.1 passwords have 16 to 40 characters (got 15)"
    monkeypatch.setenv("BASIC_AUTH_CP_PASSWORD", "")  # empty means the default
    s = load_settings(_env_file=None)
    assert sorted(s.secrets()) == sorted([s.BASIC_AUTH_CP_PASSWORD, s.NEW_BASIC_AUTH_PASSWORD])


def test_env_example_lists_every_setting_with_its_default() -> None:
    text = (ROOT / "env.example").read_text()
    assert text == env_example(), "env.example is stale: run python -m simulator.settings > env.example"
    for name in Settings.model_fields:
        assert f"\n{name}=" in text


def test_dotenv_is_read(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".env").write_text("BASIC_AUTH_CP=FROM_DOTENV\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BASIC_AUTH_CP", raising=False)
    assert load_settings().BASIC_AUTH_CP == "FROM_DOTENV"


def test_readme_lists_every_setting() -> None:
    from simulator.settings import markdown_table
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- settings:start -->\n", 1)[1].split("<!-- settings:end -->", 1)[0]
    assert block == markdown_table(), "README settings table is stale: run python -m simulator.settings --markdown"


def test_unset_optional_setting_skips_naming_it() -> None:
    from simulator.verdicts.checks import require_profile, require_settings
    s = Settings(_env_file=None, CONFIGURED_SUPPORTED_SECURITY_PROFILES="1,2", BLOCKED_ID_TOKEN="")
    with pytest.raises(pytest.skip.Exception, match="setting BLOCKED_ID_TOKEN is not set"):
        require_settings(s, "VALID_ID_TOKEN", "BLOCKED_ID_TOKEN")
    with pytest.raises(pytest.skip.Exception, match="security profile 3 is not in CONFIGURED_SUPPORTED"):
        require_profile(s, 3)
    require_settings(s, "VALID_ID_TOKEN")


# ---------------------------------------------------------------- nothing wrong passes silently
def test_prefixes_come_from_the_settings_names() -> None:
    from simulator.settings import PREFIXES
    assert {"CSMS_", "CONFIGURED_", "REFERENCE_", "VALID_", "INVALID_", "TLS_"} <= set(PREFIXES)
    assert not {"NEW_", "TX_", "GROUP_", "LOCAL_"} & set(PREFIXES)  # one setting each: too common elsewhere
    shared = [n for n in Settings.model_fields if sum(m.split("_")[0] == n.split("_")[0] for m in Settings.model_fields) > 1]
    assert all(n.startswith(PREFIXES) for n in shared)


@pytest.mark.parametrize("name, line", [
    ("CSMS_ADRESS", "unknown setting CSMS_ADRESS; did you mean CSMS_ADDRESS? (environment)"),
    ("csms_address", "unknown setting csms_address; did you mean CSMS_ADDRESS? (environment)"),
    ("VALID_IDTOKEN", "unknown setting VALID_IDTOKEN; did you mean VALID_ID_TOKEN? (environment)"),
    ("TLS_SOMETHING_ELSE", "unknown setting TLS_SOMETHING_ELSE (no setting has a similar name; see env.example) "
                           "(environment)"),
])
def test_an_unknown_name_with_a_prefix_stops_with_the_closest_setting(monkeypatch: pytest.MonkeyPatch, name: str,
                                                                     line: str) -> None:
    monkeypatch.setenv(name, "ws://csms.example.com:9000/ocpp")
    with pytest.raises(SettingError) as error:
        load_settings(_env_file=None)
    assert str(error.value) == line


def test_other_variables_are_not_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NEW_RELIC_LICENSE_KEY", "TX_MODE", "HOME_CSMS", "PYTEST_XDIST_WORKER"):
        monkeypatch.setenv(name, "x")
    load_settings(_env_file=None)


def test_dotenv_unknown_key_and_bad_line_name_file_and_line(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    env = tmp_path / ".env"
    env.write_text("# my CSMS\n\nCSMS_OPERATOR=manual\nCSMS_ADRESS=ws://csms.example.com:9000/ocpp\n")
    with pytest.raises(SettingError) as error:
        load_settings()
    assert str(error.value) == "unknown setting CSMS_ADRESS; did you mean CSMS_ADDRESS? (.env line 4)"
    for text, number in (("CSMS_OPERATOR=manual\nthis is not a setting\n", 2),
                         ("# ok\nexport CSMS_OPERATOR=manual\nBASIC_AUTH_CP='CP_1\n", 3),
                         ("=value\n", 1)):
        env.write_text(text)
        with pytest.raises(SettingError) as error:
            load_settings()
        assert str(error.value) == f".env: line {number} is not KEY=VALUE (blank lines and # comments are allowed)"
    env.write_text("# comments, blank lines, export and quotes are fine\n\nexport CSMS_OPERATOR=manual\n"
                   "CONFIGURED_CSR_ORGANIZATION=\"My CPO\"  # a comment\nOTHER_TOOL_KEY=1\n")
    s = load_settings()
    assert s.CSMS_OPERATOR == "manual" and s.CONFIGURED_CSR_ORGANIZATION == "My CPO"


def test_a_dotenv_from_env_example_passes(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text((ROOT / "env.example").read_text())
    load_settings()


@pytest.mark.parametrize("env, line", [
    ({"VALID_IDTOKEN_IDTOKEN": "100000C01", "VALID_IDTOKEN_TYPE": "Local"},
     "setting VALID_IDTOKEN_IDTOKEN: names the same id token as VALID_ID_TOKEN ('100000C01') with type Local "
     "(VALID_IDTOKEN_TYPE), where VALID_ID_TOKEN has Central (VALID_ID_TOKEN_TYPE)"),
    ({"BLOCKED_ID_TOKEN": "100000C01", "BLOCKED_ID_TOKEN_TYPE": "Central"},
     "setting BLOCKED_ID_TOKEN: names the same id token as VALID_ID_TOKEN ('100000C01') with status Blocked, "
     "where VALID_ID_TOKEN has Accepted"),
    ({"MASTERPASS_ID_TOKEN": "1000C006"},
     "setting MASTERPASS_ID_TOKEN: names the same id token as VALID_ID_TOKEN_2 ('1000C006') with group "
     "MASTERPASS01 (MASTERPASS_GROUP_ID), where VALID_ID_TOKEN_2 has GROUP001 (GROUP_ID)"),
    ({"CONFIGURED_PASSWORD_UPDATE_CP": "CP_1"},
     "setting CONFIGURED_PASSWORD_UPDATE_CP: names the same station as BASIC_AUTH_CP ('CP_1'); the cases of "
     "CONFIGURED_PASSWORD_UPDATE_CP change its password (TC_A_09, TC_A_10), so it needs an id that BASIC_AUTH_CP "
     "does not use"),
    ({"CONFIGURED_PROFILE_UPGRADE_CP": "CP_2"},
     "setting CONFIGURED_PROFILE_UPGRADE_CP: names the same station as SECURITY_PROFILE_2_CP ('CP_2'); the cases "
     "of CONFIGURED_PROFILE_UPGRADE_CP change its security profile (TC_A_19), so it needs an id that "
     "SECURITY_PROFILE_2_CP does not use"),
    ({"TLS_INVALID_CLIENT_CERT": "fixtures/certs/client.pem"},
     "setting TLS_INVALID_CLIENT_CERT: names the same file as TLS_CLIENT_CERT (fixtures/certs/client.pem); each "
     "is a file of its own (Client certificate from a CA the CSMS does not trust)"),
])
def test_settings_that_name_one_thing_must_agree(monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
                                                line: str) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingError) as error:
        load_settings(_env_file=None)
    assert str(error.value) == line


@pytest.mark.parametrize("env", [
    {"VALID_IDTOKEN_IDTOKEN": "100000C01", "VALID_IDTOKEN_TYPE": "Central"},  # the same token, as Part 6 has it
    {"SECURITY_PROFILE_2_CP": "CP_1"},  # one id at two profiles: block A allows it
    {"TLS_CLIENT_CA_CERT": "fixtures/certs/ca.pem"},  # one CA for servers and stations
    {"CONFIGURED_V2G_ROOT_CERT": "fixtures/certs/mo_root.pem"},  # one root for contracts and V2G
])
def test_settings_that_name_one_thing_alike_pass(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    load_settings(_env_file=None)


@pytest.mark.parametrize("name, content, words", [
    ("TLS_CLIENT_CERT", "not a certificate\n", "is not a PEM certificate (no -----BEGIN CERTIFICATE----- block)"),
    ("TLS_CA_CERT", "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
     "does not load as PEM certificates ("),
    ("TLS_CLIENT_KEY", "-----BEGIN CERTIFICATE-----\n", "is not a PEM private key (no -----BEGIN … PRIVATE KEY----- block)"),
    ("TLS_CLIENT_KEY", "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n",
     "does not load as a PEM private key ("),
    ("CONFIGURED_V2G_CERT_CHAIN", "", "is not a PEM certificate"),
])
def test_a_tls_file_that_is_not_pem_stops_the_run_like_a_missing_one(tmp_path, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                                                       name: str, content: str, words: str) -> None:
    """Settings validation, at start, one line naming the setting and the file; never blamed on the CSMS."""
    path = tmp_path / "file.pem"
    path.write_text(content)
    monkeypatch.setenv(name, str(path))
    with pytest.raises(SettingError) as error:
        load_settings(_env_file=None)
    assert str(error.value).startswith(f"setting {name}: file {path} {words}"), str(error.value)
    assert "\n" not in str(error.value) and "bm90" not in str(error.value)
    monkeypatch.setenv(name, str(tmp_path / "missing.pem"))
    with pytest.raises(SettingError, match=f"setting {name}: file .*missing.pem does not exist"):
        load_settings(_env_file=None)


def test_connector_and_evse_ids_are_checked_against_the_station_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONFIGURED_NUMBER_OF_EVSES", "2")
    monkeypatch.setenv("CONFIGURED_EVSE_ID", "3")
    with pytest.raises(SettingError, match=r"^setting CONFIGURED_EVSE_ID: must be between 1 and "
                                           r"CONFIGURED_NUMBER_OF_EVSES \(2\) \(got 3\)$"):
        load_settings(_env_file=None)
