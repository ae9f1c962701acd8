"""``python -m simulator.load certs --count N [--load-profile P] [--out DIR]``: a client certificate and
key per load station (CN = its id, EC P-256), issued by the CA that issues station certificates
(``TLS_CLIENT_CA_CERT``, else ``TLS_CA_CERT``; its key beside it as ``.key``), for a profile at
security profile 3 (``client_cert: DIR/{id}.pem``, ``client_key: DIR/{id}.key``). Files that exist
are kept."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from fixtures.make_certs import _write_cert, _write_key, issue
from simulator.load import profile as profiles
from simulator.settings import SettingError, load_settings


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator.load certs", description=__doc__)
    parser.add_argument("--count", type=int, required=True, help="stations n = 0 … count-1")
    parser.add_argument("--load-profile", default=str(profiles.EXAMPLE), help="profile whose id pattern names them")
    parser.add_argument("--out", default="reports/load-certs", help="folder of <id>.pem and <id>.key")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        profile = profiles.load(args.load_profile)
        ca_file = settings.path(settings.TLS_CLIENT_CA_CERT or settings.TLS_CA_CERT)
        ca = x509.load_pem_x509_certificate(ca_file.read_bytes())
        ca_key = serialization.load_pem_private_key(ca_file.with_suffix(".key").read_bytes(), None)
    except (SettingError, profiles.ProfileError) as e:
        print(f"ERROR: {e}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as e:
        print(f"ERROR: the CA that issues station certificates cannot be used ({e})", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    made = 0
    for n in range(args.count):
        station_id = profile.station_id(n)
        cert, key_file = out / f"{station_id}.pem", out / f"{station_id}.key"
        if cert.exists() and key_file.exists():
            continue
        key = ec.generate_private_key(ec.SECP256R1())
        _write_cert(cert, issue(ca, ca_key, key.public_key(), station_id))
        _write_key(key_file, key)
        made += 1
    print(f"{made} new client certificates in {out} ({args.count - made} kept), issued by {ca_file}")
    return 0
