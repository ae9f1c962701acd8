"""What the simulated station is: EVSEs, connectors, transactions and the energy register."""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

CHARGING_POWER_W = 11000.0


@dataclass
class Transaction:
    id: str
    evse: int
    connector: int
    seq_no: int = -1
    ev_connected: bool = False
    charging_state: str | None = None
    id_token: dict[str, Any] | None = None
    ended: bool = False
    readings: list[float] = field(default_factory=list)  # register values (Wh) reported for T, in order

    def energy_wh(self) -> float:
        """Energy of T as the station reported it: latest reading − the first (Transaction.Begin)."""
        return self.readings[-1] - self.readings[0] if self.readings else 0.0

    def next_seq(self) -> int:
        self.seq_no += 1
        return self.seq_no


@dataclass
class Reservation:
    """A reservation the CSMS made (ReserveNowRequest): kept until used, expired, cancelled or removed."""
    id: int
    expiry: str
    id_token: dict[str, Any]
    evse: int | None = None
    connector_type: str | None = None
    group_id_token: dict[str, Any] | None = None


@dataclass
class Evse:
    id: int
    connectors: dict[int, str]
    energy_wh: float = 0.0
    charging_since: float | None = None
    transaction: Transaction | None = None
    ev_connected: bool = False
    operative: bool = True  # ChangeAvailability of the EVSE (G03)
    inoperative_connectors: set[int] = field(default_factory=set)  # ChangeAvailability of one connector

    def register(self) -> float:
        """Energy.Active.Import.Register in Wh; it grows while charging."""
        if self.charging_since is not None:
            now = time.monotonic()
            self.energy_wh += (now - self.charging_since) * CHARGING_POWER_W / 3600.0
            self.charging_since = now
        return round(self.energy_wh, 1)

    def set_register(self, wh: float) -> None:
        """The meter reads ``wh`` now (a case that fixes its readings); it keeps growing while charging."""
        self.register()
        self.energy_wh = float(wh)

    def set_charging(self, charging: bool) -> None:
        self.register()
        self.charging_since = time.monotonic() if charging else None


@dataclass
class InstalledProfile:
    """A charging profile the station holds (block K): on which EVSE (0 = the whole station),
    the profile as received (or as the case's memory state defines it), and its source."""
    evse: int
    profile: dict[str, Any]
    source: str = "CSO"


@dataclass
class Firmware:
    """Firmware state (L01, L03/L04): the update being executed and, as a Local Controller, the
    files it publishes (checksum -> published URI)."""
    request_id: int | None = None  # requestId of the UpdateFirmwareRequest being executed
    status: str = "Idle"
    published: dict[str, str] = field(default_factory=dict)

    @property
    def running(self) -> bool:
        return self.request_id is not None


@dataclass
class StationModel:
    evses: dict[int, Evse] = field(default_factory=dict)
    ended: list[Transaction] = field(default_factory=list)
    profiles: list[InstalledProfile] = field(default_factory=list)
    # blocks N and O: what the station holds for monitoring, log uploads and display
    monitors: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> component, variable, type, ...
    monitoring_base: str = "FactoryDefault"
    monitoring_level: int = 9
    log_upload: int | None = None  # requestId of the log upload in progress
    display_messages: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> MessageInfo as stored
    firmware: Firmware = field(default_factory=Firmware)
    operative: bool = True  # ChangeAvailability of the whole station (G04)
    reservations: dict[int, Reservation] = field(default_factory=dict)

    @classmethod
    def build(cls, number_of_evses: int, configured_evse: int, configured_connector: int) -> "StationModel":
        """EVSEs 1..n with connector 1; the configured EVSE has connectors 1..configured_connector."""
        evses = {}
        for e in range(1, max(number_of_evses, configured_evse) + 1):
            count = configured_connector if e == configured_evse else 1
            evses[e] = Evse(e, {c: "Available" for c in range(1, count + 1)})
        return cls(evses)

    def main_register(self) -> float:
        """The station's main meter (evseId 0): the sum of the EVSE registers, in Wh."""
        return round(sum(e.register() for e in self.evses.values()), 1)

    def connectors(self) -> list[tuple[int, int]]:
        return [(e.id, c) for e in self.evses.values() for c in e.connectors]

    def open_transaction(self, evse: int, connector: int) -> Transaction:
        tx = Transaction(str(uuid.uuid4()), evse, connector)
        self.evses[evse].transaction = tx
        return tx

    def transaction(self, evse: int) -> Transaction | None:
        return self.evses[evse].transaction

    def end_transaction(self, tx: Transaction) -> None:
        tx.ended = True
        evse = self.evses[tx.evse]
        evse.set_charging(False)
        if evse.transaction is tx:
            evse.transaction = None
        self.ended.append(tx)

    def find_transaction(self, transaction_id: str) -> Transaction | None:
        for evse in self.evses.values():
            if evse.transaction and evse.transaction.id == transaction_id:
                return evse.transaction
        return next((t for t in self.ended if t.id == transaction_id), None)

    # ---------------------------------------------------------------- availability (G03, G04)
    def connector_operative(self, evse: int, connector: int) -> bool:
        """Operative unless the station, the EVSE or the connector itself was made Inoperative."""
        e = self.evses[evse]
        return self.operative and e.operative and connector not in e.inoperative_connectors

    def set_operative(self, operative: bool, evse: int | None = None, connector: int | None = None) -> None:
        """Apply a ChangeAvailability to its target (station, EVSE or connector)."""
        if evse is None:
            self.operative = operative
        elif connector is None:
            self.evses[evse].operative = operative
        elif operative:
            self.evses[evse].inoperative_connectors.discard(connector)
        else:
            self.evses[evse].inoperative_connectors.add(connector)

    def targets(self, evse: int | None = None, connector: int | None = None) -> list[tuple[int, int]]:
        """The connectors of a target: the whole station, one EVSE or one connector."""
        return [(e, c) for e, c in self.connectors()
                if (evse is None or e == evse) and (connector is None or c == connector)]

    # ---------------------------------------------------------------- reservations (H01-H04)
    def reserve(self, reservation: Reservation) -> None:
        """A reservation with the id of an existing one replaces it (H01.FR.02)."""
        self.reservations[reservation.id] = reservation

    def reservation_for(self, evse: int) -> Reservation | None:
        return next((r for r in self.reservations.values() if r.evse == evse), None)

    def drop_reservation(self, reservation_id: int) -> Reservation | None:
        return self.reservations.pop(reservation_id, None)


# ---------------------------------------------------------------- authorization (blocks C, D)
def token_key(id_token: dict[str, Any]) -> tuple[str, str]:
    return id_token["idToken"], id_token["type"]


@dataclass
class LocalList:
    """The station's Local Authorization List (D01/D02): entries by (idToken, type) and the version.
    ``version_before`` is the version held when the last SendLocalListRequest arrived."""
    version: int = 0
    entries: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    version_before: int | None = None

    def apply(self, request: dict[str, Any]) -> str:
        """Full replaces the list, Differential adds/replaces entries with idTokenInfo and removes
        those without; the request's versionNumber becomes the version. Returns the status."""
        self.version_before = self.version
        if request["updateType"] == "Full":
            self.entries = {}
        for entry in request.get("localAuthorizationList") or []:
            key = token_key(entry["idToken"])
            if "idTokenInfo" in entry:
                self.entries[key] = entry["idTokenInfo"]
            else:
                self.entries.pop(key, None)
        self.version = request["versionNumber"]
        return "Accepted"

    def hold(self, entries: dict[tuple[str, str], dict[str, Any]], version: int) -> None:
        """A memory state: the list the station already holds (no CSMS involved)."""
        self.entries, self.version = dict(entries), version


@dataclass
class AuthorizationCache:
    """The station's Authorization Cache (C10-C12): idTokenInfo by (idToken, type)."""
    entries: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def remember(self, id_token: dict[str, Any], info: dict[str, Any]) -> None:
        self.entries[token_key(id_token)] = info

    def clear(self) -> str:
        self.entries.clear()
        return "Accepted"
