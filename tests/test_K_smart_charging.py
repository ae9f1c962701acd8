"""Block K — Smart Charging (catalogue: K.md).

Every case runs on BASIC_AUTH_CP (security profile 1) from Booted. The station keeps the charging
profiles it is sent (and the ones a case puts in its memory: "the simulator holds …") and answers
SetChargingProfile, ClearChargingProfile, GetChargingProfiles and GetCompositeSchedule from them
by OCPP's rules (``simulator.station.smart_charging``). Shorthands of the catalogue: "schedule" is
chargingProfile.chargingSchedule[0], "period[0]" its first period; "limit L" is L in A or L × 1000
in W, by the schedule's own chargingRateUnit; "≈ now" is within CONFIGURED_MAX_TIME_DEVIATION s.
"""
from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

import pytest

from simulator.operators import actions
from simulator.station import smart_charging as sc
from simulator.verdicts.checks import ABSENT, PRESENT, OneOf, Rule, check, check_fields, check_that, fail, get_path
from simulator.station.replies import send_profile_reports
from simulator.settings import Settings
from simulator.station.smart_charging import about, limit_of, phases_rule, utc_now
from simulator.station.states import (authorized, booted, check_tx_profile, energy_transfer_started, ev_charging_needs,
                              ev_connected_pre_session, ev_schedule, iso15118_smart_charging, load_leveling,
                              processing_timeout, tx_profile_request)
from simulator.station.states import transaction_still_running
from simulator.station.station import CallError, Station

SCHEDULE = "chargingProfile.chargingSchedule[0]"
PERIOD0 = f"{SCHEDULE}.chargingSchedulePeriod[0]"
REQUEST_ID = Rule("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool))


# ---------------------------------------------------------------- helpers that read like the catalogue
def needs_iso15118(settings: Settings) -> None:
    if not settings.CONFIGURED_SUPPORTS_ISO15118_SMART_CHARGING:
        pytest.skip("CONFIGURED_SUPPORTS_ISO15118_SMART_CHARGING is false: the CSMS does not support "
                    "ISO 15118 load leveling")


def station_answer(station: Station) -> Any:
    """The station answers SetChargingProfile by its rules (K01): installs, or Rejected."""
    return lambda request: sc.install(station, request["evseId"], request["chargingProfile"])


async def set_profile(station: Station, step: int, action: Any) -> dict:
    """Step n: the CSMS's SetChargingProfileRequest (asked by the operator), answered by the station."""
    return await station.expect(action, step, reply=station_answer(station))


def limit(request: dict, amps: float) -> Any:
    """"period[0] limit L" in the unit of the received schedule."""
    return limit_of(get_path(request, f"{SCHEDULE}.chargingRateUnit"), amps)


def holds(station: Station, profile_id: Any) -> dict | None:
    """The profile with this id the station holds, if any."""
    return next((p.profile for p in station.model.profiles if p.profile.get("id") == profile_id), None)


def check_holds(station: Station, request: dict) -> None:
    """Post: the simulator holds the profile of the request (it installed it by K01's rules)."""
    profile_id = request["chargingProfile"]["id"]
    if holds(station, profile_id) is None:
        held = [p.profile.get("id") for p in station.model.profiles]
        reason = sc.rejection(station, request["evseId"], request["chargingProfile"])
        refused = f"; K01 refuses that profile: {reason}" if reason else ""
        fail("Post", f"the simulator expected to hold profile {profile_id}, holds {held}{refused}")


def check_holds_none(station: Station) -> None:
    """Post: the simulator holds no profile."""
    held = [p.profile.get("id") for p in station.model.profiles]
    check_that("Post", not held, f"the simulator expected to hold no profile, holds {held}")


def check_kind_and_start(step: int, request: dict) -> None:
    """kind Relative or Absolute; Relative → startSchedule absent; Absolute → startSchedule present."""
    kind = get_path(request, "chargingProfile.chargingProfileKind")
    check(step, "chargingProfile.chargingProfileKind", kind, OneOf("Relative", "Absolute"))
    check(step, f"{SCHEDULE}.startSchedule", get_path(request, f"{SCHEDULE}.startSchedule"),
          ABSENT if kind == "Relative" else PRESENT)


def check_recurrency(step: int, request: dict) -> None:
    """recurrencyKind present when the kind is Recurring, absent otherwise."""
    recurring = get_path(request, "chargingProfile.chargingProfileKind") == "Recurring"
    check(step, "chargingProfile.recurrencyKind", get_path(request, "chargingProfile.recurrencyKind"),
          PRESENT if recurring else ABSENT)


def tx_default_as_k01(station: Station, start: datetime, with_validity: bool = True) -> dict:
    """TC_K_01's TxDefaultProfile: Absolute, configured stackLevel, validFrom now, validTo now +
    duration, one schedule {startSchedule now, duration, unit, one period 6 A / 6000 W, phases}."""
    s = station.settings
    duration = s.CONFIGURED_CHARGING_SCHEDULE_DURATION
    return sc.profile("TxDefaultProfile", "Absolute", s.CONFIGURED_STACK_LEVEL,
                      sc.schedule(station, s.CONFIGURED_CHARGING_RATE_UNIT, 6, start=start, duration=duration,
                                  phases=s.CONFIGURED_NUMBER_PHASES),
                      valid_from=start if with_validity else None,
                      valid_to=start + timedelta(seconds=duration) if with_validity else None)


def absolute_with_validity(station: Station, purpose: str, amps: float) -> dict:
    """TC_K_03/TC_K_10: Absolute, configured stackLevel, validFrom/validTo set, startSchedule set,
    configured duration and unit, one period {startPeriod 0, limit L}."""
    s = station.settings
    start = utc_now()
    duration = s.CONFIGURED_CHARGING_SCHEDULE_DURATION
    return sc.profile(purpose, "Absolute", s.CONFIGURED_STACK_LEVEL,
                      sc.schedule(station, s.CONFIGURED_CHARGING_RATE_UNIT, amps, start=start, duration=duration),
                      valid_from=start, valid_to=start + timedelta(seconds=duration))


def tx_profile(station: Station, amps: float, *, relative: bool, transaction_id: str | None = None,
               phases: int | None = None) -> dict:
    """A TxProfile of the configured stackLevel and unit: Relative (no startSchedule) or Absolute."""
    s = station.settings
    return sc.profile("TxProfile", "Relative" if relative else "Absolute", s.CONFIGURED_STACK_LEVEL,
                      sc.schedule(station, s.CONFIGURED_CHARGING_RATE_UNIT, amps, start=None if relative else utc_now(),
                                  phases=phases),
                      transaction_id=transaction_id)


async def profiles_report(station: Station, request_step: int, report_step: int, request: dict) -> list[dict]:
    """The station reports what the GetChargingProfilesRequest selects (one ReportChargingProfiles
    per EVSE, tbc on all but the last); each report needs a CALLRESULT (step ``report_step``). A
    request that selects nothing the station holds fails at its own step."""
    if not sc.selected(station, request):
        held = [f"{p.profile['chargingProfilePurpose']} id {p.profile['id']} stackLevel {p.profile['stackLevel']} "
                f"on EVSE {p.evse} from {p.source}" for p in station.model.profiles]
        fail(request_step, f"GetChargingProfilesRequest (evseId {request.get('evseId', 'absent')}, criteria "
                           f"{request.get('chargingProfile')}) selects none of the profiles the station holds: {held}")
    return await send_profile_reports(station, request, report_step)


async def get_profiles(station: Station, evse: int | None, criteria: dict) -> dict:
    """Step 1: the CSMS's GetChargingProfilesRequest, answered from the station's profiles."""
    return await station.expect(actions.get_charging_profiles(station.id, criteria, evse), 1,
                                reply=lambda p: sc.profiles_answer(station, p))


def absent_criteria(*names: str) -> dict[str, Any]:
    return {f"chargingProfile.{name}": ABSENT for name in names}


# ---------------------------------------------------------------- K01 Set Charging Profile
async def test_TC_K_01_set_tx_default_specific_evse(cp: Station, settings: Settings) -> None:
    """Set Charging Profile - TxDefaultProfile - Specific EVSE"""
    s = settings
    e, duration = s.CONFIGURED_EVSE_ID, s.CONFIGURED_CHARGING_SCHEDULE_DURATION
    await booted(cp)
    request = await set_profile(cp, 1, actions.set_charging_profile(cp.id, e, tx_default_as_k01(cp, utc_now())))
    now, deviation = utc_now(), s.CONFIGURED_MAX_TIME_DEVIATION
    check_fields(1, request, {
        "evseId": e, "chargingProfile.stackLevel": s.CONFIGURED_STACK_LEVEL,
        "chargingProfile.chargingProfilePurpose": "TxDefaultProfile", "chargingProfile.chargingProfileKind": "Absolute",
        # validFrom absent: "valid as soon as it is received" (ChargingProfileType), the same as now
        "chargingProfile.validFrom": OneOf(ABSENT, about(now, deviation)),
        "chargingProfile.validTo": about(now + timedelta(seconds=duration), deviation, f"now + {duration} s"),
        f"{SCHEDULE}.startSchedule": about(now, deviation),
        f"{SCHEDULE}.chargingRateUnit": s.CONFIGURED_CHARGING_RATE_UNIT, f"{SCHEDULE}.duration": duration,
        f"{PERIOD0}.startPeriod": 0, f"{PERIOD0}.limit": limit(request, 6),
        f"{PERIOD0}.numberPhases": phases_rule(s.CONFIGURED_NUMBER_PHASES)})
    check_holds(cp, request)


async def test_TC_K_02_set_tx_profile_without_transaction(cp: Station, settings: Settings) -> None:
    """Set Charging Profile - TxProfile without ongoing transaction on the specified EVSE"""
    s = settings
    if not s.CONFIGURED_SUPPORTS_TX_PROFILE_WITHOUT_TX:
        pytest.skip("CONFIGURED_SUPPORTS_TX_PROFILE_WITHOUT_TX is false: the CSMS cannot send a TxProfile "
                    "while no transaction runs")
    e = s.CONFIGURED_EVSE_ID
    await booted(cp)
    action = actions.set_charging_profile(cp.id, e, tx_profile(cp, 7, relative=True, phases=s.CONFIGURED_NUMBER_PHASES))
    request = await set_profile(cp, 1, action)  # no transaction on the EVSE: the station answers Rejected
    check_fields(1, request, {
        "evseId": e, "chargingProfile.chargingProfilePurpose": "TxProfile",
        "chargingProfile.stackLevel": s.CONFIGURED_STACK_LEVEL, "chargingProfile.chargingProfileKind": "Relative",
        f"{SCHEDULE}.startSchedule": ABSENT, f"{SCHEDULE}.chargingRateUnit": s.CONFIGURED_CHARGING_RATE_UNIT,
        f"{PERIOD0}.startPeriod": 0, f"{PERIOD0}.limit": limit(request, 7),
        f"{PERIOD0}.numberPhases": phases_rule(s.CONFIGURED_NUMBER_PHASES)})
    check_holds_none(cp)
    await cp.still_connected()


async def test_TC_K_03_set_charging_station_max_profile(cp: Station, settings: Settings) -> None:
    """Set Charging Profile - ChargingStationMaxProfile"""
    s = settings
    await booted(cp)
    action = actions.set_charging_profile(cp.id, 0, absolute_with_validity(cp, "ChargingStationMaxProfile", 8))
    request = await set_profile(cp, 1, action)
    check_fields(1, request, {
        "evseId": 0, "chargingProfile.stackLevel": s.CONFIGURED_STACK_LEVEL,
        "chargingProfile.chargingProfilePurpose": "ChargingStationMaxProfile",
        "chargingProfile.chargingProfileKind": "Absolute",
        f"{SCHEDULE}.chargingRateUnit": s.CONFIGURED_CHARGING_RATE_UNIT,
        f"{SCHEDULE}.duration": s.CONFIGURED_CHARGING_SCHEDULE_DURATION,
        f"{PERIOD0}.startPeriod": 0, f"{PERIOD0}.limit": limit(request, 8),
        "chargingProfile.validFrom": PRESENT, "chargingProfile.validTo": PRESENT, f"{SCHEDULE}.startSchedule": PRESENT})
    check_holds(cp, request)


def check_replaceable(step: int, request: dict, stack_level: int, amps: float) -> None:
    """TC_K_04 checks of one request: exactly one period {startPeriod 0, limit L}; startSchedule
    present; configured stackLevel; purpose and kind as Part 2 allows."""
    periods = get_path(request, f"{SCHEDULE}.chargingSchedulePeriod")
    check_that(step, isinstance(periods, list) and len(periods) == 1,
               f"{SCHEDULE}.chargingSchedulePeriod expected exactly one period, got {periods}")
    purpose = get_path(request, "chargingProfile.chargingProfilePurpose")
    check_fields(step, request, {
        f"{PERIOD0}.startPeriod": 0, f"{PERIOD0}.limit": limit(request, amps), f"{SCHEDULE}.startSchedule": PRESENT,
        "chargingProfile.stackLevel": stack_level,
        "chargingProfile.chargingProfilePurpose": OneOf("TxDefaultProfile", "ChargingStationMaxProfile"),
        "chargingProfile.chargingProfileKind": OneOf("Absolute", "Recurring") if purpose == "TxDefaultProfile"
        else "Absolute"})
    check_recurrency(step, request)


async def test_TC_K_04_replace_profile_with_id(cp: Station, settings: Settings) -> None:
    """Replace charging profile - With chargingProfileId"""
    s = settings
    e, stack, unit = s.CONFIGURED_EVSE_ID, s.CONFIGURED_STACK_LEVEL, s.CONFIGURED_CHARGING_RATE_UNIT
    await booted(cp)
    first = sc.profile("TxDefaultProfile", "Absolute", stack, sc.schedule(cp, unit, 8, start=utc_now()))
    request = await set_profile(cp, 1, actions.set_charging_profile(cp.id, e, first))
    check_replaceable(1, request, stack, 8)
    p = request["chargingProfile"]
    replacement = sc.profile(p["chargingProfilePurpose"], p["chargingProfileKind"], p["stackLevel"],
                             sc.schedule(cp, unit, 6, start=utc_now()), profile_id=p["id"],
                             recurrency=p.get("recurrencyKind"))
    again = await set_profile(cp, 3, actions.set_charging_profile(cp.id, request["evseId"], replacement))
    check_replaceable(3, again, stack, 6)
    check_fields(3, again, {"chargingProfile.id": p["id"],
                            "chargingProfile.chargingProfilePurpose": p["chargingProfilePurpose"],
                            "chargingProfile.chargingProfileKind": p["chargingProfileKind"]})
    ids = [q.profile["id"] for q in cp.model.profiles]
    check_that("Post", ids == [p["id"]], f"the simulator expected to hold only profile {p['id']}, holds {ids}")
    check_holds(cp, again)


async def test_TC_K_10_set_tx_default_all_evse(cp: Station, settings: Settings) -> None:
    """Set Charging Profile - TxDefaultProfile - All EVSE"""
    s = settings
    await booted(cp)
    request = await set_profile(cp, 1, actions.set_charging_profile(
        cp.id, 0, absolute_with_validity(cp, "TxDefaultProfile", 6)))
    check_fields(1, request, {
        "evseId": 0, "chargingProfile.stackLevel": s.CONFIGURED_STACK_LEVEL,
        "chargingProfile.chargingProfilePurpose": "TxDefaultProfile", "chargingProfile.chargingProfileKind": "Absolute",
        "chargingProfile.validFrom": PRESENT, "chargingProfile.validTo": PRESENT, f"{SCHEDULE}.startSchedule": PRESENT,
        f"{SCHEDULE}.chargingRateUnit": s.CONFIGURED_CHARGING_RATE_UNIT, f"{PERIOD0}.startPeriod": 0,
        f"{SCHEDULE}.duration": s.CONFIGURED_CHARGING_SCHEDULE_DURATION, f"{PERIOD0}.limit": limit(request, 6)})
    check_holds(cp, request)


async def test_TC_K_15_set_profile_not_supported(cp: Station, settings: Settings) -> None:
    """Set Charging Profile - Not Supported"""
    s = settings
    e = s.CONFIGURED_EVSE_ID
    await booted(cp)
    action = actions.set_charging_profile(cp.id, e, tx_default_as_k01(cp, utc_now(), with_validity=False))
    request = await cp.expect(action, 1, reply=CallError("NotSupported", "smart charging is not supported"))
    check_fields(1, request, {
        "evseId": e, "chargingProfile.stackLevel": s.CONFIGURED_STACK_LEVEL,
        "chargingProfile.chargingProfilePurpose": "TxDefaultProfile", "chargingProfile.chargingProfileKind": "Absolute",
        f"{SCHEDULE}.startSchedule": PRESENT, f"{SCHEDULE}.chargingRateUnit": s.CONFIGURED_CHARGING_RATE_UNIT,
        f"{PERIOD0}.startPeriod": 0, f"{SCHEDULE}.duration": s.CONFIGURED_CHARGING_SCHEDULE_DURATION,
        # numberPhases absent: "numberPhases=3 will be assumed" (ChargingSchedulePeriodType): the phases rule
        f"{PERIOD0}.limit": limit(request, 6), f"{PERIOD0}.numberPhases": phases_rule(s.CONFIGURED_NUMBER_PHASES)})
    await cp.still_connected()


async def test_TC_K_19_set_profile_recurring(cp: Station, settings: Settings) -> None:
    """Set Charging Profile - ChargingProfileKind is Recurring"""
    s = settings
    e = s.CONFIGURED_EVSE_ID
    await booted(cp)
    recurring = sc.profile("TxDefaultProfile", "Recurring", s.CONFIGURED_STACK_LEVEL,
                           sc.schedule(cp, s.CONFIGURED_CHARGING_RATE_UNIT, 6, start=utc_now()),
                           recurrency=s.CONFIGURED_RECURRENCY_KIND)
    request = await set_profile(cp, 1, actions.set_charging_profile(cp.id, e, recurring))
    check_fields(1, request, {
        "evseId": e, "chargingProfile.stackLevel": s.CONFIGURED_STACK_LEVEL,
        "chargingProfile.chargingProfilePurpose": "TxDefaultProfile", f"{PERIOD0}.startPeriod": 0,
        "chargingProfile.chargingProfileKind": "Recurring",
        "chargingProfile.recurrencyKind": s.CONFIGURED_RECURRENCY_KIND})
    check_holds(cp, request)


async def test_TC_K_60_set_tx_profile_with_transaction(cp: Station, settings: Settings) -> None:
    """Set Charging Profile - TxProfile with ongoing transaction on the specified EVSE"""
    s = settings
    e = s.CONFIGURED_EVSE_ID
    await booted(cp)
    await energy_transfer_started(cp)
    tx = cp.model.transaction(e)
    action = actions.set_charging_profile(cp.id, e, tx_profile(cp, 6, relative=True, transaction_id=tx.id))
    request = await set_profile(cp, 1, action)
    check_fields(1, request, {"chargingProfile.chargingProfilePurpose": "TxProfile", "evseId": e,
                              "chargingProfile.transactionId": tx.id})
    check_kind_and_start(1, request)
    check(1, f"(harness) {PERIOD0}.startPeriod", get_path(request, f"{PERIOD0}.startPeriod"), 0)
    check_holds(cp, request)
    await transaction_still_running(cp)


async def test_TC_K_70_set_multiple_profiles(cp: Station, settings: Settings) -> None:
    """Set Charging Profile - Multiple Profiles"""
    s = settings
    e, stack, unit = s.CONFIGURED_EVSE_ID, s.CONFIGURED_STACK_LEVEL, s.CONFIGURED_CHARGING_RATE_UNIT
    await booted(cp)
    await energy_transfer_started(cp)
    default = sc.profile("TxDefaultProfile", "Absolute", stack, sc.schedule(cp, unit, 8, start=utc_now()))
    first = await set_profile(cp, 1, actions.set_charging_profile(cp.id, e, default))
    check_fields(1, first, {"chargingProfile.chargingProfilePurpose": "TxDefaultProfile",
                            "chargingProfile.chargingProfileKind": OneOf("Absolute", "Recurring"),
                            f"{SCHEDULE}.startSchedule": PRESENT})
    check(1, f"(harness) {PERIOD0}.startPeriod", get_path(first, f"{PERIOD0}.startPeriod"), 0)
    check_recurrency(1, first)
    p1 = first["chargingProfile"]["id"]
    maximum = sc.profile("ChargingStationMaxProfile", "Absolute", stack, sc.schedule(cp, unit, 16, start=utc_now()))
    second = await set_profile(cp, 3, actions.set_charging_profile(cp.id, 0, maximum))
    check_fields(3, second, {"chargingProfile.id": Rule(f"an id other than P1 ({p1})", lambda v: v != p1),
                             "chargingProfile.chargingProfilePurpose": "ChargingStationMaxProfile",
                             "chargingProfile.chargingProfileKind": "Absolute", f"{SCHEDULE}.startSchedule": PRESENT})
    check(3, f"(harness) {PERIOD0}.startPeriod", get_path(second, f"{PERIOD0}.startPeriod"), 0)
    check_recurrency(3, second)
    check(3, "(harness) evseId", second["evseId"], 0)
    check_holds(cp, first)
    check_holds(cp, second)
    await transaction_still_running(cp)


# ---------------------------------------------------------------- K10 Clear Charging Profile
async def test_TC_K_05_clear_profile_with_id(cp: Station, settings: Settings) -> None:
    """Clear Charging Profile - With chargingProfileId"""
    s = settings
    e = s.CONFIGURED_EVSE_ID
    await booted(cp)
    held = sc.hold(cp, e)  # what the station reports at step 3 (block rule), id G
    request = await get_profiles(cp, e, {"chargingProfilePurpose": "TxDefaultProfile"})
    await profiles_report(cp, 1, 4, request)
    clear = await cp.expect(actions.clear_charging_profile(cp.id, profile_id=held["id"]), 5,
                            reply=lambda p: sc.clear(cp, p))
    check_fields(5, clear, {"chargingProfileId": held["id"], "chargingProfileCriteria": ABSENT})
    check_holds_none(cp)


async def test_TC_K_06_clear_profile_stack_level_purpose(cp: Station, settings: Settings) -> None:
    """Clear Charging Profile - With stackLevel/purpose combination for one profile"""
    s = settings
    e, stack = s.CONFIGURED_EVSE_ID, s.CONFIGURED_STACK_LEVEL
    await booted(cp)
    sc.hold(cp, e)  # memory: one TxDefaultProfile of the configured stackLevel on the EVSE
    criteria = {"evseId": e, "chargingProfilePurpose": "TxDefaultProfile", "stackLevel": stack}
    request = await cp.expect(actions.clear_charging_profile(cp.id, criteria=criteria), 1,
                              reply=lambda p: sc.clear(cp, p))
    check_fields(1, request, {"chargingProfileCriteria.chargingProfilePurpose": "TxDefaultProfile",
                              "chargingProfileCriteria.stackLevel": stack, "chargingProfileCriteria.evseId": e})
    check(1, "(harness) chargingProfileId", get_path(request, "chargingProfileId"), ABSENT)
    check_holds_none(cp)


async def test_TC_K_08_clear_profile_without_previous(cp: Station, settings: Settings) -> None:
    """Clear Charging Profile - Without previous charging profile"""
    s = settings
    e, stack = s.CONFIGURED_EVSE_ID, s.CONFIGURED_STACK_LEVEL
    await booted(cp)
    criteria = {"evseId": e, "chargingProfilePurpose": "TxDefaultProfile", "stackLevel": stack}
    request = await cp.expect(actions.clear_charging_profile(cp.id, criteria=criteria), 1,
                              reply=lambda p: sc.clear(cp, p))  # nothing held: Unknown
    check_fields(1, request, {"chargingProfileCriteria.chargingProfilePurpose": "TxDefaultProfile",
                              "chargingProfileCriteria.evseId": e, "chargingProfileCriteria.stackLevel": stack})
    check(1, "(harness) chargingProfileId", get_path(request, "chargingProfileId"), ABSENT)
    await cp.still_connected()


# ---------------------------------------------------------------- K09 Get Charging Profiles
async def profiles_by_purpose(cp: Station, evse: int, purpose: str) -> None:
    """Steps 1-4: GetChargingProfiles of the EVSE (0: the station) filtered by purpose only, then
    the station's reports of what it holds."""
    request = await get_profiles(cp, evse, {"chargingProfilePurpose": purpose})
    check_fields(1, request, {"evseId": evse, "chargingProfile.chargingProfilePurpose": purpose,
                              **absent_criteria("stackLevel", "chargingLimitSource", "chargingProfileId")})
    await profiles_report(cp, 1, 4, request)


async def test_TC_K_29_get_profiles_evse_0(cp: Station, settings: Settings) -> None:
    """Get Charging Profile - EvseId 0"""
    purpose = settings.CONFIGURED_CHARGING_PROFILE_PURPOSE
    await booted(cp)
    await energy_transfer_started(cp)
    sc.hold(cp, 0, purpose)
    await profiles_by_purpose(cp, 0, purpose)
    await transaction_still_running(cp)


async def test_TC_K_30_get_profiles_evse(cp: Station, settings: Settings) -> None:
    """Get Charging Profile - EvseId > 0"""
    e, purpose = settings.CONFIGURED_EVSE_ID, settings.CONFIGURED_CHARGING_PROFILE_PURPOSE
    await booted(cp)
    sc.hold(cp, e, purpose)
    await profiles_by_purpose(cp, e, purpose)


async def test_TC_K_31_get_profiles_no_evse(cp: Station, settings: Settings) -> None:
    """Get Charging Profile - No EvseId"""
    purpose = settings.CONFIGURED_CHARGING_PROFILE_PURPOSE
    await booted(cp)
    for evse in range(0, settings.CONFIGURED_NUMBER_OF_EVSES + 1):
        sc.hold(cp, evse, purpose)  # a profile for the station and for every EVSE, each its own id
    request = await get_profiles(cp, None, {"chargingProfilePurpose": purpose})
    check_fields(1, request, {"evseId": ABSENT, "chargingProfile.chargingProfilePurpose": purpose,
                              **absent_criteria("stackLevel", "chargingLimitSource", "chargingProfileId")})
    await profiles_report(cp, 1, 4, request)


async def test_TC_K_32_get_profiles_by_id(cp: Station, settings: Settings) -> None:
    """Get Charging Profile - chargingProfileId"""
    s = settings
    e = s.CONFIGURED_EVSE_ID
    await booted(cp)
    request = await set_profile(cp, 1, actions.set_charging_profile(cp.id, e, tx_default_as_k01(cp, utc_now())))
    reason = sc.rejection(cp, request["evseId"], request["chargingProfile"])
    check_that(1, reason is None, f"(harness) the profile expected valid by OCPP K01, the station refused it: {reason}")
    p = request["chargingProfile"]["id"]
    get = await cp.expect(actions.get_charging_profiles(cp.id, {"chargingProfileId": [p]}), 3,
                          reply=lambda q: sc.profiles_answer(cp, q))
    check_fields(3, get, {"chargingProfile.chargingProfileId": [p], "requestId": REQUEST_ID, "evseId": ABSENT,
                          **absent_criteria("chargingProfilePurpose", "stackLevel", "chargingLimitSource")})
    await profiles_report(cp, 3, 6, get)
    check_holds(cp, request)


async def test_TC_K_33_get_profiles_evse_stack_level(cp: Station, settings: Settings) -> None:
    """Get Charging Profile - EvseId > 0 + stackLevel"""
    e, stack = settings.CONFIGURED_EVSE_ID, settings.CONFIGURED_STACK_LEVEL
    await booted(cp)
    sc.hold(cp, e)  # TxDefaultProfile of the configured stackLevel
    request = await get_profiles(cp, e, {"stackLevel": stack})
    check_fields(1, request, {"evseId": e, "chargingProfile.stackLevel": stack,
                              **absent_criteria("chargingProfilePurpose", "chargingLimitSource", "chargingProfileId")})
    await profiles_report(cp, 1, 4, request)


async def test_TC_K_34_get_profiles_evse_limit_source(cp: Station, settings: Settings) -> None:
    """Get Charging Profile - EvseId > 0 + chargingLimitSource"""
    e, source = settings.CONFIGURED_EVSE_ID, settings.CONFIGURED_CHARGING_LIMIT_SOURCE
    await booted(cp)
    sc.hold(cp, e, "TxDefaultProfile" if source == "CSO" else "ChargingStationExternalConstraints", source=source)
    request = await get_profiles(cp, e, {"chargingLimitSource": [source]})
    check_fields(1, request, {"evseId": e, "chargingProfile.chargingLimitSource": [source],
                              **absent_criteria("stackLevel", "chargingProfilePurpose", "chargingProfileId")})
    await profiles_report(cp, 1, 4, request)


async def test_TC_K_35_get_profiles_evse_purpose(cp: Station, settings: Settings) -> None:
    """Get Charging Profile - EvseId > 0 + chargingProfilePurpose"""
    e, purpose = settings.CONFIGURED_EVSE_ID, settings.CONFIGURED_CHARGING_PROFILE_PURPOSE
    await booted(cp)
    sc.hold(cp, e, purpose)
    await profiles_by_purpose(cp, e, purpose)


async def test_TC_K_36_get_profiles_evse_purpose_stack_level(cp: Station, settings: Settings) -> None:
    """Get Charging Profile - EvseId > 0 + chargingProfilePurpose + stackLevel"""
    s = settings
    e, purpose, stack = s.CONFIGURED_EVSE_ID, s.CONFIGURED_CHARGING_PROFILE_PURPOSE, s.CONFIGURED_STACK_LEVEL
    await booted(cp)
    sc.hold(cp, e, purpose)
    request = await get_profiles(cp, e, {"chargingProfilePurpose": purpose, "stackLevel": stack})
    check_fields(1, request, {"evseId": e, "chargingProfile.chargingProfilePurpose": purpose,
                              "chargingProfile.stackLevel": stack,
                              **absent_criteria("chargingLimitSource", "chargingProfileId")})
    await profiles_report(cp, 1, 4, request)


# ---------------------------------------------------------------- K05 remote start with a charging profile
async def test_TC_K_37_remote_start_with_profile(cp: Station, settings: Settings) -> None:
    """Remote start transaction with charging profile - Success"""
    s = settings
    e = s.CONFIGURED_EVSE_ID
    token = cp.id_token()
    await booted(cp)
    action = actions.request_start_transaction(cp.id, token, e, chargingProfile=tx_profile(cp, 6, relative=True))
    request = await cp.expect(action, 1, reply={"status": "Accepted"})
    check_fields(1, request, {"idToken.idToken": token["idToken"], "idToken.type": token["type"], "evseId": e,
                              "chargingProfile": PRESENT, "chargingProfile.chargingProfilePurpose": "TxProfile",
                              "chargingProfile.transactionId": ABSENT})
    check_kind_and_start(1, request)
    await cp.transaction_event("Started", "RemoteStart", 4, id_token=token,
                               transaction_info={"remoteStartId": request["remoteStartId"]})
    sc.apply_remote_start_profile(cp, e, request["chargingProfile"])  # the TxProfile now rules T
    await transaction_still_running(cp)


# ---------------------------------------------------------------- K08 Get Composite Schedule
async def composite_request(station: Station, evse: int) -> dict:
    """Step 1: GetCompositeScheduleRequest, answered by composing the station's profiles (it
    holds a ChargingStationMaxProfile of 10 A / 10000 W, so the answer's limit is that)."""
    s = station.settings
    sc.hold(station, 0, "ChargingStationMaxProfile", amps=10)
    action = actions.get_composite_schedule(station.id, evse, s.CONFIGURED_CHARGING_SCHEDULE_DURATION,
                                            s.CONFIGURED_CHARGING_RATE_UNIT)
    return await station.expect(action, 1, reply=lambda p: sc.composite(station, p))


async def test_TC_K_43_composite_schedule_evse(cp: Station, settings: Settings) -> None:
    """Get Composite Schedule - Specific EVSE"""
    s = settings
    await booted(cp)
    request = await composite_request(cp, s.CONFIGURED_EVSE_ID)
    check_fields(1, request, {"evseId": s.CONFIGURED_EVSE_ID, "duration": s.CONFIGURED_CHARGING_SCHEDULE_DURATION,
                              "chargingRateUnit": s.CONFIGURED_CHARGING_RATE_UNIT})


async def test_TC_K_44_composite_schedule_station(cp: Station, settings: Settings) -> None:
    """Get Composite Schedule - Charging Station"""
    s = settings
    await booted(cp)
    request = await composite_request(cp, 0)
    check_fields(1, request, {"evseId": 0, "duration": s.CONFIGURED_CHARGING_SCHEDULE_DURATION,
                              "chargingRateUnit": s.CONFIGURED_CHARGING_RATE_UNIT})


# ---------------------------------------------------------------- K12/K13 external limits
async def test_TC_K_48_external_limit_without_transaction(cp: Station, settings: Settings) -> None:
    """Set / Update External Charging Limit (not on a transaction)"""
    s = settings
    unit = s.CONFIGURED_CHARGING_RATE_UNIT
    await booted(cp)
    # the catalogue leaves evseId (> 0 when sent) and the schedule to the station: both vary (CONTENT_SEED)
    limit = {"chargingLimit": {"chargingLimitSource": "EMS", "isGridCritical": False},
             "chargingSchedule": [sc.schedule(cp, unit, cp.choose("limit", (16, 10, 20)),
                                              start=cp.choose("startSchedule", (utc_now(), None)))]}
    if cp.choose("evseId", (True, False)):
        limit["evseId"] = s.CONFIGURED_EVSE_ID
    await cp.send("NotifyChargingLimit", limit, 2)
    await cp.still_connected()


async def test_TC_K_50_release_external_limit_without_transaction(cp: Station, settings: Settings) -> None:
    """Reset / release external charging limit - Without ongoing transaction"""
    await booted(cp)
    cleared: dict = {"chargingLimitSource": "EMS"}
    if cp.choose("evseId", (True, False)):  # the station's choice, says the catalogue
        cleared["evseId"] = settings.CONFIGURED_EVSE_ID
    await cp.send("ClearedChargingLimit", cleared, 2)
    await cp.still_connected()


async def test_TC_K_51_release_external_limit_with_transaction(cp: Station, settings: Settings) -> None:
    """Reset / release external charging limit - With ongoing transaction"""
    await booted(cp)
    await energy_transfer_started(cp)
    await cp.send("ClearedChargingLimit", {"chargingLimitSource": "EMS", "evseId": settings.CONFIGURED_EVSE_ID}, 2)
    await cp.transaction_event("Updated", "ChargingRateChanged", 4)
    await transaction_still_running(cp)


async def test_TC_K_52_external_constraints_in_report(cp: Station, settings: Settings) -> None:
    """Set / Update External Charging Limit - ChargingStationExternalConstraints in report"""
    e = settings.CONFIGURED_EVSE_ID
    await booted(cp)
    sc.hold(cp, e, "ChargingStationExternalConstraints", stack_level=0, amps=16, source="EMS")
    # Part 6 validates nothing at step 1: the step's request is any that selects the held external limit
    request = await cp.expect(actions.get_charging_profiles(cp.id, {"chargingProfilePurpose":
                                                                    "ChargingStationExternalConstraints"}, e), 1,
                              reply=lambda p: sc.profiles_answer(cp, p), match=lambda p: bool(sc.selected(cp, p)),
                              describe="selecting the held ChargingStationExternalConstraints profile")
    await profiles_report(cp, 1, 4, request)


# ---------------------------------------------------------------- K15-K17 ISO 15118 load leveling
async def test_TC_K_53_load_leveling_success(cp: Station, settings: Settings) -> None:
    """Charging with load leveling based on High Level Communication - Success"""
    needs_iso15118(settings)
    await booted(cp)
    await ev_connected_pre_session(cp)
    await authorized(cp)
    renegotiation = cp.expecting("SetChargingProfile", reply=station_answer(cp), armed=False,
                                 why="any SetChargingProfileRequest after step 3's renegotiates without cause")
    request = await load_leveling(cp, ev_charging_needs(cp), then=renegotiation)
    await cp.quiet_for(settings.CONFIGURED_NO_RENEGOTIATION_WAIT, "CONFIGURED_NO_RENEGOTIATION_WAIT")
    cp.forget(renegotiation)
    if renegotiation.arrived:
        again = renegotiation.future.result()
        fail(9, "expected no SetChargingProfileRequest after step 3's (no renegotiation without cause), got one "
                f"with evseId {again['evseId']}, chargingProfile.id {again['chargingProfile']['id']}")
    check_holds(cp, request)  # Post: T charging under the CSMS's TxProfile
    await transaction_still_running(cp)


async def test_TC_K_55_load_leveling_ev_exceeds_limits(cp: Station, settings: Settings) -> None:
    """Charging with load leveling based on High Level Communication - EV charging profile exceeds limits"""
    needs_iso15118(settings)
    await booted(cp)
    await ev_connected_pre_session(cp)
    await authorized(cp)
    profile = tx_profile_request(cp)
    response = await cp.send("NotifyEVChargingNeeds", ev_charging_needs(cp), 2)
    check(2, "status", response["status"], "Accepted")
    request = await profile.wait(3)
    check_tx_profile(cp, 3, request)
    renegotiated = tx_profile_request(cp, armed=False)  # step 9 counts from the EV's schedule on
    exceeding = copy.deepcopy(request["chargingProfile"]["chargingSchedule"][0])
    for period in exceeding["chargingSchedulePeriod"]:
        period["limit"] = 2 * period["limit"] + 1
    renegotiated.arm()
    answer = await ev_schedule(cp, 6, exceeding)
    check(6, "status", answer["status"], "Rejected")
    await cp.transaction_event("Updated", "ChargingStateChanged", 8, charging_state="Charging")
    again = await renegotiated.wait(9)
    check_tx_profile(cp, 9, again)
    answer = await ev_schedule(cp, 12, again["chargingProfile"]["chargingSchedule"][0])
    check(12, "status", answer["status"], "Accepted")
    await cp.transaction_event("Updated", "ChargingRateChanged", 14)
    check_holds(cp, again)  # Post: T charging under the renegotiated profile
    await transaction_still_running(cp)


async def test_TC_K_57_renegotiation_by_ev(cp: Station, settings: Settings) -> None:
    """Renegotiating a Charging Schedule - Initiated by EV"""
    needs_iso15118(settings)
    await booted(cp)
    await ev_connected_pre_session(cp)
    await authorized(cp)
    await iso15118_smart_charging(cp)
    profile = tx_profile_request(cp)
    response = await cp.send("NotifyEVChargingNeeds", ev_charging_needs(cp, hours=2, energy=10000), 2)
    check(2, "status", response["status"], OneOf("Accepted", "Processing"))
    request = await profile.wait(3, timeout=processing_timeout(cp, response["status"]))
    check_tx_profile(cp, 3, request)
    answer = await ev_schedule(cp, 6, request["chargingProfile"]["chargingSchedule"][0])
    check(6, "status", answer["status"], "Accepted")
    check_holds(cp, request)  # Post: T charging under the new profile
    await transaction_still_running(cp)


async def renegotiate_by_csms(station: Station) -> dict:
    """Steps 1-2 of TC_K_58/TC_K_59: the operator has the CSMS send T a new, lower TxProfile."""
    s = station.settings
    e = s.CONFIGURED_EVSE_ID
    tx = station.model.transaction(e)
    lower = tx_profile(station, 6, relative=False, transaction_id=tx.id)
    request = await set_profile(station, 1, actions.set_charging_profile(station.id, e, lower))
    check_tx_profile(station, 1, request)
    return request


async def test_TC_K_58_renegotiation_by_csms(cp: Station, settings: Settings) -> None:
    """Renegotiating a Charging Schedule - Initiated by CSMS"""
    needs_iso15118(settings)
    await booted(cp)
    await ev_connected_pre_session(cp)
    await authorized(cp)
    await iso15118_smart_charging(cp)
    request = await renegotiate_by_csms(cp)
    answer = await ev_schedule(cp, 4, request["chargingProfile"]["chargingSchedule"][0])
    check(4, "status", answer["status"], "Accepted")
    check_holds(cp, request)  # Post: T charging under the new profile
    await transaction_still_running(cp)


async def test_TC_K_59_renegotiation_by_csms_with_needs(cp: Station, settings: Settings) -> None:
    """Renegotiating a Charging Schedule - Initiated by CSMS - Send NotifyEVChargingNeeds"""
    needs_iso15118(settings)
    await booted(cp)
    await ev_connected_pre_session(cp)
    await authorized(cp)
    await iso15118_smart_charging(cp)
    await renegotiate_by_csms(cp)
    profile = tx_profile_request(cp)
    response = await cp.send("NotifyEVChargingNeeds", ev_charging_needs(cp, hours=2, energy=10000), 4)
    check(4, "status", response["status"], OneOf("Accepted", "Processing"))
    request = await profile.wait(5, timeout=processing_timeout(cp, response["status"]))
    check_tx_profile(cp, 5, request)
    answer = await ev_schedule(cp, 8, request["chargingProfile"]["chargingSchedule"][0])
    check(8, "status", answer["status"], "Accepted")
    check_holds(cp, request)  # Post: T charging under the step-5 profile
    await transaction_still_running(cp)
