"""Helpers shared by the behaviour modules."""
from __future__ import annotations

import inspect
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Iterator

from ..registry import on, operator_action

if TYPE_CHECKING:
    from ..central import CentralSystem, Payload


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def send_request(csms: "CentralSystem", station_id: str, action: str, payload: "Payload",
                 on_answer: Callable[[dict[str, Any]], Awaitable[Any] | Any] | None = None) -> dict[str, Any]:
    """Send a CSMS→CS request in the background; the action API answers at once. ``payload``
    may be a function that builds it when it goes out (see ``CsmsSession.request``)."""
    session = csms.session(station_id)

    sync = on_answer is not None and not inspect.iscoroutinefunction(on_answer)

    async def run() -> None:
        answer = await session.request(action, payload, on_answer if sync else None)
        if on_answer is not None and not sync:
            await on_answer(answer)
    session.later(run())
    return {"status": "sent", "request": action}


def numbered(payload: dict[str, Any], counter: Iterator[int], key: str = "requestId") -> Callable[[], dict[str, Any]]:
    """The payload with the counter's next number under ``key``, taken when the request goes out
    (so requests carry increasing numbers in the order they are sent)."""
    return lambda: {**payload, key: next(counter)}


def forward(action: str) -> None:
    """Register an operator action that sends the OCPP request ``action`` with the params as its
    payload (the CSMS does what its operator asked, e.g. ChangeAvailability of an EVSE)."""

    @operator_action(action)
    async def send(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
        return send_request(csms, station_id, action, params)


def acknowledge(*actions: str) -> None:
    """Register CS→CSMS notifications whose answer has no content beyond a CALLRESULT."""
    for action in actions:
        on(action)(lambda session, payload: {})
