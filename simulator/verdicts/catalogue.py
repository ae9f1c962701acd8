"""The test-case catalogue that ships with the harness (``simulator/testcases/*.md``), parsed so the
reports can show each case as specified: title, use case, requirement ids, before-states, steps and
checks. The reports read it from the package, never from a checkout next to it."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).parent / "testcases"

_HEAD = re.compile(r"^## (TC_[A-P]_\d+) — (.*)$")
_STATE_HEAD = re.compile(r"^## ([A-Z][A-Za-z0-9]+)()\s*$")
#: the "CSMS setup" sentence of a block's summary: "CSMS setup for every case: …." up to the next sentence
_BLOCK_SETUP = re.compile(r"CSMS (?:token )?setup[^:.]*:\s*(.*?\.)(?=\s+(?:[A-Z][a-z]+|A)\s|\s*$)", re.S)
_SECTION = re.compile(r"^- (Use case|Station|Settings|CSMS setup|Before|CSMS actions|Steps|Checks|Post|Notes)\b"
                      r":?\s?(.*)$")
_STEP = re.compile(r"^  (\d+[a-z]?)\.\s+(.*)$")
_ITEM = re.compile(r"^  - (.*)$")
_REQ = re.compile(r"\b[A-P]\d{2}\.FR\.\d+\b")
_USE_CASE = re.compile(r"\b[A-P]\d{2}\b")
#: a checked field: ``idTokenInfo.status ==``, ``getVariableData[0].attributeValue present``
_FIELD = re.compile(r"\b([a-z][A-Za-z0-9]*(?:\[\d+\])?(?:\.[a-z][A-Za-z0-9]*(?:\[\d+\])?)*)\s*"
                    r"(?:==|!=|>=|<=|>|<|present|absent|is |in \[|matches)")


@dataclass
class Step:
    number: str
    text: str


@dataclass
class Case:
    """One catalogue entry, as the reports show it."""
    id: str
    title: str
    use_case: str = ""
    requirements: list[str] = field(default_factory=list)
    before: str = ""
    steps: list[Step] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    post: str = ""
    sections: dict[str, str] = field(default_factory=dict)  # "- Name: text" (without its list), joined

    def checked_fields(self, step: str) -> list[str]:
        """Field paths the checks of ``step`` name (``step 2: idTokenInfo.status == Accepted``)."""
        found: list[str] = []
        for line in self.checks:
            numbers = re.match(r"steps? ([\d, and]+)", line)
            if numbers and step in re.findall(r"\d+", numbers.group(1)):
                found += [f for f in _FIELD.findall(line.split(":", 1)[-1]) if f not in found]
        return found


def _join(lines: list[str]) -> str:
    return " ".join(ln.strip() for ln in lines if ln.strip())


def parse(text: str, head_pattern: re.Pattern[str] = _HEAD) -> dict[str, Case]:
    """Every ``## TC_X_NN — title`` entry of one block file (``## Name`` entries of
    reusable-states.md with ``_STATE_HEAD``)."""
    cases: dict[str, Case] = {}
    case: Case | None = None
    section = ""
    buffer: list[str] = []
    items: list[list[str]] = []  # steps/check items of the current section, continuation lines joined

    def flush() -> None:
        if case is None or not section:
            return
        first = next((i for i, ln in enumerate(buffer) if _STEP.match(ln) or _ITEM.match(ln)), len(buffer))
        case.sections[section] = _join(buffer[:first])  # a list's own lines are in steps/checks
        if section == "Steps":
            for item in items:
                m = _STEP.match(item[0])
                if m:
                    case.steps.append(Step(m.group(1), _join([m.group(2), *item[1:]])))
        elif section == "Checks":
            case.checks += [_join([_ITEM.match(item[0]).group(1), *item[1:]])  # type: ignore[union-attr]
                            for item in items if _ITEM.match(item[0])]

    for line in text.splitlines():
        head = head_pattern.match(line)
        if head or line.startswith("## ") or line.startswith("# "):
            flush()
            section, buffer, items = "", [], []
            case = Case(head.group(1), head.group(2).strip()) if head else None
            if case:
                cases[case.id] = case
            continue
        if case is None:
            continue
        sec = _SECTION.match(line)
        if sec:
            flush()
            section, buffer, items = sec.group(1), [sec.group(2)], []
            continue
        if not section or not line.strip():
            continue
        buffer.append(line)
        if _STEP.match(line) or _ITEM.match(line):
            items.append([line])
        elif items:
            items[-1].append(line)
    flush()
    for c in cases.values():
        use = c.sections.get("Use case", "")
        c.use_case, _, reqs = use.partition("· Requirements:")
        c.use_case = c.use_case.strip()
        c.requirements = _REQ.findall(reqs)
        c.before = c.sections.get("Before", "")
        c.post = c.sections.get("Post", "")
    return cases


@functools.cache
def catalogue() -> dict[str, Case]:
    """All cases of blocks A–P, by id."""
    cases: dict[str, Case] = {}
    for path in sorted(HERE.glob("[A-P].md")):
        cases.update(parse(path.read_text(encoding="utf-8")))
    return cases


@functools.cache
def states() -> dict[str, Case]:
    """The reusable states (Booted, Authorized, …) of reusable-states.md, by name."""
    return parse((HERE / "reusable-states.md").read_text(encoding="utf-8"), _STATE_HEAD)


@functools.cache
def block_setup(block: str) -> str:
    """The "CSMS setup" sentences of a block's summary (the text before its first case), joined;
    "" when the summary has none."""
    path = HERE / f"{block}.md"
    if not path.exists():
        return ""
    summary = path.read_text(encoding="utf-8").split("\n## ", 1)[0]
    return " ".join(m.group(1) for m in _BLOCK_SETUP.finditer(" ".join(summary.split())))


def case(case_id: str) -> Case | None:
    return catalogue().get(case_id)


def use_cases(entry: Case) -> list[str]:
    """The use-case ids of an entry (``E01 (S5)`` → ``E01``; ``A02 & F06`` → both)."""
    return _USE_CASE.findall(entry.use_case)


#: what makes a case wait whatever the CSMS does: the configured durations and intervals, and the
#: reusable states that wait TRANSACTION_DURATION (reusable-states.md)
_WAITS = re.compile(r"TRANSACTION_DURATION|METER_VALUES_INTERVAL|FIRMWARE_SCHEDULE_DELAY|NO_RENEGOTIATION_WAIT|"
                    r"EnergyTransferSuspended|StopAuthorized")


def configured_waits(case_id: str) -> int:
    """How many configured waits a case's entry names (settings, states, steps): a parallel run
    starts the cases that wait longest first, so that no worker is left with them at the end."""
    entry = case(case_id)
    if entry is None:
        return 0
    text = " ".join([entry.sections.get("Settings", ""), entry.before, *(s.text for s in entry.steps)])
    return len(_WAITS.findall(text))
