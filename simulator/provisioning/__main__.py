"""``python -m simulator.provisioning [-k EXPR] [--format json|md]``: everything the CSMS must hold
for the selected cases, from the settings (environment, .env) and the catalogue's "CSMS setup"."""
from __future__ import annotations

import argparse
import sys

from simulator.cli import run
from simulator.provisioning.build import build, load_stations, markdown, select
from simulator.settings import SettingError, load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator.provisioning", description=__doc__)
    parser.add_argument("-k", dest="keyword", metavar="EXPR", default=None,
                        help="select cases as pytest's -k does, on case ids (-k TC_E, -k 'TC_B or TC_E')")
    parser.add_argument("--format", choices=("json", "md"), default="md",
                        help="json for scripts (python -m reference_csms --manifest reads it), md for people")
    parser.add_argument("--load-stations", metavar="PATTERN:COUNT", default=None,
                        help="also the load mode's stations (python -m simulator.load), e.g. 'LOAD-{n:05d}:1000'")
    parser.add_argument("--load-security-profile", type=int, choices=(1, 2, 3), default=1,
                        help="the load stations' security profile: 1 or 2 (password), 3 (client certificate)")
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
    if args.load_stations:
        pattern, _, count = args.load_stations.rpartition(":")
        try:
            if not pattern or not count.isdigit():
                raise ValueError(f"--load-stations {args.load_stations!r}: expected PATTERN:COUNT, e.g. 'LOAD-{{n:05d}}:1000'")
            manifest.stations += load_stations(settings, pattern, int(count), args.load_security_profile)
        except ValueError as e:
            print(f"ERROR: {e}", file=sys.stderr)
            return 2
    sys.stdout.write(manifest.to_json() if args.format == "json" else markdown(manifest) + "\n")
    return 0


if __name__ == "__main__":
    run(main)
