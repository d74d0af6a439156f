"""Serve an ASGI app on loopback inside the running event loop (tests, demo).

Real uvicorn and real HTTP, stopped at once: uvicorn's own loop looks for its
exit flag every 100 ms and then sleeps 100 ms more before it looks at the open
connections, which made every embedded server's stop cost a fifth of a
second. Here the main loop waits on an event, and shutting down waits for
exactly what uvicorn waits for (open connections answered, running tasks
finished, the lifespan's shutdown), looking every millisecond.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import uvicorn

from hutong.api.server import HTTP_PROTOCOL

#: The longest a stop waits for open connections and running tasks.
STOP_TIMEOUT = 10.0


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves the process's signal handlers alone and stops at once."""

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
        async with asyncio.timeout(STOP_TIMEOUT):
            while self.server_state.connections or self.server_state.tasks:
                await asyncio.sleep(0.001)
        for server in self.servers:
            await server.wait_closed()
        await self.lifespan.shutdown()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


#: Seconds an in-process world keeps an idle connection: longer than any run, so a
#: client that sat idle (a participant between acts, a starved process) never
#: reuses a connection the server is closing at that moment (a read error).
WORLD_KEEP_ALIVE = 24 * 3600


@contextlib.asynccontextmanager
async def serve_asgi(
    app: Any,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    http: type[asyncio.Protocol] = HTTP_PROTOCOL,
    keep_alive: int = 5,
) -> AsyncIterator[str]:
    """Run `app` with uvicorn on `host:port` (0 picks a free port); yields its base URL.

    `http`: the HTTP/1.1 protocol class (the switch's, whose 400s are NACKs).
    `keep_alive`: seconds an idle connection is kept (uvicorn's default 5); a
    client that reuses one just as the server closes it gets a read error.
    """
    port = port or free_port(host)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        http=http,
        timeout_keep_alive=keep_alive,
    )
    server = _EmbeddedServer(config)
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
