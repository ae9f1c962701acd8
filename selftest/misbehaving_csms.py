"""A scripted CSMS that misbehaves in one chosen way, to prove the harness fails cleanly."""
from __future__ import annotations

import asyncio
import base64
import json
import socket
import struct
import threading
from http import HTTPStatus

from websockets.asyncio.server import ServerConnection, serve

BEHAVIOURS = ("refuse_subprotocol", "silent", "malformed_json", "callerror", "schema_invalid",
              "close_mid_case", "boot_only", "wrong_subprotocol_101", "bad_date", "callerror_16",
              "report_then_callerror", "huge_frame",
              # at the HTTP upgrade: admits nobody / answers only the suite's default valid credentials
              "silent_upgrade", "close_at_once", "stall_bad_credentials", "reset_bad_credentials")
RAW = ("silent_upgrade", "close_at_once")
#: the suite's default BASIC_AUTH_CP and BASIC_AUTH_CP_PASSWORD
VALID_AUTHORIZATION = "Basic " + base64.b64encode(b"CP_1:0123456789123456").decode()


class MisbehavingCsms:
    """Runs in a thread; ``url`` is its ws:// address."""

    def __init__(self, behaviour: str) -> None:
        assert behaviour in BEHAVIOURS, behaviour
        self.behaviour = behaviour
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.port = 0

    def __enter__(self) -> "MisbehavingCsms":
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(5)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def _start(self) -> None:
        self.stopping = asyncio.Event()
        if self.behaviour in RAW:
            self.server = await asyncio.start_server(self._raw, "127.0.0.1", 0)
            self.port = self.server.sockets[0].getsockname()[1]
            return
        self.server = await serve(self._handle, "127.0.0.1", 0, process_request=self._admit,
                                  process_response=self._process_response, subprotocols=["ocpp2.0.1"],
                                  ping_interval=None)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        """Close the server and its connections; one whose closing handshake does not finish in a
        second (a station that went away mid-close, on a loaded machine) is cut off, whatever its
        state: one already closing (``connections`` lists only open ones) would otherwise hold the
        server for websockets' ten-second close timeout (a CI failure)."""
        self.stopping.set()
        self.server.close()
        try:
            await asyncio.wait_for(asyncio.shield(self.server.wait_closed()), 1)
        except asyncio.TimeoutError:
            for connection in list(getattr(self.server, "all_connections", ())):
                connection.transport.abort()
            await asyncio.wait_for(self.server.wait_closed(), 3)

    async def _raw(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """A CSMS that admits nobody: it never answers the upgrade, or it closes the TCP connection at once."""
        if self.behaviour == "close_at_once":
            writer.close()
            return
        await reader.read(65536)
        await self.stopping.wait()
        writer.close()

    async def _admit(self, connection: ServerConnection, request):  # type: ignore[no-untyped-def]
        if self.behaviour == "refuse_subprotocol":
            return connection.respond(HTTPStatus.BAD_REQUEST, "no subprotocol for you\n")
        valid = request.headers.get("Authorization") == VALID_AUTHORIZATION
        if self.behaviour == "stall_bad_credentials" and not valid:
            await self.stopping.wait()
        if self.behaviour == "reset_bad_credentials" and not valid:
            sock = connection.transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.transport.abort()
        return None

    def _process_response(self, connection: ServerConnection, request, response):  # type: ignore[no-untyped-def]
        if self.behaviour == "wrong_subprotocol_101":
            response.headers["Sec-WebSocket-Protocol"] = "ocpp1.6"
        return response

    async def _handle(self, ws: ServerConnection) -> None:
        async for text in ws:
            frame = json.loads(text)
            if frame[0] != 2:
                continue
            uid, action = frame[1], frame[2]
            b = self.behaviour
            if b == "silent":
                continue
            if b == "malformed_json":
                await ws.send('[3, "' + uid + '", {"currentTime": ')
            elif b == "callerror":
                await ws.send(json.dumps([4, uid, "InternalError", "we do not do that", {}]))
            elif b == "schema_invalid" and action == "BootNotification":
                await ws.send(json.dumps([3, uid, {"currentTime": "now", "interval": "ten", "status": "Maybe"}]))
            elif b == "bad_date" and action == "BootNotification":
                await ws.send(json.dumps([3, uid, {"currentTime": "not-a-date", "interval": 300, "status": "Accepted"}]))
            elif b == "callerror_16":
                await ws.send(json.dumps([4, uid, "FormationViolation", "1.6 spelling", {}]))
            elif b == "report_then_callerror" and action == "NotifyReport":
                await ws.send(json.dumps([4, uid, "InternalError", "report not stored", {}]))
            elif b == "huge_frame" and action == "BootNotification":  # over the station's 4 MiB
                await ws.send(json.dumps([3, uid, {"currentTime": "2026-01-01T00:00:00Z", "interval": 300,
                                                   "status": "Accepted", "customData": {"vendorId": "x" * 5_000_000}}]))
            elif b == "close_mid_case":
                await ws.close(1011, "going away")
                return
            elif action == "BootNotification":
                await ws.send(json.dumps([3, uid, {"currentTime": "2026-01-01T00:00:00Z", "interval": 300,
                                                   "status": "Accepted"}]))
                if b == "report_then_callerror":
                    await ws.send(json.dumps([2, "csms-1", "GetBaseReport",
                                              {"requestId": 7, "reportBase": "SummaryInventory"}]))
            elif action == "Heartbeat":
                await ws.send(json.dumps([3, uid, {"currentTime": "2026-01-01T00:00:00Z"}]))
            elif action in ("StatusNotification", "NotifyEvent"):
                await ws.send(json.dumps([3, uid, {}]))
            elif b == "boot_only":
                await ws.send(json.dumps([4, uid, "NotImplemented", f"{action} not supported", {}]))
            else:
                await ws.send(json.dumps([3, uid, {}]))
