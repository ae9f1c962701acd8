"""Hypothesis strategies for the official OCPP 2.0.1 JSON schemas (shipped by the ``ocpp`` package):
every value drawn is valid against its schema, as the harness's own validator reads it.

The schemas use a small part of JSON Schema (objects with required and optional properties,
arrays with min/maxItems, strings with maxLength and "date-time", integers with minimum/maximum,
numbers, booleans, enums, ``$ref`` to their own definitions), so the strategy is built here;
hypothesis-jsonschema no longer runs with current hypothesis releases. Integers lean towards the
small values a station holds (EVSE 1, monitor 2, profile 3) so that requests meet its state, and
strings are short; both still reach their limits.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from hypothesis import strategies as st
from ocpp.messages import MessageType, get_validator

from simulator.wire.protocol import URI_FIELDS

Overrides = dict[str, st.SearchStrategy[Any]]

#: strings the RFC 3986 "uri" rule accepts, for the fields the harness checks as URIs
URIS = st.sampled_from(["https://files.example.com/fw.bin", "ftp://logs.example.com/upload",
                        "wss://csms.example.com:9443/ocpp", "http://10.0.0.1:8080/x?y=1"])
ANY_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                        max_leaves=6)
MOMENTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31),
                       timezones=st.just(timezone.utc))


def date_time() -> st.SearchStrategy[str]:
    """RFC 3339 date-times, near now more often than not (what a station compares with its clock)."""
    near = st.integers(-7 * 86400, 7 * 86400).map(lambda s: datetime.now(timezone.utc) + timedelta(seconds=s))
    return st.one_of(near, MOMENTS).map(lambda m: m.isoformat(timespec="milliseconds").replace("+00:00", "Z"))


def _integer(node: dict[str, Any]) -> st.SearchStrategy[int]:
    low, high = node.get("minimum", -(2 ** 31)), node.get("maximum", 2 ** 31 - 1)
    small = st.integers(max(low, -1), min(high, 4))
    return st.one_of(small, st.integers(low, high)) if max(low, -1) <= min(high, 4) else st.integers(low, high)


def _number(node: dict[str, Any]) -> st.SearchStrategy[float]:
    low, high = node.get("minimum"), node.get("maximum")
    return st.one_of(st.integers(0, 64).map(float),
                     st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False))


def _string(node: dict[str, Any]) -> st.SearchStrategy[str]:
    if node.get("format") == "date-time":
        return date_time()
    longest = node.get("maxLength", 64)
    chars = st.characters(codec="utf-8", exclude_categories=("Cs",))
    at_limit = st.text(max_size=longest) if longest <= 64 else chars.map(lambda c: c * longest)
    return st.one_of(st.text(chars, max_size=min(longest, 12)), at_limit)


def from_schema(schema: dict[str, Any], overrides: Overrides | None = None) -> st.SearchStrategy[Any]:
    """Values of ``schema``; ``overrides`` replace the strategy at a dotted path ("log.remoteLocation";
    array items have the path of their array)."""
    definitions = schema.get("definitions", {})
    fixed = overrides or {}

    def build(node: dict[str, Any], path: str) -> st.SearchStrategy[Any]:
        if path in fixed:
            return fixed[path]
        if "$ref" in node:
            node = definitions[node["$ref"].rsplit("/", 1)[1]]
        if "enum" in node:
            return st.sampled_from(node["enum"])
        kind = node.get("type")
        if kind == "object":
            properties = node.get("properties", {})
            required = set(node.get("required", ()))

            def child(name: str) -> st.SearchStrategy[Any]:
                return build(properties[name], f"{path}.{name}".lstrip("."))
            return st.fixed_dictionaries({n: child(n) for n in properties if n in required},
                                         optional={n: child(n) for n in properties if n not in required})
        if kind == "array":
            least = node.get("minItems", 0)
            most = min(node.get("maxItems", least + 3), least + 3)
            return st.lists(build(node["items"], path), min_size=least, max_size=most)
        if kind is None:  # any JSON value (DataTransfer's data)
            return ANY_JSON
        builders: dict[str, Callable[[dict[str, Any]], st.SearchStrategy[Any]]] = {
            "string": _string, "integer": _integer, "number": _number, "boolean": lambda _: st.booleans()}
        return builders[kind](node)

    return build(schema, "")


def schema_of(action: str, kind: int) -> dict[str, Any]:
    """The official schema of ``action``'s request (CALL) or response (CALLRESULT)."""
    return get_validator(kind, action, "2.0.1").schema


def requests(action: str, overrides: Overrides | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """Schema-valid requests of ``action``; the fields the harness checks as URIs get URIs."""
    uris = {path: URIS for (name, kind), paths in URI_FIELDS.items() for path in paths
            if name == action and kind == MessageType.Call}
    return from_schema(schema_of(action, MessageType.Call), {**uris, **(overrides or {})})


def minimal(action: str, kind: int = MessageType.CallResult) -> dict[str, Any]:
    """The smallest valid payload of a schema: required fields only, the first enum value, now for
    a date-time, 0, "" or false (what a terse CSMS answers)."""
    schema = schema_of(action, kind)
    definitions = schema.get("definitions", {})

    def build(node: dict[str, Any]) -> Any:
        if "$ref" in node:
            node = definitions[node["$ref"].rsplit("/", 1)[1]]
        if "enum" in node:
            return node["enum"][0]
        kind_ = node.get("type")
        if kind_ == "object":
            return {n: build(node["properties"][n]) for n in node.get("required", ())}
        if kind_ == "array":
            return [build(node["items"]) for _ in range(node.get("minItems", 0))]
        if kind_ == "string":
            return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z") if node.get("format") else ""
        return {"integer": 0, "number": 0.0, "boolean": False}[kind_]

    return build(schema)
