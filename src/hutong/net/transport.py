"""The transport of the switch's own calls to participants (carriers, wallets, programs).

Decision calls are on the hot path of every payment step and transfer (two
per transfer), so they go through aiohttp rather than httpx: measured on
this machine with `bench/transfers.py`, the switch spent about 40% of its
CPU per transfer inside the two calls with httpx, and switching the calls to
aiohttp took SQLite from 82 to 154 transfers/s (p99 449 -> 160 ms) and
PostgreSQL from 54 to 67/s (p99 687 -> 379 ms). Everything else (the client
SDK, event delivery, tests) keeps httpx.

One `CallTransport` per event loop (a connection pool belongs to the loop
that opened it), made on first use and closed when the app stops.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass
from types import TracebackType

import aiohttp
from multidict import CIMultiDictProxy


class TransportTimeout(Exception):
    """The participant did not answer in time."""


class TransportError(Exception):
    """The participant could not be reached (refused, reset, bad HTTP)."""


@dataclass(frozen=True, slots=True)
class Reply:
    status_code: int
    headers: CIMultiDictProxy[str]
    content: bytes


class CallTransport:
    """POSTs bytes and reads the whole answer; keep-alive connections, at most 200."""

    def __init__(self, *, limit: int = 200) -> None:
        self._limit = limit
        self._session: aiohttp.ClientSession | None = None

    async def post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> Reply:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._limit), auto_decompress=False
            )
        try:
            async with self._session.post(
                url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout)
            ) as response:
                return Reply(response.status, response.headers, await response.read())
        except TimeoutError:
            raise TransportTimeout(url) from None
        except aiohttp.ClientError as exc:
            raise TransportError(type(exc).__name__) from None

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def __aenter__(self) -> CallTransport:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.close()


_TRANSPORTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CallTransport] = (
    weakref.WeakKeyDictionary()
)


def call_transport() -> CallTransport:
    """The transport of the running event loop (one per worker), made on first use."""
    loop = asyncio.get_running_loop()
    transport = _TRANSPORTS.get(loop)
    if transport is None:
        transport = _TRANSPORTS[loop] = CallTransport()
    return transport


async def close_call_transport() -> None:
    """Close the running loop's transport (the app's shutdown)."""
    transport = _TRANSPORTS.pop(asyncio.get_running_loop(), None)
    if transport is not None:
        await transport.close()
