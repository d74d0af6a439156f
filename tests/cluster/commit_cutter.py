"""A TCP proxy in front of PostgreSQL that breaks a connection at its next COMMIT.

It reads the client's side of the wire protocol (a startup packet, then
typed messages: one type byte, a 4-byte length) and, once armed, acts on the
first simple query that is a `COMMIT`:

- `lose_reply`: the COMMIT goes to the server (which commits) and the answer
  never comes back: the connection is closed. The client cannot know the
  outcome: this is a primary that died between its commit and its reply.
- `cut_before`: the connection is closed before the COMMIT is sent: nothing
  committed, and the client cannot know that either.

After firing it refuses new connections for `refuse_for` seconds, as a
database in the middle of a failover does. Real sockets on loopback only.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.engine import make_url

Mode = Literal["lose_reply", "cut_before"]


@dataclass
class CommitCutter:
    #: The database behind the proxy, reached directly (to look at what committed).
    direct_url: str
    armed: Mode | None = None
    refuse_for: float = 0.0
    fired: int = 0
    port: int = 0
    _refuse_until: float = 0.0
    _server: asyncio.Server | None = field(default=None, repr=False)
    _open: set[asyncio.StreamWriter] = field(default_factory=set, repr=False)
    _pipes: set[asyncio.Task[None]] = field(default_factory=set, repr=False)

    def arm(self, mode: Mode, *, refuse_for: float = 0.0) -> None:
        self.armed, self.refuse_for = mode, refuse_for

    def cut_all(self, *, refuse_for: float) -> None:
        """The database goes away now: every connection closed, new ones refused for a while."""
        self._refuse_until = time.monotonic() + refuse_for
        for writer in list(self._open):
            writer.close()

    @property
    def url(self) -> str:
        """The database through this proxy (without TLS, so that the proxy can read)."""
        parsed = make_url(self.direct_url).set(host="127.0.0.1", port=self.port)
        parsed = parsed.update_query_dict({"sslmode": "disable", "gssencmode": "disable"})
        return parsed.render_as_string(hide_password=False)

    async def _pipe_client(
        self, reader: asyncio.StreamReader, upstream: asyncio.StreamWriter, silenced: list[bool]
    ) -> None:
        (length,) = struct.unpack("!I", await reader.readexactly(4))
        upstream.write(struct.pack("!I", length) + await reader.readexactly(length - 4))
        while True:
            kind = await reader.readexactly(1)
            (length,) = struct.unpack("!I", await reader.readexactly(4))
            body = await reader.readexactly(length - 4)
            if self.armed and kind == b"Q" and body.upper().startswith(b"COMMIT"):
                mode, self.armed = self.armed, None
                self.fired += 1
                self._refuse_until = time.monotonic() + self.refuse_for
                silenced[0] = True
                if mode == "lose_reply":
                    upstream.write(kind + struct.pack("!I", length) + body)
                    await upstream.drain()
                    await asyncio.sleep(0.3)  # the server commits; its answer is dropped
                return
            upstream.write(kind + struct.pack("!I", length) + body)
            await upstream.drain()

    @staticmethod
    async def _pipe_server(
        reader: asyncio.StreamReader, client: asyncio.StreamWriter, silenced: list[bool]
    ) -> None:
        while chunk := await reader.read(65536):
            if silenced[0]:
                return
            client.write(chunk)
            await client.drain()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if time.monotonic() < self._refuse_until:
            writer.close()
            return
        upstream = make_url(self.direct_url)
        up_reader, up_writer = await asyncio.open_connection(upstream.host, upstream.port)
        silenced = [False]
        self._open.update((writer, up_writer))
        pipes = [
            asyncio.create_task(self._pipe_client(reader, up_writer, silenced)),
            asyncio.create_task(self._pipe_server(up_reader, writer, silenced)),
        ]
        self._pipes.update(pipes)
        with contextlib.suppress(Exception):
            await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        for task in pipes:
            task.cancel()
            self._pipes.discard(task)
        for stream in (writer, up_writer):
            stream.close()
            self._open.discard(stream)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[CommitCutter]:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        try:
            yield self
        finally:
            self._server.close()
            for writer in list(self._open):
                writer.close()
            for task in list(self._pipes):
                task.cancel()
            await asyncio.gather(*self._pipes, return_exceptions=True)
            await self._server.wait_closed()
