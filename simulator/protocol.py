"""OCPP-J framing and the official OCPP 2.0.1 JSON schemas (shipped by the ``ocpp`` package)."""
from __future__ import annotations

import json
from typing import Any

from jsonschema.exceptions import ValidationError as SchemaError
from ocpp.messages import MessageType, get_validator

CALL, CALLRESULT, CALLERROR = MessageType.Call, MessageType.CallResult, MessageType.CallError
OCPP_VERSION = "2.0.1"
SUBPROTOCOL = "ocpp2.0.1"


class FrameError(Exception):
    """A frame that is not OCPP-J: not JSON, not an array, or of an unknown message type."""


def schema_problem(action: str, kind: int, payload: Any) -> str | None:
    """None when ``payload`` fits the schema of ``action`` (request for CALL, response for
    CALLRESULT), else one line naming the field and the rule."""
    try:
        validator = get_validator(kind, action, OCPP_VERSION)
    except OSError:
        return f"{action} is not an OCPP 2.0.1 message"
    error = next(iter(sorted(validator.iter_errors(payload), key=lambda e: e.path)), None)
    if error is None:
        return None
    return describe_schema_error(error)


def describe_schema_error(error: SchemaError) -> str:
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
    message = error.message if len(error.message) < 160 else error.message[:157] + "..."
    return f"{path or 'payload'}: {message}"


def parse_frame(text: str | bytes) -> list[Any]:
    """Split a frame into its OCPP-J elements or raise FrameError with one line."""
    try:
        frame = json.loads(text)
    except (ValueError, UnicodeDecodeError) as e:
        raise FrameError(f"malformed JSON ({e.__class__.__name__}: {e})") from None
    if not isinstance(frame, list) or len(frame) < 3 or frame[0] not in (CALL, CALLRESULT, CALLERROR):
        raise FrameError(f"not an OCPP-J message: {str(text)[:120]}")
    if not isinstance(frame[1], str):
        raise FrameError(f"messageId is not a string: {str(text)[:120]}")
    if frame[0] == CALL and (len(frame) != 4 or not isinstance(frame[2], str) or not isinstance(frame[3], dict)):
        raise FrameError(f"malformed CALL: {str(text)[:120]}")
    if frame[0] == CALLRESULT and (len(frame) != 3 or not isinstance(frame[2], dict)):
        raise FrameError(f"malformed CALLRESULT: {str(text)[:120]}")
    if frame[0] == CALLERROR and len(frame) != 5:
        raise FrameError(f"malformed CALLERROR: {str(text)[:120]}")
    return frame


def dumps(frame: list[Any]) -> str:
    return json.dumps(frame, separators=(",", ":"))
