"""Parallel station sets against one CSMS (CSMS_STATION_SETS): what the sets share and how their
cases take turns on it.

Each pytest-xdist worker plays one set of station ids (``simulator.settings.station_set``), so no
two cases use one station id at once. What a CSMS keeps per station is then each set's own; what
it keeps for everyone is not:

- a certificate-bound station (SECURITY_PROFILE_3_CP: its client certificate carries its id), and the
  harness's OCSP responder (one port on the machine), are the
  same in every set: a case that uses it holds it, so its cases run one at a time, on whichever
  worker, and the next one still connects CSMS_SETTLE_TIME after the last one's close;
- cases that change what other sets' cases read (:data:`SHARED_STATE`) run alone: while one runs,
  no other case does.

Id tokens are every set's: a CSMS must let one token be in transactions at several stations at once
(OCPP leaves ConcurrentTx to the CSMS; one that answers it across stations needs one set)."""
from __future__ import annotations

import fcntl
import json
from pathlib import Path
from typing import IO, Any

from simulator.wire import connections

#: cases that change CSMS state other sets' cases read, and what they change
SHARED_STATE: dict[str, str] = {
    **{case: "clears the customer data of VALID_ID_TOKEN, which every set's cases present (N10: a CSMS may "
             "delete what it holds about that customer)" for case in ("TC_N_30", "TC_N_31", "TC_N_32", "TC_N_46")},
    "TC_N_62": "clears the data of customerIdentifier OpenChargeAlliance (N10)",
    "TC_N_63": "clears the data of the customer certificate CONFIGURED_CUSTOMER_CERT_* (N10)",
}


def turn_of(case: str, settings: Any) -> tuple[bool, list[str]]:
    """What ``case`` takes in a parallel run: whether it runs alone, and the shared things it holds
    (certificate-bound station ids of ``settings``, the harness's OCSP responder: one port for every set)."""
    from simulator.provisioning.build import references
    from simulator.settings import certificate_stations
    named = references(case)
    held = [getattr(settings, name) for name in sorted(named & certificate_stations(settings))]
    if "CONFIGURED_OCSP_RESPONDER_URL" in named:
        held.append("OCSP responder")
    return case in SHARED_STATE, held


class Turns:
    """The workers' turns, on files of the run folder (flock: released when a process ends, however).

    - A readers-writer lock: every case takes a shared turn, a :data:`SHARED_STATE` case an
      exclusive one. A writer waiting holds the gate, so cases that start meanwhile queue behind it
      instead of starving it.
    - The certificate-bound stations: one lock, whose file keeps when each one's last connection
      closed (``time.monotonic()``, one clock for the machine), handed to the next holder's settle."""

    def __init__(self, folder: Path) -> None:
        self.gate_path = folder / ".station-sets.gate"
        self.lock_path = folder / ".station-sets.lock"
        self.bound_path = folder / ".station-sets.stations"
        self._held: list[IO[str]] = []
        self._stations: list[str] = []

    def take(self, exclusive: bool, stations: list[str]) -> None:
        if stations:
            bound = open(self.bound_path, "a+")
            fcntl.flock(bound, fcntl.LOCK_EX)
            self._held.append(bound)
            self._stations = stations
            bound.seek(0)
            closed = json.loads(bound.read() or "{}")
            for station in stations:
                if station in closed:
                    connections.closed_elsewhere(station, closed[station])
        with open(self.gate_path, "a") as gate:
            fcntl.flock(gate, fcntl.LOCK_EX)
            turn = open(self.lock_path, "a")
            fcntl.flock(turn, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            self._held.append(turn)
        # leaving the block closes the gate's file, which releases it: the next case may queue

    def give_back(self) -> None:
        if self._stations:  # the bound lock is the first held: record the stations' closes in it
            bound = self._held[0]
            bound.seek(0)
            closed = json.loads(bound.read() or "{}")
            closed.update({s: at for s in self._stations if (at := connections.last_closed(s)) is not None})
            bound.seek(0)
            bound.truncate()
            bound.write(json.dumps(closed))
            bound.flush()
            self._stations = []
        for held in reversed(self._held):
            held.close()  # releases its lock
        self._held = []

    def remove(self) -> None:
        """The controller, after the run: the lock files are the harness's own."""
        for path in (self.gate_path, self.lock_path, self.bound_path):
            path.unlink(missing_ok=True)
