"""Each named reference-CSMS fault of block N makes the right cases fail, naming step and field,
and the fault-free block passes."""
from __future__ import annotations

LOCATION = r"'https://logs\.example\.com/ocpp/upload', got 'https://reference-csms\.invalid/logs'"
REFUSED_EVENT = r"step 2: CSMS answered NotifyEventRequest with CALLERROR InternalError"
REFUSED_CUSTOMER = r"step 4: CSMS answered NotifyCustomerInformationRequest with CALLERROR InternalError"
MONITOR_CASES = ("TC_N_08", "TC_N_09")
TOKEN_CASES = ("TC_N_27", "TC_N_28", "TC_N_29", "TC_N_30", "TC_N_31", "TC_N_32", "TC_N_46")

# fault -> {case: regex the one-line reason must match}
FAULTS = {
    "get_log_wrong_type": {
        **{c: rf"{c} step 1: logType expected 'DiagnosticsLog', got 'SecurityLog'"
           for c in ("TC_N_25", "TC_N_34", "TC_N_36")},
        "TC_N_35": r"TC_N_35 step 1: logType expected 'SecurityLog', got 'DiagnosticsLog'"},
    "get_log_wrong_location": {c: rf"{c} step 1: log\.remoteLocation expected {LOCATION}"
                               for c in ("TC_N_25", "TC_N_34", "TC_N_35", "TC_N_36")},
    "get_log_reuses_request_id": {"TC_N_36": r"TC_N_36 step 5: requestId expected a requestId other than r1 = 1, got 1"},
    "monitoring_report_all_criteria": {
        **{c: rf"{c} step 1: monitoringCriteria expected \['DeltaMonitoring'\], got \['ThresholdMonitoring', "
              rf"'DeltaMonitoring', 'PeriodicMonitoring'\]" for c in ("TC_N_01", "TC_N_03", "TC_N_60")},
        "TC_N_47": r"TC_N_47 step 1: monitoringCriteria expected absent, got \['ThresholdMonitoring'"},
    "monitoring_report_drops_components": {
        c: rf"{c} step 1: componentVariable expected entries including \[.*\], got absent \(in the "
           rf"GetMonitoringReportRequest the CSMS sent"
        for c in ("TC_N_02", "TC_N_03", "TC_N_60")},
    "monitoring_report_adds_threshold_criterion": {
        "TC_N_02": r"TC_N_02 step 3: monitoringCriteria \['ThresholdMonitoring'\] and componentVariable .* select none "
                   r"of the station's monitors \(EVSE/AvailabilityState Delta\): it answered EmptyResultSet, and no "
                   r"NotifyMonitoringReport follows"},
    "monitoring_report_single_part": {
        "TC_N_47": r"TC_N_47 step 6: CSMS answered NotifyMonitoringReportRequest with CALLERROR InternalError"},
    "monitoring_base_always_all": {"TC_N_05": r"TC_N_05 step 3: monitoringBase expected 'FactoryDefault', got 'All'"},
    "monitoring_level_off_by_one": {c: rf"{c} step 1: severity expected 4, got 5" for c in ("TC_N_16", "TC_N_17")},
    "monitor_wrong_type": {c: rf"{c} step 1: setMonitoringData\[0\]\.type expected 'Delta', got 'UpperThreshold'"
                           for c in MONITOR_CASES},
    "monitor_wrong_value": {c: rf"{c} step 1: setMonitoringData\[0\]\.value expected 1, got 2" for c in MONITOR_CASES},
    "monitor_wrong_severity": {c: rf"{c} step 1: setMonitoringData\[0\]\.severity expected 8, got 0"
                               for c in MONITOR_CASES},
    "clear_monitoring_wrong_ids": {
        "TC_N_18": r"TC_N_18 step 3: id expected ids among \[1, 2, 3, 4, 5\] not sent before \[2, 3, 4\], got \[5, 6\]",
        "TC_N_44": r"TC_N_44 step 1: id expected \[1\], got \[2\]"},
    "clear_monitoring_ignores_items_per_message": {
        "TC_N_18": r"TC_N_18 step 3: id has 5 entries, more than ItemsPerMessage\[ClearVariableMonitoring\] = 3"},
    "monitor_events_refused": {c: rf"{c} {REFUSED_EVENT}"
                               for c in ("TC_N_21", "TC_N_24", "TC_N_48", "TC_N_49", "TC_N_50")},
    "customer_info_wrong_identifier": {
        **{c: rf"{c} step 1: idToken\.type expected 'Central', got 'Local'" for c in TOKEN_CASES},
        "TC_N_62": r"TC_N_62 step 1: customerIdentifier expected 'OpenChargeAlliance', got 'OpenChargeAlliance-1' "
                   r"\(in the CustomerInformationRequest the CSMS sent",
        "TC_N_63": r"TC_N_63 step 1: customerCertificate\.serialNumber expected '5A3C9E01' \(any case\), got '\w+' "
                   r"\(in the CustomerInformationRequest the CSMS sent"},
    "customer_info_notify_refused": {c: rf"{c} {REFUSED_CUSTOMER}" for c in (
        "TC_N_27", "TC_N_28", "TC_N_30", "TC_N_31", "TC_N_46", "TC_N_62", "TC_N_63")},
    "customer_clear_keeps_local_list": {
        "TC_N_46": r"TC_N_46 step 5: no SendLocalListRequest removing 100000C01 from the CSMS within 3 s"},
}

CASES = 30
MODULES = ("reference_csms.handlers.diagnostics",)

#: the event cases check only the empty NotifyEventResponse, which a CSMS able to run Booted gives
EVENT_CASES = ("TC_N_21", "TC_N_24", "TC_N_48", "TC_N_49", "TC_N_50")
