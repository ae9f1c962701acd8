"""Does the CSMS admit or refuse one connection attempt? Verdicts for the block-A steps that ask.

A refusal counts only when it is one: an HTTP status other than 101, a TLS alert, or a close by the
CSMS after it got the attempt; for a client certificate also a reset during the TLS handshake or
right after it, before any HTTP answer (TLS 1.3 sends the server's verdict on the client certificate
after the client has finished its handshake: the alert, or a reset, arrives on the first read).
Silence, and a reset anywhere else, are what an outage or a crash looks like, so they fail the step;
and a case first shows that the same CSMS admits the valid counterpart, so that a CSMS admitting
nobody cannot pass a refusal case. The attempt is made with its own small client (the WebSocket
library reports a close, a reset and an alert all as "connection closed"): HTTP upgrade per RFC 6455
through websockets' sans-I/O protocol, TLS through memory buffers.
"""
from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any

from websockets.client import ClientProtocol
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

from simulator.verdicts.checks import check, check_that, fail
from simulator.wire.protocol import SUBPROTOCOL
from simulator.probes.tls_probes import (EXPLICIT_ENDINGS, RESET, Channel, Ended, Offer, TlsInfo, TlsObserver,
                                         host_port, station_offer)
from simulator.wire.transport import ConnectError, Credentials, Endpoint, Upgrade, client_tls_context, open_websocket

UPGRADED, HTTP_STATUS, NOT_HTTP = "upgraded", "http status", "not http"
EXPLICIT_REFUSAL = "an explicit refusal (HTTP 401/403/404, TLS alert, close) was expected"
CERTIFICATE_REFUSAL = ("an explicit refusal of the client certificate (TLS alert, close or reset during or right "
                       "after the TLS handshake, HTTP 401/403/404) was expected")
_MAX_HEAD = 65536


@dataclass
class Attempt:
    """How one upgrade attempt ended; ``detail`` is one line (never a secret)."""
    outcome: str                  # UPGRADED, HTTP_STATUS, NOT_HTTP or a tls_probes ending
    detail: str
    status: int | None = None
    subprotocol: str | None = None
    opened: bool = False          # 101 whose WebSocket headers the station accepts
    tls: TlsInfo | None = None
    at_tls: bool = False          # ended during the TLS handshake or right after it, before any HTTP answer

    @property
    def upgraded(self) -> bool:
        return self.outcome == UPGRADED

    @property
    def explicit_refusal(self) -> bool:
        return self.outcome == HTTP_STATUS or self.outcome in EXPLICIT_ENDINGS

    @property
    def certificate_refusal(self) -> bool:
        """A refusal of the client certificate the station presented (or did not): an explicit
        refusal, or a reset while the CSMS was deciding on it (during or right after the handshake)."""
        return self.explicit_refusal or (self.outcome == RESET and self.at_tls)


async def attempt(endpoint: Endpoint, creds: Credentials, *, authorization: str | None | bool = True,
                  tls: ssl.SSLContext | None = None) -> Attempt:
    """One HTTP upgrade to ``<endpoint>/<station id>`` for the credentials' profile, then (after a
    101) a normal WebSocket close. The connection is one of the station's (CSMS_SETTLE_TIME after its
    previous one closed). ConnectError (one line) when the CSMS cannot be reached or a TLS file
    cannot be loaded."""
    url = endpoint.url(creds.profile, creds.station_id)
    host, port = host_port(url)
    wss = url.startswith("wss://")
    if wss and tls is None:
        try:
            tls = client_tls_context(endpoint.ca_cert, creds.client_cert if creds.profile == 3 else None,
                                     creds.client_key if creds.profile == 3 else None)
        except (OSError, ssl.SSLError) as e:
            raise ConnectError(f"cannot load TLS files for {creds.station_id}: {getattr(e, 'reason', None) or e}") \
                from None
    channel = await Channel.open(host, port, endpoint.open_timeout, station=creds.station_id,
                                 settle=endpoint.settle_time, via="upgrade probe")
    info: TlsInfo | None = None
    head = b""
    try:
        if wss:
            info = await channel.start_tls(tls, host, TlsObserver(tls))  # type: ignore[arg-type]
        protocol = ClientProtocol(parse_uri(url), subprotocols=[Subprotocol(SUBPROTOCOL)])
        request = protocol.connect()
        auth = creds.authorization() if authorization is True else (authorization or None)
        if auth:
            request.headers["Authorization"] = auth
        protocol.send_request(request)
        await channel.send(b"".join(protocol.data_to_send()), "after the upgrade request")
        while b"\r\n\r\n" not in head and len(head) < _MAX_HEAD:
            head += await channel.receive("the upgrade")
        return await _answer(channel, protocol, head, info)
    except Ended as e:
        detail = e.detail
        if e.kind == RESET and wss and not head and channel.handshake_done:
            detail = ("the CSMS reset the connection right after the TLS handshake, before any HTTP answer "
                      "(no TLS alert)")
        return Attempt(e.kind, detail, tls=info, at_tls=wss and not head)
    finally:
        await channel.close()


async def _answer(channel: Channel, protocol: ClientProtocol, head: bytes, info: TlsInfo | None) -> Attempt:
    """Classify the CSMS's HTTP answer; a 101 is checked by the WebSocket protocol, then closed."""
    line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        return Attempt(NOT_HTTP, f"the CSMS answered the upgrade with something that is not HTTP ({line[:60]!r})",
                       tls=info)
    status = int(parts[1])
    if status != 101:
        return Attempt(HTTP_STATUS, f"HTTP {status}", status, tls=info)
    protocol.receive_data(head)
    protocol.events_received()
    if protocol.handshake_exc is not None:
        return Attempt(UPGRADED, f"HTTP 101 with unacceptable headers: {protocol.handshake_exc}", 101, tls=info)
    subprotocol = protocol.subprotocol
    protocol.send_close(1000, "")
    try:
        await channel.send(b"".join(protocol.data_to_send()), "after the close")
    except Ended:
        pass
    return Attempt(UPGRADED, "HTTP 101", 101, subprotocol, opened=True, tls=info)


# ---------------------------------------------------------------- verdicts
async def try_upgrade(step: int | str, endpoint: Endpoint, creds: Credentials, **kwargs: Any) -> Attempt:
    """``attempt`` whose unreachable CSMS or unloadable TLS file fails ``step`` with one line."""
    try:
        return await attempt(endpoint, creds, **kwargs)
    except ConnectError as e:
        fail(step, str(e))


async def require_admission(step: int | str, endpoint: Endpoint, creds: Credentials, what: str) -> Attempt:
    """The valid counterpart of a refusal case: the same CSMS answers it with HTTP 101 (connect and
    close), so that the refusals that follow are refusals and not a CSMS that admits nobody."""
    result = await try_upgrade(step, endpoint, creds)
    check_that(step, result.upgraded,
               f"{what} expected HTTP 101, got {result.detail}: a refusal counts only from a CSMS that admits "
               f"the valid counterpart")
    return result


async def require_refusal(step: int | str, endpoint: Endpoint, creds: Credentials, trace: Any, what: str = "",
                          expected: str = "not 101; 401 expected", *, certificate: bool = False,
                          **kwargs: Any) -> Attempt:
    """No WebSocket, and an explicit refusal (HTTP status != 101, TLS alert, close); silence or a
    bare reset fails the step. ``certificate``: the refusal is of the client certificate the
    station presents (or does not), so a reset during or right after the TLS handshake counts too.
    The trace notes how the CSMS refused."""
    result = await try_upgrade(step, endpoint, creds, **kwargs)
    if result.upgraded:
        fail(step, f"{what}HTTP status expected a refusal ({expected}), got 101: "
                   f"{'the WebSocket was opened' if result.opened else result.detail}")
    if certificate:
        check_that(step, result.certificate_refusal, f"{what}{result.detail}; {CERTIFICATE_REFUSAL}")
    else:
        check_that(step, result.explicit_refusal, f"{what}{result.detail}; {EXPLICIT_REFUSAL}")
    trace.note(creds.station_id, f"step {step}: {what}the CSMS refused ({result.detail})")
    return result


async def open_upgrade(step: int | str, endpoint: Endpoint, creds: Credentials, **kwargs: Any) -> Upgrade:
    """A WebSocket the case goes on using; an unreachable CSMS or unloadable TLS file fails ``step``."""
    try:
        return await open_websocket(endpoint, creds, **kwargs)
    except ConnectError as e:
        fail(step, str(e))


def check_upgraded(step: int | str, upgrade: Upgrade) -> None:
    """HTTP 101 with subprotocol ocpp2.0.1."""
    check_that(step, upgrade.opened, f"status expected 101 with Sec-WebSocket-Protocol ocpp2.0.1, got "
                                      f"{upgrade.error or upgrade.status}")
    check(step, "Sec-WebSocket-Protocol", upgrade.subprotocol, SUBPROTOCOL)


async def open_with_station_offer(step: int | str, endpoint: Endpoint, creds: Credentials,
                                  host: str) -> tuple[Upgrade, TlsInfo, Offer]:
    """Connect-SP2/SP3 with a real station's whole offer (TLS 1.0-1.3, every suite), keeping the
    facts of this handshake for the checks of what the CSMS chose; a handshake that does not
    complete fails ``step`` with its cause."""
    cert, key = (creds.client_cert, creds.client_key) if creds.profile == 3 else (None, None)
    ctx, offer = station_offer(step, endpoint.ca_cert, cert, key, host)
    observer = TlsObserver(ctx)
    upgrade = await open_upgrade(step, endpoint, creds, tls=ctx)
    if observer.last is None:
        fail(step, f"the TLS handshake did not complete: {upgrade.error}")
    return upgrade, observer.last, offer
