"""A Python operator: the harness drives your CSMS through your CSMS's own API.

Copy this file, point ``call`` at your API (REST, GraphQL, a message bus: whatever your CSMS has)
and implement the actions it can do; every other action falls back to the manual operator (a
person at the terminal) or, without a terminal, fails naming the action and this class. Run with
``CSMS_OPERATOR=python:examples.my_csms_operator:MyCsms``. This copy drives the harness's own
reference CSMS through its action API (``python -m reference_csms``, ``MY_CSMS_API``).
"""
from __future__ import annotations

import asyncio
import json
import os
import urllib.error
import urllib.request
from typing import Any

from simulator.operators.interface import ActionRefused, Answer, CsmsOperator, Evse, IdToken

API = os.environ.get("MY_CSMS_API", "http://127.0.0.1:9080/actions")


class MyCsms(CsmsOperator):
    """The actions our CSMS's API can do, one async method each (names and parameters: the
    ``CsmsOperator`` interface; values are the OCPP JSON objects)."""

    async def call(self, station_id: str, action: str, params: dict[str, Any]) -> Answer:
        """One call of our CSMS's API. Blocking I/O goes to a thread (the harness runs on asyncio);
        a refusal of the CSMS becomes ActionRefused, whose reason the failing step names."""
        def post() -> Answer:
            body = json.dumps({"action": action, "stationId": station_id, "params": params}).encode()
            request = urllib.request.Request(API, body, {"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    return json.loads(response.read() or b"{}")
            except urllib.error.HTTPError as e:
                raise ActionRefused(f"HTTP {e.code} {e.read().decode(errors='replace')[:200]}") from None
        return await asyncio.to_thread(post)

    async def reset(self, station_id: str, type: str, evse_id: int | None = None) -> Answer:
        return await self.call(station_id, "Reset", {"type": type} if evse_id is None else
                               {"type": type, "evseId": evse_id})

    async def unlock_connector(self, station_id: str, evse_id: int, connector_id: int) -> Answer:
        return await self.call(station_id, "UnlockConnector", {"evseId": evse_id, "connectorId": connector_id})

    async def trigger_message(self, station_id: str, requested_message: str, evse: Evse | None = None) -> Answer:
        params: dict[str, Any] = {"requestedMessage": requested_message}
        if evse is not None:
            params["evse"] = evse
        return await self.call(station_id, "TriggerMessage", params)

    async def request_start_transaction(self, station_id: str, id_token: IdToken, evse_id: int | None = None,
                                        remote_start_id: int | None = None, group_id_token: IdToken | None = None,
                                        charging_profile: dict[str, Any] | None = None) -> Answer:
        params: dict[str, Any] = {"idToken": id_token}
        for key, value in (("evseId", evse_id), ("remoteStartId", remote_start_id),
                           ("groupIdToken", group_id_token), ("chargingProfile", charging_profile)):
            if value is not None:
                params[key] = value
        return await self.call(station_id, "RequestStartTransaction", params)
