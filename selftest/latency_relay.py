"""A TCP relay that delays every chunk by a fixed one-way latency, in each direction.

Why: a CSMS in a cloud answers a CI runner 2 x latency after each frame; the selftests put this
relay between the stations and a reference CSMS to prove that no wait of the harness is shorter
than a round trip over such a link. It relays raw TCP, so ws:// and wss:// (TLS end to end) both
pass through untouched.

A chunk read at time t is written at t + latency; later chunks queue behind it in order, each
with its own due time (latency is not added up, and no throughput limit is added). An EOF
(half-close) is forwarded after the data read before it, so a clean close crosses in both
directions. Usable from sync code (``with LatencyRelay(host, port) as relay: relay.port``: its
loop runs on a thread of its own) and from async code (``async with``, on the running loop).
"""
from __future__ import annotations

import asyncio
import threading
from typing import Any

#: the one-way delay of the issue's "CI runner talking to a cloud staging CSMS" link
DEFAULT_LATENCY = 0.150
_CHUNK = 65536
_EOF = b""


class LatencyRelay:
    """Listens on ``host``:<free port> and forwards every connection to ``target_host``:``target_port``."""

    def __init__(self, target_host: str, target_port: int, latency: float = DEFAULT_LATENCY,
                 host: str = "127.0.0.1") -> None:
        if latency < 0:
            raise ValueError(f"latency must be >= 0 s, got {latency}")
        self.target = (target_host, target_port)
        self.latency = latency
        self.host = host
        self.port = 0
        self.connections = 0  # connections accepted so far
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ async use
    async def start(self) -> "LatencyRelay":
        self._server = await asyncio.start_server(self._accept, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def __aenter__(self) -> "LatencyRelay":
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    # ------------------------------------------------------------------ sync use (a loop on a thread)
    def __enter__(self) -> "LatencyRelay":
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="latency-relay", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.start(), self._loop).result(10)
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._loop is not None and self._thread is not None
        try:
            asyncio.run_coroutine_threadsafe(self.stop(), self._loop).result(10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()

    @property
    def address(self) -> str:
        """host:port to point a client at."""
        return f"{self.host}:{self.port}"

    # ------------------------------------------------------------------ relaying
    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        self.connections += 1
        try:
            target_reader, target_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.close()
            return
        try:
            await asyncio.gather(self._pipe(client_reader, target_writer),
                                 self._pipe(target_reader, client_writer))
        except asyncio.CancelledError:
            pass  # the relay stops: the connection ends with it (asyncio's server would log the cancel)
        finally:
            for writer in (client_writer, target_writer):
                writer.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One direction: a reader stamps each chunk with its due time, a writer writes it then.
        A reset or error on either side ends the direction like an EOF (after the data before it)."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def read() -> None:
            try:
                while chunk := await reader.read(_CHUNK):
                    queue.put_nowait((loop.time() + self.latency, chunk))
            except (ConnectionError, OSError):
                pass
            queue.put_nowait((loop.time() + self.latency, _EOF))

        async def write() -> None:
            while True:
                due, chunk = await queue.get()
                delay = due - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                try:
                    if not chunk:
                        if writer.can_write_eof() and not writer.is_closing():
                            writer.write_eof()
                        return
                    writer.write(chunk)
                    await writer.drain()
                except (ConnectionError, OSError):
                    return

        reading = asyncio.ensure_future(read())
        try:
            await write()
        finally:
            reading.cancel()
            await asyncio.gather(reading, return_exceptions=True)
