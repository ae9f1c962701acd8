"""The profile file of a load run: which stations, at which security profile, living which life. YAML
(needs PyYAML, part of the ``load`` extra) or JSON; every field has a default, an unknown field or a
bad value is one line naming it."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from simulator.provisioning.manifest import pattern_ids

EXAMPLE = Path(__file__).resolve().parent / "profiles" / "example.yaml"


class ProfileError(Exception):
    """A profile file that cannot be used; the message is one line."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Transactions(_Strict):
    every: float = Field(120, ge=0, description="seconds from one transaction's end to the next one's start "
                                                "(0: no transactions); the first after a random part of it")
    duration: float = Field(60, gt=0, description="seconds a transaction charges")
    meter_values_interval: float = Field(15, gt=0, description="seconds between its periodic meter values "
                                                                "(TransactionEvent Updated MeterValuePeriodic)")
    authorize: bool = Field(True, description="AuthorizeRequest before each transaction")


class Reconnect(_Strict):
    """OCPP's RetryBackOff variables (OCPPCommCtrlr): the n-th retry waits wait_minimum * 2^min(n, repeat_times)
    plus a random part of random_range seconds."""
    wait_minimum: float = Field(1, gt=0)
    random_range: float = Field(2, ge=0)
    repeat_times: int = Field(5, ge=0)


class Profile(_Strict):
    stations: str = Field("LOAD-{n:05d}", description="station id pattern, n from 0 (reference CSMS: "
                                                       "--load-stations PATTERN:COUNT)")
    security_profile: Literal[1, 2, 3] = 1
    password: str | None = Field(None, description="Basic Auth password (profiles 1, 2); None: BASIC_AUTH_CP_PASSWORD")
    client_cert: str | None = Field(None, description="profile 3: PEM certificate file, {id} = the station id")
    client_key: str | None = Field(None, description="profile 3: its private key file, {id} = the station id")
    boot_reason: str = "PowerUp"
    heartbeat_interval: Literal["csms"] | float = Field(
        "csms", description="'csms': the interval of the BootNotificationResponse (or of a later SetVariables "
                            "of OCPPCommCtrlr.HeartbeatInterval); a number of seconds overrides it")
    id_token: dict[str, str] | None = Field(None, description="idToken of the transactions; None: VALID_ID_TOKEN")
    transactions: Transactions = Transactions()
    reconnect: Reconnect = Reconnect()
    connect_rate: float | None = Field(None, gt=0, description="new connections per second over the whole run, "
                                                               "reconnects included; None: Locust's spawn rate")
    trace_frames: int = Field(0, ge=0, description="frames each station keeps (a ring) for a failure's context")

    @field_validator("stations")
    @classmethod
    def _pattern(cls, value: str) -> str:
        pattern_ids(value, 2)  # raises ValueError with the reason
        return value

    @field_validator("heartbeat_interval", mode="before")
    @classmethod
    def _interval(cls, value: Any) -> Any:
        if not isinstance(value, str) and (not isinstance(value, (int, float)) or value <= 0):
            raise ValueError("must be 'csms' or a number of seconds > 0")
        return value

    def station_id(self, n: int) -> str:
        return pattern_ids(self.stations, 1, n)[0]


def parse(text: str, name: str = "profile") -> Profile:
    """A profile from YAML or JSON text (JSON is YAML; without PyYAML only JSON is read)."""
    try:
        data = json.loads(text)
    except ValueError:
        try:
            import yaml
        except ImportError:
            raise ProfileError(f"{name}: not JSON, and PyYAML is not installed to read YAML "
                               f"(./run --extra load installs it)") from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise ProfileError(f"{name}: not YAML: {str(e).splitlines()[0]}") from None
    return from_dict(data or {}, name)


def from_dict(data: Any, name: str = "profile") -> Profile:
    if not isinstance(data, dict):
        raise ProfileError(f"{name}: expected a mapping of fields, got {type(data).__name__}")
    try:
        return Profile(**data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "profile"
        raise ProfileError(f"{name}: {where}: {first['msg'].removeprefix('Value error, ')}") from None


def load(path: str | Path | None) -> Profile:
    path = Path(path) if path else EXAMPLE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ProfileError(f"profile {path}: {e.strerror or e}") from None
    return parse(text, f"profile {path}")
