"""Block L — Firmware Management (catalogue: L.md)."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from simulator.operators import actions
from simulator.verdicts.checks import PRESENT, Rule, check, check_fields, require_support, warn_unless
from simulator.station.firmware import (accept_update, check_scheduled, check_update_firmware, checksum_rule,
                                firmware_status, firmware_statuses, iso, publish_status, published_uri,
                                reboot_into_firmware, signing_material, wait_until)
from simulator.operators.operator import Action
from simulator.settings import Settings
from simulator.station.states import (booted, energy_transfer_started, ev_connected_post_session, ev_disconnected,
                              stop_authorized)
from simulator.station.station import Station, now_iso

INSTALL = "Downloading Downloaded SignatureVerified Installing InstallRebooting"
PUBLISH = ("CONFIGURED_SUPPORTS_PUBLISH_FIRMWARE", "publishing firmware on a Local Controller")


# ---------------------------------------------------------------- helpers that read like the catalogue
def standard_update(cp: Station, location: str | None = None, retrieve: datetime | None = None,
                    install: datetime | None = None) -> Action:
    """"The standard update": firmware.location, retrieveDateTime now (or ``retrieve``), no
    installDateTime (or ``install``), the signing certificate's PEM and the signature file's text."""
    s = cp.settings
    pem, signature = signing_material(s)
    return actions.update_firmware(cp.id, location or s.CONFIGURED_FIRMWARE_LOCATION, pem, signature,
                                   iso(retrieve) if retrieve else now_iso(), iso(install) if install else None)


async def update_request(cp: Station, step: int, action: Action, status: str = "Accepted",
                         location: str | None = None, present: tuple[str, ...] = ()) -> dict:
    """Steps 1-2: the CSMS's UpdateFirmwareRequest, answered ``status``; first the step's presence
    checks on ``present`` firmware fields, then the (harness) UF checks."""
    request = await cp.expect(action, step, reply=accept_update(cp, status))
    check_fields(step, request, {f"firmware.{name}": PRESENT for name in present})
    check_update_firmware(step, cp.settings, request, location or cp.settings.CONFIGURED_FIRMWARE_LOCATION)
    return request


def later(settings: Settings) -> datetime:
    """Now + CONFIGURED_FIRMWARE_SCHEDULE_DELAY: the scheduled retrieve / install time the CSMS is asked
    for, rounded up to the whole second the request carries (rounded down, a short delay could ask for
    a moment before the request can reach the station)."""
    moment = datetime.now(timezone.utc) + timedelta(seconds=settings.CONFIGURED_FIRMWARE_SCHEDULE_DELAY)
    return moment.replace(microsecond=0) + timedelta(seconds=1 if moment.microsecond else 0)


async def publish_request(cp: Station, settings: Settings, step: int = 1) -> dict:
    """Steps 1-2 of L03: PublishFirmwareRequest for the configured location and checksum, Accepted."""
    checksum = settings.firmware_checksum
    request = await cp.expect(actions.publish_firmware(cp.id, settings.CONFIGURED_FIRMWARE_LOCATION, checksum),
                              step, reply={"status": "Accepted"})
    check_fields(f"{step} (harness)", request, {"location": settings.CONFIGURED_FIRMWARE_LOCATION,
                                                "checksum": checksum_rule(checksum)})
    return request


async def unpublish_request(cp: Station, settings: Settings, status: str) -> dict:
    """Steps 1-2 of L04: UnpublishFirmwareRequest for the checksum, answered ``status``."""
    checksum = settings.firmware_checksum
    request = await cp.expect(actions.unpublish_firmware(cp.id, checksum), 1, reply={"status": status})
    check_fields("1 (harness)", request, {"checksum": checksum_rule(checksum)})
    return request


# ---------------------------------------------------------------- L01 secure firmware update
async def test_TC_L_01_secure_update_installed(cp: Station) -> None:
    """Secure Firmware Update - Installation successful"""
    await booted(cp)
    request = await update_request(cp, 1, standard_update(cp), present=("signingCertificate", "signature"))
    r = request["requestId"]
    await firmware_statuses(cp, INSTALL, r, 3)
    await reboot_into_firmware(cp, 5)
    await firmware_status(cp, "Installed", r, 7)
    await cp.still_connected()


async def test_TC_L_02_secure_update_install_scheduled(cp: Station, settings: Settings) -> None:
    """Secure Firmware Update - InstallScheduled"""
    await booted(cp)
    asked = time.time()
    update = cp.expecting(standard_update(cp, install=later(settings)), reply=accept_update(cp))
    request = await update.wait(1)
    install = check_scheduled(1, "installDateTime", request, update.received_at, asked, settings)
    check_update_firmware(1, settings, request, settings.CONFIGURED_FIRMWARE_LOCATION)
    r = request["requestId"]
    await firmware_statuses(cp, "Downloading Downloaded SignatureVerified InstallScheduled", r, 3)
    await wait_until(cp, install, 4)
    await firmware_statuses(cp, "Installing InstallRebooting", r, 5)
    await reboot_into_firmware(cp, 7)
    await firmware_status(cp, "Installed", r, 9)
    await cp.still_connected()


async def test_TC_L_03_secure_update_download_scheduled(cp: Station, settings: Settings) -> None:
    """Secure Firmware Update - DownloadScheduled"""
    await booted(cp)
    asked = time.time()
    update = cp.expecting(standard_update(cp, retrieve=later(settings)), reply=accept_update(cp))
    request = await update.wait(1)
    retrieve = check_scheduled(1, "retrieveDateTime", request, update.received_at, asked, settings)
    check_update_firmware(1, settings, request, settings.CONFIGURED_FIRMWARE_LOCATION)
    r = request["requestId"]
    await firmware_status(cp, "DownloadScheduled", r, 3)
    await wait_until(cp, retrieve, 4)
    await firmware_statuses(cp, INSTALL, r, 5)
    await reboot_into_firmware(cp, 7)
    await firmware_status(cp, "Installed", r, 9)
    await cp.still_connected()


async def test_TC_L_04_secure_update_revoked_certificate(cp: Station) -> None:
    """Secure Firmware Update - RevokedCertificate"""
    await booted(cp)
    cp.replies["UpdateFirmware"] = lambda station, payload: {"status": "RevokedCertificate"}
    await update_request(cp, 1, standard_update(cp), "RevokedCertificate")
    await cp.still_connected()


async def test_TC_L_05_secure_update_invalid_certificate(cp: Station) -> None:
    """Secure Firmware Update - InvalidCertificate"""
    await booted(cp)
    cp.replies["UpdateFirmware"] = lambda station, payload: {"status": "InvalidCertificate"}
    await update_request(cp, 1, standard_update(cp), "InvalidCertificate")
    await cp.send("SecurityEventNotification", {"type": "InvalidFirmwareSigningCertificate",
                                                "timestamp": now_iso()}, 4)
    await cp.still_connected()


async def test_TC_L_06_secure_update_invalid_signature(cp: Station) -> None:
    """Secure Firmware Update - InvalidSignature"""
    await booted(cp)
    r = (await update_request(cp, 1, standard_update(cp)))["requestId"]
    await firmware_status(cp, "Downloading", r, 3)
    await firmware_status(cp, "Downloaded", r, 4)
    await firmware_status(cp, "InvalidSignature", r, 5)
    await cp.still_connected()


async def test_TC_L_07_secure_update_download_failed(cp: Station) -> None:
    """Secure Firmware Update - DownloadFailed"""
    await booted(cp)
    r = (await update_request(cp, 1, standard_update(cp)))["requestId"]
    await firmware_status(cp, "Downloading", r, 3)
    await firmware_status(cp, "DownloadFailed", r, 4)
    await cp.still_connected()


async def test_TC_L_08_secure_update_install_verification_failed(cp: Station) -> None:
    """Secure Firmware Update - InstallVerificationFailed"""
    await booted(cp)
    r = (await update_request(cp, 1, standard_update(cp)))["requestId"]
    for step, status in enumerate(("Downloading", "Downloaded", "SignatureVerified", "Installing",
                                   "InstallVerificationFailed"), start=3):
        await firmware_status(cp, status, r, step)
    await cp.still_connected()


async def test_TC_L_09_secure_update_installation_failed(cp: Station) -> None:
    """Secure Firmware Update - InstallationFailed"""
    await booted(cp)
    r = (await update_request(cp, 1, standard_update(cp)))["requestId"]
    await firmware_statuses(cp, INSTALL, r, 3)
    await reboot_into_firmware(cp, 5)
    await firmware_status(cp, "InstallationFailed", r, 7)
    await cp.still_connected()


async def test_TC_L_10_secure_update_accepted_canceled(cp: Station, settings: Settings) -> None:
    """Secure Firmware Update - AcceptedCanceled"""
    await booted(cp)
    r1 = (await update_request(cp, 1, standard_update(cp)))["requestId"]
    await firmware_status(cp, "Downloading", r1, 3)
    second = standard_update(cp, location=settings.CONFIGURED_FIRMWARE_LOCATION_2)
    r2 = (await update_request(cp, 4, second, "AcceptedCanceled", settings.CONFIGURED_FIRMWARE_LOCATION_2))["requestId"]
    warn_unless(cp, 4, r2 != r1, f"requestId expected another than the first update's {r1}, got {r2}")
    await firmware_statuses(cp, INSTALL, r2, 6)
    await reboot_into_firmware(cp, 8)
    await firmware_status(cp, "Installed", r2, 10)
    await cp.still_connected()


async def test_TC_L_11_secure_update_unable_to_cancel(cp: Station, settings: Settings) -> None:
    """Secure Firmware Update - Unable to cancel"""
    await booted(cp)
    r1 = (await update_request(cp, 1, standard_update(cp)))["requestId"]
    await firmware_status(cp, "Downloading", r1, 3)
    second = standard_update(cp, location=settings.CONFIGURED_FIRMWARE_LOCATION_2)
    await update_request(cp, 4, second, "Rejected", settings.CONFIGURED_FIRMWARE_LOCATION_2)
    await firmware_statuses(cp, "Downloaded SignatureVerified Installing InstallRebooting", r1, 6)
    await reboot_into_firmware(cp, 8)
    await firmware_status(cp, "Installed", r1, 10)
    await cp.still_connected()


async def test_TC_L_13_update_with_ongoing_transaction(cp: Station, settings: Settings) -> None:
    """Secure Firmware Update - Unable to download/install firmware with ongoing transaction - AllowNewSessionsPendingFirmwareUpdate is false"""
    await booted(cp)
    await energy_transfer_started(cp)
    request = await update_request(cp, 1, standard_update(cp), present=("signingCertificate",))
    r = request["requestId"]
    await firmware_status(cp, "DownloadScheduled", r, 3)
    for evse, connector in cp.model.connectors():
        if cp.model.transaction(evse) is None:
            await cp.report_status(evse, connector, "Unavailable", 4)
    await stop_authorized(cp)
    await ev_connected_post_session(cp)
    await ev_disconnected(cp, status="Unavailable")
    await firmware_statuses(cp, INSTALL, r, 6)
    await reboot_into_firmware(cp, 8)
    await firmware_status(cp, "Installed", r, 9)
    await cp.still_connected()


# ---------------------------------------------------------------- L03 / L04 Local Controller
async def test_TC_L_17_publish_firmware_published(cp: Station, settings: Settings) -> None:
    """Publish Firmware - Published"""
    require_support(settings, *PUBLISH)
    await booted(cp)
    request = await publish_request(cp, settings)
    check(1, "location", request["location"], Rule("present and not empty", lambda v: bool(v.strip())))
    p = request["requestId"]
    await publish_status(cp, "Downloading", p, 3)
    await publish_status(cp, "Downloaded", p, 4)
    await publish_status(cp, "ChecksumVerified", p, 5)
    uri = published_uri(cp, request["location"])
    await publish_status(cp, "Published", p, 6, location=[uri])
    cp.model.firmware.published[request["checksum"].lower()] = uri
    await cp.still_connected()


async def test_TC_L_19_publish_firmware_invalid_checksum(cp: Station, settings: Settings) -> None:
    """Publish Firmware - Invalid Checksum"""
    require_support(settings, *PUBLISH)
    await booted(cp)
    p = (await publish_request(cp, settings))["requestId"]
    await publish_status(cp, "Downloading", p, 3)
    await publish_status(cp, "Downloaded", p, 4)
    await publish_status(cp, "InvalidChecksum", p, 5)
    await cp.still_connected()


async def test_TC_L_20_publish_firmware_publish_failed(cp: Station, settings: Settings) -> None:
    """Publish Firmware - PublishFailed"""
    require_support(settings, *PUBLISH)
    await booted(cp)
    p = (await publish_request(cp, settings))["requestId"]
    await publish_status(cp, "Downloading", p, 3)
    await publish_status(cp, "Downloaded", p, 4)
    await publish_status(cp, "ChecksumVerified", p, 5)
    await publish_status(cp, "PublishFailed", p, 6)
    await cp.still_connected()


async def test_TC_L_21_unpublish_firmware_unpublished(cp: Station, settings: Settings) -> None:
    """Unpublish Firmware - Unpublished"""
    require_support(settings, *PUBLISH)
    await booted(cp)
    await unpublish_request(cp, settings, "Unpublished")
    await cp.still_connected()


async def test_TC_L_22_unpublish_firmware_no_firmware(cp: Station, settings: Settings) -> None:
    """Unpublish Firmware - NoFirmware"""
    require_support(settings, *PUBLISH)
    await booted(cp)
    await unpublish_request(cp, settings, "NoFirmware")
    await cp.still_connected()


async def test_TC_L_23_unpublish_firmware_download_ongoing(cp: Station, settings: Settings) -> None:
    """Unpublish Firmware - Download Ongoing"""
    require_support(settings, *PUBLISH)
    await booted(cp)
    await unpublish_request(cp, settings, "DownloadOngoing")
    await cp.still_connected()


async def test_TC_L_24_publish_firmware_download_failed(cp: Station, settings: Settings) -> None:
    """Publish Firmware - Download failed"""
    require_support(settings, *PUBLISH)
    await booted(cp)
    p = (await publish_request(cp, settings))["requestId"]
    await publish_status(cp, "Downloading", p, 3)
    await publish_status(cp, "DownloadFailed", p, 4)
    await cp.still_connected()
