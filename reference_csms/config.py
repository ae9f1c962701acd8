"""What the reference CSMS is started with: ports, database, TLS files, registrations, faults."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class StationReg:
    id: str
    password: str | None = None
    security_profile: int = 1          # the lowest profile the CSMS accepts for the station
    boot_plan: list[str] = field(default_factory=list)  # answers for the next boots, then Accepted
    items_per_message_get_variables: int | None = None  # operator-configured DeviceDataCtrlr limit


@dataclass
class TokenReg:
    id_token: str
    type: str
    status: str = "Accepted"           # Accepted, Blocked, Expired, Invalid, ...
    group_id: str | None = None
    expiry: str | None = None          # ISO time; past means Expired


@dataclass
class TariffReg:
    """An energy-only tariff (taxes included, no other fee) for one token's transactions at a station."""
    station: str
    id_token: str
    type: str
    price_per_kwh: float | None = None  # None: the config's tariff_price_per_kwh


@dataclass
class FirmwareReg:
    """A firmware file the CSMS can order (L01) or publish (L03): where stations fetch it, the image
    (its MD5 is the publish checksum), the signing certificate and the Base64 signature over the image."""
    location: str
    image: str
    signing_certificate: str
    signature: str


@dataclass
class CsmsConfig:
    host: str = "127.0.0.1"
    ws_port: int = 0                   # 0: a free port
    wss_port: int | None = 0           # None: no TLS endpoint
    api_port: int = 0
    database: str = ":memory:"
    heartbeat_interval: int = 300
    pending_interval: int = 1          # interval of Pending/Rejected boot answers
    request_timeout: float = 10.0      # how long the CSMS waits for a station's answer
    server_rsa_cert: str | None = None
    server_rsa_key: str | None = None
    server_ec_cert: str | None = None
    server_ec_key: str | None = None
    client_ca_cert: str | None = None  # CA trusted for station certificates (SP3), signs CSRs
    client_ca_key: str | None = None
    stations: list[StationReg] = field(default_factory=list)
    tokens: list[TokenReg] = field(default_factory=list)
    tariff_price_per_kwh: float = 0.25  # price of the tariffs below that name none
    tariffs: list[TariffReg] = field(default_factory=list)
    tariff_price_per_kwh: float = 0.25
    mo_root_cert: str | None = None    # MO/V2G root (PEM) trusted for contract certificates (C07)
    master_pass_group_id: str | None = None  # the stations' AuthCtrlr.MasterPassGroupId (C16)
    # blocks L and M: firmware it can order and publish; the contract certificate service of its
    # ISO 15118 back end (MO Sub-CA that issues contract certificates, chain up to the MO root)
    firmware: list[FirmwareReg] = field(default_factory=list)
    contract_ca_cert: str | None = None
    contract_ca_key: str | None = None
    contract_ca_chain: str | None = None  # PEM of the issuing CA's chain above it (the MO root)
    contract_emaid: str | None = None  # eMAID the back end provisions for a newly installing EV
    ocsp_timeout: float = 10.0
    faults: list[str] = field(default_factory=list)
    # optional OCPP behaviours some CSMSs have (the suite must cope with them):
    # base_report_at_boot (GetBaseReport FullInventory after every accepted boot),
    # query_on_reconnect (GetTransactionStatus for each ongoing transaction when a station reconnects),
    # busy (requests no case asked for at random moments, optional fields in answers; reference_csms/busy.py)
    options: list[str] = field(default_factory=list)
    seed: int | None = None            # seed of the busy option's random requests; None: picked at start

    @classmethod
    def from_file(cls, path: str | Path) -> "CsmsConfig":
        data = json.loads(Path(path).read_text())
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CsmsConfig":
        data = dict(data)
        data["stations"] = [StationReg(**s) for s in data.get("stations", [])]
        data["tokens"] = [TokenReg(**t) for t in data.get("tokens", [])]
        data["tariffs"] = [TariffReg(**t) for t in data.get("tariffs", [])]
        data["firmware"] = [FirmwareReg(**f) for f in data.get("firmware", [])]
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
