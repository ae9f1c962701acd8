"""The reference CSMS on the network: WebSocket endpoints (SP1 on ws, SP2/SP3 on wss) and the action
API over HTTP, around the CentralSystem the handlers see."""
from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
import logging
import random
from http import HTTPStatus
from typing import Any, Iterator

from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import NegotiationError
from websockets.http11 import Request, Response

from simulator.wire.protocol import SUBPROTOCOL

from . import handlers  # noqa: F401  (registers the behaviour)
from .busy import BusyStation, Step, plan, read_back_rng
from .central import CentralSystem, CsmsSession
from .config import CsmsConfig
from .registry import ActionError
from .tls import server_context

log = logging.getLogger("reference_csms")


class CsmsServer(CentralSystem):
    """The CSMS on the network: its endpoints, the admission of stations, and their sessions."""

    def __init__(self, config: CsmsConfig) -> None:
        super().__init__(config)
        self.busy_plans: dict[str, Iterator[Step]] = {}  # per station, continued across its connections
        self.busy_read_backs: dict[str, random.Random] = {}  # likewise
        self._servers: list[Any] = []
        self.ws_port: int | None = None
        self.wss_port: int | None = None
        self.api_port: int | None = None

    # ------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        c = self.config
        ws = await serve(self._serve_profile1, c.host, c.ws_port, process_request=self._check_sp1,
                         subprotocols=[SUBPROTOCOL], select_subprotocol=self._select_subprotocol,
                         ping_interval=None, max_size=2**22)
        self._servers.append(ws)
        self.ws_port = ws.sockets[0].getsockname()[1]
        if c.wss_port is not None and c.server_rsa_cert:
            ctx = server_context(c, self)
            wss = await serve(self._serve_tls, c.host, c.wss_port, ssl=ctx, process_request=self._check_tls,
                              subprotocols=[SUBPROTOCOL], select_subprotocol=self._select_subprotocol,
                              ping_interval=None, max_size=2**22)
            self._servers.append(wss)
            self.wss_port = wss.sockets[0].getsockname()[1]
        api = await asyncio.start_server(self._api, c.host, c.api_port)
        self._servers.append(api)
        self.api_port = api.sockets[0].getsockname()[1]
        log.info("reference CSMS: ws %s, wss %s, actions %s; options: %s; seed %s", self.ws_port, self.wss_port,
                 self.api_port, ",".join(c.options) or "none", self.seed)

    async def stop(self) -> None:
        for session in list(self.sessions.values()):
            try:
                await asyncio.wait_for(session.close(), 2)
            except Exception:
                pass
        for server in self._servers:
            server.close()
        for server in self._servers:
            try:
                await asyncio.wait_for(server.wait_closed(), 3)
            except Exception:
                pass

    # ------------------------------------------------------------ WebSocket admission
    def _refuse(self, connection: ServerConnection, status: HTTPStatus, reason: str) -> Response:
        log.info("refused %s: %s", connection.request.path if connection.request else "?", reason)
        response = connection.respond(status, reason + "\n")
        if status == HTTPStatus.UNAUTHORIZED:
            response.headers["WWW-Authenticate"] = 'Basic realm="OCPP"'
        return response

    def _common(self, connection: ServerConnection, request: Request) -> tuple[str, Any] | Response:
        station_id = request.path.rstrip("/").rsplit("/", 1)[-1]
        offered = [p.strip() for h in request.headers.get_all("Sec-WebSocket-Protocol") for p in h.split(",")]
        if SUBPROTOCOL not in offered and not self.fault("accept_any_subprotocol"):
            return self._refuse(connection, HTTPStatus.BAD_REQUEST, f"subprotocol {SUBPROTOCOL} required")
        if len(offered) > 1 and self.fault("single_subprotocol_only"):
            return self._refuse(connection, HTTPStatus.BAD_REQUEST, "exactly one subprotocol expected")
        row = self.store.station(station_id)
        if row is None:
            return self._refuse(connection, HTTPStatus.NOT_FOUND, f"unknown station {station_id}")
        return station_id, row

    def _select_subprotocol(self, connection: ServerConnection, offered: Any) -> str | None:
        """Part 4: ocpp2.0.1 when offered; otherwise (only with accept_any_subprotocol) upgrade
        without a subprotocol."""
        if SUBPROTOCOL in offered:
            return SUBPROTOCOL
        if self.fault("accept_any_subprotocol"):
            return None
        raise NegotiationError(f"subprotocol {SUBPROTOCOL} required")

    def _password_ok(self, request: Request, station_id: str, row: Any) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        if self.fault("accept_wrong_password"):
            return True
        if user != station_id:
            return False
        pending = json.loads(row["data"]).get("pending_password")  # a change whose answer is not read yet
        return any(known is not None and hmac.compare_digest(password, known) for known in (row["password"], pending))

    def _check_sp1(self, connection: ServerConnection, request: Request) -> Response | None:
        result = self._common(connection, request)
        if isinstance(result, Response):
            return result
        station_id, row = result
        if row["security_profile"] > 1 and not self.fault("downgrade_security_profile"):
            return self._refuse(connection, HTTPStatus.FORBIDDEN, "station requires a higher security profile")
        if not self._password_ok(request, station_id, row) or self.fault("refuse_valid_basic_auth"):
            return self._refuse(connection, HTTPStatus.UNAUTHORIZED, "bad credentials")
        connection.ocpp_profile = 1
        return None

    def _check_tls(self, connection: ServerConnection, request: Request) -> Response | None:
        result = self._common(connection, request)
        if isinstance(result, Response):
            return result
        station_id, row = result
        ssl_object = connection.transport.get_extra_info("ssl_object")
        cert = ssl_object.getpeercert() if ssl_object else None
        if cert:
            cn = next((v for rdn in cert.get("subject", ()) for k, v in rdn if k == "commonName"), None)
            if cn != station_id and not self.fault("accept_unknown_client_certificate"):
                return self._refuse(connection, HTTPStatus.FORBIDDEN, "certificate CN is not the station id")
            connection.ocpp_profile = 3
            return None
        if row["security_profile"] > 2 and (self.fault("accept_unknown_client_certificate")
                                            or self.fault("sp3_without_client_certificate")):
            connection.ocpp_profile = 3  # the faults: a station without a (checked) certificate is in
            return None
        if row["security_profile"] > 2 and not self.fault("downgrade_security_profile"):
            return self._refuse(connection, HTTPStatus.FORBIDDEN, "station requires a client certificate")
        if not self._password_ok(request, station_id, row):
            return self._refuse(connection, HTTPStatus.UNAUTHORIZED, "bad credentials")
        connection.ocpp_profile = 2
        return None

    async def _serve_profile1(self, connection: ServerConnection) -> None:
        await self._serve(connection)

    async def _serve_tls(self, connection: ServerConnection) -> None:
        await self._serve(connection)

    async def _serve(self, connection: ServerConnection) -> None:
        station_id = connection.request.path.rstrip("/").rsplit("/", 1)[-1]
        session = CsmsSession(self, station_id, connection, getattr(connection, "ocpp_profile", 1))
        old = self.sessions.get(station_id)
        self.sessions[station_id] = session
        if old is not None:
            asyncio.ensure_future(old.close())
        if self.option("query_on_reconnect") and session.accepted:
            for tx in self.store.ongoing_transactions(station_id):
                session.later(session.request("GetTransactionStatus", {"transactionId": tx["id"]}))
        if self.option("busy"):  # starts sending once the station is accepted; ends with the session
            steps = self.busy_plans.setdefault(station_id, plan(self.seed, station_id))
            read_backs = self.busy_read_backs.setdefault(station_id, read_back_rng(self.seed, station_id))
            busy = BusyStation(session, steps, read_backs)
            session.after_answer = busy.after_answer
            session.later(busy.run())
        try:
            await session.serve()
        finally:
            if self.sessions.get(station_id) is session:
                del self.sessions[station_id]

    # ------------------------------------------------------------ operator action API
    async def _api(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        status, body = 200, {}
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = Headers()
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip()] = v.strip()
            data = await reader.readexactly(int(headers.get("Content-Length", "0")))
            if method == "GET" and path.startswith("/health"):
                body = {"status": "ok", "connected": sorted(self.sessions)}
            elif method == "POST" and path.rstrip("/") in ("", "/actions"):
                body = await self.perform(json.loads(data or b"{}"))
            else:
                status, body = 404, {"error": f"no route {method} {path}"}
        except ActionError as e:
            status, body = e.status, {"error": str(e)}
        except (ValueError, asyncio.IncompleteReadError, asyncio.TimeoutError) as e:
            status, body = 400, {"error": f"bad request: {e}"}
        except Exception as e:
            log.exception("action failed")
            status, body = 500, {"error": f"{e.__class__.__name__}: {e}"}
        text = json.dumps(body).encode()
        writer.write(f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(text)}\r\nConnection: close\r\n\r\n".encode() + text)
        try:
            await writer.drain()
        finally:
            writer.close()
