"""Every setting of the suite: the seed list plus ``settings-extra-*.md``, same names and defaults,
except where a catalogue default is no valid value of the type it claims (a real CSMS refuses it):
the block C/O tokens typed ISO14443 are 8 hex digits (the seed's 9-character values are no ISO 14443
UID), and CONFIGURED_CONTRACT_EMAID is NLTSTC00000001Z (settings-extra-C.md's NLTSTC000000015 carries
check digit 5 where ISO 15118's computes Z). ``simulator.formats`` holds the rules; every value is
checked against its format at start.

Cases never read ``os.environ``; they get a :class:`Settings` from the ``settings`` fixture.
``python -m simulator.settings`` prints ``env.example`` from this class, so the two never drift.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from simulator.formats import FORMATS, ID_TOKEN_TYPES, id_token_problem

ROOT = Path(__file__).resolve().parent.parent
CERTS = "fixtures/certs"

MESSAGE_PRIORITIES = ("AlwaysFront", "InFront", "NormalCycle")
MESSAGE_STATES = ("Charging", "Faulted", "Idle", "Unavailable")
MESSAGE_FORMATS = ("ASCII", "HTML", "URI", "UTF8")
SECRET_SETTINGS = frozenset({"BASIC_AUTH_CP_PASSWORD", "NEW_BASIC_AUTH_PASSWORD", "CITRINEOS_API_TOKEN"})
#: settings that name a file the harness only reads (the suffix says so)
FILE_SUFFIXES = ("_CERT", "_KEY", "_FILE", "_CERT_CHAIN")


class SettingError(Exception):
    """A setting is missing or malformed; the message is one line naming the variable."""


#: the operators that are modes of the harness; the others are classes (``python:MODULE:CLASS``)
BUILTIN_OPERATORS = ("manual", "http", "command")
#: operator classes shipped with the harness, by the name CSMS_OPERATOR gives them
NAMED_OPERATORS = {"citrineos": "simulator.operators.citrineos:CitrineOsOperator"}
#: the entry-point group an installed package registers its operator class under
OPERATOR_ENTRY_POINTS = "ocpp_csms_operators"
OPERATOR_FORM = r"python:[A-Za-z_][\w.]*:[A-Za-z_][\w.]*|[A-Za-z_][\w.-]*"
OPERATOR_CHOICES = (f"must be {', '.join(BUILTIN_OPERATORS)}, {', '.join(NAMED_OPERATORS)}, python:MODULE:CLASS or "
                    f"the name of an entry point of group {OPERATOR_ENTRY_POINTS}")


def operator_class(value: str) -> type | None:
    """The class CSMS_OPERATOR names (None for the built-in modes); ValueError with one line when
    it names nothing that can be imported. Resolved here so that a wrong value stops the run at
    start, not at the first operator action."""
    if value in BUILTIN_OPERATORS:
        return None
    target = NAMED_OPERATORS.get(value)
    if target is None and value.startswith("python:"):
        target = value.removeprefix("python:")
    if target is None:
        from importlib.metadata import entry_points
        found = list(entry_points(group=OPERATOR_ENTRY_POINTS, name=value))
        if not found:
            raise ValueError(f"{OPERATOR_CHOICES} (got {value!r})")
        target = found[0].value
    module_name, _, attribute = target.partition(":")
    import importlib
    try:
        found_object: Any = importlib.import_module(module_name)
    except Exception as e:  # noqa: BLE001 - any failure to import is this setting's problem
        raise ValueError(f"cannot import {module_name} ({type(e).__name__}: {e}); it must be importable "
                         f"from {ROOT} or PYTHONPATH") from None
    for part in attribute.split("."):
        found_object = getattr(found_object, part, None)
    if not isinstance(found_object, type):
        raise ValueError(f"{module_name} has no class {attribute}")
    return found_object


def _ws_url(value: str | None) -> str | None:
    if value and not re.fullmatch(r"wss?://[^\s/]+(:\d+)?(/[^\s]*)?", value):
        raise ValueError("must be a ws:// or wss:// URL such as ws://host:9000/ocpp")
    return value.rstrip("/") if value else value


def _token_type(value: str | None) -> str | None:
    if value and value not in ID_TOKEN_TYPES:
        raise ValueError(f"must be one of {', '.join(ID_TOKEN_TYPES)}")
    return value


WsUrl = Annotated[str | None, AfterValidator(_ws_url)]
TokenType = Annotated[str | None, AfterValidator(_token_type)]
PositiveInt = Annotated[int, Field(ge=0)]
Seconds = Annotated[float, Field(gt=0)]


def _s(default: Any, meaning: str, group: str, fmt: str | None = None, **kw: Any) -> Any:
    """A setting field: its default, its meaning, its group in env.example and, for a value that goes
    on the wire, its format (a key of ``simulator.formats.FORMATS``, checked at start)."""
    extra: dict[str, Any] = {"group": group}
    if fmt is not None:
        extra["format"] = fmt
    return Field(default, description=meaning, json_schema_extra=extra, **kw)


class Settings(BaseSettings):
    # env_ignore_empty: an empty value (``CSMS_ADDRESS=`` as env.example writes it) means the default
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      case_sensitive=True, validate_default=True, env_ignore_empty=True)

    # --- CSMS under test and how to drive it
    CSMS_ADDRESS: WsUrl = _s(None, "ws:// endpoint of the CSMS for security profile 1 (the station id is appended). Unset: the embedded reference CSMS is started and used", "CSMS")
    CSMS_WSS_ADDRESS: WsUrl = _s(None, "wss:// endpoint for security profiles 2 and 3. Unset with CSMS_ADDRESS unset: the embedded CSMS's; unset with CSMS_ADDRESS set: the cases of profiles 2 and 3 fail unless those profiles are removed from CONFIGURED_SUPPORTED_SECURITY_PROFILES", "CSMS")
    CSMS_WSS_SP3_ADDRESS: WsUrl = _s(None, "wss:// endpoint for security profile 3 when the CSMS serves it apart from profile 2 (another port or host). Unset: CSMS_WSS_ADDRESS", "CSMS")
    CSMS_OPERATOR: str = _s("http", "How the suite asks the CSMS to act: manual (instructions on the terminal), http (POST the action as JSON to CSMS_OPERATOR_URL), command (run CSMS_OPERATOR_COMMAND with the action as JSON on stdin), citrineos (CitrineOS 1.8's REST API, CITRINEOS_*), python:MODULE:CLASS (a class of yours with a method per action, see the README), or the name of an installed entry point of group ocpp_csms_operators", "CSMS")
    CSMS_OPERATOR_URL: str | None = _s(None, "URL the http operator POSTs actions to. Unset with the embedded CSMS: its action API", "CSMS", fmt="httpUrl")
    CSMS_OPERATOR_COMMAND: str | None = _s(None, "Program (with arguments) the command operator runs per action; the action JSON comes on stdin", "CSMS")
    CSMS_ACTION_TIMEOUT: Seconds = _s(30.0, "Seconds to wait for a request the CSMS must send (after an operator action or on its own)", "CSMS")
    CSMS_RESPONSE_TIMEOUT: Seconds = _s(10.0, "Seconds to wait for the CSMS's answer to a request of the station", "CSMS")
    CSMS_SETTLE_TIME: Annotated[float, Field(ge=0)] = _s(1.0, "Seconds between the moment a station's connection has closed on both sides and its next connection (a reconnect inside a case, an admission or TLS probe, the next case), for every connection the harness opens. 1 s by default because a real station never reconnects within milliseconds (its reconnect back-off, OCPPCommCtrlr.RetryBackOffWaitMinimum, is seconds) and a CSMS may still be finishing the closed connection (a broker channel, a session) when the next one comes; raise it for a CSMS that needs longer. 0 (the fast profile) suits the embedded reference CSMS", "CSMS")
    CSMS_STATION_SETS: Annotated[int, Field(ge=1, le=16)] = _s(1, "Against CSMS_ADDRESS: how many station sets run the cases in parallel (-n defaults to this; a larger -n stops; a smaller one gives each worker several sets, played in turn, so one set's CSMS_SETTLE_TIME passes while the worker plays another). Set 1 uses the station ids as configured, set k > 1 derives each one by CSMS_STATION_SET_ID; register every set's stations (python -m simulator.provisioning lists them). 1 = one case after another. The manual operator always runs one set", "CSMS")
    CSMS_STATION_SET_ID: str = _s("{id}-{set}", "How set k > 1 of CSMS_STATION_SETS derives a station id from a configured one: {id} is the configured id, {set} the set's number (CP_1 -> CP_1-2). SECURITY_PROFILE_3_CP (its client certificate carries its id) is never derived: its cases take turns across the workers", "CSMS")
    CSMS_SILENCE_WAIT: Seconds = _s(0.5, "Seconds the harness listens to confirm the CSMS sends nothing (the only fixed wait)", "CSMS")
    REFERENCE_CSMS_FAULTS: str = _s("", "Embedded reference CSMS only: comma-separated named faults to start it with (see python -m reference_csms --list-faults)", "CSMS")
    REFERENCE_CSMS_OPTIONS: str = _s("", "Embedded reference CSMS only: optional behaviours of real CSMSs to switch on: base_report_at_boot, query_on_reconnect, busy (requests no case asked for at random moments, optional fields in answers)", "CSMS")
    REFERENCE_CSMS_SEED: int | None = _s(None, "Embedded reference CSMS only: integer seed of the busy option's random requests (same seed, same sequence per station); empty = a random seed picked at start, shown in the pytest header", "CSMS")
    REFERENCE_CSMS_WORKERS: Annotated[int, Field(ge=1, le=16)] = _s(4, "Embedded reference CSMS only: the cases run on this many parallel workers (pytest-xdist), each with a reference CSMS of its own, so the simulated waits overlap; 1 = one case after another. pytest's -n overrides it. Against any other CSMS: CSMS_STATION_SETS", "CSMS")
    # --- Reports
    REPORTS_FOLDER: str = _s("reports", "Folder of the run folders: each run writes its reports into a fresh <time>/ in it, and <folder>/latest points to the last run that selected cases (relative paths are relative to the project). --reports DIR writes into DIR instead", "Reports")
    REPORTS_KEEP_RUNS: Annotated[int, Field(ge=1)] = _s(10, "Run folders kept in REPORTS_FOLDER: the oldest beyond this number are removed (only the harness's own files in them; a folder is removed once empty). --reports DIR is never pruned", "Reports")

    # --- CitrineOS operator (CSMS_OPERATOR=citrineos)
    CITRINEOS_URL: str = _s("http://localhost:8080", "Base URL of CitrineOS's REST API (its /ocpp/2.0.1/… message and /data/… endpoints)", "CitrineOS operator", fmt="httpUrl")
    CITRINEOS_TENANT_ID: Annotated[int, Field(ge=0)] = _s(1, "tenantId CitrineOS keeps the stations under (its DEFAULT_TENANT_ID is 1)", "CitrineOS operator")
    CITRINEOS_API_TOKEN: str | None = _s(None, "Bearer token for CitrineOS's API when it authenticates with OIDC; empty: no Authorization header (its localByPass)", "CitrineOS operator")

    # --- Stations
    BASIC_AUTH_CP: str = _s("CP_1", "Station id on security profile 1 (ws + Basic Auth); used by every block", "Stations", fmt="stationId")
    BASIC_AUTH_CP_PASSWORD: str = _s("0123456789123456", "Basic Auth password of BASIC_AUTH_CP, SECURITY_PROFILE_2_CP and the block-A stations", "Stations")
    SECURITY_PROFILE_2_CP: str = _s("CP_2", "Station id on security profile 2 (wss + Basic Auth)", "Stations", fmt="stationId")
    SECURITY_PROFILE_3_CP: str = _s("CP_3", "Station id on security profile 3 (wss + client certificate with CN = this id)", "Stations", fmt="stationId")
    CONFIGURED_PASSWORD_UPDATE_CP: str = _s("CP_PWD", "Station id used only by the password-change cases (SP1, password BASIC_AUTH_CP_PASSWORD)", "Stations", fmt="stationId")
    CONFIGURED_PROFILE_UPGRADE_CP: str = _s("CP_UPGRADE", "Station id used only by the profile-upgrade case, registered at CONFIGURED_SECURITY_PROFILE", "Stations", fmt="stationId")
    NEW_BASIC_AUTH_PASSWORD: str = _s("new_Passw0rd.0123456789", "BasicAuthPassword the CSMS is asked to set (16-40 characters)", "Stations")
    CONFIGURED_CP_MODEL: str = _s("SimStation-201", "chargingStation.model of every BootNotificationRequest", "Stations", fmt="string20")
    CONFIGURED_CP_VENDOR: str = _s("ConformanceHarness", "chargingStation.vendorName of every BootNotificationRequest", "Stations", fmt="string50")
    CONFIGURED_NUMBER_OF_EVSES: Annotated[int, Field(ge=1)] = _s(1, "EVSEs of the simulated station: each has connector 1, CONFIGURED_EVSE_ID has connectors 1..CONFIGURED_CONNECTOR_ID (the catalogue's station layout)", "Stations")
    CONFIGURED_EVSE_ID: Annotated[int, Field(ge=1)] = _s(1, "EVSE the cases act on", "Stations")
    CONFIGURED_CONNECTOR_ID: Annotated[int, Field(ge=1)] = _s(1, "Connector of CONFIGURED_EVSE_ID the cases act on; that EVSE has connectors 1..this, all reported at boot (so 3 gives it three connectors)", "Stations")
    CONFIGURED_CONNECTOR_TYPE: str = _s("cType2", "Connector type of every connector", "Stations", fmt="connectorType")
    CONFIGURED_NUMBER_PHASES: Annotated[int, Field(ge=1, le=3)] = _s(3, "AC phases of the station", "Stations")
    STATION_STATE_DIR: str = _s(".ocpp-state", "Folder of the stations' state file (counters.json): the eventIds, chargingSchedule ids and profile ids each station gives out, per CSMS and station id, so a CSMS never sees one twice across runs. Delete the file (or run python -m simulator.station.counters --reset) to reset", "Stations")
    CONTENT_SEED: int | None = _s(None, "Integer seed of the content the stations choose where the catalogue leaves it open (NotifyReport part sizes, a meter value's optional unitOfMeasure and location, TC_K_48/TC_K_50 evseId, …); empty = a random seed picked at start, shown in the pytest header", "Stations")
    CONFIGURED_HEARTBEAT_INTERVAL: Seconds = _s(5.0, "Seconds before a new BootNotification when a Pending/Rejected answer has interval 0", "Stations")

    # --- Id tokens
    VALID_ID_TOKEN: str = _s("100000C01", "Id token the CSMS knows as Accepted (groupId GROUP_ID)", "Id tokens")
    VALID_ID_TOKEN_TYPE: TokenType = _s("Central", "Type of VALID_ID_TOKEN; the token must have its form (ISO14443: 8, 14 or 20 hex digits; eMAID: ISO 15118; …), checked at start", "Id tokens")
    VALID_ID_TOKEN_2: str | None = _s("1000C006", "Second Accepted id token with groupId GROUP_ID (blocks C, D); '-': those cases are skipped", "Id tokens")
    VALID_ID_TOKEN_TYPE_2: TokenType = _s("ISO14443", "Type of VALID_ID_TOKEN_2; the token must have its form (ISO14443: 8, 14 or 20 hex digits; eMAID: ISO 15118; …), checked at start", "Id tokens")
    VALID_IDTOKEN_IDTOKEN: str = _s("1000C007", "Accepted id token of the display-message cases (block O)", "Id tokens")
    VALID_IDTOKEN_TYPE: TokenType = _s("ISO14443", "Type of VALID_IDTOKEN_IDTOKEN; the token must have its form (ISO14443: 8, 14 or 20 hex digits; eMAID: ISO 15118; …), checked at start", "Id tokens")
    INVALID_ID_TOKEN: str = _s("1000C002", "Id token unknown to the CSMS or stored as Invalid", "Id tokens")
    INVALID_ID_TOKEN_TYPE: TokenType = _s("ISO14443", "Type of INVALID_ID_TOKEN; the token must have its form, checked at start", "Id tokens")
    BLOCKED_ID_TOKEN: str | None = _s("1000C003", "Id token the CSMS stores as Blocked (block C); '-': those cases are skipped", "Id tokens")
    BLOCKED_ID_TOKEN_TYPE: TokenType = _s("ISO14443", "Type of BLOCKED_ID_TOKEN; the token must have its form (ISO14443: 8, 14 or 20 hex digits; eMAID: ISO 15118; …), checked at start", "Id tokens")
    EXPIRED_ID_TOKEN: str | None = _s("1000C004", "Id token the CSMS stores with an expiry in the past (block C); '-': those cases are skipped", "Id tokens")
    EXPIRED_ID_TOKEN_TYPE: TokenType = _s("ISO14443", "Type of EXPIRED_ID_TOKEN; the token must have its form (ISO14443: 8, 14 or 20 hex digits; eMAID: ISO 15118; …), checked at start", "Id tokens")
    GROUP_ID: str = _s("GROUP001", "groupId of VALID_ID_TOKEN and VALID_ID_TOKEN_2", "Id tokens", fmt="Central")
    MASTERPASS_ID_TOKEN: str | None = _s("1000C005", "Master pass id token, Accepted with groupId MASTERPASS_GROUP_ID (block C); '-': those cases are skipped", "Id tokens")
    MASTERPASS_ID_TOKEN_TYPE: TokenType = _s("ISO14443", "Type of MASTERPASS_ID_TOKEN; the token must have its form (ISO14443: 8, 14 or 20 hex digits; eMAID: ISO 15118; …), checked at start", "Id tokens")
    MASTERPASS_GROUP_ID: str | None = _s("MASTERPASS01", "groupId of the master pass token (the stations' AuthCtrlr.MasterPassGroupId)", "Id tokens", fmt="Central")
    LOCAL_LIST_VERSION: PositiveInt = _s(1, "Local authorization list version (blocks D, N)", "Id tokens")

    # --- TLS (block A)
    TLS_CA_CERT: str = _s(f"{CERTS}/ca.pem", "CA certificate that the CSMS's server certificates chain to", "TLS")
    TLS_CLIENT_CERT: str = _s(f"{CERTS}/client.pem", "Client certificate of SECURITY_PROFILE_3_CP (CN = its id)", "TLS")
    TLS_CLIENT_KEY: str = _s(f"{CERTS}/client.key", "Private key of TLS_CLIENT_CERT", "TLS")
    TLS_INVALID_CLIENT_CERT: str = _s(f"{CERTS}/client_invalid.pem", "Client certificate from a CA the CSMS does not trust", "TLS")
    TLS_INVALID_CLIENT_KEY: str = _s(f"{CERTS}/client_invalid.key", "Private key of TLS_INVALID_CLIENT_CERT", "TLS")
    TLS_EXPIRED_CLIENT_CERT: str = _s(f"{CERTS}/client_expired.pem", "Expired client certificate from the trusted CA, CN = SECURITY_PROFILE_3_CP", "TLS")
    TLS_EXPIRED_CLIENT_KEY: str = _s(f"{CERTS}/client_expired.key", "Private key of TLS_EXPIRED_CLIENT_CERT", "TLS")
    TLS_WRONG_CN_CLIENT_CERT: str = _s(f"{CERTS}/client_wrong_cn.pem", "Valid client certificate from the trusted CA whose CN is not SECURITY_PROFILE_3_CP", "TLS")
    TLS_WRONG_CN_CLIENT_KEY: str = _s(f"{CERTS}/client_wrong_cn.key", "Private key of TLS_WRONG_CN_CLIENT_CERT", "TLS")
    TLS_CLIENT_CA_CERT: str = _s("", "CA that issues station certificates (renewed chains must verify against it); empty = TLS_CA_CERT", "TLS")
    CONFIGURED_CSR_ORGANIZATION: str = _s("Conformance CPO", "O of the CSRs the simulator sends", "TLS")
    CONFIGURED_CSR_COUNTRY: str = _s("NL", "C of the CSRs the simulator sends", "TLS", fmt="countryCode")
    CONFIGURED_CSR_ORGANIZATIONAL_UNIT: str = _s("Charging", "OU of the V2G / combined CSRs", "TLS")
    CONFIGURED_SUPPORTED_SECURITY_PROFILES: str = _s("1,2,3", "Security profiles the CSMS supports; cases needing another are skipped, cases of a listed profile the station cannot reach (no CSMS_WSS_ADDRESS, a missing TLS file) fail", "TLS")
    CONFIGURED_SUPPORTS_ISO15118: bool = _s(True, "Whether the CSMS supports ISO 15118 certificate handling", "TLS")

    # --- ISO 15118 / contract certificates (block C, M)
    ISO15118_CERT_HASH_DATA_FILE: str = _s(f"{CERTS}/iso15118_cert_hash_data.json", "JSON with the OCSP request data of a valid contract chain", "ISO 15118")
    ISO15118_REVOKED_CERT_HASH_DATA_FILE: str = _s(f"{CERTS}/iso15118_revoked_cert_hash_data.json", "JSON with the OCSP request data of a revoked contract chain", "ISO 15118")
    CONTRACT_CERT_FILE: str = _s(f"{CERTS}/contract.pem", "PEM contract certificate", "ISO 15118")
    CONFIGURED_CONTRACT_EMAID: str = _s("NLTSTC00000001Z", "eMAID of the contract certificates (must be Accepted in the CSMS): ISO 15118 format, a check digit when given must be right", "ISO 15118", fmt="eMAID")
    CONFIGURED_OCSP_RESPONDER_URL: str = _s("http://127.0.0.1:19080/ocsp", "URL of the OCSP responder the harness hosts", "ISO 15118", fmt="httpUrl")
    CONFIGURED_MO_ROOT_CERT_FILE: str = _s(f"{CERTS}/mo_root.pem", "MO root CA certificate issuing the contract certificates", "ISO 15118")
    CONFIGURED_MO_ROOT_KEY_FILE: str = _s(f"{CERTS}/mo_root.key", "Private key of the MO root (never logged)", "ISO 15118")

    # --- Firmware management (block L)
    CONFIGURED_FIRMWARE_LOCATION: str = _s("https://firmware.example.com/ocpp201/firmware-1.1.bin", "URI the CSMS is asked to send as UpdateFirmwareRequest firmware.location and PublishFirmwareRequest location (never downloaded)", "Firmware", fmt="url")
    CONFIGURED_FIRMWARE_LOCATION_2: str = _s("https://firmware.example.com/ocpp201/firmware-1.2.bin", "firmware.location of the second update sent while the first one runs (TC_L_10, TC_L_11)", "Firmware", fmt="url")
    CONFIGURED_FIRMWARE_SIGNING_CERT: str = _s(f"{CERTS}/firmware_signing.pem", "PEM firmware signing certificate (issued by CONFIGURED_MANUFACTURER_ROOT_CERT, codeSigning) the CSMS is asked to send as firmware.signingCertificate; key kept beside it", "Firmware")
    CONFIGURED_FIRMWARE_SIGNATURE_FILE: str = _s("fixtures/firmware/firmware-1.1.sig.b64", "Text file with the Base64 ECDSA-SHA256 signature of CONFIGURED_FIRMWARE_IMAGE by the signing key: the expected firmware.signature", "Firmware")
    CONFIGURED_FIRMWARE_IMAGE: str = _s("fixtures/firmware/firmware-1.1.bin", "Firmware image (random bytes) from which the signature and the default checksum derive", "Firmware")
    CONFIGURED_FIRMWARE_CHECKSUM: str = _s("", "checksum (32 hex digits) the CSMS is asked to send in Publish/UnpublishFirmwareRequest; empty = lowercase MD5 hex of CONFIGURED_FIRMWARE_IMAGE", "Firmware")
    CONFIGURED_FIRMWARE_SCHEDULE_DELAY: Seconds = _s(30.0, "Seconds after the operator action at which the requested installDateTime (TC_L_02) / retrieveDateTime (TC_L_03) lies; the simulator waits until then", "Firmware")
    CONFIGURED_SUPPORTS_PUBLISH_FIRMWARE: bool = _s(True, "Whether the CSMS supports publishing firmware on a Local Controller (L03/L04); false skips TC_L_17-TC_L_24", "Firmware")

    # --- Certificate management (block M)
    CONFIGURED_CSMS_ROOT_CERT: str = _s(f"{CERTS}/csms_root_2.pem", "Self-signed CA (a new CSMS root, not TLS_CA_CERT) the CSMS is asked to install as CSMSRootCertificate", "Certificates")
    CONFIGURED_MANUFACTURER_ROOT_CERT: str = _s(f"{CERTS}/manufacturer_root.pem", "Self-signed manufacturer root: installed in TC_M_02, in the simulator's truststore, issuer of the firmware signing certificate", "Certificates")
    CONFIGURED_V2G_ROOT_CERT: str = _s(f"{CERTS}/v2g_root.pem", "Self-signed V2G root: installed in TC_M_03, in the truststore, root of the V2G chain", "Certificates")
    CONFIGURED_V2G_CERT_CHAIN: str = _s(f"{CERTS}/v2g_chain.pem", "PEM bundle, leaf first: SECC certificate (CN BASIC_AUTH_CP) <- CPO Sub-CA 2 <- CPO Sub-CA 1 (issued by the V2G root); Sub-CAs carry the AIA OCSP URL", "Certificates")
    CONFIGURED_ISO15118_SCHEMA_VERSION: str = _s("urn:iso:15118:2:2013:MsgDef", "iso15118SchemaVersion of the Get15118EVCertificateRequests", "Certificates", fmt="string50")
    CONFIGURED_ISO15118_INSTALL_EXI_REQUEST_FILE: str = _s("fixtures/iso15118/certificate_installation_req.b64", "Base64 EXI certificate installation request of the fixture EV, sent as exiRequest with action Install (TC_M_26)", "Certificates")
    CONFIGURED_ISO15118_UPDATE_EXI_REQUEST_FILE: str = _s("fixtures/iso15118/certificate_update_req.b64", "Base64 EXI certificate update request (contract chain of CONTRACT_CERT_FILE), sent as exiRequest with action Update (TC_M_28)", "Certificates")

    # --- Provisioning and network profiles (block A, B)
    CONFIGURED_CONFIGURATION_SLOT: PositiveInt = _s(1, "configurationSlot of the network profile the CSMS is asked to set", "Provisioning")
    CONFIGURED_MESSAGE_TIMEOUT: PositiveInt = _s(30, "connectionData.messageTimeout of that network profile", "Provisioning")
    CONFIGURED_OCPP_CSMS_URL: str = _s("", "connectionData.ocppCsmsUrl of that network profile; empty = CSMS_WSS_ADDRESS", "Provisioning", fmt="ocppCsmsUrl")
    CONFIGURED_OCPP_INTERFACE: str = _s("Wired0", "connectionData.ocppInterface of that network profile", "Provisioning", fmt="ocppInterface")
    CONFIGURED_SECURITY_PROFILE: Annotated[int, Field(ge=1, le=3)] = _s(1, "connectionData.securityProfile of that profile (TC_B_42) and the start profile of TC_A_19", "Provisioning")
    CONFIGURED_VENDOR_ID: str = _s("tzi.app", "DataTransfer vendorId the CSMS has no extension for", "Provisioning", fmt="string255")
    CONFIGURED_MESSAGE_ID: str = _s("TestMessage", "DataTransfer messageId the CSMS has no extension for", "Provisioning", fmt="string50")

    # --- Transactions, meter values, tariff
    TRANSACTION_DURATION: Annotated[float, Field(ge=0)] = _s(5.0, "Seconds a simulated transaction (or offline period) lasts", "Transactions")
    CLOCK_ALIGNED_METER_VALUES_INTERVAL: Seconds = _s(1.0, "Seconds between the clock-aligned meter values the station sends (whole multiples from midnight UTC; block J)", "Transactions")
    SAMPLED_METER_VALUES_INTERVAL: Seconds = _s(1.0, "Seconds between the periodic (sampled) meter values the station sends during a transaction (blocks I, J)", "Transactions")
    TX_ENDED_METER_VALUES_INTERVAL: Seconds = _s(1.0, "Seconds between the readings the Ended TransactionEvent carries (block J)", "Transactions")
    CONFIGURED_TARIFF_PRICE_PER_KWH: Annotated[float, Field(ge=0)] = _s(0.25, "Energy price per kWh (taxes included, no other fee) of the tariff the CSMS applies to VALID_ID_TOKEN's transactions at BASIC_AUTH_CP; expected costs are energy × this price, ±0.01 (block I)", "Transactions")
    CONFIGURED_RESERVATION_EXPIRY: Seconds = _s(300, "Seconds until the reservations the CSMS is asked to make expire (block H)", "Transactions")
    CONFIGURED_UNSUPPORTED_TRIGGER_MESSAGE: str = _s("PublishFirmwareStatusNotification", "requestedMessage answered NotImplemented (TC_F_27)", "Transactions", fmt="messageTrigger")

    # --- Smart charging (block K)
    CONFIGURED_STACK_LEVEL: PositiveInt = _s(1, "stackLevel the CSMS is asked to use in the profiles it sets, clears or filters by; also the stackLevel of profiles the simulator reports when the request names none", "Smart charging")
    CONFIGURED_CHARGING_RATE_UNIT: Literal["A", "W"] = _s("A", "chargingRateUnit (A or W) the CSMS is asked to use in profiles and composite-schedule requests; unit of the schedules the simulator sends", "Smart charging")
    CONFIGURED_CHARGING_SCHEDULE_DURATION: Annotated[int, Field(gt=0)] = _s(300, "Seconds: chargingSchedule.duration of the profiles the CSMS is asked to set, the validTo offset from now (TC_K_01), and the duration of the composite schedule it asks for", "Smart charging")
    CONFIGURED_MAX_TIME_DEVIATION: Seconds = _s(60, "Seconds a time the CSMS fills with now (validFrom, startSchedule, validTo - duration) may differ from the arrival of the request", "Smart charging")
    CONFIGURED_RECURRENCY_KIND: Literal["Daily", "Weekly"] = _s("Daily", "recurrencyKind (Daily or Weekly) of the Recurring TxDefaultProfile the CSMS is asked to set", "Smart charging")
    CONFIGURED_CHARGING_PROFILE_PURPOSE: Literal["ChargingStationMaxProfile", "TxDefaultProfile", "TxProfile", "ChargingStationExternalConstraints"] = _s("TxDefaultProfile", "chargingProfilePurpose the CSMS is asked to filter by in GetChargingProfilesRequest", "Smart charging")
    CONFIGURED_CHARGING_LIMIT_SOURCE: Literal["EMS", "Other", "SO", "CSO"] = _s("CSO", "chargingLimitSource (EMS, Other, SO or CSO) the CSMS is asked to filter by; the criterion must be exactly [this value]", "Smart charging")
    CONFIGURED_NO_RENEGOTIATION_WAIT: Annotated[float, Field(ge=0)] = _s(10, "Seconds the simulator waits after charging starts to confirm that the CSMS sends no further SetChargingProfileRequest", "Smart charging")
    CONFIGURED_SUPPORTS_TX_PROFILE_WITHOUT_TX: bool = _s(True, "Whether the CSMS can send a TxProfile while no transaction runs (Part 6 prerequisite); false skips TC_K_02 with that reason", "Smart charging")
    CONFIGURED_SUPPORTS_ISO15118_SMART_CHARGING: bool = _s(True, "Whether the CSMS supports ISO 15118 load leveling (NotifyEVChargingNeeds / NotifyEVChargingSchedule); false skips those cases with that reason", "Smart charging")
    # --- Diagnostics and monitoring (block N)
    CONFIGURED_LOG_LOCATION: str = _s("https://logs.example.com/ocpp/upload", "Upload URL the CSMS is asked to put in GetLogRequest log.remoteLocation (block N)", "Diagnostics", fmt="url")
    CONFIGURED_MONITOR_IDS: str = _s("1,2,3,4,5", "Comma-separated ids of the monitors the CSMS is asked to clear; more ids than CONFIGURED_CLEAR_MONITORING_ITEMS_PER_MESSAGE; TC_N_44 uses the first", "Diagnostics")
    CONFIGURED_CLEAR_MONITORING_ITEMS_PER_MESSAGE: Annotated[int, Field(ge=1)] = _s(3, "MonitoringCtrlr.ItemsPerMessage[ClearVariableMonitoring] the simulator reports: most ids per ClearVariableMonitoringRequest", "Diagnostics")
    CONFIGURED_CUSTOMER_CERT_HASH_ALGORITHM: str = _s("SHA256", "customerCertificate.hashAlgorithm the CSMS is asked to send (TC_N_63)", "Diagnostics", fmt="hashAlgorithm")
    CONFIGURED_CUSTOMER_CERT_ISSUER_NAME_HASH: str = _s("0552dd17bf870d2893b2e10471945a1ef7aa57da53f218a3e0e471be7f1603ec", "customerCertificate.issuerNameHash (hex)", "Diagnostics", fmt="hex")
    CONFIGURED_CUSTOMER_CERT_ISSUER_KEY_HASH: str = _s("f922f01bbd6897f0f0f99f38467820d6609e8c5e5ac04caf54e25f2457af7fb1", "customerCertificate.issuerKeyHash (hex)", "Diagnostics", fmt="hex")
    CONFIGURED_CUSTOMER_CERT_SERIAL_NUMBER: str = _s("5A3C9E01", "customerCertificate.serialNumber (hex)", "Diagnostics", fmt="serialHex")

    # --- Display messages (block O)
    CONFIGURED_DISPLAY_MESSAGE_PRIORITY: str = _s("InFront", "Priority of the display message the CSMS is asked to set (and of DisplayMessageConfigured); the GetDisplayMessages priority filter", "Display messages")
    CONFIGURED_DISPLAY_MESSAGE_STATE: str = _s("Idle", "State of the display message set in TC_O_01 and DisplayMessageConfigured; the GetDisplayMessages state filter", "Display messages")
    CONFIGURED_DISPLAY_MESSAGE_FORMAT: str = _s("UTF8", "message.message.format of the display messages the CSMS is asked to set", "Display messages")
    CONFIGURED_DISPLAY_MESSAGE_CONTENT: str = _s("OCPP conformance test message", "message.message.content of the display messages the CSMS is asked to set", "Display messages", fmt="string512")
    CONFIGURED_DISPLAY_MESSAGE_REPLACEMENT_CONTENT: str = _s("OCPP conformance test message (replaced)", "New content when the CSMS is asked to replace the configured message (TC_O_12)", "Display messages", fmt="string512")
    CONFIGURED_UNKNOWN_DISPLAY_MESSAGE_ID: int = _s(9999, "A display message id the station does not hold (clear / get of an unknown id)", "Display messages")
    CONFIGURED_UNSUPPORTED_DISPLAY_MESSAGE_PRIORITY: str = _s("AlwaysFront", "Priority the CSMS is asked to use where the station answers NotSupportedPriority (TC_O_17)", "Display messages")
    CONFIGURED_UNSUPPORTED_DISPLAY_MESSAGE_STATE: str = _s("Faulted", "State the CSMS is asked to use where the station answers NotSupportedState (TC_O_18)", "Display messages")
    CONFIGURED_UNSUPPORTED_DISPLAY_MESSAGE_FORMAT: str = _s("HTML", "Format the CSMS is asked to use where the station answers NotSupportedMessageFormat (TC_O_19)", "Display messages")
    CONFIGURED_DISPLAY_MESSAGE_START_DELAY: Seconds = _s(60, "Seconds after the operator action at which the requested message starts (startDateTime; TC_O_13, TC_O_27)", "Display messages")
    CONFIGURED_DISPLAY_MESSAGE_END_DELAY: Seconds = _s(120, "Seconds after the operator action at which the requested message ends (endDateTime; TC_O_14, TC_O_28)", "Display messages")
    CONFIGURED_UNKNOWN_TRANSACTION_ID: str = _s("UNKNOWN-TX-0001", "transactionId (not the running one) the CSMS is asked to bind a display message to (TC_O_10)", "Display messages", fmt="identifierString")

    @field_validator("CSMS_OPERATOR")
    @classmethod
    def _operator_mode(cls, value: str) -> str:
        if value not in BUILTIN_OPERATORS and not re.fullmatch(OPERATOR_FORM, value):
            raise ValueError(OPERATOR_CHOICES)
        return value

    @field_validator("CITRINEOS_URL")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?", value):
            raise ValueError("must be an http:// or https:// URL such as http://localhost:8080")
        return value.rstrip("/")

    @field_validator("CONFIGURED_SUPPORTED_SECURITY_PROFILES")
    @classmethod
    def _profiles(cls, value: str) -> str:
        if not re.fullmatch(r"\s*[123](\s*,\s*[123])*\s*", value):
            raise ValueError("must be a comma-separated list of 1, 2 and 3")
        return value

    @field_validator("REFERENCE_CSMS_SEED", "CONTENT_SEED", mode="before")
    @classmethod
    def _seed(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value
    @field_validator("CONFIGURED_MONITOR_IDS")
    @classmethod
    def _monitor_ids(cls, value: str) -> str:
        if not re.fullmatch(r"\s*\d+(\s*,\s*\d+)*\s*", value):
            raise ValueError("must be a comma-separated list of monitor ids (integers >= 0)")
        return value

    @field_validator("CONFIGURED_DISPLAY_MESSAGE_PRIORITY", "CONFIGURED_UNSUPPORTED_DISPLAY_MESSAGE_PRIORITY")
    @classmethod
    def _priority(cls, value: str) -> str:
        if value not in MESSAGE_PRIORITIES:
            raise ValueError(f"must be one of {', '.join(MESSAGE_PRIORITIES)}")
        return value

    @field_validator("CONFIGURED_DISPLAY_MESSAGE_STATE", "CONFIGURED_UNSUPPORTED_DISPLAY_MESSAGE_STATE")
    @classmethod
    def _state(cls, value: str) -> str:
        if value not in MESSAGE_STATES:
            raise ValueError(f"must be one of {', '.join(MESSAGE_STATES)}")
        return value

    @field_validator("CONFIGURED_DISPLAY_MESSAGE_FORMAT", "CONFIGURED_UNSUPPORTED_DISPLAY_MESSAGE_FORMAT")
    @classmethod
    def _format(cls, value: str) -> str:
        if value not in MESSAGE_FORMATS:
            raise ValueError(f"must be one of {', '.join(MESSAGE_FORMATS)}")
        return value

    @field_validator("CONFIGURED_FIRMWARE_CHECKSUM")
    @classmethod
    def _checksum(cls, value: str) -> str:
        if value and not re.fullmatch(r"[0-9a-fA-F]{32}", value):
            raise ValueError("must be 32 hex digits (an MD5 checksum) or empty")
        return value

    @field_validator("VALID_ID_TOKEN_2", "BLOCKED_ID_TOKEN", "EXPIRED_ID_TOKEN", "MASTERPASS_ID_TOKEN")
    @classmethod
    def _optional_token(cls, value: str | None) -> str | None:
        """"-" switches an optional token (and its cases) off; empty means the default, as everywhere."""
        return None if value == "-" else value

    @field_validator("REFERENCE_CSMS_FAULTS", "REFERENCE_CSMS_OPTIONS")
    @classmethod
    def _faults(cls, value: str) -> str:
        return ",".join(f.strip() for f in value.split(",") if f.strip())

    @field_validator("CONFIGURED_CLEAR_MONITORING_ITEMS_PER_MESSAGE")
    @classmethod
    def _fewer_than_monitor_ids(cls, value: int, info: ValidationInfo) -> int:
        ids = info.data.get("CONFIGURED_MONITOR_IDS")
        if ids and len(ids.split(",")) <= value:
            raise ValueError(f"must be smaller than the number of CONFIGURED_MONITOR_IDS ({len(ids.split(','))})")
        return value

    # --- derived values
    @property
    def case_time_limit(self) -> float:
        """The longest a case may take (pytest-timeout's limit per case): the waits the catalogue's
        longest cases add up, with room for the rest (block J waits up to 4 meter value intervals)."""
        intervals = max(self.CLOCK_ALIGNED_METER_VALUES_INTERVAL, self.SAMPLED_METER_VALUES_INTERVAL,
                        self.TX_ENDED_METER_VALUES_INTERVAL)
        return (8 * self.CSMS_ACTION_TIMEOUT + 4 * self.CSMS_RESPONSE_TIMEOUT + 16 * self.TRANSACTION_DURATION
                + 4 * intervals + 30)

    @property
    def embedded(self) -> bool:
        return self.CSMS_ADDRESS is None

    @property
    def supported_profiles(self) -> set[int]:
        return {int(p) for p in self.CONFIGURED_SUPPORTED_SECURITY_PROFILES.split(",")}

    @property
    def client_ca_cert(self) -> str:
        return self.TLS_CLIENT_CA_CERT or self.TLS_CA_CERT

    @property
    def ocpp_csms_url(self) -> str:
        return self.CONFIGURED_OCPP_CSMS_URL or (self.CSMS_WSS_ADDRESS or "")

    @property
    def faults(self) -> list[str]:
        return [f for f in self.REFERENCE_CSMS_FAULTS.split(",") if f]

    @property
    def csms_options(self) -> list[str]:
        return [f for f in self.REFERENCE_CSMS_OPTIONS.split(",") if f]

    @property
    def monitor_ids(self) -> list[int]:
        return [int(i) for i in self.CONFIGURED_MONITOR_IDS.split(",")]

    @property
    def firmware_checksum(self) -> str:
        """CONFIGURED_FIRMWARE_CHECKSUM, or the lowercase MD5 hex of CONFIGURED_FIRMWARE_IMAGE."""
        if self.CONFIGURED_FIRMWARE_CHECKSUM:
            return self.CONFIGURED_FIRMWARE_CHECKSUM
        import hashlib
        return hashlib.md5(self.path(self.CONFIGURED_FIRMWARE_IMAGE).read_bytes()).hexdigest()

    def wss_address(self, profile: int) -> str | None:
        """The wss:// endpoint of security profile 2 or 3."""
        return (self.CSMS_WSS_SP3_ADDRESS or self.CSMS_WSS_ADDRESS) if profile == 3 else self.CSMS_WSS_ADDRESS

    def path(self, value: str) -> Path:
        """A file setting as an absolute path (relative ones are relative to the project)."""
        p = Path(value)
        return p if p.is_absolute() else ROOT / p

    def secrets(self) -> list[str]:
        """Values that must never appear in a log or report."""
        return [v for k in SECRET_SETTINGS if (v := getattr(self, k))]


FILE_SETTINGS = tuple(n for n in Settings.model_fields if n.endswith(FILE_SUFFIXES))
#: the files settings name, keys left out (a key belongs to its certificate, and may serve several)
NAMED_FILES = tuple(n for n in dict.fromkeys((*FILE_SETTINGS, "CONFIGURED_V2G_CERT_CHAIN", "CONFIGURED_FIRMWARE_IMAGE"))
                    if not n.endswith("_KEY") and not n.endswith("_KEY_FILE"))
#: file settings whose file is PEM: certificates (one or more), or one unencrypted private key
PEM_CERTIFICATES = tuple(n for n in FILE_SETTINGS if n.endswith(("_CERT", "_CERT_FILE", "_CERT_CHAIN")))
PEM_KEYS = tuple(n for n in FILE_SETTINGS if n.endswith(("_KEY", "_KEY_FILE")))


def pem_problem(name: str, path: Path) -> str | None:
    """What is wrong with the PEM file of setting ``name`` (certificates, or a private key), in a
    few words that never quote the file; None when it loads."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    data = path.read_bytes()
    if name in PEM_KEYS:
        if b"PRIVATE KEY-----" not in data:
            return "is not a PEM private key (no -----BEGIN … PRIVATE KEY----- block)"
        try:
            load_pem_private_key(data, password=None)
        except TypeError:
            return "is an encrypted private key; the harness needs it unencrypted"
        except Exception as e:  # noqa: BLE001 - cryptography's errors name no key material
            return f"does not load as a PEM private key ({str(e).splitlines()[0][:120] if str(e) else e.__class__.__name__})"
        return None
    if b"-----BEGIN CERTIFICATE-----" not in data:
        return "is not a PEM certificate (no -----BEGIN CERTIFICATE----- block)"
    try:
        x509.load_pem_x509_certificates(data)
    except ValueError as e:
        return f"does not load as PEM certificates ({str(e).splitlines()[0][:120] if str(e) else 'ValueError'})"
    return None


def describe_error(error: ValidationError) -> str:
    """One line for the first bad setting: its name, what is wrong, and the value unless secret."""
    first = error.errors()[0]
    name = str(first["loc"][0]) if first["loc"] else "settings"
    message = first["msg"].removeprefix("Value error, ")
    shown = "" if name in SECRET_SETTINGS else f" (got {first.get('input')!r})"
    return f"setting {name}: {message}{shown}"


def load_settings(**overrides: Any) -> Settings:
    """Read the environment and .env; a bad value, an unknown name with the harness's prefixes, a
    .env line that is not KEY=VALUE or two settings that contradict each other raise SettingError
    with one line."""
    env_file = overrides.get("_env_file", Settings.model_config.get("env_file"))
    problem = source_problem(os.environ, Path(env_file) if env_file else None)
    if problem:
        raise SettingError(problem)
    try:
        settings = Settings(**overrides)
    except ValidationError as error:
        raise SettingError(describe_error(error)) from None
    problem = start_problem(settings) or conflict_problem(settings) or station_set_problem(settings)
    if problem:
        raise SettingError(problem)
    return settings


# ---------------------------------------------------------------- names that are not settings
def _prefixes() -> tuple[str, ...]:
    """The harness's prefixes: each first word that two settings or more share (``CONFIGURED_``,
    ``CSMS_``, ``TLS_``, ``VALID_``, ``REFERENCE_``, …). A name with one of them that is no setting is
    a typo, never someone else's variable; words only one setting uses (``NEW_``, ``TX_``) are too
    common elsewhere to claim."""
    words = [name.split("_", 1)[0] for name in Settings.model_fields]
    return tuple(sorted(f"{w}_" for w in set(words) if words.count(w) > 1))


PREFIXES = _prefixes()
_DOTENV_LINE = re.compile(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=(.*)")


def unknown_name(name: str, where: str) -> str | None:
    """One line when ``name`` carries a prefix of the harness (in any case) and is no setting."""
    if name in Settings.model_fields or not name.upper().startswith(PREFIXES):
        return None
    import difflib
    close = difflib.get_close_matches(name.upper(), list(Settings.model_fields), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else " (no setting has a similar name; see env.example)"
    return f"unknown setting {name}{hint} ({where})"


def read_dotenv(path: Path) -> tuple[list[tuple[int, str]], str | None]:
    """The keys of a .env file with their line numbers, or the first line that is not ``KEY=VALUE``
    (blank lines and ``#`` comments allowed; a quoted value must close its quote on the line)."""
    keys: list[tuple[int, str]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        match = _DOTENV_LINE.fullmatch(text)
        value = match.group(2).strip() if match else ""
        if match is None or (value[:1] in "'\"" and value and value.find(value[0], 1) < 0):
            return keys, f"{path}: line {number} is not KEY=VALUE (blank lines and # comments are allowed)"
        keys.append((number, match.group(1)))
    return keys, None


def source_problem(environ: Any, env_file: Path | None) -> str | None:
    """What is wrong with where the settings come from: a name of the environment or the .env file
    that looks like a setting and is none, or a .env line that is not KEY=VALUE."""
    for name in sorted(environ):
        problem = unknown_name(name, "environment")
        if problem:
            return problem
    if env_file is None or not env_file.is_file():
        return None
    keys, problem = read_dotenv(env_file)
    if problem:
        return problem
    for number, name in keys:
        problem = unknown_name(name, f"{env_file} line {number}")
        if problem:
            return problem
    return None


# ---------------------------------------------------------------- what the settings name
@dataclass(frozen=True)
class NamedToken:
    """An id token a setting names, with what the catalogue says the CSMS holds for it. ``None``
    means the catalogue asks nothing (a token may hold a group only one setting asks for)."""
    setting: str
    value: str
    type: str | None
    type_setting: str | None
    status: str                  # Accepted, Invalid (or unknown), Blocked, Expired (expiry in the past)
    group: str | None = None
    group_setting: str | None = None


@dataclass(frozen=True)
class NamedStation:
    """A station id a setting names: its security profile, and whether cases change it (its
    password, its profile), so that it must be a station of its own."""
    setting: str
    id: str
    security_profile: int
    password: bool               # Basic Auth with BASIC_AUTH_CP_PASSWORD (else a client certificate)
    changed_by: str = ""         # what the cases that use it change in the CSMS


#: (token setting, its type setting or a fixed type, status, group setting)
TOKEN_SETTINGS = (
    ("VALID_ID_TOKEN", "VALID_ID_TOKEN_TYPE", "Accepted", "GROUP_ID"),
    ("VALID_ID_TOKEN_2", "VALID_ID_TOKEN_TYPE_2", "Accepted", "GROUP_ID"),
    ("VALID_IDTOKEN_IDTOKEN", "VALID_IDTOKEN_TYPE", "Accepted", None),
    ("INVALID_ID_TOKEN", "INVALID_ID_TOKEN_TYPE", "Invalid", None),
    ("BLOCKED_ID_TOKEN", "BLOCKED_ID_TOKEN_TYPE", "Blocked", None),
    ("EXPIRED_ID_TOKEN", "EXPIRED_ID_TOKEN_TYPE", "Expired", None),
    ("MASTERPASS_ID_TOKEN", "MASTERPASS_ID_TOKEN_TYPE", "Accepted", "MASTERPASS_GROUP_ID"),
    ("CONFIGURED_CONTRACT_EMAID", "eMAID", "Accepted", None),
)
#: file settings that may name one file: a CA of both the server and the station certificates, one
#: root for contract and V2G certificates
SHARED_FILES = ({"TLS_CA_CERT", "TLS_CLIENT_CA_CERT"}, {"CONFIGURED_MO_ROOT_CERT_FILE", "CONFIGURED_V2G_ROOT_CERT"})


def named_tokens(s: Settings) -> list[NamedToken]:
    """Every id token the settings name (unset optional ones left out), in TOKEN_SETTINGS order."""
    found = []
    for name, type_name, status, group_name in TOKEN_SETTINGS:
        value = getattr(s, name)
        if not value:
            continue
        token_type = getattr(s, type_name) if type_name in Settings.model_fields else type_name
        found.append(NamedToken(name, value, token_type, type_name if type_name in Settings.model_fields else None,
                                status, getattr(s, group_name) if group_name else None, group_name))
    return found


def named_stations(s: Settings) -> list[NamedStation]:
    """Every station id the settings name, at the security profile the catalogue registers it."""
    return [NamedStation("BASIC_AUTH_CP", s.BASIC_AUTH_CP, 1, True),
            NamedStation("SECURITY_PROFILE_2_CP", s.SECURITY_PROFILE_2_CP, 2, True),
            NamedStation("SECURITY_PROFILE_3_CP", s.SECURITY_PROFILE_3_CP, 3, False),
            NamedStation("CONFIGURED_PASSWORD_UPDATE_CP", s.CONFIGURED_PASSWORD_UPDATE_CP, 1, True,
                         "its password (TC_A_09, TC_A_10)"),
            NamedStation("CONFIGURED_PROFILE_UPGRADE_CP", s.CONFIGURED_PROFILE_UPGRADE_CP,
                         s.CONFIGURED_SECURITY_PROFILE, s.CONFIGURED_SECURITY_PROFILE < 3,
                         "its security profile (TC_A_19)")]


#: station settings whose id a file carries (a client certificate's CN): every set uses them as
#: configured, and the cases that name them run one at a time (one xdist group)
def certificate_stations(s: Settings) -> frozenset[str]:
    bound = {"SECURITY_PROFILE_3_CP"}
    if s.CONFIGURED_SECURITY_PROFILE == 3:  # TC_A_19 upgrades its station to a client certificate
        bound.add("CONFIGURED_PROFILE_UPGRADE_CP")
    return frozenset(bound)


def set_station_ids(s: Settings, number: int) -> dict[str, str]:
    """The station ids set ``number`` uses, per setting: set 1 the configured ones, set k > 1 each
    derived by CSMS_STATION_SET_ID (the certificate-bound ones stay as configured)."""
    bound = certificate_stations(s)
    return {n.setting: n.id if number == 1 or n.setting in bound
            else s.CSMS_STATION_SET_ID.format(id=n.id, set=number) for n in named_stations(s)}


def station_set(s: Settings, number: int) -> Settings:
    """The settings the cases of set ``number`` see (``s`` is the configured, set-1 settings)."""
    return s if number == 1 else s.model_copy(update=set_station_ids(s, number))


def station_sets(s: Settings) -> list[Settings]:
    """Every set's settings, set 1 first."""
    return [station_set(s, k) for k in range(1, s.CSMS_STATION_SETS + 1)]


def station_set_problem(s: Settings) -> str | None:
    """A CSMS_STATION_SET_ID that cannot derive ids, or derives one OCPP refuses or another set uses."""
    pattern = s.CSMS_STATION_SET_ID
    if s.CSMS_STATION_SETS == 1:
        return None
    try:
        if pattern.format(id="A", set=2) == pattern.format(id="A", set=3) or "{id}" not in pattern:
            return f"setting CSMS_STATION_SET_ID: must contain {{id}} and {{set}} (got {pattern!r})"
    except (KeyError, IndexError, ValueError) as e:
        return f"setting CSMS_STATION_SET_ID: only {{id}} and {{set}} may appear in braces (got {pattern!r}: {e})"
    bound = certificate_stations(s)
    seen: dict[str, int] = {}  # station id -> the set that uses it
    for number in range(1, s.CSMS_STATION_SETS + 1):
        for setting, station_id in set_station_ids(s, number).items():
            if number > 1 and setting in bound:
                continue
            why = FORMATS["stationId"].test(station_id) if number > 1 else None
            if why:
                return f"setting CSMS_STATION_SET_ID: set {number}'s id for {setting} ({station_id!r}): {why}"
            other = seen.setdefault(station_id, number)
            if other != number:
                return (f"setting CSMS_STATION_SET_ID: set {number} derives {station_id!r} for {setting}, "
                        f"an id set {other} uses")
    return None


def conflict_problem(s: Settings) -> str | None:
    """Two settings that name the same token, station or file and say different things about it."""
    tokens: dict[str, NamedToken] = {}
    for token in named_tokens(s):
        first = tokens.setdefault(token.value, token)
        for what, mine, theirs, my_name, their_name in (
                ("type", token.type, first.type, token.type_setting, first.type_setting),
                ("status", token.status, first.status, None, None),
                ("group", token.group, first.group, token.group_setting, first.group_setting)):
            if mine is not None and theirs is not None and mine != theirs:
                said = lambda value, name: f"{value}" + (f" ({name})" if name else "")  # noqa: E731
                return (f"setting {token.setting}: names the same id token as {first.setting} ({token.value!r}) "
                        f"with {what} {said(mine, my_name)}, where {first.setting} has {said(theirs, their_name)}")
        if first.group is None and token.group is not None:
            tokens[token.value] = NamedToken(first.setting, first.value, first.type or token.type,
                                             first.type_setting, first.status, token.group, token.group_setting)
    stations: dict[str, NamedStation] = {}
    for station in named_stations(s):
        first = stations.setdefault(station.id, station)
        changed = first.changed_by or station.changed_by
        if first is not station and changed:
            owner = first if first.changed_by else station
            other = station if owner is first else first
            return (f"setting {station.setting}: names the same station as {first.setting} ({station.id!r}); "
                    f"the cases of {owner.setting} change {owner.changed_by}, so it needs an id that "
                    f"{other.setting} does not use")
    files: dict[Path, str] = {}
    for name in NAMED_FILES:
        value = getattr(s, name)
        if not value:
            continue
        path = s.path(value).resolve()
        first_name = files.setdefault(path, name)
        if first_name != name and {first_name, name} not in SHARED_FILES:
            return (f"setting {name}: names the same file as {first_name} ({value}); "
                    f"each is a file of its own ({Settings.model_fields[name].description.split(';')[0]})")
    return None


def start_problem(s: Settings) -> str | None:
    """What a run cannot start with although every value is well formed, as one line naming the
    variable: ids outside the station, passwords OCPP would refuse, an operator that cannot act,
    a file a setting names that is not there."""
    if not 1 <= s.CONFIGURED_EVSE_ID <= s.CONFIGURED_NUMBER_OF_EVSES:
        return (f"setting CONFIGURED_EVSE_ID: must be between 1 and CONFIGURED_NUMBER_OF_EVSES "
                f"({s.CONFIGURED_NUMBER_OF_EVSES}) (got {s.CONFIGURED_EVSE_ID})")
    if s.CONFIGURED_CONNECTOR_ID < 1:
        return f"setting CONFIGURED_CONNECTOR_ID: must be 1 or more (got {s.CONFIGURED_CONNECTOR_ID})"
    for name in ("BASIC_AUTH_CP_PASSWORD", "NEW_BASIC_AUTH_PASSWORD"):
        value = getattr(s, name) or ""
        if not 16 <= len(value) <= 40:
            return f"setting {name}: OCPP 2.0.1 passwords have 16 to 40 characters (got {len(value)})"
    try:
        operator_class(s.CSMS_OPERATOR)
    except ValueError as e:
        return f"setting CSMS_OPERATOR: {e}"
    if s.CSMS_OPERATOR == "http" and not s.embedded and not s.CSMS_OPERATOR_URL:
        return ("setting CSMS_OPERATOR_URL: CSMS_OPERATOR=http against an external CSMS needs the URL of its "
                "action endpoint (or use CSMS_OPERATOR=manual or command)")
    if s.CSMS_OPERATOR == "command":
        program = shlex.split(s.CSMS_OPERATOR_COMMAND or "")[:1]
        if not program:
            return "setting CSMS_OPERATOR_COMMAND: CSMS_OPERATOR=command needs the program to run"
        if shutil.which(program[0]) is None:
            return f"setting CSMS_OPERATOR_COMMAND: program {program[0]!r} not found"
    problem = format_problem(s)
    if problem:
        return problem
    for name in FILE_SETTINGS:
        value = getattr(s, name, None)
        path = s.path(value) if value else None
        if path is None or path.is_relative_to(ROOT / "fixtures"):
            continue  # unset, or material the harness generates into its own folder
        if not path.is_file():
            return f"setting {name}: file {path} does not exist"
        try:
            problem = pem_problem(name, path) if name in PEM_CERTIFICATES + PEM_KEYS else None
        except OSError as e:
            return f"setting {name}: cannot read {path} ({e.strerror})"
        if problem:
            return f"setting {name}: file {path} {problem}"
    return None


#: each typed id token and the setting that names its type
TYPED_TOKENS = {"VALID_ID_TOKEN": "VALID_ID_TOKEN_TYPE", "VALID_ID_TOKEN_2": "VALID_ID_TOKEN_TYPE_2",
                "VALID_IDTOKEN_IDTOKEN": "VALID_IDTOKEN_TYPE", "INVALID_ID_TOKEN": "INVALID_ID_TOKEN_TYPE",
                "BLOCKED_ID_TOKEN": "BLOCKED_ID_TOKEN_TYPE", "EXPIRED_ID_TOKEN": "EXPIRED_ID_TOKEN_TYPE",
                "MASTERPASS_ID_TOKEN": "MASTERPASS_ID_TOKEN_TYPE"}
HASH_HEX_DIGITS = {"SHA256": 64, "SHA384": 96, "SHA512": 128}


def setting_format(name: str) -> str | None:
    """The format a setting's value must have (a key of ``simulator.formats.FORMATS``), if any."""
    return (Settings.model_fields[name].json_schema_extra or {}).get("format")  # type: ignore[union-attr]


def format_problem(s: Settings) -> str | None:
    """The first value that contradicts the format it goes on the wire in, as one line naming the
    variable: a real CSMS refuses an "ISO14443" token that is no ISO 14443 UID with a CALLERROR."""
    for name in Settings.model_fields:
        kind, value = setting_format(name), getattr(s, name)
        if kind and value not in (None, ""):
            why = FORMATS[kind].test(str(value))
            if why:
                shown = "" if name in SECRET_SETTINGS else f" (got {value!r})"
                return f"setting {name}: {why}{shown}"
    for token, type_setting in TYPED_TOKENS.items():
        value, token_type = getattr(s, token), getattr(s, type_setting)
        if value is None or token_type is None:
            continue
        why = id_token_problem(token_type, value)
        if why:
            return f"setting {token}: {why} (got {value!r}); set {type_setting} to the type it has"
    digits = HASH_HEX_DIGITS[s.CONFIGURED_CUSTOMER_CERT_HASH_ALGORITHM]
    for name in ("CONFIGURED_CUSTOMER_CERT_ISSUER_NAME_HASH", "CONFIGURED_CUSTOMER_CERT_ISSUER_KEY_HASH"):
        value = getattr(s, name)
        if len(value) != digits:
            return (f"setting {name}: a {s.CONFIGURED_CUSTOMER_CERT_HASH_ALGORITHM} hash has {digits} hex digits "
                    f"(CONFIGURED_CUSTOMER_CERT_HASH_ALGORITHM) (got {len(value)})")
    return None


#: The "fast" profile: the simulated waits at their shortest sensible values, for the embedded
#: reference CSMS and for a CSMS that keeps up (a CI gate). The catalogue's defaults stay the defaults.
FAST_PROFILE = {
    "TRANSACTION_DURATION": "1",
    "CLOCK_ALIGNED_METER_VALUES_INTERVAL": "1",
    "SAMPLED_METER_VALUES_INTERVAL": "1",
    "TX_ENDED_METER_VALUES_INTERVAL": "1",
    "CONFIGURED_FIRMWARE_SCHEDULE_DELAY": "1",
    "CONFIGURED_NO_RENEGOTIATION_WAIT": "1",
    "CSMS_SETTLE_TIME": "0",
}


def fast_profile_command() -> str:
    """The README's first command: the whole suite with the fast profile."""
    changed = [f"{k}={v}" for k, v in FAST_PROFILE.items() if default_text(k) != v]
    return " ".join(changed) + " ./run pytest tests"


def default_text(name: str) -> str:
    """A setting's default as env.example and the README write it ("" when unset)."""
    default = Settings.model_fields[name].default
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, float) and default.is_integer():
        return str(int(default))
    return "" if default is None else str(default)


def env_example() -> str:
    """The text of env.example, grouped, each setting with its default and meaning."""
    lines = ["# Settings of the OCPP 2.0.1 CSMS conformance suite. Copy to .env and edit.",
             "# Every line shows the default; an unset value is left empty.", ""]
    group = None
    for name, field in Settings.model_fields.items():
        extra = field.json_schema_extra or {}
        if extra.get("group") != group:
            group = extra.get("group")
            lines += ["", f"# --- {group}"]
        lines.append(f"# {field.description}")
        lines.append(f"{name}={default_text(name)}")
    lines += ["", "", "# --- The \"fast\" profile",
              "# The shortest simulated waits: the whole suite against the embedded reference CSMS in under a",
              "# minute (the README's first command). Uncomment in .env, or set them on the command line, for a",
              "# CSMS that keeps up with them; CSMS_SETTLE_TIME=0 suits a CSMS that takes a station's new",
              "# connection while it still finishes the old one, as the reference CSMS does."]
    lines += [f"# {k}={v}" for k, v in FAST_PROFILE.items()]
    return "\n".join(lines).lstrip("\n") + "\n"


def markdown_table() -> str:
    """The settings reference of the README: name, default, meaning."""
    rows = ["| setting | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = default_text(name)
        shown = f"`{default}`" if default else "(unset)"
        rows.append(f"| `{name}` | {shown} | {field.description.replace('|', '/')} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    from simulator.cli import run
    run(lambda: print(markdown_table() if "--markdown" in sys.argv else env_example(), end=""))
