"""The HTML report stays small and readable: a passed case's view (catalogue entry, diagram, trace)
travels gzip-compressed and is unpacked in the browser when opened, with no network; at a narrow and a
wide window in headless Chromium nothing runs off the page ("Where the time goes" wraps)."""
from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from selftest.support import run_cases, unpacked_views

WIDTHS = (480, 1600)
#: appended to a copy of the report: after load, open the first lazy view, measure, and leave the
#: result on <html data-ocpp-measure> for --dump-dom
MEASURE = """<script>
window.addEventListener('load', () => setTimeout(async () => {
  const root = document.documentElement, out = {clientWidth: root.clientWidth, scrollWidth: root.scrollWidth};
  const timing = document.querySelector('pre.ocpp-timing');
  out.timing = timing && {scrollWidth: timing.scrollWidth, clientWidth: timing.clientWidth,
                          right: timing.getBoundingClientRect().right, text: timing.textContent.length};
  const lazy = document.querySelectorAll('details.ocpp-lazy');
  out.lazy = lazy.length;
  if (lazy.length) {
    lazy[0].open = true;
    for (let i = 0; i < 50 && !lazy[0].querySelector('.ocpp-lazy-body').innerHTML; i++) await new Promise(r => setTimeout(r, 50));
    out.unpacked = lazy[0].querySelector('.ocpp-lazy-body').innerHTML;
  }
  out.scrollWidthAfter = root.scrollWidth;
  root.dataset.ocppMeasure = JSON.stringify(out);
}, 50));
</script>"""


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if shutil.which(name):
            return name
    pytest.skip("no Chromium installed (Debian: apt-get install chromium; .ci/run installs it): the HTML report "
                "is not checked in a headless browser")


def measure(report: Path, width: int, scratch: Path) -> dict[str, Any]:
    """Open ``report`` in headless Chromium at ``width`` px and measure it (see MEASURE)."""
    page = scratch / f"measure-{width}.html"
    page.write_text(report.read_text() + MEASURE)
    done = subprocess.run([chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           f"--user-data-dir={scratch / f'profile-{width}'}", f"--window-size={width},1000",
                           "--virtual-time-budget=15000", "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=120)
    found = re.search(r'data-ocpp-measure="([^"]*)"', done.stdout)
    assert found, done.stdout[-1000:] + done.stderr[-2000:]
    return json.loads(html.unescape(found.group(1)))


def assert_readable(report: Path, scratch: Path) -> None:
    """At a narrow and a wide window: no horizontal overflow of the page, the timing lines wrap
    inside their box, and a passed case's view unpacks with its diagram and trace."""
    for width in WIDTHS:
        m = measure(report, width, scratch)
        assert m["scrollWidth"] <= m["clientWidth"] and m["scrollWidthAfter"] <= m["clientWidth"], (width, m)
        timing = m["timing"]
        assert timing and timing["text"] > 100, (width, m)
        assert timing["scrollWidth"] <= timing["clientWidth"] and timing["right"] <= m["clientWidth"], (width, timing)
        assert m["lazy"] > 0 and re.search(r"class=[\"']ocpp-seq", m["unpacked"]) and "OCPP message trace" in m["unpacked"], \
            (width, m.get("unpacked", "")[:500])


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run with passed cases and one failed (TC_E_16, whose view stays uncompressed)."""
    reports = tmp_path_factory.mktemp("html")
    run = run_cases("TC_E_16 or TC_E_01 or TC_B_01 or TC_J_01", faults=["accept_unknown_tokens"], keep=reports)
    assert run.verdicts() == {"TC_E_16": "failed", "TC_E_01": "passed", "TC_B_01": "passed", "TC_J_01": "passed"}, \
        run.output[-2000:]
    return reports / "report.html"


def test_passed_views_are_compressed_and_failed_ones_plain(report: Path) -> None:
    page = report.read_text()
    assert "<script src" not in page and not re.search(r"""<link[^>]+href=|src=\\?["']https?:""", page)  # no network
    views = unpacked_views(page)
    assert len(views) == 3 and all("class='ocpp-seq'" in v and "OCPP message trace" in v for v in views)
    blob = json.loads(html.unescape(re.search(r'data-jsonblob="([^"]*)"', page).group(1)))
    for node, results in blob["tests"].items():
        extras = "".join(e["content"] for r in results for e in r.get("extras", []) if e["format_type"] == "html")
        logs = "".join("".join(r.get("log", "")) for r in results)
        assert not [e for r in results for e in r.get("extras", []) if e["format_type"] == "text"], node
        if "TC_E_16" in node:  # the failure: diagram inline, trace in the log, nothing to unpack
            assert "class='ocpp-seq'" in extras and "ocpp-lazy" not in extras and "OCPP message trace" in logs
        else:  # passed: heading plain, the rest compressed, the trace not a second time in the log
            assert "ocpp-lazy" in extras and "class='ocpp-seq'" not in extras and "OCPP message trace" not in logs


def test_the_report_reads_at_a_narrow_and_a_wide_window(report: Path, tmp_path: Path) -> None:
    assert_readable(report, tmp_path)
