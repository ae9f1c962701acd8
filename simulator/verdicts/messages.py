"""The trace read as OCPP messages: each frame with its action (a CALLRESULT named after its CALL),
the catalogue step it belongs to, and the failing step and field a verdict names. The sequence
diagram and the Allure steps both draw from this, so they agree on which frame is which step."""
from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any

from simulator.verdicts.catalogue import Case
from simulator.verdicts.trace import Frame

_FAILURE = re.compile(r"^(?:harness error in )?(?P<case>TC_[A-P]_\d+)(?: \[(?P<round>[^\]]+)\])?(?: (?P<state>[A-Z][A-Za-z0-9-]+))?"
                      r" (?:step (?P<step>[\w.]+)(?: \([^)]*\))?|(?P<label>Post|before step 1|Connect-SP\d))"
                      r": (?P<rest>.*)$", re.S)


@dataclass
class Message:
    """One frame of the trace as the reports show it."""
    frame: Frame
    kind: str  # "call", "result", "error", "note", "raw"
    action: str = ""  # "Authorize" for AuthorizeRequest/Response
    payload: Any = None
    step: str = ""  # the catalogue step it belongs to ("" before the case's own steps)
    message_id: str = ""

    @property
    def label(self) -> str:
        if self.kind == "call":
            return f"{self.action}Request"
        if self.kind == "result":
            return f"{self.action}Response"
        if self.kind == "error":
            code = self.payload[0] if isinstance(self.payload, list) and self.payload else ""
            return f"{self.action} CALLERROR {code}".strip()
        return ""

    @property
    def outbound(self) -> bool:
        """Sent by the station (CS→CSMS)."""
        return self.frame.direction == "CS->CSMS"


@dataclass
class Failure:
    """Where a verdict's one-line reason says the case failed."""
    reason: str
    step: str = ""  # "2", "Post", "Connect-SP2", …
    state: str = ""  # a reusable state the step belongs to ("Authorized"), empty for the case's own
    field: str = ""  # "idTokenInfo.status" when the reason is "<field> expected …"
    at: float | None = None  # when the case stopped (epoch seconds)
    timeout: bool = False  # nothing came: the diagram ends in the wait
    round: str = ""  # "T2" of "TC_E_53 [T2] Authorized step 4"

    @property
    def where(self) -> str:
        return " ".join(p for p in (f"[{self.round}]" if self.round else "", self.state, f"step {self.step}" if self.step[:1].isdigit() else self.step) if p)


def parse_failure(reason: str, at: float | None = None) -> Failure | None:
    """``TC_E_16 step 2: idTokenInfo.status expected …`` → step 2, field idTokenInfo.status."""
    m = _FAILURE.match(reason.strip())
    if not m:
        return Failure(reason, at=at) if reason else None
    rest = m.group("rest")
    head = (rest.split(" expected ", 1)[0] if " expected " in rest else "").removeprefix("(harness) ")
    field_name = head if re.fullmatch(r"[\w.\[\]]+", head) else ""
    return Failure(reason, m.group("step") or m.group("label") or "", m.group("state") or "", field_name, at,
                   bool(re.search(r"\bno .*? from the CSMS within\b|did not finish within|did not act within", rest)),
                   m.group("round") or "")


def messages(frames: list[Frame]) -> list[Message]:
    """Frames → messages; a CALLRESULT/CALLERROR takes the action of its CALL (same station, id)."""
    calls: dict[tuple[str, str], str] = {}
    out: list[Message] = []
    for f in frames:
        if f.direction == "note":
            out.append(Message(f, "note"))
            continue
        try:
            data = json.loads(f.text)
        except ValueError:
            out.append(Message(f, "raw"))
            continue
        if not isinstance(data, list) or len(data) < 3:
            out.append(Message(f, "raw"))
            continue
        if data[0] == 2 and len(data) >= 4:
            calls[(f.station, str(data[1]))] = str(data[2])
            out.append(Message(f, "call", str(data[2]), data[3], message_id=str(data[1])))
        elif data[0] == 3:
            out.append(Message(f, "result", calls.get((f.station, str(data[1])), "?"), data[2],
                               message_id=str(data[1])))
        elif data[0] == 4:
            out.append(Message(f, "error", calls.get((f.station, str(data[1])), "?"), data[2:],
                               message_id=str(data[1])))
        else:
            out.append(Message(f, "raw"))
    return out


@functools.lru_cache(maxsize=1)
def _action_pattern() -> re.Pattern[str]:
    """OCPP 2.0.1 action names in prose; built on first use, so that a process that only gathers
    results (the controller of a parallel run) never loads the ocpp package."""
    import ocpp
    schemas = Path(ocpp.__file__).parent / "v201" / "schemas"  # one <Action>Request.json per action
    actions = sorted((p.name.removesuffix("Request.json") for p in schemas.glob("*Request.json")), key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(actions) + r")(?:Request|Response)?s?\b")


def _step_names(text: str) -> tuple[str, set[str]]:
    """A catalogue step's direction ("out" CS→CSMS, "in" CSMS→CS, "" either) and the actions it
    names ("*" for "responses"/"CALLRESULT" without a name)."""
    direction = "out" if text.startswith("CS→CSMS") else "in" if text.startswith("CSMS→CS") else ""
    names = set(_action_pattern().findall(text))
    if re.search(r"\b(?:Started|Updated|Ended)\b", text) and not names - {"Authorize"}:
        names.add("TransactionEvent")  # a reusable state's "Updated, ChargingStateChanged, …"
    if re.search(r"\bReport (?:Occupied|Available|Unavailable|Faulted|Reserved)\b", text):
        names |= {"StatusNotification", "NotifyEvent"}  # "Report X" of reusable-states.md
    if not names and re.search(r"\bresponses?\b|CALLRESULT", text):
        names = {"*"}
    return direction, names


def assign_steps(msgs: list[Message], case: Case | None) -> None:
    """Give messages the catalogue steps that name their action in their direction, keeping the
    steps in order and labelling as many messages as possible (an alignment, so a before-state's
    StatusNotification does not pull the labels past the case's own step 1). A message no step
    takes (a before-state's, a busy CSMS's own request) keeps no step.

    Because a later pointer never allows more than an earlier one, the best step for a message is
    always the first compatible one at or after the pointer: O(messages × steps)."""
    if case is None or not case.steps:
        return
    steps = [_step_names(s.text) for s in case.steps]
    ms = [m for m in msgs if m.kind in ("call", "result", "error")]
    n, width = len(ms), len(steps)

    def fits(m: Message, j: int) -> tuple[float, int]:
        """(1, step to label) when step j names the action in the message's direction, or the
        message answers a request step j names and step j+1 is its answer step (named, or an unnamed
        "responses" step): then labelled j+1 with the pointer left at j, as requests and answers of
        a repeated exchange (NotifyReport parts, per-connector reports) interleave on the wire;
        (0, j) otherwise. An unnamed "responses" step takes no other answer (a busy CSMS's)."""
        direction, names = steps[j]
        if m.kind != "call" and j + 1 < width and m.action in names and direction == ("in" if m.outbound else "out") \
                and (steps[j + 1][1] == {"*"} or m.action in steps[j + 1][1]):
            return 1.0, j + 1
        if direction and direction != ("out" if m.outbound else "in"):
            return 0.0, j
        return (1.0 if m.action in names else 0.0), j

    # Score: 1 per step entered (covering more of the catalogue wins) + 0.01 per labelled message
    # (weighted by fit). State: the pointer p (the current step; -1 before the first) and whether
    # the previous message got a label: a message may stay at p only right after a labelled one (a
    # step's frames are consecutive; a before-state's look-alike earlier on is not the step), or
    # enter the first step > p that fits it: among later steps the earliest is never worse.
    fit_rows = [[fits(m, j) for j in range(width)] for m in ms]
    named_after: list[list[int]] = []  # [i][j]: first step >= j that message i fits
    for row in fit_rows:
        named = [-1] * (width + 1)
        for j in range(width - 1, -1, -1):
            named[j] = j if row[j][0] else named[j + 1]
        named_after.append(named)
    # best[c][p+1]: score of messages i.. with the pointer at p, c = the previous message is labelled
    best = [[0.0] * (width + 1), [0.0] * (width + 1)]
    takes: list[list[list[int]]] = [[[-2] * (width + 1), [-2] * (width + 1)] for _ in range(n)]
    for i in range(n - 1, -1, -1):
        row = fit_rows[i]
        new = [best[0][:], best[0][:]]  # skipping: the next message follows an unlabelled one
        for c in (0, 1):
            for p in range(-1, width):
                options = []
                if c and p >= 0 and row[p][0]:
                    options.append((p, 0.01 * row[p][0]))
                k = named_after[i][p + 1]
                if k >= 0:
                    options.append((k, 1 + 0.01 * row[k][0]))
                for k, gain in options:
                    # strictly better only: on a tie the later message takes the step (a case's
                    # own frames come after its before-states')
                    if gain + best[1][k + 1] > new[c][p + 1] + 1e-9:
                        new[c][p + 1], takes[i][c][p + 1] = gain + best[1][k + 1], k
        best = new
    p, c = -1, 0
    for i, m in enumerate(ms):
        k = takes[i][c][p + 1]
        if k >= 0:
            p, c = k, 1
            m.step = case.steps[fit_rows[i][k][1]].number
        else:
            c = 0


def failing_message(msgs: list[Message], failure: Failure | None) -> Message | None:
    """The frame the failure is about: the CSMS's last frame before the case stopped, at the
    failing step when it is one of the case's own; when the reason names a field the CSMS sent
    (not "got absent"), the last such frame that holds it (a busy CSMS's later request does not)."""
    if failure is None or failure.timeout:
        return None
    seen = [m for m in msgs if m.kind in ("call", "result", "error")
            and (failure.at is None or m.frame.at <= failure.at + 0.001)]
    inbound = [m for m in seen if not m.outbound]
    if not seen:
        return None
    pools = [[m for m in inbound if m.step == failure.step]] if failure.step and not failure.state else []
    pools.append(inbound)
    root = failure.field.split(".")[0].split("[")[0]
    absent = bool(re.search(r"\bgot absent\b", failure.reason))
    for pool in pools:
        if root and not absent:
            holding = [m for m in pool if f'"{root}"' in m.frame.text]
            if holding:
                return holding[-1]
        if pool:
            return pool[-1]
    return seen[-1]


@dataclass
class StepFrames:
    """A catalogue step with the messages that passed in it (for Allure)."""
    number: str
    text: str
    messages: list[Message] = field(default_factory=list)
