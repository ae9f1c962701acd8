"""Display messages (O): set, replace, get and clear the messages a station shows.

The CSMS keeps per station the messages the station accepted (id, priority, state, content,
transaction, times); it chooses the id of a new message from them, builds a replacement from the
stored message, and reconciles its store with what the station reports (NotifyDisplayMessages,
an Unknown answer to a request for all messages, an Accepted clear)."""
from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from simulator.wire.protocol import CALL, schema_problem

from ..registry import ActionError, CallErrorReply, fault, on, operator_action
from .common import send_request

if TYPE_CHECKING:
    from ..central import CentralSystem, CsmsSession

PRIORITY_CYCLED = fault("display_wrong_priority", "SetDisplayMessage sends the next priority of AlwaysFront, InFront, NormalCycle instead of the asked one")
STATE_CYCLED = fault("display_wrong_state", "SetDisplayMessage sends the next state of Charging, Faulted, Idle, Unavailable instead of the asked one")
CONTENT_CUT = fault("display_wrong_content", "SetDisplayMessage cuts message.content to its first 16 characters")
FORMAT_UTF8 = fault("display_wrong_format", "SetDisplayMessage always sends message.format UTF8")
NO_TRANSACTION = fault("display_drops_transaction", "SetDisplayMessage leaves out the transactionId it was asked for")
NO_TIMES = fault("display_drops_times", "SetDisplayMessage leaves out startDateTime and endDateTime")
TIED_TRANSACTION = fault("display_ties_transaction", "SetDisplayMessage asked without a transaction ties the message to the station's latest transaction it knows (ongoing or ended), or to transactionId '1' when it knows none")
NEW_ID_ON_REPLACE = fault("display_replace_new_id", "replacing a message sends it under a new id")
FILTER_IGNORED = fault("display_filter_ignored", "GetDisplayMessages is sent without the asked id/priority/state filter")
FILTER_INVENTED = fault("display_filter_added", "GetDisplayMessages without a filter is sent with priority NormalCycle")
CLEAR_WRONG_ID = fault("display_clear_wrong_id", "ClearDisplayMessage sends the asked id + 1")
NOTIFY_REFUSED = fault("display_notify_refused", "answers NotifyDisplayMessages with a CALLERROR")

PRIORITIES = ("AlwaysFront", "InFront", "NormalCycle")
STATES = ("Charging", "Faulted", "Idle", "Unavailable")
MESSAGE_KEYS = ("priority", "state", "startDateTime", "endDateTime", "transactionId", "display")

_request_ids = itertools.count(1)


def _checked(action: str, payload: dict[str, Any]) -> dict[str, Any]:
    problem = schema_problem(action, CALL, payload)
    if problem:
        raise ActionError(f"{action}Request would break the OCPP 2.0.1 schema: {problem}")
    return payload


def _next(values: tuple[str, ...], value: str) -> str:
    return values[(values.index(value) + 1) % len(values)] if value in values else value


def _new_id(csms: "CentralSystem", station_id: str, above: int = 0) -> int:
    """The id of a new message: above the station's stored ones and every id issued before."""
    stored = [m["id"] for m in csms.store.display_messages(station_id)]
    return csms.issue(station_id, "display message id", max(stored + [above]) + 1)


def _message_info(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """The MessageInfo to send (built when the request goes out): a new message gets the next id
    after the station's stored ones; a replacement (params id) starts from the stored message and
    takes what the params change."""
    if params.get("id") is not None:
        base = csms.store.display_message(station_id, params["id"]) or {"id": params["id"]}
        info = {k: v for k, v in base.items() if k != "message"}
        content = dict(base.get("message", {}))
        if csms.fault(NEW_ID_ON_REPLACE):
            info["id"] = _new_id(csms, station_id, params["id"])
    else:
        info, content = {"id": _new_id(csms, station_id)}, {}
    info.update({k: params[k] for k in MESSAGE_KEYS if params.get(k) is not None})
    content.update(params.get("message") or {})
    info["message"] = content
    return info


def _latest_transaction(csms: "CentralSystem", station_id: str) -> str:
    ongoing = csms.store.ongoing_transaction(station_id)
    if ongoing is not None:
        return ongoing["id"]
    return next(iter(csms.store.ended_transactions(station_id, 1)), "1")


def _faulty(csms: "CentralSystem", station_id: str, info: dict[str, Any]) -> dict[str, Any]:
    if csms.fault(PRIORITY_CYCLED):
        info["priority"] = _next(PRIORITIES, info.get("priority", ""))
    if csms.fault(STATE_CYCLED) and "state" in info:
        info["state"] = _next(STATES, info["state"])
    if csms.fault(CONTENT_CUT):
        info["message"]["content"] = info["message"].get("content", "")[:16]
    if csms.fault(FORMAT_UTF8):
        info["message"]["format"] = "UTF8"
    if csms.fault(NO_TRANSACTION):
        info.pop("transactionId", None)
    if csms.fault(NO_TIMES):
        info.pop("startDateTime", None)
        info.pop("endDateTime", None)
    if csms.fault(TIED_TRANSACTION) and "transactionId" not in info:
        info["transactionId"] = _latest_transaction(csms, station_id)
    return info


@operator_action("SetDisplayMessage")
async def set_display_message(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """O01/O02/O06: send the message; the station's Accepted stores (or replaces) it. The id of a
    new message is chosen when the request goes out."""
    base = csms.store.display_message(station_id, params["id"]) if params.get("id") is not None else None
    preview = {**(base or {}), **{k: params[k] for k in MESSAGE_KEYS if params.get(k) is not None},
               "id": params.get("id") or 0, "message": {**(base or {}).get("message", {}), **(params.get("message") or {})}}
    if "priority" not in preview or not preview["message"].get("content"):
        raise ActionError("SetDisplayMessage needs priority and message {format, content}")
    _checked("SetDisplayMessage", {"message": preview})
    sent: dict[str, Any] = {}

    def build() -> dict[str, Any]:
        sent["info"] = _faulty(csms, station_id, _message_info(csms, station_id, params))
        return {"message": sent["info"]}

    def remember(answer: dict[str, Any]) -> None:
        if answer.get("status") == "Accepted":
            csms.store.save_display_message(station_id, sent["info"])
    return send_request(csms, station_id, "SetDisplayMessage", build, remember)


@operator_action("GetDisplayMessages")
async def get_display_messages(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """O03/O04: ask for all messages or those with the given ids / priority / state."""
    payload: dict[str, Any] = {"requestId": 0}  # the requestId is taken when the request goes out
    for key in ("id", "priority", "state"):
        if params.get(key) is not None:
            payload[key] = params[key]
    if csms.fault(FILTER_IGNORED):
        payload = {"requestId": payload["requestId"]}
    elif csms.fault(FILTER_INVENTED) and len(payload) == 1:
        payload["priority"] = "NormalCycle"
    everything = len(payload) == 1
    _checked("GetDisplayMessages", payload)

    def remember(answer: dict[str, Any]) -> None:
        if answer.get("status") == "Unknown" and everything:
            csms.store.remove_display_messages(station_id)  # the station holds none
    return send_request(csms, station_id, "GetDisplayMessages",
                        lambda: {**payload, "requestId": next(_request_ids)}, remember)


@on("NotifyDisplayMessages")
def notify_display_messages(session: "CsmsSession", payload: dict[str, Any]) -> Any:
    """O03/O04: the reported messages are what the station holds under those ids."""
    if session.csms.fault(NOTIFY_REFUSED):
        return CallErrorReply("InternalError", "display message reports are not accepted")
    for info in payload.get("messageInfo", []):
        session.store.save_display_message(session.id, info)
    return {}


@operator_action("ClearDisplayMessage")
async def clear_display_message(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """O05: remove one message (also one the CSMS does not know of); Accepted or Unknown removes
    it from the store."""
    message_id = params.get("id")
    if not isinstance(message_id, int):
        raise ActionError("ClearDisplayMessage needs an integer id")
    if csms.fault(CLEAR_WRONG_ID):
        message_id += 1

    def remember(answer: dict[str, Any]) -> None:
        if answer.get("status") in ("Accepted", "Unknown"):
            csms.store.remove_display_messages(station_id, [message_id])
    return send_request(csms, station_id, "ClearDisplayMessage",
                        _checked("ClearDisplayMessage", {"id": message_id}), remember)
