"""Block P — Data Transfer (catalogue: P.md). Every CS→CSMS request of the block needs its CALLRESULT
within CSMS_ACTION_TIMEOUT (the block's common rule), not the suite's CSMS_RESPONSE_TIMEOUT."""
from __future__ import annotations

from simulator.verdicts.checks import OneOf, check
from simulator.station.states import booted
from simulator.station.states import transaction_still_running
from simulator.station.station import Station, now_iso


def custom_data(settings) -> dict:  # type: ignore[no-untyped-def]
    """The customData object C of the block summary."""
    return {"vendorId": settings.CONFIGURED_VENDOR_ID, "customText": "conformance", "customNumber": 42}


async def test_TC_P_02_data_transfer_unknown_vendor(cp: Station, settings) -> None:  # type: ignore[no-untyped-def]
    """Data Transfer to the CSMS - Rejected / Unknown VendorId / Unknown MessageId"""
    await booted(cp)
    response = await cp.send("DataTransfer", {"vendorId": settings.CONFIGURED_VENDOR_ID,
                                              "messageId": settings.CONFIGURED_MESSAGE_ID}, step=2,
                             timeout=settings.CSMS_ACTION_TIMEOUT)
    check(2, "status", response["status"], OneOf("UnknownVendorId", "UnknownMessageId", "Rejected"))
    await cp.still_connected()


async def test_TC_P_03_custom_data(cp: Station, settings) -> None:  # type: ignore[no-untyped-def]
    """CustomData - Receive custom data"""
    await booted(cp)
    e, c = settings.CONFIGURED_EVSE_ID, settings.CONFIGURED_CONNECTOR_ID
    data = custom_data(settings)
    await cp.send("StatusNotification", {"timestamp": now_iso(), "connectorStatus": "Occupied",
                                         "evseId": e, "connectorId": c, "customData": data}, step=2,
                  timeout=settings.CSMS_ACTION_TIMEOUT)
    cp.model.evses[e].ev_connected = True
    payload = cp.transaction_event_payload("Started", "CablePluggedIn", charging_state="EVConnected",
                                           transaction_info={"customData": data}, customData=data)
    await cp.send("TransactionEvent", payload, step=4, timeout=settings.CSMS_ACTION_TIMEOUT)
    await transaction_still_running(cp)
