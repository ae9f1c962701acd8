"""A station's boot: the BootNotification with the configured model and vendor, and the status of
every connector after it. Below the replies (a triggered or firmware reboot boots again) and the
reusable states (Booted)."""
from __future__ import annotations

from simulator.station.station import Station


async def boot_notification(station: Station, reason: str = "PowerUp", step: int | str | None = None) -> dict:
    """BootNotificationRequest with the configured model/vendor; remembers interval and time."""
    s = station.settings
    response = await station.send("BootNotification", {
        "reason": reason,
        "chargingStation": {"model": s.CONFIGURED_CP_MODEL, "vendorName": s.CONFIGURED_CP_VENDOR}}, step)
    station.boot_interval = response["interval"]
    station.boot_time = response["currentTime"]
    if response["status"] == "Accepted" and response["interval"] > 0:
        hb = station.device.find({"name": "OCPPCommCtrlr"}, {"name": "HeartbeatInterval"})
        if hb:
            hb.value = str(response["interval"])
    return response


async def report_connectors(station: Station, step: int | str | None = None,
                            statuses: dict[tuple[int, int], str] | None = None) -> None:
    """Report every connector (Available unless ``statuses`` says otherwise)."""
    for e, c in station.model.connectors():
        status = (statuses or {}).get((e, c), "Available")
        await station.report_status(e, c, status, step)
