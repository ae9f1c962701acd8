"""What the CSMS knows of a station's EVSEs and connectors: which exist and which are out of
service. Availability (G) records it; reservations (H) and remote starts (F) ask it too, so
it sits below all three."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..central import CentralSystem


def known_target(csms: "CentralSystem", station_id: str, evse: int | None, connector: int | None) -> bool:
    """Whether the station reported a connector inside the target (the whole station always is)."""
    if evse is None:
        return True
    return any(e == evse and connector in (None, c) for e, c in csms.store.connectors(station_id))


def inoperative(csms: "CentralSystem", station_id: str, evse: int, connector: int | None = None) -> bool:
    """Whether the EVSE (or connector) is out of service because the CSMS made it, its EVSE or the
    station Inoperative: such a change covers it and the station reports all its connectors
    Unavailable (a Scheduled change counts once reported; a station that reports them Available
    again, e.g. after a restart, is believed)."""
    reported = [s for (e, c), s in csms.store.connector_statuses(station_id).items() if e == evse and connector in (None, c)]
    if not reported or any(s != "Unavailable" for s in reported):
        return False
    return any(row["operational_status"] == "Inoperative" and row["evse"] in (0, evse)
               and (row["connector"] == 0 or connector in (None, row["connector"]))
               for row in csms.store.availability(station_id))
