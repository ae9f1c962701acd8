"""Block B — Provisioning (catalogue: B.md)."""
from __future__ import annotations

from simulator.checks import Rule, check, in_state
from simulator.states import booted
from simulator.station import Station


async def test_TC_B_01_cold_boot_accepted(cp: Station) -> None:
    """Cold Boot Charging Station - Accepted"""
    response = await booted(cp)
    with in_state(""):
        check(2, "interval", response["interval"], Rule("an integer > 0", lambda v: v > 0))
    check("Post", "connection", cp.connected, True)
