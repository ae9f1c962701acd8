"""Security (A): password changes, certificate signing, security events, profile upgrades."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..registry import fault, on

if TYPE_CHECKING:
    from ..session import CsmsSession

fault("accept_wrong_password", "accepts Basic Auth with any password or username")
fault("downgrade_security_profile", "accepts a station on a lower security profile than it was upgraded to")
fault("accept_unknown_client_certificate", "accepts client certificates whose CN is not the station id")
fault("accept_any_subprotocol", "upgrades connections that do not offer ocpp2.0.1")
fault("schema_invalid_requests", "may send requests that break the OCPP 2.0.1 schema")


@on("SecurityEventNotification")
def security_event(session: "CsmsSession", payload: dict[str, Any]) -> dict[str, Any]:
    return {}
