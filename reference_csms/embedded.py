"""Running the reference CSMS in a background thread with its own event loop (the suite's default)."""
from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future

from .app import CsmsServer
from .config import CsmsConfig


class EmbeddedCsms:
    """``start()`` returns once the endpoints listen; ``stop()`` closes everything."""

    def __init__(self, config: CsmsConfig) -> None:
        self.config = config
        self.csms: CsmsServer | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="reference-csms", daemon=True)

    def start(self, timeout: float = 15) -> CsmsServer:
        self._thread.start()
        self.csms = CsmsServer(self.config)
        asyncio.run_coroutine_threadsafe(self.csms.start(), self._loop).result(timeout)
        return self.csms

    def call(self, coro, timeout: float = 10):  # type: ignore[no-untyped-def]
        """Run a coroutine on the CSMS's loop (selftests inspect its state this way)."""
        future: Future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return future.result(timeout)

    def stop(self) -> None:
        if self.csms is not None:
            try:
                self.call(self.csms.stop(), 10)
            except Exception:
                pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    @property
    def ws_url(self) -> str:
        return f"ws://{self.config.host}:{self.csms.ws_port}"

    @property
    def wss_url(self) -> str | None:
        return f"wss://localhost:{self.csms.wss_port}" if self.csms and self.csms.wss_port else None

    @property
    def api_url(self) -> str:
        return f"http://{self.config.host}:{self.csms.api_port}/actions"
