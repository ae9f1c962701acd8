"""Meter values as the station's meter produces them (blocks I, J): readings of the energy
register at chosen instants, clock-aligned series, the main meter, signed readings (OCMF), and
the running cost a CSMS must report for them.

Readings always come from the station's registers (``simulator.station.model``); a series is sampled in
real time, each reading taken when its timestamp is reached, so timestamps and values agree.
"""
from __future__ import annotations

import asyncio
import base64
import json
import math
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from simulator.verdicts.checks import Rule, check
from simulator.verdicts.trace import timing

if TYPE_CHECKING:
    from simulator.station.model import Transaction
    from simulator.station.station import Station

ENERGY = "Energy.Active.Import.Register"
SIGNING_METHOD = "ECDSA-secp256r1-SHA256"
#: A cost matches when within one cent of the expected figure: the CSMS may round to the
#: currency's cents (OCPP leaves the rounding to it), nothing more.
COST_TOLERANCE = 0.01


# ---------------------------------------------------------------- instants
def iso(instant: datetime) -> str:
    return instant.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now() -> datetime:
    return datetime.now(timezone.utc)


def next_aligned(interval: float, after: datetime | None = None) -> datetime:
    """The next clock-aligned instant: a whole multiple of ``interval`` seconds from midnight UTC."""
    after = after or now()
    midnight = after.replace(hour=0, minute=0, second=0, microsecond=0)
    elapsed = (after - midnight).total_seconds()
    return midnight + timedelta(seconds=math.floor(elapsed / interval + 1) * interval)


async def until(instant: datetime) -> None:
    """The station sends a reading when its timestamp is reached."""
    delay = (instant - now()).total_seconds()
    if delay > 0:
        with timing("configured", "meter value intervals"):  # an interval the settings ask for
            await asyncio.sleep(delay)


# ---------------------------------------------------------------- readings
def reading(station: "Station", evse: int, context: str, at: datetime, signed: bool = False) -> dict[str, Any]:
    """meterValue element {timestamp at, sampledValue[0] = register of ``evse`` (0: the main meter)}."""
    value = station.model.main_register() if evse == 0 else station.model.evses[evse].register()
    sampled = station.sampled_value(value, context)
    if signed:
        sampled["signedMeterValue"] = signed_meter_value(station.id, evse, value, at, context)
    return {"timestamp": iso(at), "sampledValue": [sampled]}


def fixed_reading(station: "Station", evse: int, wh: float, context: str, at: datetime | None = None) -> dict[str, Any]:
    """The meter of ``evse`` reads ``wh`` now (a case's fixed figure) and is reported as such."""
    station.model.evses[evse].set_register(wh)
    return reading(station, evse, context, at or now())


async def sample_series(station: "Station", evse: int, context: str, interval: float, count: int,
                        aligned: bool, signed: bool = False) -> list[dict[str, Any]]:
    """``count`` readings ``interval`` apart, each taken when its instant comes: clock-aligned
    instants when ``aligned``, else starting one interval from now."""
    first = next_aligned(interval) if aligned else now() + timedelta(seconds=interval)
    series = []
    for k in range(count):
        at = first + timedelta(seconds=k * interval)
        await until(at)
        series.append(reading(station, evse, context, at, signed))
    return series


def ended_series_length(duration: float, interval: float) -> int:
    """n = max(2, ⌊TRANSACTION_DURATION / TX_ENDED_METER_VALUES_INTERVAL⌋)."""
    return max(2, math.floor(duration / interval))


def meter_values_request(station: "Station", evse: int, context: str, at: datetime) -> dict[str, Any]:
    """MeterValuesRequest of one EVSE (0: the main meter) at ``at``."""
    return {"evseId": evse, "meterValue": [reading(station, evse, context, at)]}


def fiscal_meter_event(station: "Station", at: datetime) -> dict[str, Any]:
    """NotifyEventRequest of the fiscal meter: trigger Periodic, the main register as text."""
    return {"generatedAt": iso(now()), "seqNo": 0, "tbc": False, "eventData": [{
        "eventId": station.next_event_id(), "timestamp": iso(at), "trigger": "Periodic",
        "actualValue": str(station.model.main_register()), "eventNotificationType": "PreconfiguredMonitor",
        "component": {"name": "FiscalMetering"}, "variable": {"name": "EnergyImport"}}]}


# ---------------------------------------------------------------- signed readings (OCMF)
@cache
def meter_key() -> ec.EllipticCurvePrivateKey:
    """The simulated meter's own P-256 key, new for every run and never written anywhere."""
    return ec.generate_private_key(ec.SECP256R1())


def meter_public_key() -> str:
    der = meter_key().public_key().public_bytes(serialization.Encoding.DER,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


_OCMF_TX = {"Transaction.Begin": "B", "Transaction.End": "E"}


def signed_meter_value(station_id: str, evse: int, wh: float, at: datetime, context: str) -> dict[str, str]:
    """signedMeterValue of one reading: an OCMF record (payload | signature section) of the
    reading in kWh, signed with ECDSA P-256 / SHA-256 by the meter's key, then base64."""
    payload = json.dumps({
        "FV": "1.0", "GI": "OCPP harness simulated meter", "GS": f"{station_id}-{evse}", "PG": "T1", "IS": True,
        "RD": [{"TM": at.strftime("%Y-%m-%dT%H:%M:%S,") + f"{at.microsecond // 1000:03d}+0000 S",
                "TX": _OCMF_TX.get(context, "T"), "RV": round(wh / 1000, 4), "RI": "1-b:1.8.0", "RU": "kWh",
                "ST": "G"}]}, separators=(",", ":"))
    signature = meter_key().sign(payload.encode(), ec.ECDSA(hashes.SHA256()))
    record = f"OCMF|{payload}|" + json.dumps({"SA": SIGNING_METHOD, "SD": signature.hex().upper()},
                                            separators=(",", ":"))
    return {"signedMeterData": base64.b64encode(record.encode()).decode(), "signingMethod": SIGNING_METHOD,
            "encodingMethod": "OCMF", "publicKey": meter_public_key()}


# ---------------------------------------------------------------- cost
def expected_cost(tx: "Transaction", price_per_kwh: float) -> float:
    """Energy the station reported for T (latest register reading − its Begin reading) × price."""
    return tx.energy_wh() / 1000 * price_per_kwh


def check_cost(step: int | str | None, field: str, actual: Any, tx: "Transaction", price_per_kwh: float) -> None:
    """``actual`` must be the cost of the energy the station reported, within a cent."""
    want = expected_cost(tx, price_per_kwh)
    rule = Rule(f"{want:.2f} ± {COST_TOLERANCE} ({tx.energy_wh():g} Wh × {price_per_kwh:g} per kWh)",
                lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
                and abs(v - want) <= COST_TOLERANCE + 1e-9)
    check(step, field, actual, rule)
