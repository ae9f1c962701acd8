"""Firmware management (L): secure firmware updates (L01) with the signing certificate and signature
of the registered firmware, their status notifications, and publishing / unpublishing firmware on a
Local Controller (L03, L04) with the MD5 checksum of the registered image."""
from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from simulator.wire.protocol import CALL, schema_problem

from ..registry import ActionError, fault, on, operator_action
from .common import now_iso, send_request

if TYPE_CHECKING:
    from ..central import CentralSystem, CsmsSession
    from ..config import FirmwareReg

log = logging.getLogger("reference_csms")

UNSIGNED = fault("update_firmware_unsigned", "sends UpdateFirmwareRequests without firmware.signingCertificate "
                 "and firmware.signature")
WRONG_TIMES = fault("firmware_wrong_times", "ignores the asked retrieve/install times: retrieveDateTime is the "
                    "moment of sending, installDateTime is left out")
NO_CANCEL = fault("no_update_while_running", "refuses (HTTP 409) to order a firmware update while an earlier one "
                  "runs, instead of sending it so the station cancels the running one")
WRONG_CHECKSUM = fault("wrong_firmware_checksum", "Publish/UnpublishFirmware carry the MD5 of the location text "
                       "instead of the MD5 of the firmware file")
ENDED = ("Installed", "DownloadFailed", "InvalidSignature", "InstallVerificationFailed", "InstallationFailed")


@dataclass
class Firmware:
    """A registered firmware file, read from its files and checked: the signature must verify over
    the image with the signing certificate's key, else the CSMS will not order it."""
    location: str
    certificate_pem: str
    signature: str
    checksum: str  # lowercase MD5 hex of the image
    problem: str | None = None


def load_firmware(reg: "FirmwareReg") -> Firmware:
    try:
        image = Path(reg.image).read_bytes()
        pem = Path(reg.signing_certificate).read_text()
        signature = Path(reg.signature).read_text().strip()
        cert = x509.load_pem_x509_certificate(pem.encode())
    except (OSError, ValueError) as e:
        return Firmware(reg.location, "", "", "", f"cannot read the firmware files: {e}")
    firmware = Firmware(reg.location, pem, signature, hashlib.md5(image).hexdigest())
    key = cert.public_key()
    try:
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise InvalidSignature
        key.verify(base64.b64decode(signature, validate=True), image, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, binascii.Error, ValueError):
        firmware.problem = "its signature does not verify over the image with the signing certificate's key"
    return firmware


def catalogue(csms: "CentralSystem") -> dict[str, Firmware]:
    """The registered firmware by location (loaded once per CSMS)."""
    known = getattr(csms, "_firmware", None)
    if known is None:
        known = {reg.location: load_firmware(reg) for reg in csms.config.firmware}
        csms._firmware = known  # type: ignore[attr-defined]
    return known


def registered(csms: "CentralSystem", location: Any) -> Firmware:
    firmware = catalogue(csms).get(location) if isinstance(location, str) else None
    if firmware is None:
        raise ActionError(f"no firmware registered at {location!r}", 404)
    if firmware.problem:
        raise ActionError(f"firmware at {location}: {firmware.problem}", 409)
    return firmware


def checksum_of(csms: "CentralSystem", firmware: Firmware) -> str:
    if csms.fault(WRONG_CHECKSUM):
        return hashlib.md5(firmware.location.encode()).hexdigest()
    return firmware.checksum


def _send(csms: "CentralSystem", station_id: str, action: str, payload: dict[str, Any], on_answer: Any) -> dict:
    problem = schema_problem(action, CALL, payload)
    if problem:
        raise ActionError(f"{action}Request would break the OCPP 2.0.1 schema: {problem}")
    return send_request(csms, station_id, action, payload, on_answer)


# ------------------------------------------------------------ L01 secure firmware update
@operator_action("UpdateFirmware")
async def update_firmware(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """L01: UpdateFirmwareRequest for the registered firmware at firmware.location, with a new
    requestId, the asked retrieve/install times, and the firmware's signing certificate and signature
    (L01.FR.11). A running update is not refused: the station cancels it or answers Rejected (L01.FR.24/27)."""
    asked = params.get("firmware") or {}
    firmware = registered(csms, asked.get("location"))
    store = csms.store
    if csms.fault(NO_CANCEL) and store.running_update(station_id) is not None:
        raise ActionError("a firmware update is running on the station", 409)
    body: dict[str, Any] = {"location": firmware.location,
                            "retrieveDateTime": asked.get("retrieveDateTime") or now_iso()}
    if asked.get("installDateTime"):
        body["installDateTime"] = asked["installDateTime"]
    if csms.fault(WRONG_TIMES):
        body["retrieveDateTime"] = now_iso()
        body.pop("installDateTime", None)
    if not csms.fault(UNSIGNED):
        body["signingCertificate"] = firmware.certificate_pem
        body["signature"] = firmware.signature
    request_id = store.new_firmware_request(station_id, "UpdateFirmware", firmware.location)
    payload: dict[str, Any] = {"requestId": request_id, "firmware": body}
    for name in ("retries", "retryInterval"):
        if isinstance(params.get(name), int):
            payload[name] = params[name]
    running = store.running_update(station_id)

    def answered(answer: dict[str, Any]) -> None:
        status = answer.get("status")
        store.update_firmware_request(station_id, request_id, answer=status)
        if status == "AcceptedCanceled" and running is not None:
            store.update_firmware_request(station_id, running["request_id"], status="Canceled", status_at=now_iso())
    return _send(csms, station_id, "UpdateFirmware", payload, answered)


@on("FirmwareStatusNotification")
def firmware_status(session: "CsmsSession", payload: dict[str, Any]) -> dict[str, Any]:
    """Store the status on the update it reports (by requestId; the running one when absent, e.g. Idle)."""
    request_id = payload.get("requestId")
    row = (session.store.firmware_request(session.id, request_id) if request_id is not None
           else session.store.running_update(session.id))
    if row is not None:
        session.store.update_firmware_request(session.id, row["request_id"], status=payload["status"],
                                              status_at=now_iso())
    else:
        log.info("%s: FirmwareStatusNotification %s for an unknown request %s", session.id, payload["status"],
                 request_id)
    return {}


# ------------------------------------------------------------ L03 / L04 Local Controller
@operator_action("PublishFirmware")
async def publish_firmware(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """L03: PublishFirmwareRequest {location, checksum = MD5 of the registered image, requestId}. A
    checksum in the params must be the CSMS's own (else the operator and the CSMS disagree: 409)."""
    firmware = registered(csms, params.get("location"))
    given = params.get("checksum")
    if isinstance(given, str) and given.lower() != firmware.checksum:
        raise ActionError(f"the firmware at {firmware.location} has checksum {firmware.checksum}, not {given}", 409)
    checksum = checksum_of(csms, firmware)
    request_id = csms.store.new_firmware_request(station_id, "PublishFirmware", firmware.location, checksum)
    payload = {"location": firmware.location, "checksum": checksum, "requestId": request_id}
    return _send(csms, station_id, "PublishFirmware", payload,
                 lambda answer: csms.store.update_firmware_request(station_id, request_id,
                                                                   answer=answer.get("status")))


@on("PublishFirmwareStatusNotification")
def publish_status(session: "CsmsSession", payload: dict[str, Any]) -> dict[str, Any]:
    """Store the publication's progress and, once Published, the URIs the Local Controller serves it at."""
    request_id = payload.get("requestId")
    if request_id is not None and session.store.firmware_request(session.id, request_id) is not None:
        fields: dict[str, Any] = {"status": payload["status"], "status_at": now_iso()}
        if payload["status"] == "Published":
            fields["published"] = ",".join(payload.get("location") or [])
        session.store.update_firmware_request(session.id, request_id, **fields)
    return {}


@operator_action("UnpublishFirmware")
async def unpublish_firmware(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """L04: UnpublishFirmwareRequest {checksum} of a registered firmware (found by its checksum)."""
    given = str(params.get("checksum") or "").lower()
    firmware = next((f for f in catalogue(csms).values() if f.checksum == given and not f.problem), None)
    if firmware is None:
        raise ActionError(f"no registered firmware has checksum {given!r}", 404)
    checksum = checksum_of(csms, firmware)
    request_id = csms.store.new_firmware_request(station_id, "UnpublishFirmware", firmware.location, checksum)
    return _send(csms, station_id, "UnpublishFirmware", {"checksum": checksum},
                 lambda answer: csms.store.update_firmware_request(station_id, request_id,
                                                                   answer=answer.get("status")))
