"""The operators: what a person reads, what a CSMS's action API and hook receive, what a Python
operator class is called with, and the one-line failures when they refuse or cannot act."""
from __future__ import annotations

import contextlib
import io
import json
import sys
from typing import Any, Iterator

import pytest

from reference_csms.config import CsmsConfig, StationReg
from reference_csms.embedded import EmbeddedCsms
from simulator.operators import actions, manual
from simulator.operators.interface import ActionRefused, Answer, CsmsOperator, IdToken
from simulator.verdicts.checks import CaseFailure, set_case
from simulator.operators.operator import Operator
from simulator.settings import Settings, SettingError, load_settings


@contextlib.contextmanager
def no_terminal() -> Iterator[None]:
    yield None


@pytest.fixture(scope="module")
def csms() -> Any:
    embedded = EmbeddedCsms(CsmsConfig(wss_port=None, stations=[StationReg("CP_O", "0123456789abcdef", 1)]))
    embedded.start()
    yield embedded
    embedded.stop()


async def test_manual_mode_without_a_terminal_prints_a_precise_instruction(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(sys, "__stderr__", out)
    monkeypatch.setattr(manual, "terminal", no_terminal)
    set_case("TC_B_25")
    settings = Settings(_env_file=None, CSMS_OPERATOR="manual", CSMS_ACTION_TIMEOUT=7)
    await Operator(settings).request(actions.reset("CP_1", "Immediate", evse=1), 1)
    text = out.getvalue()
    assert "TC_B_25 step 1: OPERATOR ACTION for station CP_1\n    Do in your CSMS: reset EVSE 1 with type Immediate" in text
    assert 'Action Reset {"type": "Immediate", "evseId": 1}' in text and "waits up to 7 s for the CSMS's ResetRequest" in text
    assert "The station has just sent: nothing yet" in text


async def test_manual_confirmation_without_a_terminal_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "__stderr__", io.StringIO())
    monkeypatch.setattr(manual, "terminal", no_terminal)
    set_case("TC_X_05")
    settings = Settings(_env_file=None, CSMS_OPERATOR="manual")
    with pytest.raises(CaseFailure, match=r"^TC_X_05 before step 1: manual operator action SetBootResponse "
                                          r"needs a terminal to confirm; use CSMS_OPERATOR=http or command$"):
        await Operator(settings).request(actions.boot_response("CP_1", "Pending"), "before step 1")


async def test_http_mode_posts_the_documented_json(csms: Any) -> None:
    settings = Settings(_env_file=None, CSMS_OPERATOR="http", CSMS_OPERATOR_URL=csms.api_url)
    answer = await Operator(settings).request(actions.boot_response("CP_O", "Pending"))
    assert answer == {"status": "planned"}


async def test_http_mode_refusal_is_one_line(csms: Any) -> None:
    set_case("TC_X_06")
    settings = Settings(_env_file=None, CSMS_OPERATOR="http", CSMS_OPERATOR_URL=csms.api_url)
    with pytest.raises(CaseFailure, match=r"^TC_X_06 step 1: operator action Reset refused by the CSMS: HTTP 409 "
                                          r'\{"error": "station CP_O is not connected"\}$'):
        await Operator(settings).request(actions.reset("CP_O", "OnIdle"), 1)
    with pytest.raises(CaseFailure, match=r"HTTP 501 .*'Dance' is not supported"):
        await Operator(settings).request(actions.generic("Dance", "CP_O", "dance"), 1)


async def test_command_mode_gets_the_action_on_stdin(tmp_path: Any) -> None:
    seen = tmp_path / "seen.json"
    script = tmp_path / "hook.sh"
    script.write_text(f"#!/bin/sh\ncat > {seen}\necho '{{\"ok\": true}}'\n")
    script.chmod(0o755)
    settings = Settings(_env_file=None, CSMS_OPERATOR="command", CSMS_OPERATOR_COMMAND=str(script))
    answer = await Operator(settings).request(actions.get_transaction_status("CP_1", "T-1"))
    assert answer == {"ok": True}
    assert json.loads(seen.read_text()) == {"action": "GetTransactionStatus", "stationId": "CP_1",
                                            "params": {"transactionId": "T-1"}}


async def test_operator_command_mode_failure_is_one_line(csms: Any, tmp_path: Any) -> None:
    script = tmp_path / "op.sh"
    script.write_text("#!/bin/sh\ncat > /dev/null\necho 'station offline' >&2\nexit 3\n")
    script.chmod(0o755)
    settings = Settings(_env_file=None, CSMS_OPERATOR="command", CSMS_OPERATOR_COMMAND=str(script))
    set_case("TC_X_03")
    with pytest.raises(CaseFailure, match=r"^TC_X_03 step 1: operator action Reset refused by the command: "
                                          r"exit 3: station offline$"):
        await Operator(settings).request(actions.reset("CP_T", "OnIdle"), 1)


class Recorder(CsmsOperator):
    """A Python operator that records what it is called with; refuses an unknown EVSE."""
    calls: list[tuple[str, str, dict[str, Any]]] = []

    async def request_start_transaction(self, station_id: str, id_token: IdToken, evse_id: int | None = None,
                                        remote_start_id: int | None = None, group_id_token: IdToken | None = None,
                                        charging_profile: dict[str, Any] | None = None) -> Answer:
        self.calls.append(("request_start_transaction", station_id,
                           {"id_token": id_token, "evse_id": evse_id, "charging_profile": charging_profile}))
        return {"accepted": True}

    async def unlock_connector(self, station_id: str, evse_id: int, connector_id: int) -> Answer:
        if evse_id != 1:
            raise ActionRefused(f"station {station_id} has no EVSE {evse_id}")
        return None

    async def reset(self, station_id: str, type: str) -> Answer:  # no evse_id: does not fit a Reset of an EVSE
        return None


PYTHON = {"CSMS_OPERATOR": "python:selftest.test_operator:Recorder"}


async def test_python_operator_gets_the_params_as_typed_arguments() -> None:
    from simulator.verdicts.trace import Trace
    trace = Trace()
    Recorder.calls.clear()
    settings = Settings(_env_file=None, **PYTHON)
    answer = await Operator(settings, trace).request(actions.request_start_transaction(
        "CP_1", {"idToken": "100000C01", "type": "Central"}, 1, chargingProfile={"id": 3}), 1)
    assert Recorder.calls == [("request_start_transaction", "CP_1", {"id_token": {"idToken": "100000C01",
                                                                                   "type": "Central"},
                                                                      "evse_id": 1, "charging_profile": {"id": 3}})]
    assert answer == {"accepted": True} and 'operator answer {"accepted": true}' in trace.text()


async def test_python_operator_refusal_is_one_line() -> None:
    set_case("TC_F_06")
    with pytest.raises(CaseFailure, match=r"^TC_F_06 step 1: operator action UnlockConnector refused by the CSMS: "
                                          r"station CP_1 has no EVSE 2$"):
        await Operator(Settings(_env_file=None, **PYTHON)).request(actions.unlock_connector("CP_1", 2, 1), 1)


async def test_a_method_that_does_not_fit_the_params_fails_naming_it() -> None:
    set_case("TC_B_25")
    with pytest.raises(CaseFailure, match=r"^TC_B_25 step 1: operator action Reset: selftest\.test_operator\.Recorder"
                                          r"\.reset raised TypeError: Recorder\.reset\(\) does not fit the step's "
                                          r"params \['evse_id', 'type'\]"):
        await Operator(Settings(_env_file=None, **PYTHON)).request(actions.reset("CP_1", "Immediate", evse=1), 1)


async def test_an_action_the_class_does_not_implement_without_a_terminal_is_one_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("simulator.operators.operator.has_terminal", lambda: False)
    set_case("TC_G_03")
    with pytest.raises(CaseFailure, match=r"^TC_G_03 step 1: operator action ChangeAvailability: "
                                          r"selftest\.test_operator\.Recorder does not implement change_availability, "
                                          r"and no terminal is attached for the manual fallback$"):
        await Operator(Settings(_env_file=None, **PYTHON)).request(actions.change_availability("CP_1", "Inoperative", 1), 1)


async def test_an_action_the_class_does_not_implement_falls_back_to_manual_at_a_terminal(
        monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    async def person(self: Any, action: Any, step: Any = None, until: Any = None) -> None:
        asked.append(action.name)
    monkeypatch.setattr("simulator.operators.operator.has_terminal", lambda: True)
    monkeypatch.setattr(manual.ManualOperator, "perform", person)
    await Operator(Settings(_env_file=None, **PYTHON)).request(actions.change_availability("CP_1", "Inoperative"), 1)
    assert asked == ["ChangeAvailability"]


async def test_an_operator_that_takes_too_long_fails_the_step() -> None:
    import asyncio

    class Slow(CsmsOperator):
        async def clear_cache(self, station_id: str) -> Answer:
            await asyncio.sleep(5)
            return None
    set_case("TC_C_37")
    settings = Settings(_env_file=None, CSMS_ACTION_TIMEOUT=0.2)
    with pytest.raises(CaseFailure, match=r"^TC_C_37 step 1: the operator did not act within 0\.2 s \(operator action "
                                          r"ClearCache\)$"):
        await Operator(settings, operator=Slow(settings)).request(actions.clear_cache("CP_1"), 1)


@pytest.mark.parametrize("value,message", [
    ("python:no_such_module:Thing", r"cannot import no_such_module \(ModuleNotFoundError: No module named "
                                    r"'no_such_module'\); it must be importable from .* or PYTHONPATH"),
    ("python:selftest.test_operator:Nothing", r"selftest\.test_operator has no class Nothing"),
    ("no_such_operator", r"must be manual, http, command, citrineos, python:MODULE:CLASS or the name of an entry "
                         r"point of group ocpp_csms_operators \(got 'no_such_operator'\)"),
    ("python:bad form", r"must be manual, http, command, citrineos, python:MODULE:CLASS"),
])
def test_an_operator_that_cannot_be_loaded_stops_the_run_in_one_line(value: str, message: str) -> None:
    with pytest.raises(SettingError, match=rf"^setting CSMS_OPERATOR: {message}"):
        load_settings(_env_file=None, CSMS_OPERATOR=value)


def test_an_installed_entry_point_names_an_operator_class(monkeypatch: pytest.MonkeyPatch) -> None:
    """A package that registers its class under group ocpp_csms_operators: CSMS_OPERATOR=<its name>."""
    import importlib.metadata
    from simulator.operators.operator import implementation
    point = importlib.metadata.EntryPoint("mycsms", "selftest.test_operator:Recorder", "ocpp_csms_operators")
    monkeypatch.setattr(importlib.metadata, "entry_points",
                        lambda group, name: [point] if (group, name) == ("ocpp_csms_operators", "mycsms") else [])
    settings = load_settings(_env_file=None, CSMS_OPERATOR="mycsms")
    assert isinstance(implementation(settings), Recorder)
