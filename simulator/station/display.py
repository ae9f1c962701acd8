"""The simulated station's display messages (block O): an Accepted SetDisplayMessage stores the
message (the same id replaces it), GetDisplayMessages answers from the store and
ClearDisplayMessage removes from it."""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.station.station import Station


def _running(station: "Station", transaction_id: str) -> bool:
    tx = station.model.find_transaction(transaction_id)
    return tx is not None and not tx.ended


def set_display_message(station: "Station", payload: dict[str, Any]) -> dict[str, Any]:
    """O01/O02/O06: store (or replace) the message; one bound to a transaction the station does
    not run is UnknownTransaction."""
    info = payload["message"]
    if "transactionId" in info and not _running(station, info["transactionId"]):
        return {"status": "UnknownTransaction"}
    station.model.display_messages[info["id"]] = copy.deepcopy(info)
    return {"status": "Accepted"}


def stored_messages(station: "Station", payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The stored messages a GetDisplayMessagesRequest asks for (ids, priority, state); messages of
    a transaction that ended are gone (O02)."""
    store = station.model.display_messages
    for message_id in [i for i, m in store.items() if "transactionId" in m and not _running(station, m["transactionId"])]:
        del store[message_id]
    ids, priority, state = payload.get("id"), payload.get("priority"), payload.get("state")
    return [copy.deepcopy(m) for i, m in sorted(store.items())
            if (not ids or i in ids) and (priority is None or m["priority"] == priority)
            and (state is None or m.get("state") == state)]


def get_display_messages(station: "Station", payload: dict[str, Any]) -> dict[str, Any]:
    return {"status": "Accepted" if stored_messages(station, payload) else "Unknown"}


async def notify_display_messages(station: "Station", request_id: int, messages: list[dict[str, Any]],
                                  step: int | str | None) -> dict:
    """NotifyDisplayMessagesRequest with the messages as stored (one part, tbc false)."""
    return await station.send("NotifyDisplayMessages", {"requestId": request_id, "tbc": False,
                                                        "messageInfo": messages}, step)


def clear_display_message(station: "Station", payload: dict[str, Any]) -> dict[str, Any]:
    found = station.model.display_messages.pop(payload["id"], None)
    return {"status": "Accepted" if found is not None else "Unknown"}
