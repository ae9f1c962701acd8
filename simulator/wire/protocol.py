"""OCPP-J framing and the official OCPP 2.0.1 JSON schemas (shipped by the ``ocpp`` package)."""
from __future__ import annotations

import functools
import json
from typing import Any

from jsonschema import Draft4Validator, FormatChecker
from jsonschema.exceptions import ValidationError as SchemaError
from ocpp.messages import MessageType, get_validator
from rfc3986_validator import validate_rfc3986

CALL, CALLRESULT, CALLERROR = MessageType.Call, MessageType.CallResult, MessageType.CallError
OCPP_VERSION = "2.0.1"
SUBPROTOCOL = "ocpp2.0.1"


#: The RPC framework error codes of OCPP 2.0.1 (Part 4, 4.3); the OCPP 1.6 spellings
#: (``FormationViolation``, ``OccurenceConstraintViolation``) are not among them.
ERROR_CODES = frozenset({
    "FormatViolation", "GenericError", "InternalError", "MessageTypeNotSupported", "NotImplemented",
    "NotSupported", "OccurrenceConstraintViolation", "PropertyConstraintViolation", "ProtocolError",
    "RpcFrameworkError", "SecurityError", "TypeConstraintViolation"})

#: Fields the OCPP 2.0.1 schemas type as plain strings but the specification defines as URLs.
URI_FIELDS: dict[tuple[str, int], tuple[str, ...]] = {
    ("UpdateFirmware", MessageType.Call): ("firmware.location",),
    ("PublishFirmware", MessageType.Call): ("location",),
    ("GetLog", MessageType.Call): ("log.remoteLocation",),
    ("SetNetworkProfile", MessageType.Call): ("connectionData.ocppCsmsUrl",),
}


class FrameError(Exception):
    """A frame that is not OCPP-J: not JSON, not an array, or of an unknown message type."""


def schema_problem(action: str, kind: int, payload: Any) -> str | None:
    """None when ``payload`` fits the schema of ``action`` (request for CALL, response for
    CALLRESULT), else one line naming the field and the rule."""
    try:
        validator = _validator(action, int(kind))
    except OSError:
        return f"{action} is not an OCPP 2.0.1 message"
    error = next(iter(sorted(validator.iter_errors(payload), key=lambda e: e.path)), None)
    if error is not None:
        return describe_schema_error(error)
    for path in URI_FIELDS.get((action, kind), ()):
        value = _at(payload, path)
        if isinstance(value, str) and not validate_rfc3986(value, rule="URI"):
            return f"{path}: {value!r} is not a 'uri' (RFC 3986)"
    return None


@functools.cache
def _validator(action: str, kind: int) -> Draft4Validator:
    """The official schema, checked in full: formats (date-time as RFC 3339) included."""
    schema = get_validator(kind, action, OCPP_VERSION).schema
    return Draft4Validator(schema, format_checker=FormatChecker())


def _at(payload: Any, path: str) -> Any:
    for name in path.split("."):
        if not isinstance(payload, dict):
            return None
        payload = payload.get(name)
    return payload


def request_fields(action: str) -> frozenset[str]:
    """Top-level fields of ``action``'s request schema (empty for an unknown action)."""
    try:
        return frozenset(_validator(action, int(CALL)).schema.get("properties", {}))
    except OSError:
        return frozenset()


def error_code_problem(code: Any) -> str | None:
    """None for an OCPP 2.0.1 RPC error code, else one line naming the code."""
    if code in ERROR_CODES:
        return None
    hint = " (the OCPP 1.6 spelling; OCPP 2.0.1 uses FormatViolation)" if code == "FormationViolation" else ""
    return f"CALLERROR code {code!r} is not an OCPP 2.0.1 RPC error code{hint}"


def describe_schema_error(error: SchemaError) -> str:
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
    if error.validator == "maxLength" and isinstance(error.instance, str):
        message = f"{len(error.instance)} characters, longer than maxLength {error.validator_value}"
    else:
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
