"""Diagnostics, monitoring and display messages (N, O); firmware (L) and certificates (M) have
their own modules."""
from __future__ import annotations

from .common import acknowledge, forward

for _action in ("GetLog", "SetVariableMonitoring",
                "ClearVariableMonitoring", "SetMonitoringBase", "SetMonitoringLevel", "GetMonitoringReport",
                "SetDisplayMessage", "GetDisplayMessages", "ClearDisplayMessage"):
    forward(_action)

acknowledge("LogStatusNotification", "NotifyDisplayMessages")

