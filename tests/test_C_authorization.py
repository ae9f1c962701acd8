"""Block C — Authorization (catalogue: C.md).

Every case runs on BASIC_AUTH_CP (security profile 1) from Booted. The CSMS decides on idTokens:
valid, unknown/invalid, blocked and expired tokens (C01), tokens the station took from its
Authorization Cache or Local Authorization List (C12, C09), tokens sharing a groupIdToken (C09),
the Master Pass (C16) and ISO 15118 contract certificates, for which the CSMS itself must ask the
harness's OCSP responder (C07); and it orders a ClearCacheRequest (C11).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pytest

from simulator.operators import actions
from simulator.verdicts.checks import PRESENT, HarnessError, OneOf, check_fields, where
from simulator.station.model import token_key
from simulator.services.ocsp import ContractMaterial, OcspResponder, check_ocsp_request, contract_material
from simulator.station.replies import clear_cache
from simulator.settings import Settings
from simulator.station.states import (authorize, booted, energy_transfer_started, ev_connected_post_session,
                              ev_connected_pre_session, ev_disconnected, parking_bay_occupied)
from simulator.station.states import transaction_still_running
from simulator.station.station import Station


# ---------------------------------------------------------------- helpers that read like the catalogue
def token(station: Station, name: str) -> dict[str, str]:
    """The idToken of setting ``name`` (and ``name``_TYPE / VALID_ID_TOKEN_TYPE_2)."""
    s = station.settings
    type_setting = "VALID_ID_TOKEN_TYPE_2" if name == "VALID_ID_TOKEN_2" else f"{name}_TYPE"
    return station.id_token(getattr(s, name), getattr(s, type_setting))


def check_info(step: int, response: dict, status: Any, group: str | None = None) -> None:
    """idTokenInfo present with that status (and groupIdToken.idToken == group when given)."""
    expected: dict[str, Any] = {"idTokenInfo": PRESENT, "idTokenInfo.status": status}
    if group is not None:
        expected["idTokenInfo.groupIdToken.idToken"] = group
    check_fields(step, response, expected)


def event_type(station: Station) -> str:
    """Updated once T exists on the configured EVSE, else Started."""
    return "Updated" if station.model.transaction(station.settings.CONFIGURED_EVSE_ID) else "Started"


def on_local_list(station: Station, entries: dict[str, dict]) -> None:
    """Memory state: the station's Local Authorization List already holds these tokens."""
    station.local_list.hold({token_key(token(station, name)): info for name, info in entries.items()},
                            station.settings.LOCAL_LIST_VERSION)


def in_group(station: Station, status: str = "Accepted") -> dict:
    return {"status": status, "groupIdToken": {"idToken": station.settings.GROUP_ID, "type": "Central"}}


def answers_clear_cache(status: str) -> Callable[[Station, dict], dict]:
    """The station's answer to every ClearCacheRequest of the case (also to a retry)."""
    return lambda station, request: {"status": status}


@dataclass
class Iso15118:
    """The contract material and the harness's OCSP responder (TC_C_50 – TC_C_52)."""
    contracts: ContractMaterial
    responder: OcspResponder


@pytest.fixture
def iso15118(settings: Settings, request: pytest.FixtureRequest) -> Iso15118:
    """Skips unless the CSMS supports ISO 15118; a contract file that cannot be read or names another
    responder makes the case error with one line; the responder runs from here to the end of the run."""
    if not settings.CONFIGURED_SUPPORTS_ISO15118:
        pytest.skip("setting CONFIGURED_SUPPORTS_ISO15118 is false")
    try:
        return Iso15118(contract_material(settings), request.getfixturevalue("ocsp_responder"))
    except HarnessError as e:
        raise HarnessError(f"{where(None)}: {e}") from None


def emaid(station: Station) -> dict[str, str]:
    return {"idToken": station.settings.CONFIGURED_CONTRACT_EMAID, "type": "eMAID"}


async def authorize_contract(station: Station, iso: Iso15118, step: int, **certificate: Any) -> tuple[dict, list]:
    """CS→CSMS AuthorizeRequest for the eMAID with contract-certificate data; its answer (within
    CONFIGURED_MESSAGE_TIMEOUT) and the OCSP requests the responder recorded meanwhile."""
    mark = iso.responder.mark()
    response = await station.send("Authorize", {"idToken": emaid(station), **certificate}, step,
                                  timeout=station.settings.CONFIGURED_MESSAGE_TIMEOUT)
    return response, iso.responder.since(mark)


# ---------------------------------------------------------------- C01/C04/C06 local start
async def test_TC_C_02_local_start_invalid_unknown(cp: Station) -> None:
    """Local start transaction - Authorization Invalid/Unknown"""
    await booted(cp)
    response = await authorize(cp, token(cp, "INVALID_ID_TOKEN"), 2)
    check_fields(2, response, {"idTokenInfo.status": OneOf("Invalid", "Unknown")})


async def test_TC_C_06_local_start_blocked(cp: Station, needs: Callable[..., None]) -> None:
    """Local start transaction - Authorization Blocked"""
    needs("BLOCKED_ID_TOKEN", "BLOCKED_ID_TOKEN_TYPE")
    await booted(cp)
    response = await authorize(cp, token(cp, "BLOCKED_ID_TOKEN"), 2)
    check_fields(2, response, {"idTokenInfo.status": OneOf("Blocked", "Invalid")})


async def test_TC_C_07_local_start_expired(cp: Station, needs: Callable[..., None]) -> None:
    """Local start transaction - Authorization Expired"""
    needs("EXPIRED_ID_TOKEN", "EXPIRED_ID_TOKEN_TYPE")
    await booted(cp)
    response = await authorize(cp, token(cp, "EXPIRED_ID_TOKEN"), 2)
    check_fields(2, response, {"idTokenInfo.status": OneOf("Expired", "Invalid")})


# ---------------------------------------------------------------- C12 authorization cache
async def test_TC_C_08_cache_accepted(cp: Station) -> None:
    """Authorization through authorization cache - Accepted"""
    await booted(cp)
    await parking_bay_occupied(cp)
    await ev_connected_pre_session(cp)
    valid = token(cp, "VALID_ID_TOKEN")
    cp.auth_cache.remember(valid, {"status": "Accepted"})
    response = await cp.transaction_event("Updated", "Authorized", 2, id_token=valid)
    check_info(2, response, "Accepted")
    await transaction_still_running(cp)


async def test_TC_C_20_cache_invalid(cp: Station) -> None:
    """Authorization through authorization cache - Invalid"""
    await booted(cp)
    await parking_bay_occupied(cp)
    await ev_connected_pre_session(cp)
    invalid = token(cp, "INVALID_ID_TOKEN")
    cp.auth_cache.remember(invalid, {"status": "Accepted"})
    response = await cp.transaction_event("Updated", "Authorized", 2, id_token=invalid)
    check_info(2, response, OneOf("Invalid", "Unknown"))


# ---------------------------------------------------------------- C11 clear cache
async def test_TC_C_37_clear_cache_accepted(cp: Station) -> None:
    """Clear Authorization Data in Authorization Cache - Accepted"""
    await booted(cp)
    await cp.expect("ClearCache", 1, trigger=actions.clear_cache(cp.id), reply=lambda request: clear_cache(cp, request))
    await cp.still_connected()


async def test_TC_C_38_clear_cache_rejected(cp: Station) -> None:
    """Clear Authorization Data in Authorization Cache - Rejected"""
    await booted(cp)
    cp.replies["ClearCache"] = answers_clear_cache("Rejected")
    await cp.expect("ClearCache", 1, trigger=actions.clear_cache(cp.id), reply={"status": "Rejected"})
    await cp.still_connected("Post (harness)")
    await cp.send("Heartbeat", {}, "Post (harness)")


# ---------------------------------------------------------------- C09 group id
async def test_TC_C_39_group_id_success(cp: Station, settings: Settings, needs: Callable[..., None]) -> None:
    """Authorization by GroupId - Success"""
    needs("VALID_ID_TOKEN_2", "VALID_ID_TOKEN_TYPE_2")
    first, second = token(cp, "VALID_ID_TOKEN"), token(cp, "VALID_ID_TOKEN_2")
    await booted(cp)
    await ev_connected_pre_session(cp)
    check_info(2, await authorize(cp, second, 2), "Accepted", settings.GROUP_ID)
    response = await cp.transaction_event(event_type(cp), "Authorized", 4, id_token=first)
    check_info(4, response, "Accepted", settings.GROUP_ID)
    await energy_transfer_started(cp)
    check_info(7, await authorize(cp, second, 7), "Accepted", settings.GROUP_ID)
    response = await cp.transaction_event("Updated", "StopAuthorized", 9, id_token=second)
    check_info(9, response, "Accepted", settings.GROUP_ID)
    await ev_connected_post_session(cp)
    await ev_disconnected(cp)


async def test_TC_C_40_group_id_local_list(cp: Station, settings: Settings, needs: Callable[..., None]) -> None:
    """Authorization by GroupId - Success with Local Authorization List"""
    needs("VALID_ID_TOKEN_2", "VALID_ID_TOKEN_TYPE_2")
    first, second = token(cp, "VALID_ID_TOKEN"), token(cp, "VALID_ID_TOKEN_2")
    await booted(cp)
    on_local_list(cp, {"VALID_ID_TOKEN": in_group(cp), "VALID_ID_TOKEN_2": in_group(cp)})
    await ev_connected_pre_session(cp)
    response = await cp.transaction_event(event_type(cp), "Authorized", 2, id_token=first)
    check_info(2, response, "Accepted", settings.GROUP_ID)
    await energy_transfer_started(cp)
    response = await cp.transaction_event("Updated", "StopAuthorized", 5, id_token=second)
    check_info(5, response, "Accepted", settings.GROUP_ID)
    await ev_connected_post_session(cp)
    await ev_disconnected(cp)


async def test_TC_C_43_group_id_invalid_local_list(cp: Station, settings: Settings,
                                                   needs: Callable[..., None]) -> None:
    """Authorization by GroupId - Invalid status with Local Authorization List"""
    needs("VALID_ID_TOKEN_2", "VALID_ID_TOKEN_TYPE_2")
    first, second = token(cp, "VALID_ID_TOKEN"), token(cp, "VALID_ID_TOKEN_2")
    await booted(cp)
    on_local_list(cp, {"VALID_ID_TOKEN": in_group(cp), "VALID_ID_TOKEN_2": in_group(cp, "Invalid")})
    await ev_connected_pre_session(cp)
    response = await cp.transaction_event(event_type(cp), "Authorized", 2, id_token=first)
    check_info(2, response, "Accepted", settings.GROUP_ID)
    await energy_transfer_started(cp)
    check_info(5, await authorize(cp, second, 5), "Accepted", settings.GROUP_ID)
    response = await cp.transaction_event("Updated", "StopAuthorized", 7, id_token=second)
    check_info(7, response, "Accepted", settings.GROUP_ID)
    await ev_connected_post_session(cp)
    await ev_disconnected(cp)


# ---------------------------------------------------------------- C16 master pass
MASTER_PASS_SETTINGS = ("VALID_ID_TOKEN_2", "VALID_ID_TOKEN_TYPE_2", "MASTERPASS_ID_TOKEN",
                        "MASTERPASS_ID_TOKEN_TYPE", "MASTERPASS_GROUP_ID")


async def charging_on_two_evses(station: Station) -> None:
    """Booted with EVSEs 1 and 2, then EnergyTransferStarted on EVSE 1 with <VALID_ID_TOKEN> (T1)
    and on EVSE 2 with <VALID_ID_TOKEN_2> (T2)."""
    station.ensure_evses(2)
    await booted(station)
    await energy_transfer_started(station, token(station, "VALID_ID_TOKEN"), evse=1)
    await energy_transfer_started(station, token(station, "VALID_ID_TOKEN_2"), evse=2)


async def master_pass_stop(station: Station, step: int, evse: int, id_token: dict) -> dict:
    """TransactionEventRequest ending the transaction on ``evse`` (connector 1) for the master pass."""
    return await station.transaction_event("Ended", "StopAuthorized", step, evse=evse, connector=1,
                                           charging_state="EVConnected", stopped_reason="MasterPass",
                                           id_token=id_token)


async def test_TC_C_47_master_pass_all(cp: Station, settings: Settings, needs: Callable[..., None]) -> None:
    """Stop Transaction with a Master Pass - With UI - All transactions"""
    needs(*MASTER_PASS_SETTINGS)
    master = token(cp, "MASTERPASS_ID_TOKEN")
    await charging_on_two_evses(cp)
    check_info(2, await authorize(cp, master, 2), "Accepted", settings.MASTERPASS_GROUP_ID)
    check_info(4, await master_pass_stop(cp, 4, 1, master), "Accepted", settings.MASTERPASS_GROUP_ID)
    check_info(6, await master_pass_stop(cp, 6, 2, master), "Accepted", settings.MASTERPASS_GROUP_ID)


async def test_TC_C_48_master_pass_specific(cp: Station, settings: Settings, needs: Callable[..., None]) -> None:
    """Stop Transaction with a Master Pass - With UI - Specific transactions"""
    needs(*MASTER_PASS_SETTINGS)
    master = token(cp, "MASTERPASS_ID_TOKEN")
    await charging_on_two_evses(cp)
    check_info(2, await authorize(cp, master, 2), "Accepted", settings.MASTERPASS_GROUP_ID)
    check_info(4, await master_pass_stop(cp, 4, 1, master), "Accepted", settings.MASTERPASS_GROUP_ID)
    await transaction_still_running(cp, evse=2)  # Post: T2 still charging


async def test_TC_C_49_master_pass_without_ui(cp: Station, settings: Settings, needs: Callable[..., None]) -> None:
    """Stop Transaction with a Master Pass - Without UI"""
    needs(*MASTER_PASS_SETTINGS)
    master = token(cp, "MASTERPASS_ID_TOKEN")
    await charging_on_two_evses(cp)
    check_info(2, await authorize(cp, master, 2), "Accepted", settings.MASTERPASS_GROUP_ID)
    await master_pass_stop(cp, 4, 1, token(cp, "VALID_ID_TOKEN"))
    await master_pass_stop(cp, 6, 2, token(cp, "VALID_ID_TOKEN_2"))


# ---------------------------------------------------------------- C07 ISO 15118 contract certificates
async def test_TC_C_50_contract_local_validation_accepted(cp: Station, iso15118: Iso15118) -> None:
    """Authorization using Contract Certificates 15118 - Online - Local contract certificate validation - Accepted"""
    await booted(cp)
    await ev_connected_pre_session(cp)
    response, asked = await authorize_contract(cp, iso15118, 4, iso15118CertificateHashData=iso15118.contracts.good_a)
    check_ocsp_request(2, asked, iso15118.contracts.target_a)
    check_fields(4, response, {"idTokenInfo.status": "Accepted", "certificateStatus": "Accepted"})
    response = await cp.transaction_event("Updated", "Authorized", 6, id_token=emaid(cp))
    check_fields(6, response, {"idTokenInfo.status": "Accepted"})
    await energy_transfer_started(cp)
    await transaction_still_running(cp)


async def test_TC_C_51_contract_local_validation_rejected(cp: Station, iso15118: Iso15118) -> None:
    """Authorization using Contract Certificates 15118 - Online - Local contract certificate validation - Rejected"""
    await booted(cp)
    await ev_connected_pre_session(cp)
    response, asked = await authorize_contract(cp, iso15118, 4,
                                               iso15118CertificateHashData=iso15118.contracts.revoked_b)
    check_ocsp_request(2, asked, iso15118.contracts.target_b)
    check_fields(4, response, {"idTokenInfo.status": "Invalid", "certificateStatus": "CertificateRevoked"})


async def test_TC_C_52_contract_central_validation_accepted(cp: Station, iso15118: Iso15118) -> None:
    """Authorization using Contract Certificates 15118 - Online - Central contract certificate validation - Accepted"""
    await booted(cp)
    await ev_connected_pre_session(cp)
    response, asked = await authorize_contract(cp, iso15118, 4, certificate=iso15118.contracts.good_c_pem)
    check_ocsp_request(2, asked, iso15118.contracts.target_c)
    check_fields(4, response, {"idTokenInfo.status": "Accepted", "certificateStatus": "Accepted"})
    response = await cp.transaction_event("Updated", "Authorized", 6, id_token=emaid(cp))
    check_fields(6, response, {"idTokenInfo.status": "Accepted"})
    await energy_transfer_started(cp)
    await transaction_still_running(cp)
