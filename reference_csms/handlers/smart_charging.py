"""Smart charging (K): charging profiles, composite schedules, external limits, ISO 15118 load leveling.

The CSMS keeps every profile a station accepted (and those it reports) in the store, per station
and EVSE with id, purpose, kind, stackLevel, schedule and transactionId. Before it sends a profile
it checks it against OCPP's rules (K01): purpose per EVSE, kinds, startSchedule, first period at 0,
TxProfile bound to the EVSE's ongoing transaction. For ISO 15118 charging needs (K15/K17) it
computes a schedule from the EV's energy, departure time and current limits, sends it as the
transaction's TxProfile, checks the EV's schedule against the profile it last sent and
renegotiates when the EV exceeds it.
"""
from __future__ import annotations

import copy
import itertools
import json
import math
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from simulator.wire.protocol import CALL, schema_problem

from ..registry import ActionError, CallErrorReply, fault, on, operator_action
from .common import now_iso, send_request

if TYPE_CHECKING:
    from ..central import CentralSystem, CsmsSession

WRONG_PURPOSE = fault("wrong_profile_purpose", "sends another chargingProfilePurpose than asked (in the profiles it sets and the criteria it asks by)")
WRONG_KIND = fault("wrong_profile_kind", "sends another chargingProfileKind than asked (Absolute <-> Relative, Recurring -> Absolute)")
WRONG_STACK = fault("wrong_stack_level", "sends stackLevel + 1 (in the profiles it sets and the criteria it asks by)")
WRONG_UNIT = fault("wrong_rate_unit", "sends the other chargingRateUnit (A <-> W) in the profiles it sets")
WRONG_LIMIT = fault("wrong_limit", "sends every period limit + 1 in the profiles it sets")
WRONG_PHASES = fault("wrong_number_phases", "sends another numberPhases than asked (1, or 3 when 1 was asked)")
FIRST_PERIOD = fault("first_period_not_zero", "starts the first period of the profiles it sets at 60 s instead of 0")
TX_WITHOUT_ID = fault("tx_profile_without_transaction_id", "sets TxProfiles without the transactionId of the EVSE's ongoing transaction")
WRONG_CLEAR = fault("wrong_clear_criteria", "clears another profile than asked: id + 1, or criteria with stackLevel + 1")
WRONG_DURATION = fault("wrong_composite_duration", "asks GetCompositeSchedule for 60 s more than asked")
WRONG_COMPOSITE_EVSE = fault("wrong_composite_evse", "asks GetCompositeSchedule for evseId + 1")
WRONG_SOURCE = fault("wrong_limit_source", "asks GetChargingProfiles by another chargingLimitSource (CSO <-> EMS)")
NO_EV_SCHEDULE = fault("no_ev_schedule", "answers NotifyEVChargingNeeds Rejected and computes no schedule (no TxProfile)")
IGNORE_RENEGOTIATION = fault("ignore_renegotiation", "answers new charging needs of a transaction that already had some Rejected and sends no new TxProfile")
ACCEPT_ANY_EV_SCHEDULE = fault("accept_any_ev_schedule", "accepts an EV charging schedule that exceeds its TxProfile (and does not renegotiate)")
RENEGOTIATE_WITHOUT_CAUSE = fault("renegotiate_without_cause", "sends the transaction's TxProfile again right after accepting the EV's schedule, with nothing changed")
REJECT_EXTERNAL = fault("reject_external_limits", "answers NotifyChargingLimit and ClearedChargingLimit by a CALLERROR")
REJECT_REPORTS = fault("reject_profile_reports", "answers ReportChargingProfiles by a CALLERROR")

PURPOSES = ("ChargingStationMaxProfile", "TxDefaultProfile", "TxProfile", "ChargingStationExternalConstraints")
OTHER_PURPOSE = {"TxDefaultProfile": "TxProfile", "TxProfile": "TxDefaultProfile",
                 "ChargingStationMaxProfile": "TxDefaultProfile", "ChargingStationExternalConstraints": "TxDefaultProfile"}
OTHER_KIND = {"Absolute": "Relative", "Relative": "Absolute", "Recurring": "Absolute"}
VOLTAGE = 230.0
ISO_STACK_LEVEL = 0  # stackLevel of the TxProfiles the CSMS computes for ISO 15118 needs

_request_ids = itertools.count(1)


# ------------------------------------------------------------ K01: checking a profile before it is sent
def profile_problem(evse: int, profile: dict[str, Any]) -> str | None:
    """The first OCPP rule the profile breaks, or None."""
    purpose, kind = profile.get("chargingProfilePurpose"), profile.get("chargingProfileKind")
    if purpose not in PURPOSES:
        return f"chargingProfilePurpose {purpose!r} is not one of {', '.join(PURPOSES)}"
    if purpose == "ChargingStationExternalConstraints":
        return "ChargingStationExternalConstraints profiles are not set by the CSMS (K01.FR.22)"
    if purpose == "ChargingStationMaxProfile" and evse != 0:
        return "a ChargingStationMaxProfile applies to evseId 0 only"
    if purpose == "ChargingStationMaxProfile" and kind == "Relative":
        return "a ChargingStationMaxProfile cannot be Relative (K01.FR.38)"
    if purpose == "TxProfile" and evse == 0:
        return "a TxProfile needs an EVSE > 0 (K01.FR.16)"
    if purpose != "TxProfile" and "transactionId" in profile:
        return "only a TxProfile carries a transactionId"
    if kind == "Recurring" and "recurrencyKind" not in profile:
        return "a Recurring profile needs recurrencyKind"
    if kind != "Recurring" and "recurrencyKind" in profile:
        return "recurrencyKind belongs to Recurring profiles only"
    for schedule in profile.get("chargingSchedule") or []:
        if kind == "Relative" and "startSchedule" in schedule:
            return "a Relative schedule has no startSchedule (K01.FR.41)"
        if kind in ("Absolute", "Recurring") and "startSchedule" not in schedule:
            return f"an {kind} schedule needs startSchedule (K01.FR.40)"
        periods = schedule.get("chargingSchedulePeriod") or []
        if not periods or periods[0].get("startPeriod") != 0:
            return "the first period must start at 0 (K01.FR.31)"
        if any(b["startPeriod"] <= a["startPeriod"] for a, b in zip(periods, periods[1:])):
            return "periods must be in increasing startPeriod order"
        if any(p.get("limit", -1) < 0 for p in periods):
            return "a period limit must be >= 0"
    return None


def new_profile_id(csms: "CentralSystem", station_id: str) -> int:
    """An id no profile of the station had: above the stored ones and every id issued before."""
    return csms.issue(station_id, "charging profile id", csms.store.next_profile_id(station_id))


def choose_id(csms: "CentralSystem", station_id: str, evse: int, profile: dict[str, Any]) -> int:
    """A stored profile of the same EVSE, purpose and stackLevel (and transaction) keeps its id
    (the new one replaces it); otherwise a new id. Called when the request goes out, so that a
    profile accepted a moment before is seen."""
    for row in csms.store.profiles(station_id, evse=evse, purpose=profile["chargingProfilePurpose"],
                                   stack_level=profile["stackLevel"], source="CSO"):
        if row["transaction_id"] == profile.get("transactionId"):
            return row["id"]
    return new_profile_id(csms, station_id)


def prepared(csms: "CentralSystem", station_id: str, evse: Any, given: Any) -> dict[str, Any]:
    """The profile to send: checked by K01, its id chosen, a TxProfile bound to the EVSE's
    ongoing transaction (K01.FR.03). ActionError when the operator asked for a broken one. Without
    an id from the operator the id is chosen when the request goes out (``send_profile``)."""
    if not isinstance(evse, int) or isinstance(evse, bool) or evse < 0:
        raise ActionError("SetChargingProfile needs params.evseId (an integer >= 0)")
    if not isinstance(given, dict):
        raise ActionError("SetChargingProfile needs params.chargingProfile")
    profile = copy.deepcopy(given)
    problem = profile_problem(evse, profile)
    if problem:
        raise ActionError(f"charging profile refused: {problem}")
    if profile["chargingProfilePurpose"] == "TxProfile":
        tx = csms.store.ongoing_transaction(station_id, evse)
        if "transactionId" in profile and (tx is None or tx["id"] != profile["transactionId"]):
            raise ActionError(f"transaction {profile['transactionId']} is not ongoing on EVSE {evse}")
        if tx is not None:
            profile["transactionId"] = tx["id"]
        if csms.fault(TX_WITHOUT_ID):
            profile.pop("transactionId", None)
    return profile


def broken(csms: "CentralSystem", profile: dict[str, Any]) -> dict[str, Any]:
    """What a faulty CSMS sends instead of the profile it meant."""
    p = copy.deepcopy(profile)
    if csms.fault(WRONG_PURPOSE):
        p["chargingProfilePurpose"] = OTHER_PURPOSE[p["chargingProfilePurpose"]]
    if csms.fault(WRONG_KIND):
        p["chargingProfileKind"] = OTHER_KIND[p["chargingProfileKind"]]
    if csms.fault(WRONG_STACK):
        p["stackLevel"] += 1
    for schedule in p["chargingSchedule"]:
        if csms.fault(WRONG_UNIT):
            schedule["chargingRateUnit"] = "W" if schedule["chargingRateUnit"] == "A" else "A"
        if csms.fault(FIRST_PERIOD):
            schedule["chargingSchedulePeriod"][0]["startPeriod"] = 60
        for period in schedule["chargingSchedulePeriod"]:
            if csms.fault(WRONG_LIMIT):
                period["limit"] += 1
            if csms.fault(WRONG_PHASES) and "numberPhases" in period:
                period["numberPhases"] = 3 if period["numberPhases"] == 1 else 1
    return p


def send_profile(csms: "CentralSystem", station_id: str, evse: int, profile: dict[str, Any]) -> dict[str, Any]:
    """SetChargingProfileRequest; the profile (its id chosen when the request goes out, unless
    given) is stored once the station accepts it."""
    problem = schema_problem("SetChargingProfile", CALL,
                             {"evseId": evse, "chargingProfile": broken(csms, {"id": 0, **profile})})
    if problem:
        raise ActionError(f"charging profile refused: {problem}")
    sent: dict[str, Any] = {}

    def build() -> dict[str, Any]:
        chosen = {"id": choose_id(csms, station_id, evse, profile), **profile} if "id" not in profile else profile
        sent.update(evseId=evse, chargingProfile=broken(csms, chosen))
        return dict(sent)

    def keep(answer: dict[str, Any]) -> None:
        if answer.get("status") == "Accepted":
            csms.store.save_profile(station_id, evse, sent["chargingProfile"])
    return send_request(csms, station_id, "SetChargingProfile", build, on_answer=keep)


@operator_action("SetChargingProfile")
async def set_charging_profile(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """K01: set the operator's profile on the EVSE (0 = the whole station)."""
    evse = params.get("evseId")
    return send_profile(csms, station_id, evse, prepared(csms, station_id, evse, params.get("chargingProfile")))


def remote_start_profile(csms: "CentralSystem", station_id: str, given: Any) -> dict[str, Any]:
    """F01/K05: the profile of a RequestStartTransaction: a TxProfile (F01.FR.09) without
    transactionId (F01.FR.11: the transaction does not exist yet), otherwise as K01 asks."""
    if not isinstance(given, dict):
        raise ActionError("params.chargingProfile must be a charging profile")
    profile = copy.deepcopy(given)
    if profile.get("chargingProfilePurpose") != "TxProfile":
        raise ActionError("the charging profile of a remote start must be a TxProfile (F01.FR.09)")
    if "transactionId" in profile:
        raise ActionError("the charging profile of a remote start has no transactionId (F01.FR.11)")
    problem = profile_problem(1, profile)
    if problem:
        raise ActionError(f"charging profile refused: {problem}")
    profile.setdefault("id", new_profile_id(csms, station_id))
    return broken(csms, profile)


# ------------------------------------------------------------ K10: clearing
@operator_action("ClearChargingProfile")
async def clear_charging_profile(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """K10: clear by id, or by criteria (evseId, chargingProfilePurpose, stackLevel); the stored
    profiles go when the station answers Accepted."""
    payload: dict[str, Any] = {}
    if "chargingProfileId" in params:
        payload["chargingProfileId"] = params["chargingProfileId"] + (1 if csms.fault(WRONG_CLEAR) else 0)
    criteria = params.get("chargingProfileCriteria")
    if criteria is not None:
        criteria = dict(criteria)
        if csms.fault(WRONG_CLEAR) and "chargingProfileId" not in params:
            key = "stackLevel" if "stackLevel" in criteria else "evseId"
            criteria[key] = criteria.get(key, 0) + 1
        payload["chargingProfileCriteria"] = criteria
    if not payload:
        raise ActionError("ClearChargingProfile needs params.chargingProfileId or params.chargingProfileCriteria")
    problem = schema_problem("ClearChargingProfile", CALL, payload)
    if problem:
        raise ActionError(f"ClearChargingProfile refused: {problem}")

    def forget(answer: dict[str, Any]) -> None:
        if answer.get("status") != "Accepted":
            return
        if "chargingProfileId" in payload:
            csms.store.delete_profiles(station_id, id=payload["chargingProfileId"])
        else:
            c = payload["chargingProfileCriteria"]
            csms.store.delete_profiles(station_id, evse=c.get("evseId"), purpose=c.get("chargingProfilePurpose"),
                                       stack_level=c.get("stackLevel"))
    return send_request(csms, station_id, "ClearChargingProfile", payload, on_answer=forget)


# ------------------------------------------------------------ K09: asking for profiles
@operator_action("GetChargingProfiles")
async def get_charging_profiles(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """K09: ask for the installed profiles by EVSE and criteria with a requestId of its own."""
    criteria = dict(params.get("chargingProfile") or {})
    if csms.fault(WRONG_PURPOSE) and "chargingProfilePurpose" in criteria:
        criteria["chargingProfilePurpose"] = OTHER_PURPOSE[criteria["chargingProfilePurpose"]]
    if csms.fault(WRONG_STACK) and "stackLevel" in criteria:
        criteria["stackLevel"] += 1
    if csms.fault(WRONG_SOURCE) and "chargingLimitSource" in criteria:
        criteria["chargingLimitSource"] = ["EMS" if s == "CSO" else "CSO" for s in criteria["chargingLimitSource"]]
    payload: dict[str, Any] = {"requestId": 0, "chargingProfile": criteria}  # requestId: when it goes out
    if params.get("evseId") is not None:
        payload["evseId"] = params["evseId"]
    problem = schema_problem("GetChargingProfiles", CALL, payload)
    if problem:
        raise ActionError(f"GetChargingProfiles refused: {problem}")
    return send_request(csms, station_id, "GetChargingProfiles", lambda: {**payload, "requestId": next(_request_ids)})


@on("ReportChargingProfiles")
def report_charging_profiles(session: "CsmsSession", payload: dict[str, Any]) -> Any:
    """Keep what the station reports it holds (with its source)."""
    if session.csms.fault(REJECT_REPORTS):
        return CallErrorReply("InternalError", "charging profile reports are not processed")
    for profile in payload["chargingProfile"]:
        session.store.save_profile(session.id, payload["evseId"], profile, payload["chargingLimitSource"], reported=True)
    return {}


# ------------------------------------------------------------ K08: composite schedule
@operator_action("GetCompositeSchedule")
async def get_composite_schedule(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """K08: ask for the composite schedule of the EVSE (0 = the station) over duration s."""
    evse, duration = params.get("evseId"), params.get("duration")
    if not isinstance(evse, int) or not isinstance(duration, int) or evse < 0 or duration <= 0:
        raise ActionError("GetCompositeSchedule needs params.evseId (>= 0) and params.duration (> 0)")
    payload: dict[str, Any] = {"evseId": evse + (1 if csms.fault(WRONG_COMPOSITE_EVSE) else 0),
                               "duration": duration + (60 if csms.fault(WRONG_DURATION) else 0)}
    if params.get("chargingRateUnit"):
        payload["chargingRateUnit"] = params["chargingRateUnit"]
    return send_request(csms, station_id, "GetCompositeSchedule", payload)


# ------------------------------------------------------------ K12/K13: external limits
def _external(session: "CsmsSession", payload: dict[str, Any]) -> Any:
    if session.csms.fault(REJECT_EXTERNAL):
        return CallErrorReply("InternalError", "external charging limits are not processed")
    return {}


@on("NotifyChargingLimit")
def notify_charging_limit(session: "CsmsSession", payload: dict[str, Any]) -> Any:
    """K12: note the external limit (it is in the message log) and acknowledge."""
    return _external(session, payload)


@on("ClearedChargingLimit")
def cleared_charging_limit(session: "CsmsSession", payload: dict[str, Any]) -> Any:
    """K13: the external limit is released."""
    return _external(session, payload)


# ------------------------------------------------------------ K15-K17: ISO 15118 load leveling
def _seconds_until(text: str | None, default: float = 3600.0) -> float:
    if not text:
        return default
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return max(60.0, (moment - datetime.now(timezone.utc)).total_seconds())


PHASES = {"AC_single_phase": 1, "AC_two_phase": 2, "AC_three_phase": 3}


#: What the CSMS assumes of an EV that reports no charging parameters of its kind (both are
#: optional in ChargingNeedsType): the usual maximum of an AC connector (IEC 61851, 32 A), and of a
#: DC charger (50 kW). The schedule then only bounds the EV by that.
DEFAULT_AC_CURRENT = 32
DEFAULT_DC_POWER = 50000


def schedule_for_needs(needs: dict[str, Any]) -> dict[str, Any]:
    """A schedule that delivers the EV's energy by its departure: the constant current (AC) or
    power (DC) that does it, within the EV's minimum and maximum. The kind follows the parameters
    the EV sent, else its requestedEnergyTransfer."""
    charging = needs["chargingNeeds"]
    seconds = _seconds_until(charging.get("departureTime"))
    hours = seconds / 3600
    ac, dc = charging.get("acChargingParameters"), charging.get("dcChargingParameters")
    transfer = charging["requestedEnergyTransfer"]
    if ac is not None or (dc is None and transfer in PHASES):
        phases = PHASES.get(transfer, 3)
        amps = DEFAULT_AC_CURRENT
        if ac is not None:
            amps = math.ceil(ac["energyAmount"] / (hours * VOLTAGE * phases))
            amps = min(max(amps, ac["evMinCurrent"]), ac["evMaxCurrent"])
        period = {"startPeriod": 0, "limit": float(amps), "numberPhases": phases}
        unit = "A"
    else:
        watts = DEFAULT_DC_POWER
        if dc is not None:
            watts = dc.get("evMaxPower") or dc["evMaxCurrent"] * dc["evMaxVoltage"]
            if dc.get("energyAmount"):
                watts = min(watts, math.ceil(dc["energyAmount"] / hours))
        period = {"startPeriod": 0, "limit": float(watts)}
        unit = "W"
    return {"id": 1, "startSchedule": now_iso(), "duration": int(seconds), "chargingRateUnit": unit,
            "chargingSchedulePeriod": [period]}


def _transaction_profile(session: "CsmsSession", evse: int, tx_id: str, needs: dict[str, Any]) -> dict[str, Any]:
    """The TxProfile for the EV's needs; its id is chosen when it is sent."""
    return {"stackLevel": ISO_STACK_LEVEL, "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Absolute", "transactionId": tx_id, "chargingSchedule": [schedule_for_needs(needs)]}


def _send_tx_profile(session: "CsmsSession", evse: int, profile: dict[str, Any]) -> None:
    """The transaction's TxProfile, stored when the station accepts it (no operator faults: the
    CSMS computed it itself); without an id it gets one when the request goes out."""
    sent: dict[str, Any] = {}

    def build() -> dict[str, Any]:
        chosen = profile if "id" in profile else {"id": choose_id(session.csms, session.id, evse, profile), **profile}
        sent.update(evseId=evse, chargingProfile=chosen)
        return dict(sent)

    def keep(answer: dict[str, Any]) -> None:
        if answer.get("status") == "Accepted":
            session.store.save_profile(session.id, evse, sent["chargingProfile"])
    session.later(session.request("SetChargingProfile", build, keep))


@on("NotifyEVChargingNeeds")
def ev_charging_needs(session: "CsmsSession", payload: dict[str, Any]) -> dict[str, Any]:
    """K15/K17: compute a schedule for the needs and send it as the transaction's TxProfile."""
    evse = payload["evseId"]
    tx = session.store.ongoing_transaction(session.id, evse)
    if tx is None:
        return {"status": "Rejected", "statusInfo": {"reasonCode": "NoTransaction"}}
    if session.csms.fault(NO_EV_SCHEDULE):
        return {"status": "Rejected"}
    count = session.store.save_needs(session.id, evse, tx["id"], payload)
    if count > 1 and session.csms.fault(IGNORE_RENEGOTIATION):
        return {"status": "Rejected"}
    _send_tx_profile(session, evse, _transaction_profile(session, evse, tx["id"], payload))
    return {"status": "Accepted"}


def _limit_at(schedule: dict[str, Any], offset: float) -> float | None:
    current = None
    for period in schedule["chargingSchedulePeriod"]:
        if period["startPeriod"] <= offset:
            current = period
    return None if current is None else float(current["limit"])


def exceeds(ev: dict[str, Any], profile: dict[str, Any]) -> bool:
    """Whether any period of the EV's schedule asks for more than the TxProfile allows then."""
    mine = profile["chargingSchedule"][0]
    if ev["chargingRateUnit"] != mine["chargingRateUnit"]:
        return True
    for period in ev["chargingSchedulePeriod"]:
        allowed = _limit_at(mine, period["startPeriod"])
        if allowed is not None and period["limit"] > allowed:
            return True
    return False


@on("NotifyEVChargingSchedule")
def ev_charging_schedule(session: "CsmsSession", payload: dict[str, Any]) -> dict[str, Any]:
    """K15.FR.11-13: Accepted when the EV's schedule stays within the TxProfile the CSMS last set
    for the transaction; otherwise Rejected, and the CSMS renegotiates by sending it again."""
    evse = payload["evseId"]
    tx = session.store.ongoing_transaction(session.id, evse)
    rows = session.store.profiles(session.id, evse=evse, purpose="TxProfile",
                                  transaction_id=tx["id"] if tx else None) if tx else []
    if not rows:
        return {"status": "Rejected", "statusInfo": {"reasonCode": "NoProfile"}}
    latest = json.loads(rows[-1]["profile"])
    if exceeds(payload["chargingSchedule"], latest) and not session.csms.fault(ACCEPT_ANY_EV_SCHEDULE):
        _send_tx_profile(session, evse, latest)
        return {"status": "Rejected", "statusInfo": {"reasonCode": "LimitExceeded"}}
    if session.csms.fault(RENEGOTIATE_WITHOUT_CAUSE):
        _send_tx_profile(session, evse, latest)
    return {"status": "Accepted"}
