"""Property tests: the reference CSMS takes every schema-valid message. For every CS→CSMS action,
hypothesis generates requests from the official OCPP 2.0.1 JSON schema (``selftest.schema_strategy``, shared with the station's property tests);
the CSMS answers each with a schema-valid CALLRESULT or a CALLERROR with an OCPP error code that
is not InternalError, and never leaves a CALL unanswered.

The requests go through the CSMS's whole message path (``CsmsSession.route_message``) on one
session per action, so state builds up across examples as it would on a long-lived connection.
Runs are derandomized (the same examples every run, so CI is reproducible and stays within a few
tens of seconds); ``PROPERTY_EXAMPLES`` raises the number of examples per action for a deeper run.
"""
from __future__ import annotations

import asyncio
import os
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, assume, given, settings

from reference_csms import handlers  # noqa: F401  (registers the behaviour)
from reference_csms.central import CentralSystem, CsmsSession
from reference_csms.config import CsmsConfig, StationReg, TokenReg
from reference_csms.registry import MESSAGE_HANDLERS
from selftest.schema_strategy import requests
from simulator.station.replies import DEFAULT_REPLIES
from simulator.wire.protocol import CALL, CALLERROR, CALLRESULT, dumps, parse_frame, schema_problem

STATION = "CP_PROP"
EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "25"))
#: every OCPP 2.0.1 message a station sends (DataTransfer goes both ways)
CS_TO_CSMS = sorted(set(MESSAGE_HANDLERS) - (set(DEFAULT_REPLIES) - {"DataTransfer"}))


class Wire:
    """The station's end of the connection: keeps what the CSMS sends."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, message: str) -> None:
        self.sent.append(message)

    async def close(self) -> None:
        pass


class Csms:
    """One reference CSMS with one accepted station on a :class:`Wire`, on its own event loop."""

    def __init__(self) -> None:
        config = CsmsConfig(wss_port=None, request_timeout=0.01, stations=[StationReg(STATION, "0123456789abcdef", 1)],
                            tokens=[TokenReg("TOK1", "Central", "Accepted", "G1")])
        self.loop = asyncio.new_event_loop()
        self.csms = CentralSystem(config)
        self.wire = Wire()
        self.session = self.loop.run_until_complete(self._session())
        self.csms.sessions[STATION] = self.session
        self.count = 0

    async def _session(self) -> CsmsSession:
        return CsmsSession(self.csms, STATION, self.wire, 1)

    def call(self, action: str, payload: dict[str, Any]) -> list[Any]:
        """The CSMS's answer frames to one CALL (follow-up requests it makes are left unanswered)."""
        self.count += 1
        message_id = f"prop-{self.count}"
        self.csms.store.update_station(STATION, accepted=1)
        self.wire.sent.clear()
        self.loop.run_until_complete(self.session.route_message(dumps([CALL, message_id, action, payload])))
        self.loop.run_until_complete(self._drop_follow_ups())
        frames = [parse_frame(m) for m in self.wire.sent]
        return [f for f in frames if f[0] in (CALLRESULT, CALLERROR) and f[1] == message_id]

    async def _drop_follow_ups(self) -> None:
        tasks = list(self.session._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def close(self) -> None:
        self.loop.run_until_complete(self._drop_follow_ups())
        self.loop.close()


@pytest.fixture(scope="module")
def sessions() -> Iterator[dict[str, Csms]]:
    made: dict[str, Csms] = {}
    yield made
    for csms in made.values():
        csms.close()


def test_every_station_message_is_covered() -> None:
    assert len(CS_TO_CSMS) >= 25 and "NotifyEVChargingNeeds" in CS_TO_CSMS, CS_TO_CSMS


@pytest.mark.parametrize("action", CS_TO_CSMS)
def test_every_schema_valid_request_is_answered(action: str, sessions: dict[str, Csms]) -> None:
    csms = sessions.setdefault(action, Csms())

    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
                                     HealthCheck.function_scoped_fixture])
    @given(payload=requests(action))
    def answered(payload: dict[str, Any]) -> None:
        assume(schema_problem(action, CALL, payload) is None)  # valid as the CSMS's own validator reads the schema
        answers = csms.call(action, payload)
        assert len(answers) == 1, f"{action}Request answered {len(answers)} times: {payload}"
        frame = answers[0]
        if frame[0] == CALLRESULT:
            problem = schema_problem(action, CALLRESULT, frame[2])
            assert problem is None, f"{action}Response breaks the schema: {problem} (request {payload})"
        else:
            assert frame[2] != "InternalError", f"{action}Request: CALLERROR InternalError {frame[3]!r} ({payload})"
    answered()


def test_charging_needs_without_parameters(sessions: dict[str, Csms]) -> None:
    """The known case: chargingNeeds with neither acChargingParameters nor dcChargingParameters."""
    csms = sessions.setdefault("NotifyEVChargingNeeds", Csms())
    for transfer in ("DC", "AC_three_phase"):
        answers = csms.call("NotifyEVChargingNeeds", {"evseId": 1, "chargingNeeds": {"requestedEnergyTransfer": transfer}})
        assert answers and answers[0][0] == CALLRESULT, answers
