"""A pytest plugin for the selftests (``-p selftest.break_self_check``): the station's own
``<SELFTEST_BREAK_OWN_REQUEST>`` requests carry a field their schema forbids, so the station's
self-check fails as a harness bug would (the case must end ``error``, labelled harness)."""
from __future__ import annotations

import os
from typing import Any

import pytest


def pytest_configure(config: pytest.Config) -> None:
    action = os.environ.get("SELFTEST_BREAK_OWN_REQUEST")
    if not action:
        return
    from simulator.station.station import Station
    original = Station.send

    async def send(self: Station, name: str, payload: dict, *args: Any, **kwargs: Any) -> Any:
        if name == action:
            payload = {**payload, "selftestBroken": True}
        return await original(self, name, payload, *args, **kwargs)
    Station.send = send  # type: ignore[method-assign]
