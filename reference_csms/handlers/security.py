"""Security (A): password changes (A01), certificate signing (A02/A03), security events, and the
faults of the admission code in app.py/tls.py (Basic Auth, client certificates, profile upgrades)."""
from __future__ import annotations

import asyncio
import datetime as dt
import re
import secrets
import string
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ..registry import ActionError, CallErrorReply, fault, on, operator_action
from ..tls import load_ca, sign
from .common import now_iso, send_request

if TYPE_CHECKING:
    from ..central import CentralSystem, CsmsSession

fault("accept_wrong_password", "accepts Basic Auth with any password or username")
fault("downgrade_security_profile", "accepts a station on a lower security profile than it was upgraded to")
fault("accept_unknown_client_certificate", "does not ask for or verify station client certificates: a "
      "station on profile 3 gets in with an unknown-CA, expired or wrong-CN certificate")
fault("sp3_without_client_certificate", "admits a profile 3 station that presents no client certificate: the CN "
      "is checked only when a certificate is presented")
fault("refuse_valid_basic_auth", "answers HTTP 401 to every security profile 1 upgrade, also with the station's "
      "valid Basic Auth credentials")
SHORT_PASSWORD = fault("password_wrong_length", "SetBasicAuthPassword sends a 12-character password "
                       "(BasicAuthPassword must have 16-40)")
STORE_REJECTED = fault("store_rejected_password", "stores a new BasicAuthPassword even when the station "
                       "rejected it")
WRONG_CA = fault("sign_with_wrong_ca", "signs CSRs with a CA of its own that station certificates are not "
                 "checked against")
NO_CERTIFICATE_SIGNED = fault("never_send_certificate_signed", "accepts SignCertificateRequests but never "
                              "sends the CertificateSignedRequest")
REJECT_CSR = fault("reject_csr", "answers every SignCertificateRequest with Rejected")
RENEW_WRONG_TRIGGER = fault("renew_wrong_trigger", "RenewCertificate triggers SignChargingStationCertificate "
                            "whatever certificate type was asked")
REJECT_SECURITY_EVENTS = fault("reject_security_events", "answers SecurityEventNotificationRequests with a "
                               "CALLERROR")

#: passwordString alphabet (Part 2), 16-40 characters for BasicAuthPassword
PASSWORD_ALPHABET = string.ascii_letters + string.digits + "*-_=:+|@."
PASSWORD = re.compile(r"[A-Za-z0-9*\-_=:+|@.]{16,40}")
RENEW_TRIGGERS = {"ChargingStationCertificate": "SignChargingStationCertificate",
                  "V2GCertificate": "SignV2GCertificate",
                  "Combined": "SignCombinedCertificate"}


# ------------------------------------------------------------ CS → CSMS
@on("SecurityEventNotification")
def security_event(session: "CsmsSession", payload: dict[str, Any]) -> Any:
    if session.csms.fault(REJECT_SECURITY_EVENTS):
        return CallErrorReply("InternalError", "security events are not processed")
    events = session.store.station_data(session.id).get("security_events", [])
    events.append({"type": payload["type"], "timestamp": payload["timestamp"],
                   "techInfo": payload.get("techInfo")})
    session.store.set_station_data(session.id, security_events=events[-50:])
    return {}


@on("SignCertificate")
def sign_certificate(session: "CsmsSession", payload: dict[str, Any]) -> dict[str, Any]:
    """A02/A03: check the CSR, answer, then send the certificate signed by the stations' CA."""
    csms = session.csms
    use = payload.get("certificateType")  # absent: one certificate for both uses
    problem = _csr_problem(session, payload["csr"], use)
    if problem or csms.fault(REJECT_CSR):
        return {"status": "Rejected", "statusInfo": {"reasonCode": "InvalidCSR",
                                                     "additionalInfo": (problem or "rejected")[:512]}}
    if not csms.fault(NO_CERTIFICATE_SIGNED):
        csr = x509.load_pem_x509_csr(payload["csr"].encode())
        session.later(_deliver(session, csr, use))
    return {"status": "Accepted"}


def _csr_problem(session: "CsmsSession", pem: str, use: str | None) -> str | None:
    config = session.csms.config
    if not (config.client_ca_cert and config.client_ca_key):
        return "the CSMS has no CA to sign with"
    try:
        csr = x509.load_pem_x509_csr(pem.encode())
    except ValueError:
        return "csr is not a PEM PKCS#10 request"
    if not csr.is_signature_valid:
        return "csr signature does not verify"
    names = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if use != "V2GCertificate" and (not names or names[0].value != session.id):
        return "CN of a charging station certificate must be the station id"
    return None


async def _deliver(session: "CsmsSession", csr: x509.CertificateSigningRequest, use: str | None) -> None:
    await asyncio.sleep(0)  # the SignCertificateResponse goes out first
    csms, config = session.csms, session.csms.config
    if csms.fault(WRONG_CA):
        ca, ca_key = _own_ca(csms)
    else:
        ca, ca_key = load_ca(config.client_ca_cert, config.client_ca_key)  # type: ignore[arg-type]
    cert = sign(ca, ca_key, csr.public_key(), csr.subject)
    request: dict[str, Any] = {"certificateChain": cert.public_bytes(serialization.Encoding.PEM).decode()}
    if use:
        request["certificateType"] = use
    answer = await session.request("CertificateSigned", request)
    issued = session.store.station_data(session.id).get("certificates", [])
    issued.append({"serial": format(cert.serial_number, "x"), "type": use or "Combined",
                   "status": answer.get("status"), "at": now_iso()})
    session.store.set_station_data(session.id, certificates=issued[-20:])


def _own_ca(csms: "CentralSystem") -> tuple[x509.Certificate, Any]:
    """Fault sign_with_wrong_ca: a CA made up on the spot, trusted by nobody."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Reference CSMS Unregistered CA")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert, key


# ------------------------------------------------------------ operator actions
def new_password() -> str:
    """A01: a random passwordString of 16-40 characters."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(24))


@operator_action("SetBasicAuthPassword")
async def set_basic_auth_password(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """A01: SetVariables SecurityCtrlr.BasicAuthPassword; the new password is stored only when the
    station answers Accepted (the old one keeps working otherwise)."""
    password = params.get("password") or new_password()
    if not isinstance(password, str) or not PASSWORD.fullmatch(password):
        raise ActionError("password must be 16-40 characters of a-z A-Z 0-9 * - _ = : + | @ .")
    if csms.fault(SHORT_PASSWORD):
        password = password[:12]
    item = {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"},
            "attributeValue": password}

    def remember(answer: dict[str, Any]) -> None:
        results = answer.get("setVariableResult") or [{}]
        if results[0].get("attributeStatus") == "Accepted" or csms.fault(STORE_REJECTED):
            csms.store.update_station(station_id, password=password)
        csms.store.set_station_data(station_id, pending_password=None)
    # until the answer is read, a station that already switched may log in with the new password
    csms.store.set_station_data(station_id, pending_password=password)
    return send_request(csms, station_id, "SetVariables", {"setVariableData": [item]}, remember)


@operator_action("RenewCertificate")
async def renew_certificate(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """A02: TriggerMessage Sign<type>Certificate; the CSR that follows is signed by SignCertificate."""
    kind = params.get("certificateType", "ChargingStationCertificate")
    if kind not in RENEW_TRIGGERS:
        raise ActionError(f"certificateType must be one of {', '.join(RENEW_TRIGGERS)}")
    requested = RENEW_TRIGGERS["ChargingStationCertificate" if csms.fault(RENEW_WRONG_TRIGGER) else kind]
    payload: dict[str, Any] = {"requestedMessage": requested}
    if params.get("evse"):
        payload["evse"] = params["evse"]
    return send_request(csms, station_id, "TriggerMessage", payload)


@operator_action("RestoreSecurityProfile")
async def restore_security_profile(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """An administrator's reset between test runs (no OCPP message): the station is registered at
    ``securityProfile`` again, as before an upgrade (A05) that a previous run made."""
    profile = params.get("securityProfile")
    if profile not in (1, 2, 3):
        raise ActionError("RestoreSecurityProfile needs params.securityProfile 1, 2 or 3")
    csms.store.update_station(station_id, security_profile=profile, pending_profile=None)
    return {"status": "restored", "securityProfile": profile}
