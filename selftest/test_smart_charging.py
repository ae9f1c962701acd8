"""The simulated station's charging-profile behaviour (simulator.station.smart_charging): K01 install
rules, K10 clearing, K09 selection and reports, K08 composition."""
from __future__ import annotations

import itertools
from datetime import timedelta
from types import SimpleNamespace

from simulator.station import smart_charging as sc
from simulator.station.model import StationModel
from simulator.settings import load_settings


#: the station's counters, as far as a schedule needs one
IDS = SimpleNamespace(new_id=lambda kind, ids=itertools.count(1): next(ids))


def station(evses: int = 2) -> SimpleNamespace:
    settings = load_settings(CONFIGURED_NUMBER_OF_EVSES=evses)
    return SimpleNamespace(settings=settings, model=StationModel.build(evses, 1, 1), new_id=IDS.new_id)


def absolute(purpose: str, stack: int, amps: float, profile_id: int, start_in: float = 0, **kw) -> dict:
    return sc.profile(purpose, "Absolute", stack, sc.schedule(IDS, "A", amps, start=sc.utc_now() + timedelta(seconds=start_in)),
                      profile_id=profile_id, **kw)


def test_install_rules() -> None:
    cs = station()
    assert sc.install(cs, 1, absolute("ChargingStationMaxProfile", 0, 16, 1))["status"] == "Rejected"
    assert sc.install(cs, 0, absolute("ChargingStationMaxProfile", 0, 16, 1))["status"] == "Accepted"
    tx = sc.profile("TxProfile", "Relative", 0, sc.schedule(IDS, "A", 8), profile_id=2)
    assert sc.install(cs, 1, tx)["status"] == "Rejected"  # no transaction on EVSE 1
    cs.model.open_transaction(1, 1)
    assert sc.install(cs, 1, tx)["status"] == "Accepted"
    assert cs.model.profiles[-1].profile["transactionId"] == cs.model.transaction(1).id
    late = absolute("TxDefaultProfile", 0, 6, 3)
    late["chargingSchedule"][0]["chargingSchedulePeriod"][0]["startPeriod"] = 60
    assert sc.install(cs, 1, late)["status"] == "Rejected"
    assert sc.install(cs, 0, absolute("ChargingStationMaxProfile", 0, 10, 1))["status"] == "Accepted"
    assert [p.profile["id"] for p in cs.model.profiles] == [2, 1]  # id 1 replaced (K01.FR.05)


def test_clear_by_id_and_criteria() -> None:
    cs = station()
    sc.install(cs, 1, absolute("TxDefaultProfile", 1, 6, 5))
    sc.install(cs, 1, absolute("TxDefaultProfile", 2, 6, 6))
    assert sc.clear(cs, {"chargingProfileId": 7})["status"] == "Unknown"
    assert sc.clear(cs, {"chargingProfileId": 5})["status"] == "Accepted"
    assert sc.clear(cs, {"chargingProfileCriteria": {"evseId": 1, "stackLevel": 1}})["status"] == "Unknown"
    assert sc.clear(cs, {"chargingProfileCriteria": {"chargingProfilePurpose": "TxDefaultProfile"}})["status"] == "Accepted"
    assert not cs.model.profiles


def test_reports_per_evse_with_tbc() -> None:
    cs = station(evses=2)
    for evse in (0, 1, 2):
        sc.hold(cs, evse)
    sc.hold(cs, 1, "ChargingStationExternalConstraints", source="EMS")
    request = {"requestId": 7, "chargingProfile": {"chargingProfilePurpose": "TxDefaultProfile"}}
    reports = sc.reports(cs, request)
    assert [(r["evseId"], r["tbc"], r["chargingLimitSource"]) for r in reports] == [(0, True, "CSO"), (1, True, "CSO"),
                                                                                      (2, False, "CSO")]
    by_source = sc.reports(cs, {"requestId": 8, "evseId": 1, "chargingProfile": {"chargingLimitSource": ["EMS"]}})
    assert [(r["evseId"], r["chargingLimitSource"], r["tbc"]) for r in by_source] == [(1, "EMS", False)]
    assert sc.profiles_answer(cs, {"requestId": 9, "evseId": 2, "chargingProfile": {"stackLevel": 5}}) == {
        "status": "NoProfiles"}


def test_composite_takes_the_lowest_limit_and_highest_stack_level() -> None:
    cs = station()
    sc.install(cs, 0, absolute("ChargingStationMaxProfile", 0, 16, 1))
    sc.install(cs, 1, absolute("TxDefaultProfile", 1, 10, 2))
    sc.install(cs, 1, absolute("TxDefaultProfile", 2, 6, 3, start_in=100))
    answer = sc.composite(cs, {"evseId": 1, "duration": 300, "chargingRateUnit": "A"})
    periods = [(p["startPeriod"], p["limit"]) for p in answer["schedule"]["chargingSchedulePeriod"]]
    assert periods[0] == (0, 10) and periods[-1][1] == 6 and 99 <= periods[-1][0] <= 101, periods
    watts = sc.composite(cs, {"evseId": 0, "duration": 300, "chargingRateUnit": "W"})
    assert watts["schedule"]["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 16 * 230 * 3}]
    cs.model.open_transaction(1, 1)
    sc.install(cs, 1, sc.profile("TxProfile", "Relative", 0, sc.schedule(IDS, "A", 20), profile_id=4))
    answer = sc.composite(cs, {"evseId": 1, "duration": 300, "chargingRateUnit": "A"})
    assert [p["limit"] for p in answer["schedule"]["chargingSchedulePeriod"]] == [16]  # TxProfile 20 A, max 16 A


def test_composite_of_a_daily_recurring_profile() -> None:
    cs = station()
    start = sc.utc_now() - timedelta(days=3, seconds=-60)  # recurs every day, next period change in 60 s
    recurring = sc.profile("TxDefaultProfile", "Recurring", 0, {
        "id": 1, "startSchedule": sc.iso(start), "chargingRateUnit": "A", "duration": 3600,
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 8}]}, profile_id=1, recurrency="Daily")
    assert sc.install(cs, 1, recurring)["status"] == "Accepted"
    answer = sc.composite(cs, {"evseId": 1, "duration": 120, "chargingRateUnit": "A"})
    periods = [(p["startPeriod"], p["limit"]) for p in answer["schedule"]["chargingSchedulePeriod"]]
    assert periods[0] == (0, 32) and periods[1][1] == 8 and 59 <= periods[1][0] <= 61, periods
