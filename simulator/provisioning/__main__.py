"""``python -m simulator.provisioning [-k EXPR] [--format json|md]``: everything the CSMS must hold
for the selected cases, from the settings (environment, .env) and the catalogue's "CSMS setup"."""
from __future__ import annotations

import argparse
import sys

from simulator.provisioning.build import build, markdown, select
from simulator.settings import SettingError, load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator.provisioning", description=__doc__)
    parser.add_argument("-k", dest="keyword", metavar="EXPR", default=None,
                        help="select cases as pytest's -k does, on case ids (-k TC_E, -k 'TC_B or TC_E')")
    parser.add_argument("--format", choices=("json", "md"), default="md",
                        help="json for scripts (python -m reference_csms --manifest reads it), md for people")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingError as e:
        print(f"ERROR: {e}", file=sys.stderr)
        return 2
    try:
        cases = select(args.keyword)
    except Exception as e:  # noqa: BLE001 - pytest's expression parser raises its own error types
        print(f"ERROR: -k {args.keyword!r}: {e}", file=sys.stderr)
        return 2
    if not cases:
        print(f"ERROR: -k {args.keyword!r} selects no case", file=sys.stderr)
        return 5
    manifest = build(settings, cases)
    sys.stdout.write(manifest.to_json() if args.format == "json" else markdown(manifest) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
