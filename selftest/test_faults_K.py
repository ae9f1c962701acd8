"""Each named reference-CSMS fault of block K makes the right cases fail at their own step,
naming the field; the fault-free block passes; a CSMS that supports none of block K fails every
case quickly with a one-line reason (test_bad_csms, the whole suite)."""
from __future__ import annotations

UUID = r"'[0-9a-f-]{36}'"
PROFILE = r"chargingProfile\."
SCHEDULE = r"chargingProfile\.chargingSchedule\[0\]\."
PERIOD0 = r"chargingProfile\.chargingSchedule\[0\]\.chargingSchedulePeriod\[0\]\."
REPORT_ERROR = r"CSMS answered ReportChargingProfilesRequest with CALLERROR InternalError"
LIMIT_ERROR = r"CSMS answered {}Request with CALLERROR InternalError"


def at(step: int, field: str, cases: tuple[str, ...], rest: str = "") -> dict[str, str]:
    """The same reason for several cases: ``TC_K_nn step <step>: <field> expected …``."""
    return {case: rf"{case} step {step}: {field} expected {rest}" for case in cases}


# fault -> {case: regex the one-line reason must match}
FAULTS = {
    # profiles (and GetChargingProfiles criteria) with another purpose than asked
    "wrong_profile_purpose": {
        **at(1, PROFILE + "chargingProfilePurpose",
             ("TC_K_01", "TC_K_02", "TC_K_03", "TC_K_04", "TC_K_10", "TC_K_15", "TC_K_19", "TC_K_29", "TC_K_30",
              "TC_K_31", "TC_K_35", "TC_K_36", "TC_K_37", "TC_K_58", "TC_K_60", "TC_K_70")),
        # the TxDefaultProfile became a TxProfile without a transaction: the station refuses it
        "TC_K_32": r"TC_K_32 step 1: \(harness\) the profile expected valid by OCPP K01, the station refused it: "
                   r"no transaction on the EVSE for a TxProfile",
        # step 1 takes only a request that selects the held external limit; the one sent did not
        "TC_K_52": r"TC_K_52 step 1: no GetChargingProfilesRequest selecting the held ChargingStationExternalConstraints "
                   r"profile from the CSMS within 3 s .*; the CSMS sent instead: GetChargingProfilesRequest .*"
                   r"\"chargingProfilePurpose\": \"TxDefaultProfile\""},
    "wrong_profile_kind": {
        **at(1, PROFILE + "chargingProfileKind",
             ("TC_K_01", "TC_K_02", "TC_K_03", "TC_K_04", "TC_K_10", "TC_K_15", "TC_K_19", "TC_K_70")),
        # Relative became Absolute without startSchedule
        **at(1, SCHEDULE + "startSchedule", ("TC_K_37", "TC_K_60"), "present, got absent")},
    "wrong_stack_level": at(1, PROFILE + "stackLevel", ("TC_K_01", "TC_K_02", "TC_K_03", "TC_K_04", "TC_K_10",
                                                        "TC_K_15", "TC_K_19", "TC_K_33", "TC_K_36"), "1, got 2"),
    "wrong_rate_unit": at(1, SCHEDULE + "chargingRateUnit", ("TC_K_01", "TC_K_02", "TC_K_03", "TC_K_10", "TC_K_15"),
                          "'A', got 'W'"),
    "wrong_limit": at(1, PERIOD0 + "limit", ("TC_K_01", "TC_K_02", "TC_K_03", "TC_K_04", "TC_K_10", "TC_K_15")),
    "wrong_number_phases": at(1, PERIOD0 + "numberPhases", ("TC_K_01", "TC_K_02", "TC_K_15")),
    "first_period_not_zero": {
        **at(1, PERIOD0 + "startPeriod", ("TC_K_01", "TC_K_02", "TC_K_03", "TC_K_04", "TC_K_10", "TC_K_15",
                                          "TC_K_19"), "0, got 60"),
        **at(1, r"\(harness\) " + PERIOD0 + "startPeriod", ("TC_K_60", "TC_K_70"), "0, got 60")},
    "tx_profile_without_transaction_id": at(1, PROFILE + "transactionId", ("TC_K_58", "TC_K_59", "TC_K_60"),
                                            f"{UUID}, got absent"),
    "wrong_clear_criteria": {
        "TC_K_05": r"TC_K_05 step 5: chargingProfileId expected (\d+), got (?!\1)\d+",
        **at(1, r"chargingProfileCriteria\.stackLevel", ("TC_K_06", "TC_K_08"), "1, got 2")},
    "wrong_composite_duration": at(1, "duration", ("TC_K_43", "TC_K_44"), "300, got 360"),
    "wrong_composite_evse": {"TC_K_43": r"TC_K_43 step 1: evseId expected 1, got 2",
                             "TC_K_44": r"TC_K_44 step 1: evseId expected 0, got 1"},
    "wrong_limit_source": {"TC_K_34": r"TC_K_34 step 1: chargingProfile\.chargingLimitSource expected \['CSO'\], "
                                      r"got \['EMS'\]"},
    # ISO 15118: needs answered Rejected, no TxProfile computed
    "no_ev_schedule": {
        "TC_K_53": r"TC_K_53 step 2: status expected 'Accepted' or 'Processing', got 'Rejected'",
        "TC_K_55": r"TC_K_55 step 2: status expected 'Accepted', got 'Rejected'",
        "TC_K_57": r"TC_K_57 ISO15118SmartCharging step 2: status expected 'Accepted' or 'Processing', got 'Rejected'"},
    "ignore_renegotiation": {
        "TC_K_57": r"TC_K_57 step 2: status expected 'Accepted' or 'Processing', got 'Rejected'",
        "TC_K_59": r"TC_K_59 step 4: status expected 'Accepted' or 'Processing', got 'Rejected'"},
    "renegotiate_without_cause": {"TC_K_53": r"TC_K_53 step 9: expected no SetChargingProfileRequest after step 3's "
                                             r"\(no renegotiation without cause\), got one with evseId 1"},
    "accept_any_ev_schedule": {"TC_K_55": r"TC_K_55 step 6: status expected 'Rejected', got 'Accepted'"},
    "reject_external_limits": {
        "TC_K_48": rf"TC_K_48 step 2: {LIMIT_ERROR.format('NotifyChargingLimit')}",
        "TC_K_50": rf"TC_K_50 step 2: {LIMIT_ERROR.format('ClearedChargingLimit')}",
        "TC_K_51": rf"TC_K_51 step 2: {LIMIT_ERROR.format('ClearedChargingLimit')}"},
    "reject_profile_reports": {
        **{case: rf"{case} step 4: {REPORT_ERROR}" for case in ("TC_K_05", "TC_K_29", "TC_K_30", "TC_K_31", "TC_K_33",
                                                               "TC_K_34", "TC_K_35", "TC_K_36", "TC_K_52")},
        "TC_K_32": rf"TC_K_32 step 6: {REPORT_ERROR}"},
}

CASES = 32
MODULES = ("reference_csms.handlers.smart_charging",)
