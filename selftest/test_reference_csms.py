"""The reference CSMS is a complete OCPP 2.0.1 endpoint: a handler for every CS→CSMS message, an
operator action for every CSMS→CS message, and its faults documented."""
from __future__ import annotations

from reference_csms import handlers  # noqa: F401
from reference_csms.registry import ACTIONS, FAULTS, MESSAGE_HANDLERS
from simulator.station.replies import DEFAULT_REPLIES

CS_TO_CSMS = {"Authorize", "BootNotification", "ClearedChargingLimit", "DataTransfer", "FirmwareStatusNotification",
              "Get15118EVCertificate", "GetCertificateStatus", "Heartbeat", "LogStatusNotification", "MeterValues",
              "NotifyChargingLimit", "NotifyCustomerInformation", "NotifyDisplayMessages", "NotifyEVChargingNeeds",
              "NotifyEVChargingSchedule", "NotifyEvent", "NotifyMonitoringReport", "NotifyReport",
              "PublishFirmwareStatusNotification", "ReportChargingProfiles", "ReservationStatusUpdate",
              "SecurityEventNotification", "SignCertificate", "StatusNotification", "TransactionEvent"}


def test_every_station_message_has_a_handler() -> None:
    assert not CS_TO_CSMS - set(MESSAGE_HANDLERS), sorted(CS_TO_CSMS - set(MESSAGE_HANDLERS))


def test_every_csms_request_can_be_asked_for() -> None:
    requests = set(DEFAULT_REPLIES) - {"DataTransfer", "CertificateSigned"}
    assert not requests - set(ACTIONS), sorted(requests - set(ACTIONS))


def test_faults_are_described() -> None:
    assert FAULTS and all(len(text) > 20 for text in FAULTS.values())
