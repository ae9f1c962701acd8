"""What the simulated station does with charging profiles (OCPP 2.0.1 K01, K08, K09, K10).

The station keeps the profiles it was sent (and those a case puts in its memory) in
``StationModel.profiles``; SetChargingProfile installs or rejects by the rules of K01,
ClearChargingProfile removes by id or criteria (K10), GetChargingProfiles filters and reports
(K09), and GetCompositeSchedule really composes the installed profiles over the asked window
(K08). Also the builders the cases use for the profiles they ask the CSMS to set.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from simulator.verdicts.checks import ABSENT, OneOf, Rule
from simulator.station.model import InstalledProfile

if TYPE_CHECKING:
    from simulator.station.station import Station

VOLTAGE = 230.0          # V per phase, for A <-> W
STATION_MAX_CURRENT = 32.0  # A per phase the hardware allows when no profile limits it
RECURRENCE = {"Daily": 86400, "Weekly": 7 * 86400}
COMPOSITE_HORIZON = 31 * 86400  # s: the longest composite schedule the station computes (its answer says so)


# ---------------------------------------------------------------- time and units
def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def in_unit(amps: float, unit: str) -> float:
    """"limit L" of the catalogue: L in A, L × 1000 in W."""
    return amps if unit == "A" else amps * 1000


def convert(limit: float, from_unit: str, to_unit: str, phases: int) -> float:
    if from_unit == to_unit:
        return limit
    if to_unit == "W":
        return round(limit * VOLTAGE * phases, 1)
    return round(limit / (VOLTAGE * phases), 1)


# ---------------------------------------------------------------- profiles a case builds
def schedule(station: "Station", unit: str, amps: float, *, start: datetime | None = None,
             duration: int | None = None, phases: int | None = None, schedule_id: int | None = None) -> dict[str, Any]:
    """One chargingSchedule with one period {startPeriod 0, limit L (A) / L×1000 (W)}; its id is a
    new one of the station's (a CSMS may keep schedule ids unique per station, across runs too)."""
    if schedule_id is None:
        schedule_id = station.new_id("chargingScheduleId")
    period: dict[str, Any] = {"startPeriod": 0, "limit": in_unit(amps, unit)}
    if phases is not None:
        period["numberPhases"] = phases
    result: dict[str, Any] = {"id": schedule_id, "chargingRateUnit": unit, "chargingSchedulePeriod": [period]}
    if start is not None:
        result["startSchedule"] = iso(start)
    if duration is not None:
        result["duration"] = duration
    return result


def profile(purpose: str, kind: str, stack_level: int, charging_schedule: dict[str, Any], *,
            profile_id: int | None = None, valid_from: datetime | None = None,
            valid_to: datetime | None = None, recurrency: str | None = None,
            transaction_id: str | None = None) -> dict[str, Any]:
    """A chargingProfile; without ``profile_id`` the CSMS chooses the id."""
    result: dict[str, Any] = {"stackLevel": stack_level, "chargingProfilePurpose": purpose,
                              "chargingProfileKind": kind, "chargingSchedule": [charging_schedule]}
    if profile_id is not None:
        result["id"] = profile_id
    if recurrency is not None:
        result["recurrencyKind"] = recurrency
    if valid_from is not None:
        result["validFrom"] = iso(valid_from)
    if valid_to is not None:
        result["validTo"] = iso(valid_to)
    if transaction_id is not None:
        result["transactionId"] = transaction_id
    return result


def hold(station: "Station", evse: int, purpose: str = "TxDefaultProfile", *, stack_level: int | None = None,
         amps: float = 6, source: str = "CSO", transaction_id: str | None = None) -> dict[str, Any]:
    """A memory state: the station holds (without any message) the block's reported profile:
    id G generated, Absolute, one schedule {id, startSchedule now, configured unit, one period
    {startPeriod 0, limit ``amps``}}. Returns the profile. Both ids are new ones of the station's:
    the catalogue's schedule "id 1" is no check of any case, and a CSMS that keeps the ids a
    station reports unique per station would refuse a second run's."""
    s = station.settings
    held = profile(purpose, "Absolute", s.CONFIGURED_STACK_LEVEL if stack_level is None else stack_level,
                   schedule(station, s.CONFIGURED_CHARGING_RATE_UNIT, amps, start=utc_now()),
                   profile_id=station.new_id("chargingProfileId"), transaction_id=transaction_id)
    station.model.profiles.append(InstalledProfile(evse, held, source))
    return held


# ---------------------------------------------------------------- K01 SetChargingProfile
def rejection(station: "Station", evse: int, charging_profile: dict[str, Any]) -> str | None:
    """Why the station refuses the profile (K01), or None when it installs it."""
    purpose = charging_profile["chargingProfilePurpose"]
    if evse != 0 and evse not in station.model.evses:
        return f"EVSE {evse} does not exist"
    if purpose == "ChargingStationExternalConstraints":
        return "the CSMS cannot set ChargingStationExternalConstraints (K01.FR.22)"
    if purpose == "ChargingStationMaxProfile" and evse != 0:
        return "ChargingStationMaxProfile only on evseId 0"
    if purpose == "ChargingStationMaxProfile" and charging_profile["chargingProfileKind"] == "Relative":
        return "ChargingStationMaxProfile cannot be Relative (K01.FR.38)"
    if purpose == "TxProfile":
        tx = station.model.transaction(evse) if evse else None
        if evse == 0:
            return "TxProfile needs an EVSE (K01.FR.16)"
        if tx is None:
            return "no transaction on the EVSE for a TxProfile (K01.FR.09)"
        if charging_profile.get("transactionId", tx.id) != tx.id:
            return "transactionId is not the EVSE's transaction (K01.FR.03)"
    for sched in charging_profile["chargingSchedule"]:
        periods = sched["chargingSchedulePeriod"]
        if periods[0]["startPeriod"] != 0:
            return "the first period must start at 0 (K01.FR.31)"
        if any(b["startPeriod"] <= a["startPeriod"] for a, b in zip(periods, periods[1:])):
            return "periods must be in increasing startPeriod order"
    if charging_profile["chargingProfileKind"] == "Recurring" and "recurrencyKind" not in charging_profile:
        return "a Recurring profile needs recurrencyKind"
    return None


def install(station: "Station", evse: int, charging_profile: dict[str, Any]) -> dict[str, Any]:
    """SetChargingProfileResponse from the station's rules: a profile with a known id replaces it
    (K01.FR.05), one with the same EVSE, purpose and stackLevel (and transaction) replaces that."""
    reason = rejection(station, evse, charging_profile)
    if reason is not None:
        return {"status": "Rejected", "statusInfo": {"reasonCode": "InvalidProfile", "additionalInfo": reason[:512]}}
    stored = dict(charging_profile)
    if stored["chargingProfilePurpose"] == "TxProfile":
        stored.setdefault("transactionId", station.model.transaction(evse).id)
    stored["_installed"] = iso(utc_now())  # where a Relative schedule starts

    def replaced(p: InstalledProfile) -> bool:
        old = p.profile
        return old["id"] == stored["id"] or (
            p.evse == evse and p.source == "CSO"
            and old["chargingProfilePurpose"] == stored["chargingProfilePurpose"]
            and old["stackLevel"] == stored["stackLevel"] and old.get("transactionId") == stored.get("transactionId"))

    station.model.profiles[:] = [p for p in station.model.profiles if not replaced(p)]
    station.model.profiles.append(InstalledProfile(evse, stored, "CSO"))
    return {"status": "Accepted"}


def apply_remote_start_profile(station: "Station", evse: int, charging_profile: dict[str, Any]) -> None:
    """F01/K05: the TxProfile of a RequestStartTransaction applies to the transaction it started."""
    install(station, evse, charging_profile)


# ---------------------------------------------------------------- K10 ClearChargingProfile
def clear(station: "Station", request: dict[str, Any]) -> dict[str, Any]:
    """Remove by id, or by the criteria given (evseId, purpose, stackLevel); Unknown when nothing
    matched. Profiles of external sources are not the CSMS's to clear."""
    profile_id = request.get("chargingProfileId")
    criteria = request.get("chargingProfileCriteria") or {}

    def matches(p: InstalledProfile) -> bool:
        if p.source != "CSO":
            return False
        if profile_id is not None:
            return p.profile["id"] == profile_id
        return (criteria.get("evseId", p.evse) == p.evse
                and criteria.get("chargingProfilePurpose", p.profile["chargingProfilePurpose"])
                == p.profile["chargingProfilePurpose"]
                and criteria.get("stackLevel", p.profile["stackLevel"]) == p.profile["stackLevel"])

    before = len(station.model.profiles)
    station.model.profiles[:] = [p for p in station.model.profiles if not matches(p)]
    return {"status": "Accepted" if len(station.model.profiles) < before else "Unknown"}


# ---------------------------------------------------------------- K09 GetChargingProfiles
def selected(station: "Station", request: dict[str, Any]) -> list[InstalledProfile]:
    """The installed profiles a GetChargingProfilesRequest asks for, by EVSE and then id."""
    evse = request.get("evseId")
    criteria = request.get("chargingProfile") or {}

    def matches(p: InstalledProfile) -> bool:
        cp = p.profile
        return ((evse is None or p.evse == evse)
                and ("chargingProfileId" not in criteria or cp["id"] in criteria["chargingProfileId"])
                and criteria.get("stackLevel", cp["stackLevel"]) == cp["stackLevel"]
                and criteria.get("chargingProfilePurpose", cp["chargingProfilePurpose"]) == cp["chargingProfilePurpose"]
                and ("chargingLimitSource" not in criteria or p.source in criteria["chargingLimitSource"]))

    return sorted((p for p in station.model.profiles if matches(p)), key=lambda p: (p.evse, p.profile["id"]))


def profiles_answer(station: "Station", request: dict[str, Any]) -> dict[str, Any]:
    return {"status": "Accepted" if selected(station, request) else "NoProfiles"}


def reports(station: "Station", request: dict[str, Any]) -> list[dict[str, Any]]:
    """The ReportChargingProfilesRequests for the request: one per EVSE and source, in EVSE
    order, tbc true on all but the last."""
    groups: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for p in selected(station, request):
        groups.setdefault((p.evse, p.source), []).append(wire(p.profile))
    result = []
    for i, ((evse, source), profiles) in enumerate(groups.items()):
        result.append({"requestId": request["requestId"], "chargingLimitSource": source, "evseId": evse,
                       "tbc": i < len(groups) - 1, "chargingProfile": profiles})
    return result


def wire(charging_profile: dict[str, Any]) -> dict[str, Any]:
    """The profile as OCPP sends it (the station's own bookkeeping left out)."""
    return {k: v for k, v in charging_profile.items() if not k.startswith("_")}


# ---------------------------------------------------------------- K08 GetCompositeSchedule
def _first_start(p: dict[str, Any], window_start: datetime) -> datetime:
    """When the profile's schedule starts (its first recurrence for a Recurring one)."""
    sched = p["chargingSchedule"][0]
    if p["chargingProfileKind"] == "Relative":
        return parse_time(p.get("_installed") or sched.get("startSchedule") or iso(window_start))
    return parse_time(sched["startSchedule"]) if "startSchedule" in sched else window_start


def _starts(p: dict[str, Any], window_start: datetime, window_end: datetime) -> list[datetime]:
    """When the profile's schedule (re)starts, as far as it matters for the window."""
    start = _first_start(p, window_start)
    if p["chargingProfileKind"] != "Recurring":
        return [start]
    period = RECURRENCE[p.get("recurrencyKind", "Daily")]
    first = math.floor((window_start - start).total_seconds() / period)
    last = math.floor((window_end - start).total_seconds() / period)
    return [start + timedelta(seconds=k * period) for k in range(first, last + 1)]


def _latest_start(p: dict[str, Any], moment: datetime, window_start: datetime) -> datetime | None:
    """The last (re)start of the profile's schedule at or before ``moment``, None before the first."""
    start = _first_start(p, window_start)
    if p["chargingProfileKind"] == "Recurring":
        period = RECURRENCE[p.get("recurrencyKind", "Daily")]
        return start + timedelta(seconds=math.floor((moment - start).total_seconds() / period) * period)
    return start if start <= moment else None


def _limit_at(p: dict[str, Any], moment: datetime, unit: str, window_start: datetime) -> float | None:
    if "validFrom" in p and moment < parse_time(p["validFrom"]):
        return None
    if "validTo" in p and moment >= parse_time(p["validTo"]):
        return None
    sched = p["chargingSchedule"][0]
    latest = _latest_start(p, moment, window_start)
    if latest is None:
        return None
    offset = (moment - latest).total_seconds()
    if "duration" in sched and offset >= sched["duration"]:
        return None
    current = None
    for period in sched["chargingSchedulePeriod"]:
        if period["startPeriod"] <= offset:
            current = period
    if current is None:
        return None
    return convert(current["limit"], sched["chargingRateUnit"], unit, current.get("numberPhases", 3))


def _boundaries(p: dict[str, Any], window_start: datetime, window_end: datetime) -> set[datetime]:
    points: set[datetime] = set()
    for key in ("validFrom", "validTo"):
        if key in p:
            points.add(parse_time(p[key]))
    sched = p["chargingSchedule"][0]
    for start in _starts(p, window_start, window_end):
        points.update(start + timedelta(seconds=period["startPeriod"]) for period in sched["chargingSchedulePeriod"])
        if "duration" in sched:
            points.add(start + timedelta(seconds=sched["duration"]))
    return {t for t in points if window_start <= t < window_end}


def composite(station: "Station", request: dict[str, Any]) -> dict[str, Any]:
    """GetCompositeScheduleResponse: the lowest of the station maximum, the external constraints
    and the transaction's limit (its TxProfile, else the TxDefaultProfile of the EVSE, else of
    the station), each purpose taking its highest valid stackLevel, over [now, now + duration) —
    at most COMPOSITE_HORIZON: a longer request gets the schedule of that long, with that duration
    (a CSMS may ask for 68 years of a Daily profile; a station answers what it plans)."""
    evse = request["evseId"]
    if evse != 0 and evse not in station.model.evses:
        return {"status": "Rejected", "statusInfo": {"reasonCode": "UnknownEVSE"}}
    unit = request.get("chargingRateUnit") or station.settings.CONFIGURED_CHARGING_RATE_UNIT
    duration = min(request["duration"], COMPOSITE_HORIZON)
    start = utc_now()
    end = start + timedelta(seconds=duration)
    tx = station.model.transaction(evse) if evse else None

    def of(purpose: str, evses: tuple[int, ...]) -> list[dict[str, Any]]:
        return [p.profile for p in station.model.profiles
                if p.evse in evses and p.profile["chargingProfilePurpose"] == purpose
                and (purpose != "TxProfile" or (tx is not None and p.profile.get("transactionId") == tx.id))]

    here = (evse,) if evse == 0 else (0, evse)
    groups = [of("ChargingStationMaxProfile", (0,)), of("ChargingStationExternalConstraints", here)]
    own_default = of("TxDefaultProfile", (evse,))
    defaults = own_default or of("TxDefaultProfile", (0,))
    tx_profiles = of("TxProfile", (evse,)) if evse else []
    every = [p for g in groups for p in g] + defaults + tx_profiles
    points = sorted({start} | {t for p in every for t in _boundaries(p, start, end)})

    def top(profiles: list[dict[str, Any]], moment: datetime) -> float | None:
        for p in sorted(profiles, key=lambda p: -p["stackLevel"]):
            value = _limit_at(p, moment, unit, start)
            if value is not None:
                return value
        return None

    periods: list[dict[str, Any]] = []
    hardware = convert(STATION_MAX_CURRENT, "A", unit, station.settings.CONFIGURED_NUMBER_PHASES)
    for moment in points:
        limits = [top(g, moment) for g in groups]
        limits.append(top(tx_profiles, moment) if top(tx_profiles, moment) is not None else top(defaults, moment))
        # what the hardware can draw bounds every limit (a profile's 1e308 A stays a number), and none is negative
        limit = max(0.0, min([v for v in limits if v is not None] + [hardware]))
        offset = int((moment - start).total_seconds())
        if periods and periods[-1]["startPeriod"] == offset:  # changes within one second: the last counts
            periods.pop()
        if not periods or periods[-1]["limit"] != limit:
            periods.append({"startPeriod": offset, "limit": limit})
    return {"status": "Accepted", "schedule": {
        "evseId": evse, "duration": duration, "scheduleStart": iso(start), "chargingRateUnit": unit,
        "chargingSchedulePeriod": periods}}


# ---------------------------------------------------------------- checks the cases share
def limit_of(unit: Any, amps: float) -> Any:
    """"limit L": L when the schedule's unit is A, L × 1000 when it is W."""
    return in_unit(amps, unit) if unit in ("A", "W") else Rule(f"{amps:g} A or {amps * 1000:g} W", lambda v: False)


def phases_rule(configured: int) -> Any:
    """numberPhases == configured when that is not 3; 3 or absent when it is 3."""
    return configured if configured != 3 else OneOf(3, ABSENT)


def about(moment: datetime, deviation: float, text: str = "now") -> Rule:
    """≈ a moment: an ISO time within ±deviation s of it."""
    def near(value: Any) -> bool:
        return abs((parse_time(value) - moment).total_seconds()) <= deviation
    return Rule(f"{text} ({iso(moment)}) ± {deviation:g} s", near)
