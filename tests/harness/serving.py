"""Serve an ASGI app on loopback inside the test's event loop, and stop it at once.

Like `hutong.world.serving.serve_asgi` (real uvicorn, real HTTP), except for
stopping: uvicorn polls for its exit flag every 100 ms and then sleeps 100 ms
more before it looks at the open connections; twice per test (the switch and
the reference world) that was a third of a second of every test's teardown.
Here the main loop waits on an event, and shutting down waits for exactly
what uvicorn waits for (open connections answered, running tasks finished,
the lifespan's shutdown), polling every millisecond instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import uvicorn


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.stop = asyncio.Event()

    def capture_signals(self) -> contextlib.nullcontext[None]:  # type: ignore[override]
        return contextlib.nullcontext()

    async def main_loop(self) -> None:
        await self.on_tick(0)  # uvicorn's date and server headers
        await self.stop.wait()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        async with asyncio.timeout(10):
            while self.server_state.connections or self.server_state.tasks:
                await asyncio.sleep(0.001)
        for server in self.servers:
            await server.wait_closed()
        await self.lifespan.shutdown()


@contextlib.asynccontextmanager
async def serve(app: Any, *, host: str = "127.0.0.1") -> AsyncIterator[str]:
    """Run `app` with uvicorn on a free port of `host`; yields its base URL."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port = int(sock.getsockname()[1])
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", access_log=False, lifespan="on"
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError(f"server on {host}:{port} stopped during start-up")
            await asyncio.sleep(0.001)
        yield f"http://{host}:{port}"
    finally:
        server.stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task
