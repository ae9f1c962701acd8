"""Where the CSMS's behaviour is plugged in: one handler per CS→CSMS message, one function per
operator action, and the catalogue of named faults. Each block's module registers its own.
What a handler may return besides a response payload is here too, so that the handlers and the
session that calls them share it without importing each other."""
from __future__ import annotations

import sys
from typing import Any, Awaitable, Callable

MessageHandler = Callable[..., Any]
ActionHandler = Callable[..., Awaitable[dict[str, Any]]]

MESSAGE_HANDLERS: dict[str, MessageHandler] = {}
ACTIONS: dict[str, ActionHandler] = {}
FAULTS: dict[str, str] = {}
FAULT_MODULES: dict[str, str] = {}  # fault -> the module that declares it


def on(action: str) -> Callable[[MessageHandler], MessageHandler]:
    """``@on("BootNotification")``: handler(session, payload) -> response payload, a
    :class:`CallErrorReply` or :class:`NoReply` (or an awaitable of one)."""
    def register(fn: MessageHandler) -> MessageHandler:
        if action in MESSAGE_HANDLERS:  # two modules answering one message: the later would win silently
            raise RuntimeError(f"{action} is handled twice ({MESSAGE_HANDLERS[action].__module__}, {fn.__module__})")
        MESSAGE_HANDLERS[action] = fn
        return fn
    return register


def operator_action(name: str) -> Callable[[ActionHandler], ActionHandler]:
    """``@operator_action("Reset")``: async fn(csms, station_id, params) -> result for the caller."""
    def register(fn: ActionHandler) -> ActionHandler:
        if name in ACTIONS:
            raise RuntimeError(f"operator action {name} is registered twice ({ACTIONS[name].__module__}, "
                               f"{fn.__module__})")
        ACTIONS[name] = fn
        return fn
    return register


def fault(name: str, description: str) -> str:
    """Declare a named fault the CSMS can be started with; returns the name for ``csms.fault()``."""
    if name in FAULTS:
        raise RuntimeError(f"fault {name} is declared twice")
    FAULTS[name] = description
    FAULT_MODULES[name] = sys._getframe(1).f_globals["__name__"]
    return name


class ActionError(Exception):
    """An operator action the CSMS cannot carry out; ``status`` becomes the HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class CallErrorReply:
    """Returned by a handler to answer with a CALLERROR instead of a CALLRESULT."""

    def __init__(self, code: str, description: str = "") -> None:
        self.code = code
        self.description = description


class NoReply:
    """Returned by a handler to answer nothing at all (a CSMS that drops the message)."""
