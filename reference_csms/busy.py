"""Option ``busy``: the reference CSMS acts on its own, as real CSMSs do.

Real CSMSs push configuration, ask for reports, trigger messages and query transactions whenever
they like, and answer with optional fields no case asks for. The harness must give true verdicts
against such a CSMS; with this option the reference CSMS is one, reproducibly:

- :class:`BusyStation` sends, at seeded random moments, legitimate requests that no case asked
  for to every station the CSMS has accepted on its connection, following the station's
  :func:`plan` (``random.Random(seed + a stable hash of the station id)``, continued across the
  station's connections, so a failing run can be replayed with the same seed);
- after every write the station accepted it reads back what it wrote, a moment later and with
  content of its own (:data:`READ_BACK`: GetChargingProfiles after Set/ClearChargingProfile,
  GetDisplayMessages after Set/ClearDisplayMessage, GetLocalListVersion after SendLocalList,
  GetVariables after SetVariables, GetInstalledCertificateIds after Install/DeleteCertificate),
  its details and delay from the station's :func:`read_back_rng`;
- :func:`~reference_csms.optional_fields.embellish` adds optional, schema-allowed fields to every
  answer of the CSMS (a module of its own: the session calls it, and this one needs the session).

The variables its plan reads and writes are ones the suite's cases never depend on, and it writes
back only the value the station has just reported, so nothing in the station's behaviour changes;
a read-back only reads what the CSMS itself has just written.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import random
import uuid
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator

if TYPE_CHECKING:
    from .central import CsmsSession, Payload

log = logging.getLogger("reference_csms")

#: Longest pause (s) between two busy requests: a case of a few seconds sees several.
MAX_PAUSE = 0.3
#: How long a busy request waits for its answer (s). It holds the session's request lock meanwhile,
#: so this bounds how long it can delay a request the CSMS makes for its operator.
ANSWER_TIMEOUT = 1.0

Var = tuple[str, str, "str | None"]  # component, variable, variable instance

#: OCPP 2.0.1 device-model variables the simulator knows and no case reads, writes or depends on.
READABLE: tuple[Var, ...] = (
    ("ChargingStation", "AvailabilityState", None), ("SecurityCtrlr", "OrganizationName", None),
    ("SecurityCtrlr", "SecurityProfile", None), ("OCPPCommCtrlr", "NetworkProfileConnectionAttempts", None),
    ("OCPPCommCtrlr", "MessageTimeout", "Default"), ("TxCtrlr", "EVConnectionTimeOut", None),
    ("TxCtrlr", "StopTxOnEVSideDisconnect", None), ("AuthCtrlr", "LocalAuthorizeOffline", None),
    ("AuthCtrlr", "LocalPreAuthorize", None), ("LocalAuthListCtrlr", "Enabled", None),
    ("ReservationCtrlr", "Enabled", None), ("SmartChargingCtrlr", "Enabled", None))
#: Of those, the writable ones: SetVariables writes back the value the station reported.
WRITABLE: tuple[Var, ...] = (
    ("SecurityCtrlr", "OrganizationName", None), ("OCPPCommCtrlr", "NetworkProfileConnectionAttempts", None),
    ("OCPPCommCtrlr", "MessageTimeout", "Default"), ("TxCtrlr", "EVConnectionTimeOut", None),
    ("AuthCtrlr", "LocalAuthorizeOffline", None), ("AuthCtrlr", "LocalPreAuthorize", None))
#: Standard OCPP 2.0.1 variables a station need not have (it answers UnknownComponent/Variable).
UNRELATED: tuple[Var, ...] = (
    ("ClockCtrlr", "TimeSource", None), ("ClockCtrlr", "DateTime", None),
    ("DisplayMessageCtrlr", "Enabled", None), ("OCPPCommCtrlr", "WebSocketPingInterval", None))
REPORT_COMPONENTS = ("SecurityCtrlr", "AuthCtrlr", "TxCtrlr", "OCPPCommCtrlr", "ReservationCtrlr")
CRITERIA = ("Active", "Available", "Enabled", "Problem")
REPORT_BASES = ("ConfigurationInventory", "FullInventory", "SummaryInventory")

#: What the CSMS may do on its own, and how often (relative weights).
KINDS: dict[str, int] = {
    "GetVariables": 4, "SetVariables": 3, "GetBaseReport": 2, "GetReport": 2, "TriggerHeartbeat": 2,
    "TriggerStatusNotification": 2, "GetTransactionStatus": 3, "GetVariablesUnrelated": 1,
    "GetReportUnrelated": 1}

_request_ids = itertools.count(1_000_001)  # requestIds of busy reports, apart from the operator's

#: How long after the answer to a write its read-back goes out (s): at once (three times in four,
#: seeded) or a moment later, as a real CSMS's (some 20 ms). A real operator takes far longer than that to
#: ask for a case's next request; this CSMS's own action API takes a few ms, so a read-back sent at
#: once comes after the harness asked the operator and before the CSMS's answer to it, just where
#: a wait must tell them apart by content.
READ_BACK_DELAY = (0.0, 0.02)
#: GetVariables items per read-back: within every station's DeviceDataCtrlr.ItemsPerMessage.
READ_BACK_ITEMS = 3


@dataclass(frozen=True)
class Step:
    """One planned busy request: the pause before it, its kind, and the seed of its details."""
    pause: float
    kind: str
    detail_seed: int


def station_hash(station_id: str) -> int:
    """A hash of the station id that is the same in every process (``hash()`` is salted)."""
    return zlib.crc32(station_id.encode())


def plan(seed: int, station_id: str) -> Iterator[Step]:
    """The station's endless sequence of busy requests: the same for the same seed and station.

    Details that depend on the CSMS's state (learned connectors, ended transactions) come from a
    random generator of their own, so they never shift the sequence of kinds and pauses."""
    rng = random.Random(seed + station_hash(station_id))
    kinds, weights = list(KINDS), list(KINDS.values())
    while True:
        yield Step(rng.uniform(0, MAX_PAUSE), rng.choices(kinds, weights)[0], rng.getrandbits(32))


def _item(var: Var, **extra: Any) -> dict[str, Any]:
    component, variable, instance = var
    v: dict[str, Any] = {"name": variable}
    if instance:
        v["instance"] = instance
    return {"component": {"name": component}, "variable": v, **extra}


def read_back_rng(seed: int, station_id: str) -> random.Random:
    """The station's random source of read-back details and delays (apart from :func:`plan`)."""
    return random.Random(f"read-back:{seed}:{station_id}")


def _numbered(payload: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """The payload with a busy requestId taken when it goes out."""
    return lambda: {"requestId": next(_request_ids), **payload}


# ---------------------------------------------------------------- read-backs after a write
# Each gives the read-back of an accepted write (payload sent, answer) with content of the CSMS's
# own, or None. The content is what a CSMS that refreshes its view would ask, and never a filter
# the operator's actions ask for alone (one criterion): told apart by content, as every one must be.
def _accepted(answer: dict[str, Any]) -> bool:
    return answer.get("status") == "Accepted"


def _profiles_after_set(payload: dict[str, Any], answer: dict[str, Any], rng: random.Random) -> "Payload | None":
    """The profile just set, on its EVSE (by id, and by purpose too or not)."""
    if not _accepted(answer):
        return None
    profile = payload["chargingProfile"]
    criteria: dict[str, Any] = {"chargingProfileId": [profile["id"]]}
    if rng.random() < 0.5:
        criteria["chargingProfilePurpose"] = profile["chargingProfilePurpose"]
    return _numbered({"evseId": payload["evseId"], "chargingProfile": criteria})


def _profiles_after_clear(payload: dict[str, Any], answer: dict[str, Any], rng: random.Random) -> "Payload | None":
    """What is left of the cleared profile (by id), or of its EVSE and purpose, or of the CSO's."""
    if not _accepted(answer):
        return None
    if "chargingProfileId" in payload:
        return _numbered({"chargingProfile": {"chargingProfileId": [payload["chargingProfileId"]]}})
    criteria = payload.get("chargingProfileCriteria") or {}
    request: dict[str, Any] = {"chargingProfile": {"chargingProfilePurpose": criteria["chargingProfilePurpose"]}
                               if "chargingProfilePurpose" in criteria else {"chargingLimitSource": ["CSO"]}}
    if "evseId" in criteria:
        request["evseId"] = criteria["evseId"]
    return _numbered(request)


def _messages_after_set(payload: dict[str, Any], answer: dict[str, Any], rng: random.Random) -> "Payload | None":
    """The message just set, by its id, priority and (when it has one) state."""
    if not _accepted(answer):
        return None
    info = payload["message"]
    request: dict[str, Any] = {"id": [info["id"]], "priority": info["priority"]}
    if "state" in info:
        request["state"] = info["state"]
    return _numbered(request)


def _messages_after_clear(payload: dict[str, Any], answer: dict[str, Any], rng: random.Random) -> "Payload | None":
    """Whether the cleared message is gone."""
    return _numbered({"id": [payload["id"]]}) if _accepted(answer) else None


def _version_after_list(payload: dict[str, Any], answer: dict[str, Any], rng: random.Random) -> "Payload | None":
    return {} if _accepted(answer) else None


def _variables_after_set(payload: dict[str, Any], answer: dict[str, Any], rng: random.Random) -> "Payload | None":
    """The variables the station took, as it now reports them."""
    items = [{k: r[k] for k in ("component", "variable", "attributeType") if k in r}
             for r in answer.get("setVariableResult", []) if r.get("attributeStatus") in ("Accepted", "RebootRequired")]
    return {"getVariableData": items[:READ_BACK_ITEMS]} if items else None


def _certificates_after_install(payload: dict[str, Any], answer: dict[str, Any],
                                rng: random.Random) -> "Payload | None":
    return {"certificateType": [payload["certificateType"]]} if _accepted(answer) else None


def _certificates_after_delete(payload: dict[str, Any], answer: dict[str, Any],
                               rng: random.Random) -> "Payload | None":
    return {} if _accepted(answer) else None


#: write -> (the read-back's action, its content)
READ_BACK: dict[str, tuple[str, Callable[[dict[str, Any], dict[str, Any], random.Random], "Payload | None"]]] = {
    "SetChargingProfile": ("GetChargingProfiles", _profiles_after_set),
    "ClearChargingProfile": ("GetChargingProfiles", _profiles_after_clear),
    "SetDisplayMessage": ("GetDisplayMessages", _messages_after_set),
    "ClearDisplayMessage": ("GetDisplayMessages", _messages_after_clear),
    "SendLocalList": ("GetLocalListVersion", _version_after_list),
    "SetVariables": ("GetVariables", _variables_after_set),
    "InstallCertificate": ("GetInstalledCertificateIds", _certificates_after_install),
    "DeleteCertificate": ("GetInstalledCertificateIds", _certificates_after_delete)}


class BusyStation:
    """Sends one connected station the next requests of its :func:`plan` while the CSMS has it
    accepted (the plan goes on where the station's previous connection left it).

    A planned request is skipped (never delayed) when
    - the station is not accepted on this connection (``CsmsSession.in_service``: not before a
      boot answered Accepted, or after a reconnect the first message answered normally; never
      after a boot answered Pending/Rejected): a CSMS may not send it requests then;
    - the CSMS has a request of its own queued or in flight for the station (see
      ``CsmsSession.busy_may_send``): a busy request of the same action while an operator's
      request is under way is an ambiguity no harness could resolve, and busy traffic must never
      queue ahead of the CSMS's own requests.
    """

    def __init__(self, session: "CsmsSession", steps: Iterator[Step], read_backs: random.Random) -> None:
        self.session = session
        self.steps = steps
        self.read_backs = read_backs

    def after_answer(self, action: str, payload: dict[str, Any], answer: dict[str, Any]) -> None:
        """A request of the CSMS was answered: when it was a write the station accepted, read back
        what it wrote a moment later (``CsmsSession.after_answer``). The read-back waits for the
        session's request lock like any request of the CSMS (never skipped: a real CSMS queues it)."""
        if action not in READ_BACK:
            return
        read_action, content = READ_BACK[action]
        rng = random.Random(self.read_backs.getrandbits(32))
        delay = rng.uniform(*READ_BACK_DELAY) if rng.random() < 0.25 else 0.0
        try:
            request = content(payload, answer, rng)
        except (KeyError, TypeError) as e:  # a write the CSMS sent broken on purpose (a fault)
            log.info("%s: no read-back of %s: %r", self.session.id, action, e)
            return
        if request is not None:
            self.session.later(self._read_back(read_action, request, delay))

    async def _read_back(self, action: str, request: "Payload", delay: float) -> None:
        session = self.session
        if delay:
            await asyncio.sleep(delay)
        if not session.in_service.is_set():
            return
        log.debug("%s: busy read-back %s", session.id, action)
        await session.request(action, request, timeout=min(ANSWER_TIMEOUT, session.csms.config.request_timeout),
                              busy=True)

    async def run(self) -> None:
        session = self.session
        for step in self.steps:
            await session.in_service.wait()
            await asyncio.sleep(step.pause)
            if not session.in_service.is_set():
                continue
            try:
                await BUILDERS[step.kind](self, random.Random(step.detail_seed))
            except Exception as e:  # RequestFailed, a closed connection: never a crash
                log.info("%s: busy %s: %s", session.id, step.kind, e)

    async def _send(self, kind: str, action: str, payload: "Payload") -> dict[str, Any] | None:
        """Send one busy request unless the session says no; its answer, None when skipped."""
        session = self.session
        if not session.busy_may_send(action):
            log.debug("%s: busy %s skipped", session.id, kind)
            return None
        log.debug("%s: busy %s", session.id, kind)
        timeout = min(ANSWER_TIMEOUT, session.csms.config.request_timeout)
        return await session.request(action, payload, timeout=timeout, busy=True)

    # ------------------------------------------------------------ the requests
    async def get_variables(self, rng: random.Random) -> None:
        items = [_item(v) for v in rng.sample(READABLE, rng.randint(1, 3))]  # <= ItemsPerMessage
        await self._send("GetVariables", "GetVariables", {"getVariableData": items})

    async def set_variables(self, rng: random.Random) -> None:
        """Read a writable variable, then write back exactly the value the station reported."""
        var = rng.choice(WRITABLE)
        answer = await self._send("SetVariables", "GetVariables", {"getVariableData": [_item(var)]})
        results = (answer or {}).get("getVariableResult") or [{}]
        value = results[0].get("attributeValue")
        if results[0].get("attributeStatus") != "Accepted" or value is None:
            return
        await self._send("SetVariables", "SetVariables", {"setVariableData": [_item(var, attributeValue=value)]})

    async def get_base_report(self, rng: random.Random) -> None:
        await self._send("GetBaseReport", "GetBaseReport", _numbered({"reportBase": rng.choice(REPORT_BASES)}))

    async def get_report(self, rng: random.Random) -> None:
        payload: dict[str, Any] = {"componentVariable": [
            {"component": {"name": name}} for name in rng.sample(REPORT_COMPONENTS, rng.randint(1, 2))]}
        if rng.random() < 0.5:
            payload["componentCriteria"] = [rng.choice(CRITERIA)]
        await self._send("GetReport", "GetReport", _numbered(payload))

    # The two triggers differ from the ones the suite's operator asks for (Heartbeat without an EVSE,
    # StatusNotification of one EVSE): a busy request with exactly a step's content, sent in the
    # instant the operator asks, is the one ambiguity no harness can resolve (README, decisions).
    async def trigger_heartbeat(self, rng: random.Random) -> None:
        """A Heartbeat, naming an EVSE the station reported (allowed: the evse is optional)."""
        connectors = self.session.store.connectors(self.session.id)
        payload: dict[str, Any] = {"requestedMessage": "Heartbeat"}
        if connectors:
            payload["evse"] = {"id": rng.choice(connectors)[0]}
        await self._send("TriggerHeartbeat", "TriggerMessage", payload)

    async def trigger_status_notification(self, rng: random.Random) -> None:
        """The status of every connector of the station."""
        await self._send("TriggerStatusNotification", "TriggerMessage", {"requestedMessage": "StatusNotification"})

    async def get_transaction_status(self, rng: random.Random) -> None:
        """About a transaction the station never had. (Not about one that ended: a query about a
        transaction that just ended with a seqNo gap is what TC_E_31 asks the CSMS to send, and a
        busy one would be its answer by chance.)"""
        tx_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        await self._send("GetTransactionStatus", "GetTransactionStatus", {"transactionId": tx_id})

    async def get_variables_unrelated(self, rng: random.Random) -> None:
        items = [_item(v) for v in rng.sample(UNRELATED, rng.randint(1, 2))]
        await self._send("GetVariablesUnrelated", "GetVariables", {"getVariableData": items})

    async def get_report_unrelated(self, rng: random.Random) -> None:
        await self._send("GetReportUnrelated", "GetReport", _numbered({
            "componentVariable": [{"component": {"name": "ClockCtrlr"}}]}))


BUILDERS: dict[str, Callable[[BusyStation, random.Random], Any]] = {
    "GetVariables": BusyStation.get_variables, "SetVariables": BusyStation.set_variables,
    "GetBaseReport": BusyStation.get_base_report, "GetReport": BusyStation.get_report,
    "TriggerHeartbeat": BusyStation.trigger_heartbeat,
    "TriggerStatusNotification": BusyStation.trigger_status_notification,
    "GetTransactionStatus": BusyStation.get_transaction_status,
    "GetVariablesUnrelated": BusyStation.get_variables_unrelated,
    "GetReportUnrelated": BusyStation.get_report_unrelated}
assert set(BUILDERS) == set(KINDS)
