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
