"""Before the first case: does the CSMS accept a station at all? A dead or silent CSMS is known in
seconds, and every case then fails at once with that one reason instead of each waiting out its
own timeouts."""
from __future__ import annotations

import asyncio
from typing import Any

from simulator.verdicts.checks import CaseFailure
from simulator.verdicts.trace import Trace
from simulator.wire.transport import Credentials, Endpoint


async def _probe(settings: Any, creds: Credentials, endpoint: Endpoint) -> None:
    from simulator.station.states import boot_notification
    from simulator.station.station import Station
    station = Station(settings, creds, endpoint, Trace())
    try:
        await station.connect(step="preflight")
        await boot_notification(station, "PowerUp", "preflight")
    finally:
        await station.close()


def preflight(settings: Any, creds: Credentials, endpoint: Endpoint) -> str | None:
    """None when the CSMS accepts ``creds`` and answers a BootNotification within
    CSMS_RESPONSE_TIMEOUT (each), else the one-line reason."""
    limit = 2 * settings.CSMS_RESPONSE_TIMEOUT + 1
    try:
        asyncio.run(asyncio.wait_for(_probe(settings, creds, endpoint), limit))
    except CaseFailure as failure:
        return str(failure).split(": ", 1)[-1]
    except asyncio.TimeoutError:
        return f"no answer within {limit:g} s"
    return None
