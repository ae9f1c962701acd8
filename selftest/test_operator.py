"""The operator modes: what a person reads, what a CSMS's action API and hook receive, and the
one-line failures when they refuse."""
from __future__ import annotations

import io
import json
import sys
from typing import Any

import pytest

from reference_csms.config import CsmsConfig, StationReg
from reference_csms.embedded import EmbeddedCsms
from simulator.operators import actions
from simulator.verdicts.checks import CaseFailure, set_case
from simulator.operators.operator import Operator
from simulator.settings import Settings


@pytest.fixture(scope="module")
def csms() -> Any:
    embedded = EmbeddedCsms(CsmsConfig(wss_port=None, stations=[StationReg("CP_O", "0123456789abcdef", 1)]))
    embedded.start()
    yield embedded
    embedded.stop()


async def test_manual_mode_prints_a_precise_instruction(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(sys, "__stderr__", out)
    settings = Settings(_env_file=None, CSMS_OPERATOR="manual", CSMS_ACTION_TIMEOUT=7)
    await Operator(settings).request(actions.reset("CP_1", "Immediate", evse=1), 1)
    text = out.getvalue()
    assert "OPERATOR ACTION for station CP_1: reset EVSE 1 with type Immediate" in text
    assert '"params": {"type": "Immediate", "evseId": 1}' in text and "waits up to 7 s" in text


async def test_manual_confirmation_without_a_terminal_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "__stderr__", io.StringIO())
    monkeypatch.setattr("builtins.open", lambda *a, **k: (_ for _ in ()).throw(OSError("no tty")))
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
    with pytest.raises(CaseFailure, match=r"^TC_X_03 step 1: operator action Reset refused by the command "
                                          r"\(exit 3\): station offline$"):
        await Operator(settings).request(actions.reset("CP_T", "OnIdle"), 1)
