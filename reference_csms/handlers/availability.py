"""Availability, reservation, local lists and remote control (D, F, G, H): the CSMS sends what its
operator asks; the stations' notifications are stored in the message log."""
from __future__ import annotations

from .common import acknowledge, forward

for _action in ("ChangeAvailability", "UnlockConnector", "ReserveNow", "CancelReservation", "ClearCache",
                "SendLocalList", "GetLocalListVersion", "CostUpdated"):
    forward(_action)

acknowledge("ReservationStatusUpdate")
