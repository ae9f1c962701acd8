"""Firmware management on the station side (L01, L03, L04): the checks on an UpdateFirmwareRequest,
the scripted status notifications, the reboot into new firmware and the Local Controller's publishing.

The simulator downloads nothing: statuses are scripted; signatures and certificates are real and
verified against the fixture files the settings name.
"""
from __future__ import annotations

import base64
import binascii
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlparse

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from simulator.pki.certificates import chain_problem
from simulator.verdicts.checks import HarnessError, Rule, check, fail
from simulator.station.boot import boot_notification, report_connectors
from simulator.station.station import Station


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def iso(moment: datetime, timespec: str = "seconds") -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec=timespec).replace("+00:00", "Z")


def _pem_der(pem: str) -> bytes | None:
    try:
        return x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER)
    except (ValueError, AttributeError):
        return None


def signing_material(settings: Any) -> tuple[str, str]:
    """(PEM of CONFIGURED_FIRMWARE_SIGNING_CERT, text of CONFIGURED_FIRMWARE_SIGNATURE_FILE); a fixture
    whose signature does not verify over the image with the certificate's key, or whose certificate
    does not chain to CONFIGURED_MANUFACTURER_ROOT_CERT, stops the case as a harness error: a CSMS
    must not be judged with broken material."""
    try:
        pem = settings.path(settings.CONFIGURED_FIRMWARE_SIGNING_CERT).read_text()
        signature = settings.path(settings.CONFIGURED_FIRMWARE_SIGNATURE_FILE).read_text().strip()
        image = settings.path(settings.CONFIGURED_FIRMWARE_IMAGE).read_bytes()
        cert = x509.load_pem_x509_certificate(pem.encode())
    except (OSError, ValueError) as e:
        raise HarnessError(f"firmware fixtures: {e}") from None
    problem = signature_problem(cert, signature, image)
    if problem:
        raise HarnessError(f"firmware fixtures: CONFIGURED_FIRMWARE_SIGNATURE_FILE {problem}")
    root = settings.path(settings.CONFIGURED_MANUFACTURER_ROOT_CERT)
    problem = chain_problem([cert], root)
    if problem:
        raise HarnessError(f"firmware fixtures: CONFIGURED_FIRMWARE_SIGNING_CERT: {problem}")
    return pem, signature


def signature_problem(cert: x509.Certificate, signature_b64: str, image: bytes) -> str | None:
    """None when the Base64 ECDSA-SHA256 signature verifies over the image with the certificate's key."""
    try:
        signature = base64.b64decode(signature_b64.strip(), validate=True)
    except (binascii.Error, ValueError):
        return "is not valid Base64"
    key = cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        return "needs an EC signing key"
    try:
        key.verify(signature, image, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return "does not verify over CONFIGURED_FIRMWARE_IMAGE with the signing certificate's key"
    return None


def check_update_firmware(step: int | str, settings: Any, request: dict, location: str) -> None:
    """The (harness) UF checks: firmware.location == L; firmware.signingCertificate is a PEM X.509
    certificate whose DER equals CONFIGURED_FIRMWARE_SIGNING_CERT's; firmware.signature == the text of
    CONFIGURED_FIRMWARE_SIGNATURE_FILE (outer whitespace ignored) and verifies over the image."""
    pem, signature = signing_material(settings)
    firmware = request.get("firmware", {})
    check(step, "firmware.location", firmware.get("location"), location)
    got = firmware.get("signingCertificate")
    if got is None:
        fail(step, "(harness) firmware.signingCertificate expected the PEM of CONFIGURED_FIRMWARE_SIGNING_CERT, "
                   "got absent")
    der = _pem_der(got)
    if der is None:
        fail(step, f"(harness) firmware.signingCertificate expected a PEM X.509 certificate, got {got[:60]!r}")
    if der != _pem_der(pem):
        subject = x509.load_der_x509_certificate(der).subject.rfc4514_string()
        fail(step, f"(harness) firmware.signingCertificate expected the certificate of "
                   f"CONFIGURED_FIRMWARE_SIGNING_CERT, got another one ({subject})")
    sent = firmware.get("signature")
    check(step, "(harness) firmware.signature",
          sent.strip() if isinstance(sent, str) else sent,
          Rule(f"the text of CONFIGURED_FIRMWARE_SIGNATURE_FILE ({signature[:16]}…)", lambda v: v == signature))
    problem = signature_problem(x509.load_der_x509_certificate(der), sent,
                                settings.path(settings.CONFIGURED_FIRMWARE_IMAGE).read_bytes())
    if problem:
        fail(step, f"(harness) firmware.signature {problem}")


def check_scheduled(step: int | str, field: str, request: dict, arrived: float, asked: float,
                    settings: Any) -> datetime:
    """A retrieve/install time later than the request's arrival and at most the operator action's
    time + CONFIGURED_FIRMWARE_SCHEDULE_DELAY + CSMS_ACTION_TIMEOUT (so the wait stays bounded)."""
    value = request.get("firmware", {}).get(field)
    if value is None:
        fail(step, f"firmware.{field} expected present, got absent")
    moment = parse_time(value)
    arrival = datetime.fromtimestamp(arrived, timezone.utc)
    check(step, f"firmware.{field}", value,
          Rule(f"later than the request's arrival ({iso(arrival, 'milliseconds')})", lambda v: moment > arrival))
    latest = datetime.fromtimestamp(asked + settings.CONFIGURED_FIRMWARE_SCHEDULE_DELAY
                                    + settings.CSMS_ACTION_TIMEOUT, timezone.utc)
    check(step, f"(harness) firmware.{field}", value,
          Rule(f"at most action time + CONFIGURED_FIRMWARE_SCHEDULE_DELAY + CSMS_ACTION_TIMEOUT ({iso(latest)})",
               lambda v: moment <= latest))
    return moment


async def wait_until(station: Station, moment: datetime, step: int | str) -> None:
    """The simulator waits until ``moment`` (bounded by check_scheduled), staying connected."""
    seconds = (moment - datetime.now(timezone.utc)).total_seconds()
    if seconds > 0:
        await station.stay_connected(seconds, step, during=f"while waiting until {iso(moment)}",
                                    setting="CONFIGURED_FIRMWARE_SCHEDULE_DELAY")


async def firmware_status(station: Station, status: str, request_id: int, step: int | str) -> None:
    """FSN X: FirmwareStatusNotificationRequest {status, requestId}; the CSMS must answer with a CALLRESULT."""
    station.model.firmware.status = status
    await station.send("FirmwareStatusNotification", {"status": status, "requestId": request_id}, step)
    if status in ("Installed", "DownloadFailed", "InvalidSignature", "InstallVerificationFailed",
                  "InstallationFailed"):
        station.model.firmware.request_id = None


async def firmware_statuses(station: Station, statuses: str, request_id: int, step: int | str) -> None:
    """Several FSNs of one step, e.g. ``"Downloading Downloaded SignatureVerified"``."""
    for status in statuses.split():
        await firmware_status(station, status, request_id, step)


def accept_update(station: Station, status: str = "Accepted") -> Any:
    """The reply to the step's UpdateFirmwareRequest; an accepted one becomes the update being executed."""
    def reply(payload: dict) -> dict:
        if status in ("Accepted", "AcceptedCanceled"):
            station.model.firmware.request_id = payload["requestId"]
        return {"status": status}
    return reply


async def reboot_into_firmware(station: Station, boot_step: int) -> None:
    """Reboot: close (1000), reconnect (Connect-SP1), BootNotification reason FirmwareUpdate (answer at
    ``boot_step``, Accepted), then report Available for every connector (answers at ``boot_step`` + 1)."""
    await station.reconnect(step=boot_step - 1)
    response = await boot_notification(station, "FirmwareUpdate", boot_step)
    check(boot_step, "status", response["status"], "Accepted")
    await report_connectors(station, boot_step + 1)


# ---------------------------------------------------------------- Local Controller (L03, L04)
def published_uri(station: Station, location: str) -> str:
    """Where the Local Controller offers a published file: http://<station>.local/firmware/<name>."""
    name = PurePosixPath(urlparse(location).path).name or "firmware.bin"
    return f"http://{station.id}.local/firmware/{name}"


def checksum_rule(expected: str) -> Rule:
    return Rule(f"{expected!r} (hex case ignored)", lambda v: isinstance(v, str) and v.lower() == expected.lower())


async def publish_status(station: Station, status: str, request_id: int, step: int | str,
                         location: list[str] | None = None) -> None:
    """PFSN X: PublishFirmwareStatusNotificationRequest {status, requestId (, location)}."""
    payload: dict[str, Any] = {"status": status, "requestId": request_id}
    if location:
        payload["location"] = location
    await station.send("PublishFirmwareStatusNotification", payload, step)


