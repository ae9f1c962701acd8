"""``python -m simulator.operators.examples [RUN FOLDER]`` (default ``reports/latest``): the README's operator examples, taken from a
real run. Every operator action the suite asked for in that run, once: the JSON the harness POSTed
and the JSON the CSMS's action API answered, as the message traces of the Allure results recorded
them (``operator action …`` / ``operator answer …``). Run it after the first command of the README,
so the examples are what the embedded reference CSMS really exchanged, not prose that can drift."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from simulator.cli import run

_NOTE = re.compile(r" note operator (action|answer) (\{.*\})$")


def exchanges(reports: Path) -> dict[str, tuple[dict[str, Any], Any]]:
    """action name -> (request body, answer body): the shortest request seen for each action."""
    found: dict[str, tuple[dict[str, Any], Any]] = {}
    for attachment in sorted((reports / "allure-results").glob("*-attachment.txt")):
        pending: dict[str, Any] | None = None
        for line in attachment.read_text(errors="replace").splitlines():
            m = _NOTE.search(line)
            if not m:
                continue
            body = json.loads(m.group(2))
            if m.group(1) == "action":
                pending = body
            elif pending is not None:
                name = pending["action"]
                if name not in found or len(json.dumps(pending)) < len(json.dumps(found[name][0])):
                    found[name] = (pending, body)
                pending = None
    return dict(sorted(found.items()))


def _short(value: Any) -> Any:
    """PEM certificates and signatures shortened to their first characters, so a row stays a row."""
    if isinstance(value, dict):
        return {k: _short(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_short(v) for v in value]
    if isinstance(value, str) and len(value) > 72:
        return value[:40] + "…"
    return value


def markdown(found: dict[str, tuple[dict[str, Any], Any]]) -> str:
    lines = ["| action | request body (POSTed to `CSMS_OPERATOR_URL`) | answer body (HTTP 200) |", "|---|---|---|"]
    for name, (request, answer) in found.items():
        req = json.dumps(_short(request), separators=(", ", ": "), ensure_ascii=False).replace("|", "\\|")
        ans = json.dumps(_short(answer), separators=(", ", ": "), ensure_ascii=False).replace("|", "\\|")
        lines.append(f"| `{name}` | `{req}` | `{ans}` |")
    return "\n".join(lines) + "\n"


def main() -> None:
    reports = Path(sys.argv[1] if len(sys.argv) > 1 else "reports/latest")
    found = exchanges(reports)
    if not found:
        sys.exit(f"no operator exchanges in {reports}/allure-results: run the suite with CSMS_OPERATOR=http first")
    sys.stdout.write(markdown(found))


if __name__ == "__main__":
    run(main)
