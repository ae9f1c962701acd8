"""Option ``busy``'s answers: optional, schema-allowed fields no case asks for, added to every
answer of the CSMS. Kept apart from ``busy`` (its requests) because the session calls this and
``busy`` needs the session."""
from __future__ import annotations

import copy
import logging
from datetime import datetime, timedelta, timezone
from typing import Any

from ocpp.messages import get_validator

from simulator.wire.protocol import CALLRESULT, OCPP_VERSION, schema_problem

log = logging.getLogger("reference_csms")

CUSTOM_DATA = {"vendorId": "org.reference.csms", "busy": True}
STATUS_INFO = {"reasonCode": "Informational", "additionalInfo": "optional field of the reference CSMS's busy option"}


def _properties(action: str) -> dict[str, Any]:
    return get_validator(CALLRESULT, action, OCPP_VERSION).schema.get("properties", {})


def embellish(action: str, response: dict[str, Any]) -> dict[str, Any]:
    """The answer with optional fields its schema allows and no case asks for: customData,
    statusInfo, and idTokenInfo's cacheExpiryDateTime/language1. Required fields and every value
    already there stay as they are; if the result would break the schema, the answer is unchanged."""
    try:
        properties = _properties(action)
    except OSError:
        return response
    richer = copy.deepcopy(response)
    if "customData" in properties:
        richer.setdefault("customData", dict(CUSTOM_DATA))
    if "statusInfo" in properties:
        richer.setdefault("statusInfo", dict(STATUS_INFO))
    info = richer.get("idTokenInfo")
    if isinstance(info, dict):
        expiry = datetime.now(timezone.utc) + timedelta(hours=1)
        info.setdefault("cacheExpiryDateTime", expiry.isoformat(timespec="seconds").replace("+00:00", "Z"))
        info.setdefault("language1", "en")
        info.setdefault("customData", dict(CUSTOM_DATA))
    problem = schema_problem(action, CALLRESULT, richer)
    if problem:
        log.warning("busy: optional fields would break %sResponse (%s); sent without them", action, problem)
        return response
    return richer
