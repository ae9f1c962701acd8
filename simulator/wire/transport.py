"""Opening the station's WebSocket for security profiles 1-3, and the deliberately bad variants.

SP1: ws:// + Basic Auth (username = station id). SP2: wss:// + Basic Auth, server verified against
TLS_CA_CERT. SP3: wss:// + client certificate, no Authorization header. Subprotocol ocpp2.0.1.
Every attempt is a ``connections.Link``: it starts CSMS_SETTLE_TIME after the station's previous
connection closed, and its end is recorded when the close has completed on both sides.
"""
from __future__ import annotations

import asyncio
import base64
import functools
import ssl
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, InvalidMessage, InvalidStatus

from simulator.wire import connections
from simulator.wire.protocol import SUBPROTOCOL

#: the largest frame the station takes; a bigger one makes it close the connection with 1009
MAX_FRAME = 4 * 2**20
MESSAGE_TOO_BIG = 1009


@dataclass
class Credentials:
    """How one station identifies itself: profile, password and/or client certificate."""
    station_id: str
    profile: int
    password: str | None = field(default=None, repr=False)
    client_cert: Path | None = None
    client_key: Path | None = None
    username: str | None = None  # None = the station id (A00.FR.204)

    def authorization(self) -> str | None:
        if self.password is None or self.profile == 3:
            return None
        user = self.station_id if self.username is None else self.username
        return "Basic " + base64.b64encode(f"{user}:{self.password}".encode()).decode()


@dataclass
class Endpoint:
    ws_url: str | None
    wss_url: str | None
    ca_cert: Path | None
    open_timeout: float
    wss3_url: str | None = None  # security profile 3 apart from profile 2 (None: wss_url)
    settle_time: float = 0.0  # CSMS_SETTLE_TIME: a station's next connection starts this long after its last closed

    def url(self, profile: int, station_id: str) -> str:
        base = self.ws_url if profile == 1 else (self.wss3_url or self.wss_url) if profile == 3 else self.wss_url
        if not base:
            raise ConnectError(f"no {'CSMS_ADDRESS' if profile == 1 else 'CSMS_WSS_ADDRESS'} configured "
                               f"for security profile {profile}")
        return f"{base}/{station_id}"


class ConnectError(Exception):
    """The WebSocket could not be opened; the message is one line with the cause."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def client_tls_context(ca_cert: Path | None, cert: Path | None = None, key: Path | None = None,
                       *, verify: bool = True, min_version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2,
                       max_version: ssl.TLSVersion | None = None, ciphers: str | None = None) -> ssl.SSLContext:
    """TLS 1.2+ client context verifying the CSMS against the CA (Connect-SP2/SP3)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = min_version
    if max_version is not None:
        ctx.maximum_version = max_version
    ctx.options |= ssl.OP_NO_COMPRESSION
    if ciphers:
        ctx.set_ciphers(ciphers)
    if verify:
        if ca_cert is None:
            raise ConnectError("TLS_CA_CERT is not set: cannot verify the CSMS's certificate")
        ctx.load_verify_locations(cafile=str(ca_cert))
        ctx.check_hostname = True
        ctx.verify_mode = ssl.CERT_REQUIRED
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if cert is not None:
        ctx.load_cert_chain(str(cert), str(key) if key else None)
    return ctx


@dataclass
class Upgrade:
    """What the CSMS answered to one WebSocket upgrade."""
    connection: ClientConnection | None
    status: int | None
    subprotocol: str | None = None
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    timed_out: bool = False  # no answer at all within the open timeout: silence, not a refusal

    @property
    def opened(self) -> bool:
        return self.connection is not None

    @property
    def upgraded(self) -> bool:
        """The CSMS answered 101, whether or not the client could accept its headers."""
        return self.opened or self.status == 101


class StationConnection(ClientConnection):
    """A station's WebSocket whose end is recorded on its link when the TCP connection is gone
    (after the closing handshake, or the CSMS's close, or an abort); a connection the CSMS drops
    without a close frame is noted as a connection trouble."""

    def __init__(self, *args: Any, link: connections.Link, made: list["StationConnection"], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.link = link
        #: seconds from the upgrade request going out to its answer (TCP and TLS handshakes not
        #: counted): the station's first estimate of its link's round trip, before any OCPP answer
        self.upgrade_seconds = 0.0
        made.append(self)

    async def handshake(self, *args: Any, **kwargs: Any) -> None:
        started = time.perf_counter()
        try:
            await super().handshake(*args, **kwargs)
        finally:
            self.upgrade_seconds = time.perf_counter() - started

    def connection_lost(self, exc: Exception | None) -> None:
        upgraded = self.response is not None and self.response.status_code == 101
        super().connection_lost(exc)
        if upgraded and self.close_code == 1006 and not self.link.closed:
            connections.trouble(f"the connection of {self.link.station} ended without a close frame"
                                f"{f' ({exc.__class__.__name__})' if exc else ''}")
        self.link.close()


async def open_websocket(endpoint: Endpoint, creds: Credentials, *,
                         subprotocols: list[str] | None = None,
                         authorization: str | None | bool = True,
                         tls: ssl.SSLContext | None = None) -> Upgrade:
    """Try one upgrade and report what happened, never raising for a refusal.

    ``authorization=True`` sends the credentials' header, ``None``/``False`` sends none, a string
    sends that header as is. The attempt starts CSMS_SETTLE_TIME (``endpoint.settle_time``) after
    the station's previous connection closed; when it opens no WebSocket, it returns only once
    the connection it made is gone.
    """
    url = endpoint.url(creds.profile, creds.station_id)
    headers: dict[str, str] = {}
    auth = creds.authorization() if authorization is True else (authorization or None)
    if auth:
        headers["Authorization"] = auth
    if creds.profile >= 2 and tls is None:
        try:
            tls = client_tls_context(endpoint.ca_cert, creds.client_cert if creds.profile == 3 else None,
                                     creds.client_key if creds.profile == 3 else None)
        except (OSError, ssl.SSLError) as e:
            raise ConnectError(f"cannot load TLS files for {creds.station_id}: {e}") from None
    kwargs: dict[str, Any] = {}
    if url.startswith("wss://"):
        kwargs["ssl"] = tls
        kwargs["server_hostname"] = urlsplit(url).hostname
    link = await connections.open_link(creds.station_id, endpoint.settle_time, "websocket")
    made: list[StationConnection] = []
    try:
        ws = await connect(url, subprotocols=subprotocols or [SUBPROTOCOL], additional_headers=headers,
                           open_timeout=endpoint.open_timeout, close_timeout=endpoint.open_timeout,
                           ping_interval=None, max_size=MAX_FRAME,
                           create_connection=functools.partial(StationConnection, link=link, made=made),
                           **kwargs)
    except asyncio.CancelledError:
        for connection in made:
            if getattr(connection, "transport", None) is not None:
                connection.transport.abort()
        link.close()
        raise
    except Exception as e:  # noqa: BLE001 - every way an attempt ends is classified below
        await _gone(made, link, endpoint.open_timeout)
        return _refusal(e, url, endpoint)
    response = ws.response
    return Upgrade(ws, response.status_code if response else 101, ws.subprotocol,
                   headers=dict(response.headers.raw_items()) if response else {})


async def _gone(made: list[StationConnection], link: connections.Link, timeout: float) -> None:
    """An attempt that opened no WebSocket: wait until the connection it made has ended (the
    client aborts it after a refusal), then record the end."""
    for connection in made:
        if getattr(connection, "transport", None) is not None and not link.closed:
            connection.transport.abort()
            try:
                await asyncio.wait_for(connection.wait_closed(), timeout)
            except (TimeoutError, asyncio.TimeoutError):
                pass
    link.close()


def _refusal(e: Exception, url: str, endpoint: Endpoint) -> Upgrade:
    """How an attempt that opened no WebSocket ended; ConnectError when the CSMS was not reached."""
    if isinstance(e, InvalidStatus):
        return Upgrade(None, e.response.status_code, error=f"HTTP {e.response.status_code}")
    if isinstance(e, InvalidMessage):  # no parsable HTTP response at all: the CSMS hung up or reset
        connections.trouble(f"no HTTP response to the upgrade ({e.__cause__ or e})")
        return Upgrade(None, None, error=f"no HTTP response to the upgrade ({e.__cause__ or e})")
    if isinstance(e, InvalidHandshake):  # a 101 whose WebSocket headers the client cannot accept
        return Upgrade(None, 101, error=f"HTTP 101 with unacceptable headers: {e}")
    if isinstance(e, ssl.SSLError):
        return Upgrade(None, None, error=f"TLS handshake failed: {e.reason or e}")
    if isinstance(e, ConnectionRefusedError):
        connections.trouble("connection refused")
        raise ConnectError(f"cannot reach {url}: connection refused") from None
    if isinstance(e, (ConnectionError, EOFError)):
        connections.trouble(f"connection closed during the handshake ({e.__class__.__name__})")
        return Upgrade(None, None, error=f"connection closed during the handshake ({e.__class__.__name__})")
    if isinstance(e, (TimeoutError, asyncio.TimeoutError)):
        connections.trouble(f"no answer to the upgrade within {endpoint.open_timeout:g} s")
        return Upgrade(None, None, error=f"no answer to the WebSocket upgrade within {endpoint.open_timeout:g} s",
                       timed_out=True)
    if isinstance(e, OSError):
        connections.trouble(e.strerror or str(e))
        raise ConnectError(f"cannot reach {url}: {e.strerror or e}") from None
    raise e


def station_close(ws: Any) -> str | None:
    """Why the station itself ended a connection on a protocol error, before the CSMS sent a close
    (the close code the CSMS sent is then 1006, "none"): one line blaming what the CSMS did, or None
    when the CSMS closed first or the station closed normally."""
    protocol = getattr(ws, "protocol", None)
    sent, received = getattr(protocol, "close_sent", None), getattr(protocol, "close_rcvd", None)
    if sent is None or sent.code == 1000 or (received is not None and getattr(protocol, "close_rcvd_then_sent", False)):
        return None
    if sent.code == MESSAGE_TOO_BIG:
        return (f"the CSMS sent a frame over the harness's {MAX_FRAME // 2**20} MiB limit: the station closed the "
                f"connection with {MESSAGE_TOO_BIG} (message too big)")
    return f"the station closed the connection with close code {sent.code}" + (f" ({sent.reason})" if sent.reason else "")


async def connect_station(endpoint: Endpoint, creds: Credentials) -> ClientConnection:
    """Connect-SP1/2/3: the upgrade must succeed with subprotocol ocpp2.0.1, else ConnectError."""
    upgrade = await open_websocket(endpoint, creds)
    if upgrade.timed_out:
        raise ConnectError(f"no answer to the WebSocket upgrade of {creds.station_id} (security profile "
                           f"{creds.profile}) within {endpoint.open_timeout:g} s")
    if not upgrade.opened:
        raise ConnectError(f"security profile {creds.profile} connection of {creds.station_id} refused: "
                           f"{upgrade.error}", upgrade.status)
    if upgrade.subprotocol != SUBPROTOCOL:
        await upgrade.connection.close()
        raise ConnectError(f"CSMS opened the WebSocket with subprotocol {upgrade.subprotocol!r}, "
                           f"expected {SUBPROTOCOL!r}", upgrade.status)
    return upgrade.connection
