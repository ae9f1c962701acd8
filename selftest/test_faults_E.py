"""Each named reference-CSMS fault of block E makes the right cases fail, naming step and field,
and the fault-free block passes."""
from __future__ import annotations



UUID = r"'[0-9a-f-]{36}'"
ID = r"[0-9a-f-]{36}"
CALLERROR = r"CSMS answered TransactionEventRequest with CALLERROR"
#: the tail of a step that got only other requests of its kind (a busy CSMS sends some of its own)
IN_OTHER = r"\(in the (closest of \d+ )?GetTransactionStatusRequests? the CSMS sent; no GetTransactionStatusRequest"

# fault -> {case: regex the one-line reason must match}
FAULTS = {
    # the CSMS trusts the station: an invalid token gets Accepted at the start of a transaction
    "accept_unknown_tokens": {
        "TC_E_16": r"TC_E_16 step 2: idTokenInfo\.status expected 'Invalid' or 'Unknown', got 'Accepted'"},
    # TransactionEventResponse without idTokenInfo where the event carries an idToken
    "omit_id_token_info": {
        "TC_E_01": r"TC_E_01 step 6: idTokenInfo expected present, got absent",
        "TC_E_02": r"TC_E_02 step 6: idTokenInfo expected present, got absent",
        "TC_E_03": r"TC_E_03 Authorized step 4: idTokenInfo\.status expected 'Accepted', got absent",
        "TC_E_10": r"TC_E_10 step 4: idTokenInfo expected present, got absent",
        "TC_E_11": r"TC_E_11 step 6: idTokenInfo expected present, got absent",
        "TC_E_16": r"TC_E_16 step 2: idTokenInfo expected present, got absent"},
    # offline-queued events rejected
    "reject_offline_events": {
        "TC_E_29": rf"TC_E_29 step 6: {CALLERROR}",
        "TC_E_31": rf"TC_E_31 step 4: {CALLERROR}",
        "TC_E_33": rf"TC_E_33 step 6: {CALLERROR}"},
    "reject_late_events": {"TC_E_31": rf"TC_E_31 step 8: {CALLERROR}"},
    # Post "T charging": a transaction the CSMS asked to stop is no longer the one the Post names
    "remote_stop_when_charging": {
        case: rf"{case} Post: transaction {ID} expected still running, but the CSMS sent "
              rf"RequestStopTransactionRequest \{{\"transactionId\": \"{ID}\"\}}"
        for case in ("TC_C_48", "TC_E_02", "TC_E_04", "TC_F_01", "TC_K_60")},
    "never_remote_stop": {"TC_E_21": rf"TC_E_21 step 1: no RequestStopTransactionRequest with transactionId {UUID} "
                                     rf"from the CSMS within 3 s"},
    # GetTransactionStatus with a wrong, an absent, or an unasked-for transactionId: the step names
    # the transactionId it waited for and what the CSMS sent instead
    "wrong_transaction_status_id": {
        case: rf"{case} step {step}: transactionId expected {want}, got '{ID}' {IN_OTHER}"
        for case, step, want in (("TC_E_29", 3, UUID), ("TC_E_30", 1, UUID), ("TC_E_31", 5, UUID),
                                 ("TC_E_33", 3, "absent"), ("TC_E_34", 1, "absent"))},
    "omit_transaction_status_id": {
        case: rf"{case} step {step}: transactionId expected {UUID}, got (absent|'{ID}') {IN_OTHER}"
        for case, step in (("TC_E_29", 3), ("TC_E_30", 1), ("TC_E_31", 5))},
    # run alone, TC_E_53's T1 is the first transaction on the EVSE: only T2's Started is refused
    "seq_zero_duplicate": {"TC_E_53": rf"TC_E_53 \[T2\] Authorized step 4: {CALLERROR} OccurrenceConstraintViolation"},
    "require_id_token_at_start": {
        "TC_E_03": rf"TC_E_03 EVConnectedPreSession step 4: {CALLERROR}",
        "TC_E_09": rf"TC_E_09 step 4: {CALLERROR}",
        "TC_E_12": rf"TC_E_12 step 2: {CALLERROR}"},
    # TxStopPoint ParkingBayOccupancy / StopTxOnEVSideDisconnect false: the unplug does not end T
    "unplug_ends_transaction": {
        "TC_E_19": rf"TC_E_19 step 2: {CALLERROR}",
        "TC_E_26": rf"TC_E_26 step 6: {CALLERROR}"},
    "require_stop_token": {
        "TC_E_07": rf"TC_E_07 step 2: {CALLERROR}",
        "TC_E_15": rf"TC_E_15 step 2: {CALLERROR}"},
    "reject_signed_meter_values": {"TC_E_11": rf"TC_E_11 step 6: {CALLERROR}"},
    "concurrent_tx_own_token": {
        case: rf"{case}( \[T1\])? StopAuthorized step 3: idTokenInfo\.status expected 'Accepted', got 'ConcurrentTx'"
        for case in ("TC_E_08", "TC_E_14", "TC_E_19", "TC_E_53")},
    "cable_first_only": {
        "TC_E_04": rf"TC_E_04 EnergyTransferStarted step 4: {CALLERROR} PropertyConstraintViolation",
        "TC_E_38": rf"TC_E_38 EVConnectedPreSession step 4: {CALLERROR} PropertyConstraintViolation"},
    "no_end_while_suspended": {
        "TC_E_17": rf"TC_E_17 step 2: {CALLERROR} PropertyConstraintViolation",
        "TC_E_20": rf"TC_E_20 EVDisconnected step 4: {CALLERROR} PropertyConstraintViolation",
        "TC_E_22": rf"TC_E_22 step 2: {CALLERROR} PropertyConstraintViolation"},
    "no_end_before_charging": {
        "TC_E_16": rf"TC_E_16 step 4: {CALLERROR} PropertyConstraintViolation",
        "TC_E_39": rf"TC_E_39 step 2: {CALLERROR} PropertyConstraintViolation"},
    "end_only_by_stop_trigger": {
        "TC_E_08": rf"TC_E_08 step 2: {CALLERROR} PropertyConstraintViolation",
        "TC_E_22": rf"TC_E_22 step 2: {CALLERROR} PropertyConstraintViolation"},
    "no_available_during_transaction": {
        "TC_E_14": r"TC_E_14 EVDisconnected step 2: CSMS answered StatusNotificationRequest with CALLERROR "
                   r"PropertyConstraintViolation"},
}

CASES = 27
MODULES = ("reference_csms.handlers.transactions",)
