"""SQLite storage of the reference CSMS: stations, id tokens, transactions, and every message.

The CSMS decides only from what is stored here and from OCPP's rules.
"""
from __future__ import annotations

import json
import math
import sqlite3
import threading
import time
from datetime import datetime, timezone
from decimal import Decimal
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
-- blocks I and J: every sampled value received (per transaction and event, or per EVSE outside a
-- transaction), signed data included; tariffs per station and token; the running cost last sent
CREATE TABLE IF NOT EXISTS meter_values (
    n INTEGER PRIMARY KEY AUTOINCREMENT, station TEXT NOT NULL, transaction_id TEXT, seq_no INTEGER,
    replayed INTEGER NOT NULL DEFAULT 0, offline INTEGER NOT NULL DEFAULT 0, evse INTEGER,
    timestamp TEXT NOT NULL, context TEXT NOT NULL, measurand TEXT NOT NULL, phase TEXT, location TEXT,
    value REAL NOT NULL, unit TEXT, multiplier INTEGER NOT NULL DEFAULT 0, energy_wh REAL,
    signed_meter_data TEXT, signing_method TEXT, encoding_method TEXT, public_key TEXT);
CREATE TABLE IF NOT EXISTS tariffs (
    station TEXT NOT NULL, id_token TEXT NOT NULL, type TEXT NOT NULL, price_per_kwh REAL NOT NULL,
    PRIMARY KEY (station, id_token, type));
CREATE TABLE IF NOT EXISTS running_costs (
    station TEXT NOT NULL, transaction_id TEXT NOT NULL, total_cost REAL NOT NULL,
    PRIMARY KEY (station, transaction_id));
-- block K (smart charging): the profiles the CSMS set (stored when the station accepted them)
-- or learned from ReportChargingProfiles, and the EV charging needs of ISO 15118 transactions
CREATE TABLE IF NOT EXISTS charging_profiles (
    station TEXT NOT NULL, id INTEGER NOT NULL, evse INTEGER NOT NULL, purpose TEXT NOT NULL, kind TEXT NOT NULL,
    stack_level INTEGER NOT NULL, transaction_id TEXT, source TEXT NOT NULL DEFAULT 'CSO', profile TEXT NOT NULL,
    set_at REAL NOT NULL, PRIMARY KEY (station, id));
CREATE TABLE IF NOT EXISTS ev_charging_needs (
    station TEXT NOT NULL, evse INTEGER NOT NULL, transaction_id TEXT NOT NULL, needs TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 1, at REAL NOT NULL, PRIMARY KEY (station, evse, transaction_id));
-- blocks N and O: log requests and their status notifications, variable monitors, customer
-- information requests and the parts reported for them, display messages
CREATE TABLE IF NOT EXISTS log_requests (
    station TEXT NOT NULL, request_id INTEGER NOT NULL, log_type TEXT NOT NULL, remote_location TEXT NOT NULL,
    status TEXT, filename TEXT, upload_status TEXT, PRIMARY KEY (station, request_id));
CREATE TABLE IF NOT EXISTS monitors (
    station TEXT NOT NULL, id INTEGER NOT NULL, component TEXT NOT NULL, variable TEXT NOT NULL,
    type TEXT NOT NULL, value REAL NOT NULL, severity INTEGER NOT NULL, tx INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (station, id));
CREATE TABLE IF NOT EXISTS customer_requests (
    station TEXT NOT NULL, request_id INTEGER NOT NULL, customer TEXT NOT NULL, report INTEGER NOT NULL,
    clear INTEGER NOT NULL, status TEXT, data TEXT NOT NULL DEFAULT '[]', complete INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (station, request_id));
CREATE TABLE IF NOT EXISTS display_messages (
    station TEXT NOT NULL, id INTEGER NOT NULL, priority TEXT NOT NULL, state TEXT, transaction_id TEXT,
    message TEXT NOT NULL, PRIMARY KEY (station, id));
-- blocks C/D: the Local Authorization List the CSMS installed per station (entries: the idTokens,
-- or null when only the version is known) and its version
CREATE TABLE IF NOT EXISTS local_lists (
    station TEXT PRIMARY KEY, version INTEGER NOT NULL, entries TEXT);
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
        for tariff in config.tariffs:
            price = config.tariff_price_per_kwh if tariff.price_per_kwh is None else tariff.price_per_kwh
            self._x("INSERT OR REPLACE INTO tariffs VALUES (?, ?, ?, ?)",
                    (tariff.station, tariff.id_token, tariff.type, price))

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

    def ended_transactions(self, station: str, limit: int = 20) -> list[str]:
        """Ids of the station's latest ended transactions."""
        with self.lock:
            rows = self.db.execute("SELECT id FROM transactions WHERE station = ? AND ended_at IS NOT NULL "
                                   "ORDER BY ended_at DESC LIMIT ?", (station, limit)).fetchall()
        return [r["id"] for r in rows]

    # ------------------------------------------------------------ device model learned from reports
    def set_variable(self, station: str, component: str, variable: str, value: str | None) -> None:
        self._x("INSERT OR REPLACE INTO variables VALUES (?, ?, ?, ?)", (station, component, variable, value))

    def variable(self, station: str, component: str, variable: str) -> str | None:
        row = self._one("SELECT value FROM variables WHERE station = ? AND component = ? AND variable = ?",
                        (station, component, variable))
        return row["value"] if row else None

    # ------------------------------------------------------------ meter values, tariffs, costs (I, J)
    def add_meter_values(self, station: str, meter_values: list[dict[str, Any]], *, evse: int | None,
                         transaction_id: str | None = None, seq_no: int | None = None,
                         offline: bool = False) -> bool:
        """Store every sampled value; returns False when the transaction event (same seqNo) was
        stored before: its values are kept as replayed and count no further."""
        replayed = transaction_id is not None and seq_no is not None and self._one(
            "SELECT 1 FROM meter_values WHERE station = ? AND transaction_id = ? AND seq_no = ? AND replayed = 0",
            (station, transaction_id, seq_no)) is not None
        for mv in meter_values:
            for sv in mv.get("sampledValue", []):
                unit = (sv.get("unitOfMeasure") or {}).get("unit", "Wh")
                multiplier = (sv.get("unitOfMeasure") or {}).get("multiplier", 0)
                measurand = sv.get("measurand", "Energy.Active.Import.Register")
                energy = energy_wh([{"sampledValue": [sv]}]) if measurand == "Energy.Active.Import.Register" \
                    and "phase" not in sv else None
                signed = sv.get("signedMeterValue") or {}
                self._x("INSERT INTO meter_values (station, transaction_id, seq_no, replayed, offline, evse, timestamp,"
                        " context, measurand, phase, location, value, unit, multiplier, energy_wh, signed_meter_data,"
                        " signing_method, encoding_method, public_key)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (station, transaction_id, seq_no, int(replayed), int(offline), evse, mv["timestamp"],
                         sv.get("context", "Sample.Periodic"), measurand, sv.get("phase"), sv.get("location"),
                         float(sv["value"]), unit, multiplier, energy, signed.get("signedMeterData"),
                         signed.get("signingMethod"), signed.get("encodingMethod"), signed.get("publicKey")))
        return not replayed

    def meter_values(self, station: str, transaction_id: str | None = None) -> list[sqlite3.Row]:
        """Sampled values of a transaction (all of the station when None), in the order received."""
        with self.lock:
            if transaction_id is None:
                return self.db.execute("SELECT * FROM meter_values WHERE station = ? ORDER BY n", (station,)).fetchall()
            return self.db.execute("SELECT * FROM meter_values WHERE station = ? AND transaction_id = ? ORDER BY n",
                                   (station, transaction_id)).fetchall()

    def tariff(self, station: str, id_token: dict[str, Any]) -> float | None:
        """Price per kWh of the tariff for this token's transactions at the station (None: no tariff)."""
        row = self._one("SELECT price_per_kwh FROM tariffs WHERE station = ? AND id_token = ? AND type = ?",
                        (station, id_token.get("idToken"), id_token.get("type")))
        return row["price_per_kwh"] if row else None

    def running_cost(self, station: str, transaction_id: str) -> float | None:
        row = self._one("SELECT total_cost FROM running_costs WHERE station = ? AND transaction_id = ?",
                        (station, transaction_id))
        return row["total_cost"] if row else None

    def set_running_cost(self, station: str, transaction_id: str, total_cost: float) -> None:
        self._x("INSERT OR REPLACE INTO running_costs VALUES (?, ?, ?)", (station, transaction_id, total_cost))
    # ------------------------------------------------------------ charging profiles (block K)
    def save_profile(self, station: str, evse: int, profile: dict[str, Any], source: str = "CSO",
                     *, reported: bool = False) -> None:
        """Keep a profile the station accepted (a known id is replaced, K01.FR.05). ``reported``: the
        station reports it holds it (ReportChargingProfiles); a profile the CSMS set keeps the moment
        it was set, so "the profile set last" stays the one the CSMS sent last."""
        set_at = time.time()
        if reported:
            row = self._one("SELECT set_at FROM charging_profiles WHERE station = ? AND id = ?", (station, profile["id"]))
            set_at = row["set_at"] if row else set_at
        self._x("INSERT OR REPLACE INTO charging_profiles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (station, profile["id"], evse, profile["chargingProfilePurpose"], profile["chargingProfileKind"],
                 profile["stackLevel"], profile.get("transactionId"), source, json.dumps(profile), set_at))

    def profiles(self, station: str, **where: Any) -> list[sqlite3.Row]:
        """Stored profiles of the station, filtered by column values (None values ignored)."""
        where = {k: v for k, v in where.items() if v is not None}
        sql = "SELECT * FROM charging_profiles WHERE station = ?" + "".join(f" AND {k} = ?" for k in where)
        with self.lock:
            return self.db.execute(sql + " ORDER BY set_at, id", (station, *where.values())).fetchall()

    def delete_profiles(self, station: str, **where: Any) -> int:
        where = {k: v for k, v in where.items() if v is not None}
        sql = "DELETE FROM charging_profiles WHERE station = ? AND source = 'CSO'" + "".join(
            f" AND {k} = ?" for k in where)
        return self._x(sql, (station, *where.values())).rowcount

    def next_profile_id(self, station: str) -> int:
        row = self._one("SELECT MAX(id) AS top FROM charging_profiles WHERE station = ? AND source = 'CSO'", (station,))
        return (row["top"] or 0) + 1

    def save_needs(self, station: str, evse: int, transaction_id: str, needs: dict[str, Any]) -> int:
        """Keep the EV's latest charging needs; returns how many the transaction has sent."""
        row = self._one("SELECT count FROM ev_charging_needs WHERE station = ? AND evse = ? AND transaction_id = ?",
                        (station, evse, transaction_id))
        count = (row["count"] if row else 0) + 1
        self._x("INSERT OR REPLACE INTO ev_charging_needs VALUES (?, ?, ?, ?, ?, ?)",
                (station, evse, transaction_id, json.dumps(needs), count, time.time()))
        return count
    def connectors(self, station: str) -> list[tuple[int, int]]:
        """(evse, connector) pairs the station has reported a status for."""
        with self.lock:
            rows = self.db.execute("SELECT component FROM variables WHERE station = ? AND variable = ? "
                                   "AND component LIKE 'Connector/%/%' ORDER BY component",
                                   (station, "AvailabilityState")).fetchall()
        pairs = [tuple(r["component"].split("/")[1:3]) for r in rows]
        return [(int(e), int(c)) for e, c in pairs if e.isdigit() and c.isdigit()]
    # ------------------------------------------------------------ blocks N and O
    def rows(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        with self.lock:
            return self.db.execute(sql, args).fetchall()

    def add_log_request(self, station: str, request_id: int, log_type: str, location: str) -> None:
        self._x("INSERT OR REPLACE INTO log_requests (station, request_id, log_type, remote_location) "
                "VALUES (?, ?, ?, ?)", (station, request_id, log_type, location))

    def update_log_request(self, station: str, request_id: int, **fields: Any) -> None:
        sets = ", ".join(f"{k} = ?" for k in fields)
        self._x(f"UPDATE log_requests SET {sets} WHERE station = ? AND request_id = ?",
                (*fields.values(), station, request_id))

    def log_request(self, station: str, request_id: int) -> sqlite3.Row | None:
        return self._one("SELECT * FROM log_requests WHERE station = ? AND request_id = ?", (station, request_id))

    def save_monitor(self, station: str, monitor_id: int, component: dict[str, Any], variable: dict[str, Any],
                     kind: str, value: float, severity: int, transaction: bool = False) -> None:
        self._x("INSERT OR REPLACE INTO monitors VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (station, monitor_id, json.dumps(component, sort_keys=True), json.dumps(variable, sort_keys=True),
                 kind, value, severity, int(transaction)))

    def remove_monitor(self, station: str, monitor_id: int) -> None:
        self._x("DELETE FROM monitors WHERE station = ? AND id = ?", (station, monitor_id))

    def monitors(self, station: str) -> list[sqlite3.Row]:
        return self.rows("SELECT * FROM monitors WHERE station = ? ORDER BY id", (station,))

    def add_customer_request(self, station: str, request_id: int, customer: dict[str, Any], report: bool,
                             clear: bool) -> None:
        self._x("INSERT OR REPLACE INTO customer_requests (station, request_id, customer, report, clear) "
                "VALUES (?, ?, ?, ?, ?)", (station, request_id, json.dumps(customer), int(report), int(clear)))

    def customer_request(self, station: str, request_id: int) -> sqlite3.Row | None:
        return self._one("SELECT * FROM customer_requests WHERE station = ? AND request_id = ?",
                         (station, request_id))

    def update_customer_request(self, station: str, request_id: int, **fields: Any) -> None:
        sets = ", ".join(f"{k} = ?" for k in fields)
        self._x(f"UPDATE customer_requests SET {sets} WHERE station = ? AND request_id = ?",
                (*fields.values(), station, request_id))

    def save_display_message(self, station: str, info: dict[str, Any]) -> None:
        self._x("INSERT OR REPLACE INTO display_messages VALUES (?, ?, ?, ?, ?, ?)",
                (station, info["id"], info["priority"], info.get("state"), info.get("transactionId"),
                 json.dumps(info)))

    def display_message(self, station: str, message_id: int) -> dict[str, Any] | None:
        row = self._one("SELECT message FROM display_messages WHERE station = ? AND id = ?", (station, message_id))
        return json.loads(row["message"]) if row else None

    def display_messages(self, station: str) -> list[dict[str, Any]]:
        return [json.loads(r["message"]) for r in
                self.rows("SELECT message FROM display_messages WHERE station = ? ORDER BY id", (station,))]

    def remove_display_messages(self, station: str, ids: list[int] | None = None) -> None:
        if ids is None:
            self._x("DELETE FROM display_messages WHERE station = ?", (station,))
        for message_id in ids or []:
            self._x("DELETE FROM display_messages WHERE station = ? AND id = ?", (station, message_id))
    # ------------------------------------------------------------ local authorization lists (D)
    def local_list(self, station: str) -> tuple[int, list[dict[str, Any]] | None] | None:
        """(version, idTokens) of the list installed at the station; idTokens None when only the
        version is known; None when the CSMS knows nothing about the station's list."""
        row = self._one("SELECT version, entries FROM local_lists WHERE station = ?", (station,))
        if row is None:
            return None
        return row["version"], json.loads(row["entries"]) if row["entries"] is not None else None

    def set_local_list(self, station: str, version: int, id_tokens: list[dict[str, Any]] | None) -> None:
        self._x("INSERT OR REPLACE INTO local_lists VALUES (?, ?, ?)",
                (station, version, json.dumps(id_tokens) if id_tokens is not None else None))

    def forget_local_list(self, station: str) -> None:
        self._x("DELETE FROM local_lists WHERE station = ?", (station,))
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

    def connector_statuses(self, station: str) -> dict[tuple[int, int], str]:
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
            found = scaled(value, multiplier)
    return found


def scaled(value: float, multiplier: int) -> float | None:
    """value × 10^multiplier (OCPP's unitOfMeasure.multiplier has no bounds); None when that is
    no finite number, as for a multiplier of 309: such a reading tells nothing usable."""
    if value == 0 or multiplier < -400:  # below the smallest float: zero
        return 0.0
    if multiplier > 400:  # above the largest
        return None
    result = float(Decimal(repr(float(value))).scaleb(multiplier))
    return result if math.isfinite(result) else None
