"""SQLite storage of the reference CSMS: stations, id tokens, transactions, and every message.

The CSMS decides only from what is stored here and from OCPP's rules.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from datetime import datetime, timezone
from typing import Any

from .config import CsmsConfig

SCHEMA = """
CREATE TABLE IF NOT EXISTS stations (
    id TEXT PRIMARY KEY, password TEXT, security_profile INTEGER NOT NULL DEFAULT 1,
    boot_plan TEXT NOT NULL DEFAULT '[]', items_per_message INTEGER, accepted INTEGER NOT NULL DEFAULT 0,
    pending_profile INTEGER, data TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS tokens (
    id_token TEXT NOT NULL, type TEXT NOT NULL, status TEXT NOT NULL, group_id TEXT, expiry TEXT,
    PRIMARY KEY (id_token, type));
CREATE TABLE IF NOT EXISTS transactions (
    id TEXT NOT NULL, station TEXT NOT NULL, evse INTEGER, connector INTEGER, id_token TEXT,
    started_at TEXT, ended_at TEXT, seq_nos TEXT NOT NULL DEFAULT '[]', meter_start REAL, meter_last REAL,
    charging_state TEXT, stopped_reason TEXT, PRIMARY KEY (station, id));
CREATE TABLE IF NOT EXISTS messages (
    n INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, station TEXT NOT NULL, direction TEXT NOT NULL,
    action TEXT NOT NULL, payload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS variables (
    station TEXT NOT NULL, component TEXT NOT NULL, variable TEXT NOT NULL, value TEXT,
    PRIMARY KEY (station, component, variable));
"""

# ---- blocks F, G, H: remote starts, operational status per station/EVSE/connector, reservations
SCHEMA += """
CREATE TABLE IF NOT EXISTS remote_starts (
    station TEXT NOT NULL, id INTEGER NOT NULL, id_token TEXT NOT NULL, evse INTEGER, status TEXT,
    transaction_id TEXT, at TEXT NOT NULL, PRIMARY KEY (station, id));
CREATE TABLE IF NOT EXISTS availability (
    station TEXT NOT NULL, evse INTEGER NOT NULL, connector INTEGER NOT NULL, operational_status TEXT NOT NULL,
    state TEXT NOT NULL, PRIMARY KEY (station, evse, connector));
CREATE TABLE IF NOT EXISTS reservations (
    station TEXT NOT NULL, id INTEGER NOT NULL, evse INTEGER, connector_type TEXT, id_token TEXT NOT NULL,
    group_id_token TEXT, expiry TEXT NOT NULL, status TEXT NOT NULL, PRIMARY KEY (station, id));
"""


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


class Store:
    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.lock = threading.Lock()
        self.db.executescript(SCHEMA)

    def _x(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        with self.lock:
            return self.db.execute(sql, args)

    def _one(self, sql: str, args: tuple = ()) -> sqlite3.Row | None:
        with self.lock:
            return self.db.execute(sql, args).fetchone()

    # ------------------------------------------------------------ registry
    def load(self, config: CsmsConfig) -> None:
        for s in config.stations:
            self._x("INSERT OR REPLACE INTO stations (id, password, security_profile, boot_plan, items_per_message)"
                    " VALUES (?, ?, ?, ?, ?)", (s.id, s.password, s.security_profile, json.dumps(s.boot_plan),
                                                s.items_per_message_get_variables))
        for t in config.tokens:
            self._x("INSERT OR REPLACE INTO tokens VALUES (?, ?, ?, ?, ?)",
                    (t.id_token, t.type, t.status, t.group_id, t.expiry))

    def station(self, station_id: str) -> sqlite3.Row | None:
        return self._one("SELECT * FROM stations WHERE id = ?", (station_id,))

    def update_station(self, station_id: str, **fields: Any) -> None:
        if "boot_plan" in fields:
            fields["boot_plan"] = json.dumps(fields["boot_plan"])
        sets = ", ".join(f"{k} = ?" for k in fields)
        self._x(f"UPDATE stations SET {sets} WHERE id = ?", (*fields.values(), station_id))

    def station_data(self, station_id: str) -> dict[str, Any]:
        row = self.station(station_id)
        return json.loads(row["data"]) if row else {}

    def set_station_data(self, station_id: str, **values: Any) -> None:
        data = self.station_data(station_id)
        data.update(values)
        self._x("UPDATE stations SET data = ? WHERE id = ?", (json.dumps(data), station_id))

    def next_boot_status(self, station_id: str) -> str:
        """The planned answer for this boot (consumed), else Accepted."""
        row = self.station(station_id)
        plan = json.loads(row["boot_plan"]) if row else []
        status = plan.pop(0) if plan else "Accepted"
        self.update_station(station_id, boot_plan=plan, accepted=1 if status == "Accepted" else 0)
        return status

    # ------------------------------------------------------------ id tokens
    def token(self, id_token: str, token_type: str) -> sqlite3.Row | None:
        return self._one("SELECT * FROM tokens WHERE id_token = ? AND type = ?", (id_token, token_type))

    def token_info(self, id_token: dict[str, Any]) -> dict[str, Any]:
        """idTokenInfo for a token from what is stored: Unknown when not stored, Expired past expiry."""
        if id_token.get("type") == "NoAuthorization":
            return {"status": "Accepted"}
        row = self.token(id_token["idToken"], id_token["type"])
        if row is None:
            return {"status": "Unknown"}
        status = row["status"]
        if status == "Accepted" and row["expiry"] and row["expiry"] < utcnow():
            status = "Expired"
        info: dict[str, Any] = {"status": status}
        if row["expiry"]:
            info["cacheExpiryDateTime"] = row["expiry"]
        if row["group_id"]:
            info["groupIdToken"] = {"idToken": row["group_id"], "type": "Central"}
        return info

    # ------------------------------------------------------------ transactions
    def transaction(self, station: str, tx_id: str) -> sqlite3.Row | None:
        return self._one("SELECT * FROM transactions WHERE station = ? AND id = ?", (station, tx_id))

    def record_event(self, station: str, event: dict[str, Any]) -> sqlite3.Row:
        """Store one TransactionEvent (also late or repeated ones) and return the transaction."""
        info = event["transactionInfo"]
        tx_id = info["transactionId"]
        row = self.transaction(station, tx_id)
        if row is None:
            self._x("INSERT INTO transactions (id, station, started_at) VALUES (?, ?, ?)",
                    (tx_id, station, event["timestamp"]))
            row = self.transaction(station, tx_id)
        seqs = json.loads(row["seq_nos"])
        seqs.append(event["seqNo"])
        fields: dict[str, Any] = {"seq_nos": json.dumps(sorted(seqs))}
        if "evse" in event:
            fields["evse"] = event["evse"]["id"]
            fields["connector"] = event["evse"].get("connectorId")
        if "idToken" in event:
            fields["id_token"] = json.dumps(event["idToken"])
        if "chargingState" in info:
            fields["charging_state"] = info["chargingState"]
        energy = energy_wh(event.get("meterValue", []))
        if energy is not None:
            if row["meter_start"] is None:
                fields["meter_start"] = energy
            fields["meter_last"] = max(energy, row["meter_last"] or energy)
        if event["eventType"] == "Ended":
            fields["ended_at"] = event["timestamp"]
            fields["stopped_reason"] = info.get("stoppedReason", "Local")
        sets = ", ".join(f"{k} = ?" for k in fields)
        self._x(f"UPDATE transactions SET {sets} WHERE station = ? AND id = ?", (*fields.values(), station, tx_id))
        return self.transaction(station, tx_id)

    def ongoing_transaction(self, station: str, evse: int | None = None) -> sqlite3.Row | None:
        if evse is None:
            return self._one("SELECT * FROM transactions WHERE station = ? AND ended_at IS NULL "
                             "ORDER BY started_at DESC", (station,))
        return self._one("SELECT * FROM transactions WHERE station = ? AND evse = ? AND ended_at IS NULL "
                         "ORDER BY started_at DESC", (station, evse))

    def ongoing_transactions(self, station: str) -> list[sqlite3.Row]:
        with self.lock:
            return self.db.execute("SELECT * FROM transactions WHERE station = ? AND ended_at IS NULL",
                                   (station,)).fetchall()

    # ------------------------------------------------------------ device model learned from reports
    def set_variable(self, station: str, component: str, variable: str, value: str | None) -> None:
        self._x("INSERT OR REPLACE INTO variables VALUES (?, ?, ?, ?)", (station, component, variable, value))

    def variable(self, station: str, component: str, variable: str) -> str | None:
        row = self._one("SELECT value FROM variables WHERE station = ? AND component = ? AND variable = ?",
                        (station, component, variable))
        return row["value"] if row else None

    # ------------------------------------------------------------ remote starts (F01/F02)
    def add_remote_start(self, station: str, remote_start_id: int, id_token: dict[str, Any],
                         evse: int | None) -> None:
        self._x("INSERT OR REPLACE INTO remote_starts (station, id, id_token, evse, at) VALUES (?, ?, ?, ?, ?)",
                (station, remote_start_id, json.dumps(id_token), evse, utcnow()))

    def update_remote_start(self, station: str, remote_start_id: int, **fields: Any) -> None:
        sets = ", ".join(f"{k} = ?" for k in fields)
        self._x(f"UPDATE remote_starts SET {sets} WHERE station = ? AND id = ?",
                (*fields.values(), station, remote_start_id))

    def remote_start(self, station: str, remote_start_id: int) -> sqlite3.Row | None:
        return self._one("SELECT * FROM remote_starts WHERE station = ? AND id = ?", (station, remote_start_id))

    def max_remote_start_id(self, station: str) -> int:
        row = self._one("SELECT MAX(id) AS n FROM remote_starts WHERE station = ?", (station,))
        return row["n"] or 0

    # ------------------------------------------------------------ operational status (G03/G04)
    def set_availability(self, station: str, evse: int, connector: int, operational_status: str,
                         state: str) -> None:
        """The status the CSMS set for a target (evse 0: the station; connector 0: the whole EVSE);
        state Applied, or Scheduled until the station reports the change. A change of the station
        or an EVSE is a change of everything inside it, so what was set below it is replaced."""
        if evse == 0:
            self._x("DELETE FROM availability WHERE station = ?", (station,))
        elif connector == 0:
            self._x("DELETE FROM availability WHERE station = ? AND evse = ?", (station, evse))
        self._x("INSERT OR REPLACE INTO availability VALUES (?, ?, ?, ?, ?)",
                (station, evse, connector, operational_status, state))

    def connectors(self, station: str) -> dict[tuple[int, int], str]:
        """(evse, connector) -> the last status the station reported (StatusNotification)."""
        with self.lock:
            rows = self.db.execute("SELECT component, value FROM variables WHERE station = ? AND "
                                   "component LIKE 'Connector/%' AND variable = 'AvailabilityState'",
                                   (station,)).fetchall()
        found = {}
        for row in rows:
            _, evse, connector = row["component"].split("/")
            found[(int(evse), int(connector))] = row["value"]
        return found

    def availability(self, station: str) -> list[sqlite3.Row]:
        with self.lock:
            return self.db.execute("SELECT * FROM availability WHERE station = ?", (station,)).fetchall()

    # ------------------------------------------------------------ reservations (H01-H04)
    def add_reservation(self, station: str, reservation_id: int, evse: int | None, connector_type: str | None,
                        id_token: dict[str, Any], group_id_token: dict[str, Any] | None, expiry: str) -> None:
        self._x("INSERT OR REPLACE INTO reservations VALUES (?, ?, ?, ?, ?, ?, ?, 'Requested')",
                (station, reservation_id, evse, connector_type, json.dumps(id_token),
                 json.dumps(group_id_token) if group_id_token else None, expiry))

    def set_reservation_status(self, station: str, reservation_id: int, status: str) -> None:
        self._x("UPDATE reservations SET status = ? WHERE station = ? AND id = ?", (status, station, reservation_id))

    def reservation(self, station: str, reservation_id: int) -> sqlite3.Row | None:
        return self._one("SELECT * FROM reservations WHERE station = ? AND id = ?", (station, reservation_id))

    def reservations(self, station: str, status: str | None = None) -> list[sqlite3.Row]:
        with self.lock:
            if status:
                return self.db.execute("SELECT * FROM reservations WHERE station = ? AND status = ? ORDER BY id",
                                       (station, status)).fetchall()
            return self.db.execute("SELECT * FROM reservations WHERE station = ? ORDER BY id",
                                   (station,)).fetchall()

    def max_reservation_id(self, station: str) -> int:
        row = self._one("SELECT MAX(id) AS n FROM reservations WHERE station = ?", (station,))
        return row["n"] or 0

    # ------------------------------------------------------------ message log
    def log(self, station: str, direction: str, action: str, payload: Any) -> None:
        self._x("INSERT INTO messages (at, station, direction, action, payload) VALUES (?, ?, ?, ?, ?)",
                (time.time(), station, direction, action, json.dumps(payload)))

    def messages(self, station: str, action: str | None = None) -> list[sqlite3.Row]:
        with self.lock:
            if action:
                return self.db.execute("SELECT * FROM messages WHERE station = ? AND action = ? ORDER BY n",
                                       (station, action)).fetchall()
            return self.db.execute("SELECT * FROM messages WHERE station = ? ORDER BY n", (station,)).fetchall()


def energy_wh(meter_values: list[dict[str, Any]]) -> float | None:
    """The last Energy.Active.Import.Register reading, in Wh (kWh readings converted)."""
    found = None
    for mv in meter_values:
        for sv in mv.get("sampledValue", []):
            if sv.get("measurand", "Energy.Active.Import.Register") != "Energy.Active.Import.Register":
                continue
            value = float(sv["value"])
            unit = (sv.get("unitOfMeasure") or {}).get("unit", "Wh")
            multiplier = (sv.get("unitOfMeasure") or {}).get("multiplier", 0)
            if unit == "kWh":
                value *= 1000
            found = value * (10 ** multiplier)
    return found
