"""The formats of the test data (simulator.formats): each rule takes good values and refuses bad ones,
the eMAID check digit is the eMI3 / ISO 15118 one, every default of the settings has the form its
type claims, and a user's value that contradicts its type stops the run with one line."""
from __future__ import annotations

import pytest

from simulator.formats import FORMATS, ID_TOKEN_TYPES, emaid_check_digit, emaid_problem, id_token_problem, problem
from simulator.settings import (TYPED_TOKENS, SettingError, Settings, format_problem, load_settings,
                                setting_format)

#: per format: values it must take, values it must refuse
EXAMPLES: dict[str, tuple[list[str], list[str]]] = {
    "Central": (["100000C01", "TOK1", "0b7a2f6c-1d7e-4d35-9a77-1c0ab8e4b2f1"],
                ["", "has space", "x" * 37, "tab\there"]),
    "Local": (["LOCAL-1", "a" * 36], ["", "a" * 37]),
    "KeyCode": (["1234", "PIN-0042"], ["", "12 34"]),
    "ISO14443": (["1000C006", "04A2C3D4E5F601", "04a2c3d4e5f60112aabb"],
                 ["100000C06", "1000C0G6", "04A2C3D4E5F6", "", "1000C006 ", "04A2C3D4E5F6011"]),
    "ISO15693": (["E004010012345678", "e004010012345678"], ["E0040100123456", "E00401001234567X", "1000C006"]),
    "eMAID": (["NLTSTC00000001Z", "NL-TST-C00000001-Z", "nltstc00000001z", "NLTSTC00000001", "DE8AA0012345670",
               "DE-8AA-001234567-0", "DE8AA001234567"],
              ["NLTSTC000000015", "NL-TSTC00000001Z", "NLTST-C00000001-Z", "N1TSTC00000001", "NLTSTC0000001",
               "NLTSTC00000001ZZ", "NL_TST_C00000001_Z", ""]),
    "MacAddress": (["00:1A:2B:3C:4D:5E", "00-1a-2b-3c-4d-5e", "001A2B3C4D5E"],
                   ["00:1A:2B:3C:4D", "00:1A-2B:3C:4D:5E", "001A2B3C4D5G", "00:1A:2B:3C:4D:5E:6F"]),
    "NoAuthorization": ([""], ["x", "1000C006"]),
    "identifierString": (["UNKNOWN-TX-0001", "a*b_c=d:e+f|g@h.i"], ["", "has space", "x" * 37, "é"]),
    "stationId": (["CP_1", "CP-UPGRADE.2"], ["", "CP 1", "CP:1", "x" * 49]),
    "passwordString": (["0123456789123456", "new_Passw0rd.0123456789"], ["short", "x" * 41, "0123456789 123456"]),
    "countryCode": (["NL", "DE"], ["nl", "NLD", "N1", ""]),
    "hex": (["0552dd17bf870d2893b2e10471945a1ef7aa57da53f218a3e0e471be7f1603ec", "AB"],
            ["", "ABC", "zz", "a" * 130]),
    "serialHex": (["5A3C9E01", "1"], ["", "5A3C9E0G", "1" * 41]),
    "url": (["https://firmware.example.com/ocpp201/firmware-1.1.bin", "ftp://logs.example.com/up", "http://10.0.0.1:8080/x"],
            ["firmware.example.com/fw.bin", "https://", "file:///etc/passwd", "https://a b.example.com/x",
             "https://x.example.com/" + "a" * 500]),
    "httpUrl": (["http://127.0.0.1:19080/ocsp", "https://csms.example.com/actions"], ["ftp://x.example.com/", "ocsp"]),
    "ocppCsmsUrl": (["wss://csms.example.com:9443/ocpp", "ws://127.0.0.1:9000/ocpp"], ["https://csms.example.com/", "csms"]),
    "hashAlgorithm": (["SHA256", "SHA384", "SHA512"], ["sha256", "MD5"]),
    "ocppInterface": (["Wired0", "Wireless3"], ["Wired4", "wired0", "LTE"]),
    "connectorType": (["cType2", "cCCS2", "s309-1P-16A"], ["Type2", "ctype2", ""]),
    "messageTrigger": (["Heartbeat", "PublishFirmwareStatusNotification"], ["NotifyReport", "heartbeat"]),
    "string20": (["SimStation-201", "x" * 20], ["", "x" * 21]),
    "string50": (["ConformanceHarness", "x" * 50], ["", "x" * 51]),
    "string255": (["tzi.app"], ["", "x" * 256]),
    "string512": (["OCPP conformance test message"], ["", "x" * 513]),
}


def test_every_format_has_examples() -> None:
    assert set(EXAMPLES) == set(FORMATS)
    assert set(ID_TOKEN_TYPES) <= set(FORMATS)


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_each_rule_takes_good_values_and_refuses_bad_ones(kind: str) -> None:
    good, bad = EXAMPLES[kind]
    assert good and bad
    for value in good:
        assert problem(kind, value) is None, (kind, value)
    for value in bad:
        why = problem(kind, value)
        assert why and why.startswith("must be ") and "\n" not in why, (kind, value, why)


@pytest.mark.parametrize("first14, digit", [
    ("NN123ABCDEFGHI", "T"), ("FRXYZ123456789", "2"), ("ITA1B2C3E4F5G6", "4"), ("ESZU8WOX834H1D", "R"),
    ("PT73902837ABCZ", "Z"), ("DE83DUIEN83QGZ", "D"), ("DE83DUIEN83ZGQ", "M"), ("DE8AA001234567", "0"),
    ("NLTSTC00000001", "Z"),
])
def test_emaid_check_digit_is_the_emi3_one(first14: str, digit: str) -> None:
    """The worked examples of eMI3's "Check Digit Calculation for Contract-IDs"."""
    assert emaid_check_digit(first14) == digit
    assert emaid_check_digit(first14.lower()) == digit


def test_emaid_check_digit_catches_single_errors_and_swaps() -> None:
    base = "DE8AA001234567"
    right = emaid_check_digit(base)
    for i in range(len(base)):
        for other in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ":
            if other != base[i]:
                assert emaid_check_digit(base[:i] + other + base[i + 1:]) != right
        if i + 1 < len(base) and base[i] != base[i + 1]:
            swapped = base[:i] + base[i + 1] + base[i] + base[i + 2:]
            assert emaid_check_digit(swapped) != right
    assert emaid_problem("DE8AA0012345671") == "the eMAID's check digit is 0, not 1"


def test_every_default_has_the_form_its_type_claims() -> None:
    s = Settings(_env_file=None)
    checked = 0
    for name in Settings.model_fields:
        kind, value = setting_format(name), getattr(s, name)
        if kind and value not in (None, ""):
            assert problem(kind, str(value)) is None, (name, value)
            checked += 1
    for token, type_setting in TYPED_TOKENS.items():
        assert id_token_problem(getattr(s, type_setting), getattr(s, token)) is None, token
        checked += 1
    assert checked >= 30
    assert format_problem(s) is None
    # the block C tokens typed ISO14443 by default are ISO 14443 UIDs (a real CSMS refused 9 characters)
    for token in ("VALID_ID_TOKEN_2", "INVALID_ID_TOKEN", "BLOCKED_ID_TOKEN", "EXPIRED_ID_TOKEN", "MASTERPASS_ID_TOKEN",
                  "VALID_IDTOKEN_IDTOKEN"):
        assert getattr(s, TYPED_TOKENS[token]) == "ISO14443" and len(getattr(s, token)) == 8


@pytest.mark.parametrize("env, words", [
    ({"BLOCKED_ID_TOKEN": "100000C03"}, "setting BLOCKED_ID_TOKEN: must be an ISO 14443 UID"),
    ({"VALID_ID_TOKEN": "E00401001234", "VALID_ID_TOKEN_TYPE": "ISO15693"}, "setting VALID_ID_TOKEN: must be an ISO 15693"),
    ({"CONFIGURED_CONTRACT_EMAID": "NLTSTC000000015"}, "setting CONFIGURED_CONTRACT_EMAID: must be the eMAID's check digit is Z"),
    ({"VALID_ID_TOKEN": "AA:BB", "VALID_ID_TOKEN_TYPE": "MacAddress"}, "must be a MAC address"),
    ({"CONFIGURED_LOG_LOCATION": "logs.example.com/upload"}, "setting CONFIGURED_LOG_LOCATION: must be an absolute"),
    ({"CONFIGURED_CSR_COUNTRY": "Netherlands"}, "setting CONFIGURED_CSR_COUNTRY: must be an ISO 3166-1"),
    ({"BASIC_AUTH_CP": "CP:1"}, "setting BASIC_AUTH_CP: must be a station identity"),
    ({"CONFIGURED_CUSTOMER_CERT_HASH_ALGORITHM": "SHA512"}, "a SHA512 hash has 128 hex digits"),
])
def test_a_value_that_contradicts_its_type_stops_the_run(monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
                                                         words: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingError) as error:
        load_settings(_env_file=None)
    assert words in str(error.value) and "\n" not in str(error.value), str(error.value)


def test_a_value_of_its_type_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLOCKED_ID_TOKEN", "04A2C3D4E5F601")
    monkeypatch.setenv("EXPIRED_ID_TOKEN", "NL-TST-C00000002-W")
    monkeypatch.setenv("EXPIRED_ID_TOKEN_TYPE", "eMAID")
    monkeypatch.setenv("MASTERPASS_ID_TOKEN", "-")
    s = load_settings(_env_file=None)
    assert s.BLOCKED_ID_TOKEN == "04A2C3D4E5F601" and s.MASTERPASS_ID_TOKEN is None
