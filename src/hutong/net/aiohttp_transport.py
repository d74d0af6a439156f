"""The aiohttp implementation of `CallTransport` (keep-alive connections, at most 200).

aiohttp rather than httpx for the hot decision calls: see `hutong.net.transport`.
"""

from __future__ import annotations

from types import TracebackType

import aiohttp

from hutong.net.transport import Reply, TransportError, TransportTimeout

__all__ = ["AiohttpTransport"]


class AiohttpTransport:
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

    async def __aenter__(self) -> AiohttpTransport:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.close()
