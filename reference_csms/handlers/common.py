"""Helpers shared by the behaviour modules."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Awaitable, Callable

if TYPE_CHECKING:
    from ..app import CentralSystem


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def send_request(csms: "CentralSystem", station_id: str, action: str, payload: dict[str, Any],
                 on_answer: Callable[[dict[str, Any]], Awaitable[Any] | Any] | None = None) -> dict[str, Any]:
    """Send a CSMS→CS request in the background; the action API answers at once."""
    session = csms.session(station_id)

    async def run() -> None:
        answer = await session.request(action, payload)
        if on_answer is not None:
            result = on_answer(answer)
            if hasattr(result, "__await__"):
                await result
    session.later(run())
    return {"status": "sent", "request": action}
