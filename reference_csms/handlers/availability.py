"""Availability, reservation and remote control (F, G, H): the CSMS sends what its operator asks;
the stations' notifications are stored in the message log. (Local lists and ClearCache: local_list.py,
authorization.py.)"""
from __future__ import annotations

from .common import acknowledge, forward

for _action in ("ChangeAvailability", "UnlockConnector", "ReserveNow", "CancelReservation", "CostUpdated"):
    forward(_action)

acknowledge("ReservationStatusUpdate")
