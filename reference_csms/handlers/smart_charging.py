"""Smart charging (K): profiles and limits."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..registry import on
from .common import acknowledge, forward

if TYPE_CHECKING:
    from ..session import CsmsSession

for _action in ("SetChargingProfile", "ClearChargingProfile", "GetChargingProfiles", "GetCompositeSchedule"):
    forward(_action)

acknowledge("ClearedChargingLimit", "NotifyChargingLimit", "ReportChargingProfiles")


@on("NotifyEVChargingNeeds")
def ev_charging_needs(session: "CsmsSession", payload: dict[str, Any]) -> dict[str, Any]:
    return {"status": "Rejected"}  # no ISO 15118 schedule computation yet


@on("NotifyEVChargingSchedule")
def ev_charging_schedule(session: "CsmsSession", payload: dict[str, Any]) -> dict[str, Any]:
    return {"status": "Accepted"}
