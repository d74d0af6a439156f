"""The connection pool for the switch's own calls to participants (carriers, wallets, programs)."""

from __future__ import annotations

import asyncio
import weakref

import httpx

#: One pool per event loop: a pool's connections belong to the loop that opened them.
_POOLS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)


def http_client() -> httpx.AsyncClient:
    """The pool of the running event loop (one per worker), made on first use."""
    loop = asyncio.get_running_loop()
    client = _POOLS.get(loop)
    if client is None or client.is_closed:
        client = _POOLS[loop] = httpx.AsyncClient(
            timeout=10, limits=httpx.Limits(max_connections=200, max_keepalive_connections=100)
        )
    return client
