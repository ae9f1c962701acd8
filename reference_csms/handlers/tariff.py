"""Tariff and cost (I): the CSMS computes the cost of a transaction from the stored tariff of the
token that authorized it at the station (energy only, per kWh, taxes included) and the energy the
station reported: latest Energy.Active.Import.Register reading of the transaction (by timestamp)
minus its Transaction.Begin reading (the earliest reading when none is marked Begin). Readings of a
replayed event (a seqNo already stored) count once.

I02.FR.01/02: while the transaction runs, each new running cost goes to the station in a
CostUpdatedRequest {totalCost, transactionId} (the TransactionEventResponse's totalCost is for the
end only, per its schema). I03.FR.02: the response to the Ended event carries the final totalCost.
Costs are rounded to cents. A transaction without a tariff gets neither (the cost is not known)."""
from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, Sequence

from ..registry import fault

if TYPE_CHECKING:
    import sqlite3

    from ..central import CsmsSession

OMIT_TOTAL_COST = fault("omit_total_cost", "answers the Ended TransactionEventRequest without totalCost")
COST_FROM_REGISTER = fault("cost_from_register",
                           "miscomputes cost from the whole register reading instead of the energy since Transaction.Begin")
NO_COST_UPDATED = fault("no_cost_updated", "sends no CostUpdatedRequest while the transaction runs")
DOUBLE_COUNT = fault("double_count_replayed_events",
                     "adds up the energy of each event it receives without recognising replayed ones (same seqNo), "
                     "so replayed offline events are counted twice")


def _at(row: "sqlite3.Row") -> tuple[datetime, int]:
    return datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00")), row["n"]


def _begin(readings: Sequence["sqlite3.Row"]) -> "sqlite3.Row":
    return next((r for r in readings if r["context"] == "Transaction.Begin"), None) or min(readings, key=_at)


def energy_used(readings: Sequence["sqlite3.Row"]) -> float:
    """Wh of the transaction: latest reading − Begin reading, replays ignored."""
    counted = [r for r in readings if not r["replayed"]]
    if not counted:
        return 0.0
    return max(counted, key=_at)["energy_wh"] - _begin(counted)["energy_wh"]


def _summed_increments(readings: Sequence["sqlite3.Row"]) -> float:
    """The faulty way: each received event adds its reading minus that of the event before it."""
    counted = [r for r in readings if not r["replayed"]]
    if not counted:
        return 0.0
    begin = _begin(counted)["energy_wh"]
    last_of: dict[tuple[int, int], float] = {}
    for r in readings:
        key = (r["seq_no"], r["replayed"])
        last_of[key] = max(last_of.get(key, r["energy_wh"]), r["energy_wh"])
    total = 0.0
    for (seq, _), wh in last_of.items():
        before = [v for (s, replayed), v in last_of.items() if s < seq and not replayed]
        total += wh - (max(before) if before else begin)
    return total


def total_cost(session: "CsmsSession", tx_id: str, price_per_kwh: float) -> float:
    readings = [r for r in session.store.meter_values(session.id, tx_id) if r["energy_wh"] is not None]
    if session.csms.fault(COST_FROM_REGISTER):
        energy = max(readings, key=_at)["energy_wh"] if readings else 0.0
    elif session.csms.fault(DOUBLE_COUNT):
        energy = _summed_increments(readings)
    else:
        energy = energy_used(readings)
    return round(energy / 1000 * price_per_kwh, 2)


def price_for(session: "CsmsSession", tx: "sqlite3.Row") -> float | None:
    """The tariff of the token that authorized the transaction at this station, if any."""
    if not tx["id_token"]:
        return None
    return session.store.tariff(session.id, json.loads(tx["id_token"]))


def settle(session: "CsmsSession", event: dict[str, Any], tx: "sqlite3.Row", response: dict[str, Any]) -> None:
    """After a TransactionEvent is stored: totalCost in the answer to Ended (I03), else a
    CostUpdatedRequest when the running cost changed (I02)."""
    price = price_for(session, tx)
    if price is None:
        return
    cost = total_cost(session, tx["id"], price)
    if event["eventType"] == "Ended":
        if not session.csms.fault(OMIT_TOTAL_COST):
            response["totalCost"] = cost
        return
    if tx["ended_at"] or cost == (session.store.running_cost(session.id, tx["id"]) or 0.0):
        return
    session.store.set_running_cost(session.id, tx["id"], cost)
    if not session.csms.fault(NO_COST_UPDATED):
        session.later(session.request("CostUpdated", {"totalCost": cost, "transactionId": tx["id"]}))
