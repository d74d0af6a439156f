"""The transport of the switch's own calls to participants (carriers, wallets, programs).

Decision calls are on the hot path of every payment step and transfer (two
per transfer), so they go through aiohttp rather than httpx: measured on
this machine with `bench/transfers.py`, the switch spent about 40% of its
CPU per transfer inside the two calls with httpx, and switching the calls to
aiohttp took SQLite from 82 to 154 transfers/s (p99 449 -> 160 ms) and
PostgreSQL from 54 to 67/s (p99 687 -> 379 ms). Everything else (the client
SDK, event delivery, tests) keeps httpx.

The domain sees only the `CallTransport` protocol; the aiohttp implementation
(`hutong.net.aiohttp_transport`) is imported when the first call is made, so
importing a domain service loads no HTTP client.

One transport per event loop (a connection pool belongs to the loop
that opened it), made on first use and closed when the app stops.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from hutong.net.aiohttp_transport import AiohttpTransport

__all__ = [
    "CallTransport",
    "Reply",
    "TransportError",
    "TransportTimeout",
    "call_transport",
    "close_call_transport",
    "open_transport",
]


class TransportTimeout(Exception):
    """The participant did not answer in time."""


class TransportError(Exception):
    """The participant could not be reached (refused, reset, bad HTTP)."""


@dataclass(frozen=True, slots=True)
class Reply:
    status_code: int
    #: Case-insensitive in practice (the implementation's multidict).
    headers: Mapping[str, str]
    content: bytes


class CallTransport(Protocol):
    """POSTs bytes and reads the whole answer."""

    async def post(
        self, url: str, body: bytes, headers: dict[str, str], timeout: float
    ) -> Reply: ...

    async def close(self) -> None: ...


def open_transport() -> AiohttpTransport:
    """A new transport of its own (a CLI command, a test); close it when done."""
    from hutong.net.aiohttp_transport import AiohttpTransport

    return AiohttpTransport()


_TRANSPORTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CallTransport] = (
    weakref.WeakKeyDictionary()
)


def call_transport() -> CallTransport:
    """The transport of the running event loop (one per worker), made on first use."""
    loop = asyncio.get_running_loop()
    transport = _TRANSPORTS.get(loop)
    if transport is None:
        transport = _TRANSPORTS[loop] = open_transport()
    return transport


async def close_call_transport() -> None:
    """Close the running loop's transport (the app's shutdown)."""
    transport = _TRANSPORTS.pop(asyncio.get_running_loop(), None)
    if transport is not None:
        await transport.close()
