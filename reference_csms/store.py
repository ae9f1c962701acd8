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

# ---- blocks L and M: firmware requests and their statuses, publications, certificates per station
SCHEMA += """
CREATE TABLE IF NOT EXISTS firmware_requests (
    request_id INTEGER PRIMARY KEY AUTOINCREMENT, station TEXT NOT NULL, kind TEXT NOT NULL,
    location TEXT, checksum TEXT, requested_at TEXT NOT NULL, answer TEXT, status TEXT, status_at TEXT,
    published TEXT, created REAL NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS station_certificates (
    station TEXT NOT NULL, certificate_type TEXT NOT NULL, fingerprint TEXT NOT NULL, pem TEXT NOT NULL,
    status TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (station, certificate_type, fingerprint));
CREATE TABLE IF NOT EXISTS reported_certificates (
    station TEXT NOT NULL, certificate_type TEXT NOT NULL, hash_data TEXT NOT NULL, children TEXT,
    reported_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ocsp_responses (
    issuer_name_hash TEXT NOT NULL, issuer_key_hash TEXT NOT NULL, serial TEXT NOT NULL, responder TEXT,
    response TEXT NOT NULL, fetched_at TEXT NOT NULL, PRIMARY KEY (issuer_name_hash, issuer_key_hash, serial));
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

    # ------------------------------------------------------------ firmware (L)
    def new_firmware_request(self, station: str, kind: str, location: str | None,
                             checksum: str | None = None) -> int:
        """A new UpdateFirmware / PublishFirmware / UnpublishFirmware request; its id is the requestId."""
        cur = self._x("INSERT INTO firmware_requests (station, kind, location, checksum, requested_at, created) "
                      "VALUES (?, ?, ?, ?, ?, ?)", (station, kind, location, checksum, utcnow(), time.time()))
        return int(cur.lastrowid)

    def firmware_request(self, station: str, request_id: int) -> sqlite3.Row | None:
        return self._one("SELECT * FROM firmware_requests WHERE station = ? AND request_id = ?", (station, request_id))

    def running_update(self, station: str) -> sqlite3.Row | None:
        """The update the station accepted and has not finished (L01.FR.24: a new one cancels it). A
        boot for another reason than FirmwareUpdate since it was ordered means the station lost it."""
        row = self._one("SELECT * FROM firmware_requests WHERE station = ? AND kind = 'UpdateFirmware' AND "
                        "answer IN ('Accepted', 'AcceptedCanceled') AND (status IS NULL OR status NOT IN "
                        "('Installed', 'DownloadFailed', 'InvalidSignature', 'InstallVerificationFailed', "
                        "'InstallationFailed', 'Canceled')) ORDER BY request_id DESC", (station,))
        if row is None:
            return None
        for boot in reversed(self.messages(station, "BootNotification")):
            if boot["direction"] == "in" and json.loads(boot["payload"]).get("reason") != "FirmwareUpdate":
                return row if boot["at"] < row["created"] else None
        return row

    def update_firmware_request(self, station: str, request_id: int, **fields: Any) -> None:
        sets = ", ".join(f"{k} = ?" for k in fields)
        self._x(f"UPDATE firmware_requests SET {sets} WHERE station = ? AND request_id = ?",
                (*fields.values(), station, request_id))

    # ------------------------------------------------------------ certificates (M)
    def set_certificate(self, station: str, certificate_type: str, fingerprint: str, pem: str, status: str) -> None:
        self._x("INSERT OR REPLACE INTO station_certificates VALUES (?, ?, ?, ?, ?, ?)",
                (station, certificate_type, fingerprint, pem, status, utcnow()))

    def certificates(self, station: str) -> list[sqlite3.Row]:
        with self.lock:
            return self.db.execute("SELECT * FROM station_certificates WHERE station = ? ORDER BY updated_at",
                                   (station,)).fetchall()

    def set_reported_certificates(self, station: str, entries: list[dict[str, Any]]) -> None:
        """What the station last reported in a GetInstalledCertificateIdsResponse (per type asked)."""
        types = {e["certificateType"] for e in entries}
        for t in types:
            self._x("DELETE FROM reported_certificates WHERE station = ? AND certificate_type = ?", (station, t))
        for e in entries:
            self._x("INSERT INTO reported_certificates VALUES (?, ?, ?, ?, ?)",
                    (station, e["certificateType"], json.dumps(e["certificateHashData"]),
                     json.dumps(e.get("childCertificateHashData") or []), utcnow()))

    def reported_certificates(self, station: str) -> list[dict[str, Any]]:
        with self.lock:
            rows = self.db.execute("SELECT * FROM reported_certificates WHERE station = ?", (station,)).fetchall()
        return [{"certificateType": r["certificate_type"], "certificateHashData": json.loads(r["hash_data"]),
                 "childCertificateHashData": json.loads(r["children"])} for r in rows]

    def remember_ocsp(self, data: dict[str, Any], response_b64: str) -> None:
        self._x("INSERT OR REPLACE INTO ocsp_responses VALUES (?, ?, ?, ?, ?, ?)",
                (data["issuerNameHash"].lower(), data["issuerKeyHash"].lower(), data["serialNumber"].lower(),
                 data.get("responderURL"), response_b64, utcnow()))

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
