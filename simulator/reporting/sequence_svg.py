"""The sequence diagram of a case as inline SVG: the frames that really passed between each station
and the CSMS, with times, actions, catalogue steps and the checked fields, the failing frame and
field in red. Drawn by the harness (no script, no web font, no CDN), so the report stays offline;
every text goes through ``redact``."""
from __future__ import annotations

import itertools
import json
import re
from datetime import datetime, timezone
from html import escape
from typing import Any

from simulator.verdicts.catalogue import Case
from simulator.verdicts.checks import ABSENT, get_path
from simulator.verdicts.messages import Failure, Message
from simulator.verdicts.trace import redact

ROW = 20
TOP = 44
WIDTH = 980
TIME_W = 118
TOOLTIP = 600  # characters of a frame in its arrow's tooltip (the whole frame is in the text trace)
MAX_ROWS = 400  # a busy CSMS can send hundreds of frames: the middle is elided, the end kept
RED, GREY, INK = "#c0392b", "#888", "#222"
_ids = itertools.count(1)  # marker ids unique in the page (a hidden diagram's markers do not resolve)


def _text(s: str, limit: int = 110) -> str:
    """Redacted, shortened, escaped for a text node (quotes stay: the report stores each diagram
    inside a JSON string inside an HTML attribute, where every quote costs seven bytes)."""
    s = redact(s)
    return escape(s if len(s) <= limit else s[:limit - 1] + "…", quote=False)


def _value(v: Any) -> str:
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"))[:40]
    return str(v)


def checked(msg: Message, case: Case | None, failure: Failure | None, failing: bool) -> list[str]:
    """``field=value`` for the fields the catalogue checks at the message's step (the failing
    field first on the failing frame)."""
    if msg.kind not in ("call", "result") or not isinstance(msg.payload, dict):
        return []
    fields = case.checked_fields(msg.step) if case is not None and msg.step else []
    fields = [f for f in fields if not any(o != f and o.startswith(f + ".") for o in fields)]  # the leaves
    if failing and failure is not None and failure.field:
        fields = [failure.field, *(f for f in fields if f != failure.field)]
    shown = []
    for f in fields:
        v = get_path(msg.payload, f)
        if v is not ABSENT or (failing and failure is not None and f == failure.field):
            shown.append(f"{f}={'absent' if v is ABSENT else _value(v)}")
    return shown


def diagram(msgs: list[Message], case: Case | None = None, failure: Failure | None = None,
            failing_msg: Message | None = None) -> str:
    """One ``<svg>`` element: lifelines (stations left, CSMS right), one row per frame or note."""
    stations = list(dict.fromkeys(m.frame.station for m in msgs if m.frame.direction != "note"
                                  or m.frame.station not in ("harness", "operator")))
    if not stations:
        stations = ["station"]
    csms_x = WIDTH - 150
    span = (csms_x - 200) / max(1, len(stations))
    xs = {s: TIME_W + 60 + i * span for i, s in enumerate(stations)}
    rows = msgs
    elided = 0
    if len(rows) > MAX_ROWS:
        keep_tail = MAX_ROWS - 100
        elided = len(rows) - MAX_ROWS
        rows = rows[:100] + [None] + rows[-keep_tail:]  # type: ignore[list-item]
    start = msgs[0].frame.at if msgs else 0.0
    extra = 1 if failure is not None else 0
    height = TOP + ROW * (len(rows) + extra) + 24
    uid = next(_ids)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="ocpp-seq" width="{WIDTH}" height="{height}" '
           f'viewBox="0 0 {WIDTH} {height}" font-family="monospace" font-size="11">',
           f'<defs><marker id="ah{uid}" markerWidth="8" markerHeight="8" refX="7" refY="3" orient="auto">'
           f'<path d="M0,0 L7,3 L0,6 z" fill="{INK}"/></marker>'
           f'<marker id="ahr{uid}" markerWidth="8" markerHeight="8" refX="7" refY="3" orient="auto">'
           f'<path d="M0,0 L7,3 L0,6 z" fill="{RED}"/></marker></defs>']
    clock = datetime.fromtimestamp(start, timezone.utc).strftime("%H:%M:%S.%f")[:-3] if msgs else ""
    out.append(f'<text x="4" y="14" fill="{GREY}">t=0 at {clock} UTC</text>')
    bottom = height - 10
    for s, x in xs.items():
        out.append(f'<text x="{x:.0f}" y="30" text-anchor="middle" font-weight="bold">{_text(s, 30)}</text>'
                   f'<line x1="{x:.0f}" y1="36" x2="{x:.0f}" y2="{bottom}" stroke="#bbb"/>')
    out.append(f'<text x="{csms_x}" y="30" text-anchor="middle" font-weight="bold">CSMS</text>'
               f'<line x1="{csms_x}" y1="36" x2="{csms_x}" y2="{bottom}" stroke="#bbb"/>')
    y = TOP
    first_step = next((i for i, m in enumerate(msgs) if m.step), len(msgs))
    before = {id(m) for m in msgs[:first_step]} if case is not None and case.steps else set()
    for m in rows:
        y += ROW
        if m is None:
            out.append(f'<text x="{WIDTH / 2:.0f}" y="{y - 6}" text-anchor="middle" fill="{GREY}">'
                       f'… {elided} frames not drawn (all are in the text trace) …</text>')
            continue
        out.append(_row(m, y, xs, csms_x, start, case, failure, m is failing_msg, uid, id(m) in before))
    if failure is not None:
        y += ROW
        mark = "⏱ nothing came: " if failure.timeout else "✗ "
        out.append(f'<rect x="0" y="{y - 15}" width="{WIDTH}" height="{ROW}" fill="#fdecea"/>'
                   f'<text x="4" y="{y - 2}" fill="{RED}" font-weight="bold">{mark}{_text(failure.reason, 150)}'
                   f'<title>{_text(failure.reason, 2000)}</title></text>')
    out.append("</svg>")
    return compact("".join(out))


_TAG = re.compile(r"<[^<>]+>")


def compact(svg: str) -> str:
    """Attribute values in single quotes (escaped, a double quote costs 7 bytes in the report's
    data blob, a single one 5); text nodes are left as they are."""
    return _TAG.sub(lambda m: re.sub(r'="([^"\']*)"', r"='\1'", m.group(0)), svg)


def _row(m: Message, y: int, xs: dict[str, float], csms_x: float, start: float, case: Case | None,
         failure: Failure | None, failing: bool, uid: int, before: bool) -> str:
    stamp = f"+{m.frame.at - start:.3f}s"
    color = RED if failing else INK
    parts = [f'<g class="{"fail" if failing else "frame"}">']
    if failing:
        parts.append(f'<rect x="0" y="{y - 15}" width="{WIDTH}" height="{ROW}" fill="#fdecea"/>')
    parts.append(f'<text x="4" y="{y - 2}" fill="{GREY}">{stamp}</text>')
    x = xs.get(m.frame.station, min(xs.values()))
    if m.kind in ("note", "raw"):
        text = m.frame.text if m.kind == "note" else f"{m.frame.direction} {m.frame.text}"
        parts.append(f'<text x="{x + 6:.0f}" y="{y - 2}" fill="{GREY}" font-style="italic">'
                     f'{_text(text)}<title>{_text(text, 2000)}</title></text></g>')
        return "".join(parts)
    x1, x2 = (x, csms_x) if m.outbound else (csms_x, x)
    marker = f"ahr{uid}" if failing else f"ah{uid}"
    dash = ' stroke-dasharray="4,3"' if m.kind != "call" else ""
    width = ' stroke-width="2"' if failing else ""
    parts.append(f'<line x1="{x1:.0f}" y1="{y}" x2="{x2:.0f}" y2="{y}" stroke="{color}"'
                 f'{width}{dash} marker-end="url(#{marker})"/>')
    step = f"[{m.step}] " if m.step else "[before] " if before else ""
    if failing and failure is not None:
        step = f"[✗ {failure.where}] " if failure.where else "[✗] "
    fields = checked(m, case, failure, failing)
    label = step + m.label + (" · " + ", ".join(fields) if fields else "")
    weight = ' font-weight="bold"' if failing else ""
    room = int((WIDTH - min(x1, x2) - 8) / 6.7)  # characters that fit right of the arrow's start
    parts.append(f'<text x="{min(x1, x2) + 8:.0f}" y="{y - 4}" fill="{color}"{weight}>{_text(label, room)}'
                 f'<title>{_text(m.frame.text, TOOLTIP)}</title></text></g>')
    return "".join(parts)
