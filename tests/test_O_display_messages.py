"""Block O — Display Message (catalogue: O.md)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from simulator.operators import actions
from simulator.verdicts.checks import ABSENT, PRESENT, OneOf, Rule, check, check_fields, check_that, fail, in_state
from simulator.station.display import notify_display_messages, set_display_message, stored_messages
from simulator.settings import Settings
from simulator.station.states import booted, energy_transfer_started, ev_disconnected
from simulator.station.station import Station


# ---------------------------------------------------------------- helpers that read like the catalogue
def message_action(cp: Station, settings: Settings, **fields: Any) -> actions.Action:
    """SetDisplayMessage with the configured priority, format and content unless ``fields`` say otherwise."""
    priority = fields.pop("priority", settings.CONFIGURED_DISPLAY_MESSAGE_PRIORITY)
    content = fields.pop("content", settings.CONFIGURED_DISPLAY_MESSAGE_CONTENT)
    message_format = fields.pop("message_format", settings.CONFIGURED_DISPLAY_MESSAGE_FORMAT)
    return actions.set_display_message(cp.id, priority, content, message_format, **fields)


def asked_fields(action: actions.Action) -> dict[str, Any]:
    """What the operator asked the CSMS to send (block O summary): priority, message format and
    content, and the state, start/end time and message id when asked; the transactionId asked for,
    and none when no transaction is meant (O01.FR.04)."""
    params = action.params
    asked: dict[str, Any] = {"message.priority": params["priority"],
                             "message.message.format": params["message"]["format"],
                             "message.message.content": params["message"]["content"],
                             "message.transactionId": params.get("transactionId", ABSENT)}
    if "state" in params:
        asked["message.state"] = params["state"]
    if "id" in params:
        asked["message.id"] = params["id"]
    for name in ("startDateTime", "endDateTime"):
        if name in params:
            asked[f"message.{name}"] = same_instant(datetime.fromisoformat(params[name].replace("Z", "+00:00")))
    return asked


async def set_message(cp: Station, action: actions.Action, checks: dict[str, Any],
                      reply: dict[str, Any] | None = None) -> dict[str, Any]:
    """Steps 1-2 of O01/O02/O06: the CSMS's SetDisplayMessageRequest, answered by the station's
    rules (``reply`` when the case scripts a status). Step 1 checks the catalogue's ``checks`` first,
    then every other field the operator asked for."""
    request = await cp.expect(action, 1, reply=reply)
    check_fields(1, request, {**checks, **{k: v for k, v in asked_fields(action).items() if k not in checks}})
    return request


async def display_message_configured(cp: Station, settings: Settings) -> int:
    """DisplayMessageConfigured (block preparation): the CSMS sets the configured message, not bound
    to a transaction; the station stores it. Returns the configured message id (chosen by the CSMS)."""
    answers: list[str] = []

    def stored(payload: dict[str, Any]) -> dict[str, Any]:
        answer = set_display_message(cp, payload)
        answers.append(answer["status"])
        return answer
    with in_state("DisplayMessageConfigured"):
        request = await cp.expect(message_action(cp, settings, state=settings.CONFIGURED_DISPLAY_MESSAGE_STATE), 1,
                                  reply=stored)
        check_that(2, answers == ["Accepted"],
                   f"SetDisplayMessageResponse.status expected 'Accepted', got {answers[0]!r} (the station's answer "
                   f"to message {json.dumps(request['message'])})")
    return request["message"]["id"]


def at_offset(seconds: float) -> datetime:
    return datetime.now(timezone.utc) + timedelta(seconds=seconds)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def same_instant(moment: datetime) -> Rule:
    """The same instant as ``moment`` within one second (any offset notation)."""
    def close(value: str) -> bool:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed.tzinfo is not None and abs((parsed - moment).total_seconds()) <= 1
    return Rule(f"{iso(moment)} (±1 s)", close)


def shown_directly(arrived: datetime) -> Any:
    """startDateTime of a message shown at once: absent ("If omitted: directly", MessageInfoType) or,
    the same in OCPP's terms, a moment not after the request's arrival (±1 s)."""
    def due(value: str) -> bool:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed.tzinfo is not None and (parsed - arrived).total_seconds() <= 1
    return OneOf(ABSENT, Rule(f"a date-time not after the request's arrival ({iso(arrived)}, ±1 s)", due))


async def messages_reported(cp: Station, request: dict[str, Any]) -> None:
    """Steps 3-4: NotifyDisplayMessages with the stored messages the request asks for; step 4 its
    CALLRESULT."""
    messages = stored_messages(cp, request)
    if not messages:  # the station answered Unknown at step 2: no Accepted, nothing to report
        held = list(cp.model.display_messages.values())
        fail(2, f"GetDisplayMessagesResponse.status expected 'Accepted', got 'Unknown': no message the station "
                f"holds ({held}) matches the request's id/priority/state")
    await notify_display_messages(cp, request["requestId"], messages, 4)


NO_FILTER = {"id": ABSENT, "priority": ABSENT, "state": ABSENT}


async def refused(cp: Station) -> None:
    """Post of a refused message: still connected, nothing stored."""
    await cp.still_connected()
    check_that("Post", not cp.model.display_messages,
               f"the station expected to store nothing, holds {sorted(cp.model.display_messages)}")


# ---------------------------------------------------------------- O01 / O02 / O06 set
async def test_TC_O_01_set_display_message(cp: Station, settings: Settings) -> None:
    """Set Display Message - Success"""
    s = settings
    await booted(cp)
    request = await set_message(cp, message_action(cp, s, state=s.CONFIGURED_DISPLAY_MESSAGE_STATE), {
        "message.id": PRESENT, "message.priority": s.CONFIGURED_DISPLAY_MESSAGE_PRIORITY,
        "message.state": s.CONFIGURED_DISPLAY_MESSAGE_STATE,
        "message.message.format": s.CONFIGURED_DISPLAY_MESSAGE_FORMAT, "message.transactionId": ABSENT,
        "message.message.content": s.CONFIGURED_DISPLAY_MESSAGE_CONTENT})
    check_that("Post", request["message"]["id"] in cp.model.display_messages,
               f"the station holds messages {sorted(cp.model.display_messages)}, not {request['message']['id']}")


async def test_TC_O_06_set_display_message_transaction(cp: Station, settings: Settings) -> None:
    """Set Display Message - Specific transaction - Success"""
    await booted(cp)
    await energy_transfer_started(cp)
    t = cp.model.transaction(settings.CONFIGURED_EVSE_ID).id
    await set_message(cp, message_action(cp, settings, transactionId=t), {
        "message.transactionId": t, "message.priority": settings.CONFIGURED_DISPLAY_MESSAGE_PRIORITY})
    await ev_disconnected(cp)
    # Post "transaction t ended": the station's own Ended event of EVDisconnected (step 3), answered


async def test_TC_O_10_set_display_message_unknown_transaction(cp: Station, settings: Settings) -> None:
    """Set Display Message - Specific transaction - UnknownTransaction"""
    await booted(cp)
    await energy_transfer_started(cp)
    t = cp.model.transaction(settings.CONFIGURED_EVSE_ID).id
    # the station answers UnknownTransaction: it runs no transaction of that id
    await set_message(cp, message_action(cp, settings, transactionId=settings.CONFIGURED_UNKNOWN_TRANSACTION_ID), {
        "message.transactionId": Rule(f"present and not {t!r}", lambda v: v != t),
        "message.priority": settings.CONFIGURED_DISPLAY_MESSAGE_PRIORITY})
    # Post "transaction t still running" is not part of the verdict (catalogue)


async def test_TC_O_12_replace_display_message(cp: Station, settings: Settings) -> None:
    """Set Display Message - Replace DisplayMessage"""
    s = settings
    await booted(cp)
    configured = await display_message_configured(cp, s)
    await set_message(cp, message_action(cp, s, message_id=configured,
                                         content=s.CONFIGURED_DISPLAY_MESSAGE_REPLACEMENT_CONTENT), {
        "message.id": configured, "message.priority": s.CONFIGURED_DISPLAY_MESSAGE_PRIORITY,
        "message.message.content": s.CONFIGURED_DISPLAY_MESSAGE_REPLACEMENT_CONTENT})
    held = [m["message"]["content"] for m in cp.model.display_messages.values()]
    check_that("Post", held == [s.CONFIGURED_DISPLAY_MESSAGE_REPLACEMENT_CONTENT],
               f"the station expected to hold one message with the new content, holds {held}")


async def test_TC_O_13_display_message_start_time(cp: Station, settings: Settings) -> None:
    """Set Display Message - Display message at StartTime"""
    await booted(cp)
    start = at_offset(settings.CONFIGURED_DISPLAY_MESSAGE_START_DELAY)
    await set_message(cp, message_action(cp, settings, startDateTime=iso(start)),
                      {"message.id": PRESENT, "message.startDateTime": same_instant(start)})


async def test_TC_O_14_display_message_end_time(cp: Station, settings: Settings) -> None:
    """Set Display Message - Remove message after EndTime"""
    await booted(cp)
    end = at_offset(settings.CONFIGURED_DISPLAY_MESSAGE_END_DELAY)
    await set_message(cp, message_action(cp, settings, endDateTime=iso(end)),
                      {"message.id": PRESENT, "message.endDateTime": same_instant(end)})


async def test_TC_O_17_not_supported_priority(cp: Station, settings: Settings) -> None:
    """Set Display Message - NotSupportedPriority"""
    priority = settings.CONFIGURED_UNSUPPORTED_DISPLAY_MESSAGE_PRIORITY
    await booted(cp)
    await set_message(cp, message_action(cp, settings, priority=priority),
                      {"message.id": PRESENT, "message.priority": priority}, reply={"status": "NotSupportedPriority"})
    await refused(cp)


async def test_TC_O_18_not_supported_state(cp: Station, settings: Settings) -> None:
    """Set Display Message - NotSupportedState"""
    state = settings.CONFIGURED_UNSUPPORTED_DISPLAY_MESSAGE_STATE
    await booted(cp)
    await set_message(cp, message_action(cp, settings, state=state),
                      {"message.id": PRESENT, "message.state": state}, reply={"status": "NotSupportedState"})
    await refused(cp)


async def test_TC_O_19_not_supported_format(cp: Station, settings: Settings) -> None:
    """Set Display Message - NotSupportedMessageFormat"""
    message_format = settings.CONFIGURED_UNSUPPORTED_DISPLAY_MESSAGE_FORMAT
    await booted(cp)
    await set_message(cp, message_action(cp, settings, message_format=message_format),
                      {"message.id": PRESENT, "message.message.format": message_format},
                      reply={"status": "NotSupportedMessageFormat"})
    await refused(cp)


async def test_TC_O_25_send_specific_state(cp: Station, settings: Settings) -> None:
    """Set Display Message - Send Specific state"""
    await booted(cp)
    request = await set_message(cp, message_action(cp, settings, state="Charging"),
                                {"message.id": PRESENT, "message.state": "Charging"})
    check_that("Post", request["message"]["id"] in cp.model.display_messages,
               f"the station holds messages {sorted(cp.model.display_messages)}, not {request['message']['id']}")


async def test_TC_O_26_set_display_message_rejected(cp: Station, settings: Settings) -> None:
    """Set Display Message - Rejected"""
    await booted(cp)
    await set_message(cp, message_action(cp, settings, priority="NormalCycle"),
                      {"message.id": PRESENT, "message.priority": "NormalCycle"}, reply={"status": "Rejected"})
    await refused(cp)


async def test_TC_O_27_transaction_message_start_time(cp: Station, settings: Settings) -> None:
    """Set Display Message - Specific transaction - Display message at StartTime"""
    await booted(cp)
    await energy_transfer_started(cp)
    t = cp.model.transaction(settings.CONFIGURED_EVSE_ID).id
    start = at_offset(settings.CONFIGURED_DISPLAY_MESSAGE_START_DELAY)
    await set_message(cp, message_action(cp, settings, transactionId=t, startDateTime=iso(start)), {
        "message.state": ABSENT, "message.startDateTime": same_instant(start), "message.endDateTime": ABSENT,
        "message.transactionId": t})
    # Post "transaction t still running" is not part of the verdict (catalogue)


async def test_TC_O_28_transaction_message_end_time(cp: Station, settings: Settings) -> None:
    """Set Display Message - Specific transaction - Remove message after EndTime"""
    await booted(cp)
    await energy_transfer_started(cp)
    t = cp.model.transaction(settings.CONFIGURED_EVSE_ID).id
    end = at_offset(settings.CONFIGURED_DISPLAY_MESSAGE_END_DELAY)
    action = message_action(cp, settings, transactionId=t, endDateTime=iso(end))
    request = await cp.expect(action, 1)
    arrived = datetime.now(timezone.utc)  # the request arrived before this moment
    checks = {"message.state": ABSENT, "message.startDateTime": shown_directly(arrived),
              "message.endDateTime": same_instant(end), "message.transactionId": t}
    check_fields(1, request, {**checks, **{k: v for k, v in asked_fields(action).items() if k not in checks}})
    # Post "transaction t still running" is not part of the verdict (catalogue)


# ---------------------------------------------------------------- O03 / O04 get
async def test_TC_O_02_get_all_display_messages(cp: Station, settings: Settings) -> None:
    """Get all Display Messages - Success"""
    await booted(cp)
    await display_message_configured(cp, settings)
    request = await cp.expect(actions.get_display_messages(cp.id), 1)
    check_fields(1, request, NO_FILTER)
    await messages_reported(cp, request)


async def test_TC_O_03_get_all_display_messages_none(cp: Station) -> None:
    """Get all Display Messages - No DisplayMessages configured"""
    await booted(cp)
    request = await cp.expect(actions.get_display_messages(cp.id), 1)  # the empty store answers Unknown
    check_fields(1, request, NO_FILTER)
    await cp.still_connected()


async def test_TC_O_07_get_display_message_by_id(cp: Station, settings: Settings) -> None:
    """Get a Specific Display Message - Id"""
    await booted(cp)
    configured = await display_message_configured(cp, settings)
    request = await cp.expect(actions.get_display_messages(cp.id, ids=[configured]), 1)
    check_fields(1, request, {"id": [configured], "priority": ABSENT, "state": ABSENT})
    await messages_reported(cp, request)


async def test_TC_O_08_get_display_message_by_priority(cp: Station, settings: Settings) -> None:
    """Get a Specific Display Message - Priority"""
    priority = settings.CONFIGURED_DISPLAY_MESSAGE_PRIORITY
    await booted(cp)
    await display_message_configured(cp, settings)
    request = await cp.expect(actions.get_display_messages(cp.id, priority=priority), 1)
    check_fields(1, request, {"priority": priority, "id": ABSENT, "state": ABSENT})
    await messages_reported(cp, request)


async def test_TC_O_09_get_display_message_by_state(cp: Station, settings: Settings) -> None:
    """Get a Specific Display Message - State"""
    state = settings.CONFIGURED_DISPLAY_MESSAGE_STATE
    await booted(cp)
    await display_message_configured(cp, settings)
    request = await cp.expect(actions.get_display_messages(cp.id, state=state), 1)
    check_fields(1, request, {"state": state, "id": ABSENT, "priority": ABSENT})
    await messages_reported(cp, request)


async def test_TC_O_11_get_display_message_unknown(cp: Station, settings: Settings) -> None:
    """Get a Specific Display Message - Unknown parameters"""
    unknown = settings.CONFIGURED_UNKNOWN_DISPLAY_MESSAGE_ID
    await booted(cp)
    configured = await display_message_configured(cp, settings)
    if configured == unknown:
        fail("before step 1", f"the CSMS chose the configured message id {configured}, which is "
                              f"CONFIGURED_UNKNOWN_DISPLAY_MESSAGE_ID; set another unknown id")
    not_configured = Rule(f"present without the configured message id {configured}", lambda ids: configured not in ids)
    request = await cp.expect(actions.get_display_messages(cp.id, ids=[unknown]), 1,  # answered Unknown
                              match={"id": not_configured, "priority": ABSENT, "state": ABSENT})
    check(1, "id", request.get("id", ABSENT), not_configured)
    await cp.still_connected()


# ---------------------------------------------------------------- O05 clear
async def test_TC_O_04_clear_display_message(cp: Station, settings: Settings) -> None:
    """Clear Display Message - Success"""
    await booted(cp)
    configured = await display_message_configured(cp, settings)
    request = await cp.expect(actions.clear_display_message(cp.id, configured), 1)
    check(1, "id", request["id"], configured)
    check_that("Post", not cp.model.display_messages,
               f"the station's store expected empty, holds {sorted(cp.model.display_messages)}")


async def test_TC_O_05_clear_display_message_unknown(cp: Station, settings: Settings) -> None:
    """Clear Display Message - Unknown Key"""
    unknown = settings.CONFIGURED_UNKNOWN_DISPLAY_MESSAGE_ID
    await booted(cp)
    request = await cp.expect(actions.clear_display_message(cp.id, unknown), 1)  # answered Unknown
    check(1, "id", request["id"], unknown)
    await cp.still_connected()
