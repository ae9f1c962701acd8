"""HTML pieces of the report a CSMS engineer reads at a glance: each case as the catalogue
specifies it (id, title, use case, requirements, before-states, steps, checks) above the diagram
of what really passed; and the conformance overview, blocks × cases as a colored matrix (inline
SVG for the HTML, emoji for summary.md). Everything is escaped and redacted."""
from __future__ import annotations

import base64
import gzip
from html import escape
from typing import Any, Iterable

from simulator.verdicts.catalogue import Case
from simulator.reporting.sequence_svg import compact
from simulator.verdicts.trace import redact

#: verdict → (fill, emoji, legend text)
VERDICTS = {
    "passed": ("#2e9e4f", "✅", "passed"),
    "failed": ("#d63a2f", "❌", "failed"),
    "error": ("#8e44ad", "💥", "error (harness)"),
    "skipped": ("#f0c419", "⏭️", "skipped (hover: reason)"),
    "not selected": ("#dddddd", "▫️", "implemented, not run"),
    "not implemented": ("#ffffff", "⬜", "not implemented"),
}
_WORST = ["error", "failed", "skipped", "passed"]


def _e(text: str) -> str:
    return escape(redact(str(text)))


def case_html(case_id: str, entry: Case | None, verdict: str, reason: str, diagram: str,
              timing: dict[str, float] | None = None, trace: str = "", lazy: bool = False) -> str:
    """The case as specified, then what really passed (the diagram) and, when given, the trace.
    ``lazy``: all but the heading travels gzip-compressed and is unpacked in the browser when opened
    (:data:`LAZY_SCRIPT`), so a whole suite's report stays small."""
    color = VERDICTS.get(verdict, ("#999",))[0]
    out = ['<div class="ocpp-case" style="font-family:sans-serif;font-size:13px;max-width:1000px">']
    title = entry.title if entry else ""
    out.append(f'<h3 style="margin:4px 0">{_e(case_id)} — {_e(title)} '
               f'<span style="background:{color};color:#fff;padding:1px 6px;border-radius:3px">{_e(verdict)}</span></h3>')
    if reason:
        out.append(f'<p style="color:#c0392b;font-weight:bold;margin:4px 0">{_e(reason)}</p>')
    body = _case_body(entry, diagram, timing, trace)
    if not lazy:
        return "".join(out + [body, "</div>"])
    packed = base64.b64encode(gzip.compress(body.encode(), 9, mtime=0)).decode()
    out.append(f'<details class="ocpp-lazy" data-ocpp-gz="{packed}"><summary>Catalogue entry, sequence diagram and '
               f'trace ({len(body) // 1024 + 1} KiB, unpacked when opened)</summary><div class="ocpp-lazy-body">'
               '</div></details></div>')
    return "".join(out)


def _case_body(entry: Case | None, diagram: str, timing: dict[str, float] | None, trace: str) -> str:
    out = []
    if entry is not None:
        reqs = ", ".join(entry.requirements) or "none listed"
        out.append(f"<p style='margin:2px 0'><b>Use case</b> {_e(entry.use_case)} · <b>Requirements</b> {_e(reqs)}</p>")
        out.append(f"<p style='margin:2px 0'><b>Before</b> {_e(entry.before or 'none')}</p>")
        if entry.sections.get("CSMS actions") not in (None, "", "none"):
            out.append(f"<p style='margin:2px 0'><b>CSMS actions</b> {_e(entry.sections['CSMS actions'])}</p>")
        steps = "".join(f"<li value='{_e(s.number.rstrip('abcdefgh'))}'>{_e(s.text)}</li>" for s in entry.steps)
        note = entry.sections.get("Steps", "")
        out.append(f"<details open><summary><b>Steps</b> {_e(note)}</summary><ol style='margin:2px 0'>{steps}</ol>"
                   "</details>")
        checks = "".join(f"<li>{_e(c)}</li>" for c in entry.checks)
        out.append(f"<details><summary><b>Checks</b></summary><ul style='margin:2px 0'>{checks}</ul></details>")
        if entry.post:
            out.append(f"<p style='margin:2px 0'><b>Post</b> {_e(entry.post)}</p>")
    else:
        out.append("<p>(not in the catalogue)</p>")
    if timing:
        out.append("<p style='margin:2px 0;color:#555'>Time: " + ", ".join(
            f"{k.replace('_', ' ')} {v:.2f} s" for k, v in timing.items()) + "</p>")
    out.append("<p style='margin:6px 0 2px'><b>What passed</b> (station ↔ CSMS; [n] = catalogue step; "
               "hover an arrow for its frame; red = the failing step and field)</p>")
    out.append(f'<div style="overflow-x:auto">{diagram}</div>')
    if trace:
        out.append("<details><summary><b>OCPP message trace</b></summary><pre style='white-space:pre-wrap;"
                   f"overflow-wrap:anywhere;margin:2px 0'>{_e(trace)}</pre></details>")
    return "".join(out)


#: unpacks a lazy case view when its <details> opens: gzip+base64 in the page, the browser's own
#: DecompressionStream, no network. One script for the page (pytest-html inserts views as HTML, which
#: runs no script of its own), listening in the capture phase because "toggle" does not bubble.
LAZY_SCRIPT = """<script>
document.addEventListener('toggle', async (event) => {
  const box = event.target;
  if (!box.classList || !box.classList.contains('ocpp-lazy') || !box.open || box.dataset.unpacked) return;
  box.dataset.unpacked = '1';
  const target = box.querySelector('.ocpp-lazy-body');
  try {
    const bytes = Uint8Array.from(atob(box.dataset.ocppGz), (c) => c.charCodeAt(0));
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    target.innerHTML = await new Response(stream).text();
  } catch (error) {
    target.textContent = 'This browser cannot unpack the view (' + error + '); summary.json and junit.xml hold the verdicts.';
  }
}, true);
</script>"""

#: the page fits a narrow window: pytest-html's minimum width off, wide content scrolls in its own box
PAGE_STYLE = """<style>
@media (max-width: 800px) { body { min-width: 0; } .filters, .collapse { flex-wrap: wrap; } }
.ocpp-wide { overflow-x: auto; max-width: 100%; }
pre.ocpp-timing, #results-table .log { white-space: pre-wrap; overflow-wrap: anywhere; }
#results-table td, #results-table th { overflow-wrap: anywhere; }
#results-table { table-layout: fixed; }
#results-table .extraHTML, #results-table .ocpp-case { max-width: 100%; overflow-x: auto; }
</style>"""


def case_verdicts(results: Iterable[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """case id → (worst verdict over its variants, reasons)."""
    found: dict[str, list[tuple[str, str]]] = {}
    for r in results:
        label = f"[{r['variant']}] " if r.get("variant") else ""
        found.setdefault(r["case"], []).append((r["verdict"], label + r.get("reason", "")))
    out = {}
    for case, vs in found.items():
        worst = min((v for v, _ in vs), key=lambda v: _WORST.index(v) if v in _WORST else 0)
        out[case] = (worst, "; ".join(reason for _, reason in vs if reason))
    return out


def grid(seed_ids: list[str], results: Iterable[dict[str, Any]], implemented: set[str]) -> dict[str, list[tuple[str, str, str]]]:
    """block → [(case id, verdict, reason)] in seed order, every seed case present."""
    verdicts = case_verdicts(results)
    rows: dict[str, list[tuple[str, str, str]]] = {}
    for case in seed_ids:
        if case in verdicts:
            verdict, reason = verdicts[case]
        else:
            verdict, reason = ("not selected" if case in implemented else "not implemented"), ""
        rows.setdefault(case.split("_")[1], []).append((case, verdict, reason))
    return rows


def overview_svg(rows: dict[str, list[tuple[str, str, str]]], names: dict[str, str]) -> str:
    """Blocks × cases: one colored cell per case (hover: id, verdict, reason)."""
    cell, gap, left, top = 26, 2, 190, 8
    widest = max((len(v) for v in rows.values()), default=1)
    width = left + widest * (cell + gap) + 10
    height = top + len(rows) * (cell + gap) + 40
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="ocpp-overview" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="11">']
    y = top
    for block, cases in rows.items():
        passed = sum(v == "passed" for _, v, _ in cases)
        out.append(f'<text x="4" y="{y + 17}">{_e(block)} {_e(names.get(block, ""))} ({passed}/{len(cases)})</text>')
        for i, (case, verdict, reason) in enumerate(cases):
            x = left + i * (cell + gap)
            fill = VERDICTS.get(verdict, ("#999",))[0]
            dash = ' stroke-dasharray="3,2"' if verdict == "not implemented" else ""
            tip = f"{case}: {verdict}" + (f" — {reason}" if reason else "")
            out.append(f'<g><rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="{fill}" stroke="#777"{dash}/>'
                       f'<text x="{x + cell / 2:.0f}" y="{y + 17}" text-anchor="middle" font-size="9" '
                       f'fill="{"#fff" if verdict in ("passed", "failed", "error") else "#333"}">'
                       f'{_e(case.split("_")[2])}</text><title>{_e(tip)}</title></g>')
        y += cell + gap
    x = 4
    for verdict, (fill, _, text) in VERDICTS.items():
        out.append(f'<rect x="{x}" y="{y + 12}" width="12" height="12" fill="{fill}" stroke="#777"/>'
                   f'<text x="{x + 16}" y="{y + 22}">{_e(text)}</text>')
        x += 30 + 7 * len(text)
    out.append("</svg>")
    return compact("".join(out))


def overview_text(rows: dict[str, list[tuple[str, str, str]]]) -> list[str]:
    """The same matrix for summary.md: one line of emoji per block, then the legend."""
    lines = ["```"]
    for block, cases in rows.items():
        passed = sum(v == "passed" for _, v, _ in cases)
        lines.append(f"{block} {passed:>2}/{len(cases):<2} " + "".join(VERDICTS[v][1] for _, v, _ in cases))
    lines.append("```")
    lines.append("Legend: " + ", ".join(f"{emoji} {text.split(' (')[0]}" for _, emoji, text in VERDICTS.values()))
    return lines
