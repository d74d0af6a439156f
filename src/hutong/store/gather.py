"""Gathering concurrent callers' items into batches, handled by a few worker tasks.

The shape shared by group commit, the ledger and batched key lookups: each
caller puts an item on a queue and awaits its own answer; a worker takes
what has queued (up to a limit, after giving the event loop one turn, or
`max_wait` seconds, so requests already running can join), and handles the
batch at once. The handler answers every item (sets its future).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

Item = TypeVar("Item")


class Gatherer(Generic[Item]):
    def __init__(
        self,
        handle: Callable[[list[Item]], Awaitable[None]],
        *,
        max_items: int,
        weight: Callable[[Item], int] = lambda _: 1,
        max_wait: float = 0.0,
        workers: int = 1,
    ) -> None:
        self.handle = handle
        self.max_items = max_items
        self.weight = weight
        self.max_wait = max_wait
        self.workers = workers
        self._queue: asyncio.Queue[Item] | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def put(self, item: Item) -> None:
        """Queue `item` (starting the workers in this event loop if needed)."""
        if not self._tasks or any(task.done() for task in self._tasks):
            await self.close()
            self._queue = asyncio.Queue()
            self._tasks = [asyncio.create_task(self._work()) for _ in range(self.workers)]
        assert self._queue is not None
        await self._queue.put(item)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _work(self) -> None:
        assert self._queue is not None
        queue = self._queue
        carried: Item | None = None
        while True:
            batch = [carried if carried is not None else await queue.get()]
            carried = None
            await asyncio.sleep(self.max_wait)
            size = self.weight(batch[0])
            while not queue.empty():
                item = queue.get_nowait()
                if size + self.weight(item) > self.max_items:
                    carried = item  # first of the next batch
                    break
                batch.append(item)
                size += self.weight(item)
            await self.handle(batch)
