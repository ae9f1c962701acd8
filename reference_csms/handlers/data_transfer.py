"""Data transfer (P): the reference CSMS implements no vendor extension (P02.FR.06/07)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..registry import fault, on

if TYPE_CHECKING:
    from ..central import CsmsSession

KNOWN_VENDORS: dict[str, set[str]] = {}  # vendorId -> messageIds this CSMS implements: none
ACCEPT_ANY_VENDOR = fault("accept_unknown_vendor", "answers DataTransfer Accepted for a vendorId it does not implement")
REJECT_CUSTOM_DATA = fault("reject_custom_data", "answers requests that carry customData with a FormatViolation CALLERROR")


@on("DataTransfer")
def data_transfer(session: "CsmsSession", payload: dict[str, Any]) -> dict[str, Any]:
    if session.csms.fault(ACCEPT_ANY_VENDOR):
        return {"status": "Accepted"}
    messages = KNOWN_VENDORS.get(payload["vendorId"])
    if messages is None:
        return {"status": "UnknownVendorId"}
    if payload.get("messageId") not in messages:
        return {"status": "UnknownMessageId"}
    return {"status": "Rejected"}
