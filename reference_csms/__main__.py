"""``python -m reference_csms``: run the reference CSMS alone.

Registrations, TLS files and faults come from a provisioning manifest (``--manifest``), the suite's
settings (``--suite``) or a JSON config file (the fields of CsmsConfig); ports, database and faults
can be given as options too.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from simulator.cli import run
from simulator.provisioning.manifest import pattern_ids

from .app import CsmsServer
from .config import CsmsConfig, StationReg, TariffReg, TokenReg
from .registry import FAULTS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reference_csms", description=__doc__)
    parser.add_argument("--config", help="JSON file with the CsmsConfig fields (stations, tokens, TLS files, ...)")
    parser.add_argument("--manifest", metavar="FILE", help="register what a provisioning manifest lists (python -m "
                        "simulator.provisioning --format json > FILE): stations, tokens, tariffs, firmware, "
                        "certificates")
    parser.add_argument("--suite", action="store_true",
                        help="register what the suite's settings (environment, .env) need, as the embedded CSMS does")
    parser.add_argument("--host", default=None)
    parser.add_argument("--port", type=int, default=None, help="ws port (security profile 1), default 9000")
    parser.add_argument("--wss-port", type=int, default=None, help="wss port (profiles 2 and 3), default 9443")
    parser.add_argument("--api-port", type=int, default=None, help="operator action API port, default 9080")
    parser.add_argument("--database", default=None, help="SQLite file (default: in memory)")
    parser.add_argument("--station", action="append", default=[], metavar="ID:PASSWORD[:PROFILE]",
                        help="register a station (repeatable)")
    parser.add_argument("--load-stations", default=None, metavar="PATTERN:COUNT",
                        help="register COUNT stations named by PATTERN with {n} from 0 (e.g. 'LOAD-{n:05d}:1000'), "
                             "at security profile 1 with --load-password, for the load mode")
    parser.add_argument("--load-password", default=None,
                        help="password of the --load-stations (default with --suite: BASIC_AUTH_CP_PASSWORD)")
    parser.add_argument("--heartbeat-interval", type=int, default=None,
                        help="interval (s) of Accepted BootNotification answers, default 300")
    parser.add_argument("--token", action="append", default=[], metavar="IDTOKEN:TYPE[:STATUS[:GROUP[:EXPIRY]]]",
                        help="register an id token (repeatable; EXPIRY an ISO 8601 UTC time, past = expired)")
    parser.add_argument("--mo-root", default=None, help="PEM file of the MO/V2G root(s) trusted for contract "
                                                       "certificates (ISO 15118)")
    parser.add_argument("--tariff", action="append", default=[], metavar="STATION:IDTOKEN:TYPE[:PRICE_PER_KWH]",
                        help="an energy tariff for a token's transactions at a station (repeatable)")
    parser.add_argument("--master-pass-group", default=None, help="the stations' MasterPassGroupId")
    parser.add_argument("--fault", action="append", default=[], help="start with a named fault (repeatable)")
    parser.add_argument("--option", action="append", default=[],
                        help="switch on an optional behaviour: base_report_at_boot, query_on_reconnect, busy")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the busy option's random requests (default: picked at start and printed)")
    parser.add_argument("--list-faults", action="store_true", help="list the named faults and exit")
    args = parser.parse_args(argv)
    from . import handlers  # noqa: F401
    if args.list_faults:
        for name, text in sorted(FAULTS.items()):
            print(f"{name:36} {text}")
        return 0
    load_password = args.load_password
    if args.suite:
        from simulator.settings import SettingError, load_settings
        from .suite_config import config_from_settings
        try:
            settings = load_settings()
            config = config_from_settings(settings)
        except SettingError as e:
            print(f"reference CSMS: {e}", file=sys.stderr)
            return 2
        config.ws_port, config.wss_port, config.api_port = 9000, 9443, 9080
        load_password = load_password or settings.BASIC_AUTH_CP_PASSWORD
    elif args.manifest:
        from simulator.provisioning.manifest import Manifest
        from .suite_config import config_from_manifest
        try:
            config = config_from_manifest(Manifest.from_file(args.manifest))
        except (OSError, ValueError) as e:
            print(f"reference CSMS: {e}", file=sys.stderr)
            return 2
        config.ws_port, config.wss_port, config.api_port = 9000, 9443, 9080
    elif args.config:
        config = CsmsConfig.from_file(args.config)
    else:
        config = CsmsConfig(ws_port=9000, wss_port=9443, api_port=9080)
    for name, value in (("host", args.host), ("ws_port", args.port), ("wss_port", args.wss_port),
                        ("api_port", args.api_port), ("database", args.database)):
        if value is not None:
            setattr(config, name, value)
    for spec in args.station:
        sid, _, rest = spec.partition(":")
        password, _, profile = rest.partition(":")
        config.stations.append(StationReg(sid, password or None, int(profile or 1)))
    if args.load_stations:
        pattern, _, count = args.load_stations.rpartition(":")
        try:
            if not count.isdigit() or not pattern:
                raise ValueError(f"--load-stations {args.load_stations!r}: expected PATTERN:COUNT, e.g. 'LOAD-{{n:05d}}:1000'")
            if not load_password:
                raise ValueError("--load-stations needs --load-password (or --suite, which uses BASIC_AUTH_CP_PASSWORD)")
            ids = pattern_ids(pattern, int(count))
        except ValueError as e:
            print(f"reference CSMS: {e}", file=sys.stderr)
            return 2
        config.stations += [StationReg(sid, load_password, 1) for sid in ids]
    if args.heartbeat_interval is not None:
        config.heartbeat_interval = args.heartbeat_interval
    for spec in args.token:
        parts = spec.split(":", 4)
        parts += [""] * (5 - len(parts))
        config.tokens.append(TokenReg(parts[0], parts[1], parts[2] or "Accepted", parts[3] or None, parts[4] or None))
    for spec in args.tariff:
        parts = spec.split(":")
        config.tariffs.append(TariffReg(parts[0], parts[1], parts[2], float(parts[3]) if len(parts) > 3 else None))
    if args.mo_root:
        config.mo_root_cert = args.mo_root
    if args.master_pass_group:
        config.master_pass_group_id = args.master_pass_group
    config.faults += args.fault
    config.options += args.option
    if args.seed is not None:
        config.seed = args.seed
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    async def run() -> None:
        csms = CsmsServer(config)
        await csms.start()
        # the server certificates name localhost: the wss address is printed so that it verifies as printed
        tls_host = "localhost" if config.host in ("127.0.0.1", "0.0.0.0", "::", "localhost") else config.host
        wss = f"wss://{tls_host}:{csms.wss_port}" if csms.wss_port else "(no wss: no server certificate configured)"
        print(f"reference CSMS listening: ws://{config.host}:{csms.ws_port} "
              f"{wss} actions http://{config.host}:{csms.api_port}/actions "
              f"(options: {', '.join(config.options) or 'none'}; seed {csms.seed})", flush=True)
        await asyncio.Future()
    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    except (ValueError, OSError) as e:
        print(f"reference CSMS: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    run(main)
