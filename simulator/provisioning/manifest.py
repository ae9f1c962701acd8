"""The provisioning manifest's format: what a CSMS must hold before the selected cases run, as plain
data that survives JSON. It imports nothing of the harness, so any CSMS's tooling (and the reference
CSMS's ``--manifest``) can read it without the harness's stations or settings."""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

FORMAT = "ocpp201-csms-manifest/1"


#: OCPP 2.0.1 Part 4: a station identity is an identifierString of at most 48 characters
_IDENTITY = re.compile(r"[A-Za-z0-9*\-_=:+|@.]{1,48}")


def pattern_ids(pattern: str, count: int, first: int = 0) -> list[str]:
    """The station ids ``pattern.format(n=first) … pattern.format(n=first+count-1)`` (e.g.
    ``LOAD-{n:05d}``), as the load mode names its stations; ValueError with one line for a pattern that
    names no ``{n}``, repeats ids or makes an id OCPP refuses."""
    if "{n" not in pattern:
        raise ValueError(f"station id pattern {pattern!r} must contain {{n}} (e.g. LOAD-{{n:05d}})")
    try:
        ids = [pattern.format(n=n) for n in range(first, first + count)]
    except (KeyError, IndexError, ValueError) as e:
        raise ValueError(f"station id pattern {pattern!r}: {e}") from None
    bad = next((i for i in ids if not _IDENTITY.fullmatch(i)), None)
    if bad is not None:
        raise ValueError(f"station id pattern {pattern!r} makes {bad!r}, not an OCPP identity "
                         f"(1-48 of A-Z a-z 0-9 *-_=:+|@.)")
    if len(set(ids)) != len(ids):
        raise ValueError(f"station id pattern {pattern!r} repeats ids within {count} stations")
    return ids


@dataclass
class Connector:
    id: int
    type: str


@dataclass
class Evse:
    id: int
    connectors: list[Connector]


@dataclass
class StationItem:
    """A station the CSMS must accept: at these security profiles (the lowest is where it starts),
    with Basic Auth ``password`` (profiles 1, 2) or a client certificate whose CN is
    ``client_certificate_cn`` (profile 3); its EVSEs and the configuration the CSMS must know."""
    id: str
    security_profiles: list[int]
    password: str | None = None
    client_certificate_cn: str | None = None
    evses: list[Evse] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)  # "Component.Variable[instance]" -> value
    settings: list[str] = field(default_factory=list)
    cases: list[str] = field(default_factory=list)


@dataclass
class TokenItem:
    """An id token: ``status`` Accepted, Invalid (the CSMS may also not know it), Blocked, or Expired
    (stored with ``expiry`` in the past); ``authorize`` the statuses an AuthorizeResponse may carry."""
    id_token: str
    type: str
    status: str
    group: str | None = None
    expiry: str | None = None
    authorize: list[str] = field(default_factory=list)
    settings: list[str] = field(default_factory=list)
    cases: list[str] = field(default_factory=list)


@dataclass
class TariffItem:
    """An energy-only tariff (taxes included, no other fee) for a token's transactions at a station."""
    station: str
    id_token: str
    type: str
    price_per_kwh: float
    cases: list[str] = field(default_factory=list)


@dataclass
class FirmwareItem:
    """Firmware the CSMS can order (L01) or publish (L03): where stations fetch it, the image (its MD5
    is ``checksum``), the signing certificate and the file with the Base64 signature over the image."""
    location: str
    image: str
    checksum: str
    signing_certificate: str
    signature: str
    cases: list[str] = field(default_factory=list)


@dataclass
class CertificateItem:
    """A certificate the CSMS must hold: ``role`` says what for; ``key`` where the CSMS must also sign
    with it (station CSRs, contract certificates)."""
    role: str
    file: str
    use: str
    key: str | None = None
    cases: list[str] = field(default_factory=list)


@dataclass
class ServerCertificate:
    """A certificate the CSMS serves on its wss endpoint (profiles 2 and 3)."""
    key_type: str                   # RSA or EC
    file: str | None                # None: one of the CSMS's own PKI that ``verified_by`` verifies
    key: str | None
    verified_by: str                # the CA file the stations verify the server with (TLS_CA_CERT)
    cases: list[str] = field(default_factory=list)


@dataclass
class UrlItem:
    url: str
    use: str
    cases: list[str] = field(default_factory=list)


@dataclass
class ContractService:
    """The ISO 15118 back end's contract certificate service: the CA that issues contract
    certificates, its chain up to the MO root, and the eMAID it provisions."""
    ca_cert: str
    ca_key: str
    chain: str
    emaid: str
    cases: list[str] = field(default_factory=list)


@dataclass
class SetupNote:
    """A "CSMS setup" line of the catalogue, as written, and the cases that ask it."""
    text: str
    cases: list[str] = field(default_factory=list)


@dataclass
class Manifest:
    csms: str
    cases: list[str]
    stations: list[StationItem] = field(default_factory=list)
    tokens: list[TokenItem] = field(default_factory=list)
    tariffs: list[TariffItem] = field(default_factory=list)
    firmware: list[FirmwareItem] = field(default_factory=list)
    certificates: list[CertificateItem] = field(default_factory=list)
    server_certificates: list[ServerCertificate] = field(default_factory=list)
    urls: list[UrlItem] = field(default_factory=list)
    contract_service: ContractService | None = None
    setup: list[SetupNote] = field(default_factory=list)
    format: str = FORMAT

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "Manifest":
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not a provisioning manifest (format {FORMAT!r} expected)")
        return _build(cls, data)

    @classmethod
    def from_file(cls, path: str | Path) -> "Manifest":
        try:
            return cls.from_json(Path(path).read_text(encoding="utf-8"))
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from None

    def certificate(self, role: str) -> CertificateItem | None:
        return next((c for c in self.certificates if c.role == role), None)


#: the type of each list/optional field of the dataclasses above, for reading JSON back
_NESTED: dict[tuple[type, str], type] = {
    (Manifest, "stations"): StationItem, (Manifest, "tokens"): TokenItem, (Manifest, "tariffs"): TariffItem,
    (Manifest, "firmware"): FirmwareItem, (Manifest, "certificates"): CertificateItem,
    (Manifest, "server_certificates"): ServerCertificate, (Manifest, "urls"): UrlItem,
    (Manifest, "contract_service"): ContractService, (Manifest, "setup"): SetupNote,
    (StationItem, "evses"): Evse, (Evse, "connectors"): Connector,
}


def _build(cls: type, data: dict[str, Any]) -> Any:
    """``cls`` from its JSON form; an unknown or missing field is a ValueError naming it."""
    if not isinstance(data, dict):
        raise ValueError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    known = {f.name for f in fields(cls)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown field(s) {', '.join(sorted(unknown))}")
    values = dict(data)
    for name, value in data.items():
        inner = _NESTED.get((cls, name))
        if inner is not None and isinstance(value, list):
            values[name] = [_build(inner, v) for v in value]
        elif inner is not None and value is not None:
            values[name] = _build(inner, value)
    try:
        return cls(**values)
    except TypeError as e:
        raise ValueError(f"{cls.__name__}: {e}") from None
