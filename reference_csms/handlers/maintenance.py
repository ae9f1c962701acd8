"""Firmware and certificates (L, M); diagnostics and display messages are in diagnostics.py and display.py."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..registry import on
from .common import acknowledge, forward

if TYPE_CHECKING:
    from ..session import CsmsSession

for _action in ("UpdateFirmware", "PublishFirmware", "UnpublishFirmware", "InstallCertificate",
                "DeleteCertificate", "GetInstalledCertificateIds"):
    forward(_action)

acknowledge("FirmwareStatusNotification", "PublishFirmwareStatusNotification")


@on("GetCertificateStatus")
def certificate_status(session: "CsmsSession", payload: dict[str, Any]) -> dict[str, Any]:
    return {"status": "Failed"}  # no OCSP client yet


@on("Get15118EVCertificate")
def ev_certificate(session: "CsmsSession", payload: dict[str, Any]) -> dict[str, Any]:
    return {"status": "Failed", "exiResponse": ""}  # no contract certificate pool yet
