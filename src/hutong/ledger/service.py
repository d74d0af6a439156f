"""The ledger as a service: group commit of transfers from concurrent callers.

Callers hand in their batch and wait; a loop gathers what has queued (up to
`max_transfers`, optionally waiting `max_wait` seconds for more), applies all
of it in one transaction on state loaded and locked once, commits durably,
and only then answers each caller with its own results. Throughput comes
from many transfers per commit, not from weaker durability.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError, OperationalError

from hutong.ledger.models import Result, TransferRequest
from hutong.ledger.store import apply_batches
from hutong.store.db import Database

#: Largest batch one caller may submit.
MAX_BATCH = 8190


class BatchTooLarge(ValueError):
    pass


@dataclass(slots=True)
class _Waiting:
    requests: Sequence[TransferRequest]
    future: asyncio.Future[list[Result]]


class Ledger:
    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        *,
        max_transfers: int = 8190,
        max_wait: float = 0.0,
    ) -> None:
        self.db = db
        self.clock = clock
        self.max_transfers = max_transfers
        self.max_wait = max_wait
        self._queue: asyncio.Queue[_Waiting] | None = None
        self._task: asyncio.Task[None] | None = None
        self.commits = 0
        self.transfers = 0

    async def submit(self, requests: Sequence[TransferRequest]) -> list[Result]:
        """Apply `requests` (linked chains stay within them); one result each."""
        if len(requests) > MAX_BATCH:
            raise BatchTooLarge(f"at most {MAX_BATCH} transfers per batch, got {len(requests)}")
        if not requests:
            return []
        if self._task is None or self._task.done():
            self._queue = asyncio.Queue()
            self._task = asyncio.create_task(self._loop())
        assert self._queue is not None
        future: asyncio.Future[list[Result]] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Waiting(requests, future))
        return await future

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        assert self._queue is not None
        queue = self._queue
        carried: _Waiting | None = None
        while True:
            group = [carried if carried is not None else await queue.get()]
            carried = None
            # Let requests that are already running reach the queue too
            # (with no wait configured, one turn of the event loop).
            await asyncio.sleep(self.max_wait)
            size = len(group[0].requests)
            while not queue.empty():
                waiting = queue.get_nowait()
                if size + len(waiting.requests) > self.max_transfers:
                    carried = waiting  # first in the next group
                    break
                group.append(waiting)
                size += len(waiting.requests)
            await self._commit(group)

    async def _commit(self, group: list[_Waiting]) -> None:
        for attempt in range(5):
            try:
                async with self.db.transaction() as conn:
                    results = await apply_batches(conn, [w.requests for w in group], self.clock())
                break
            except (IntegrityError, OperationalError) as exc:
                # Another worker committed one of these ids, or a deadlock or
                # serialization failure: reload and apply again.
                if attempt == 4:
                    self._fail(group, exc)
                    return
                await asyncio.sleep(0.001 * (attempt + 1))
            except Exception as exc:
                if len(group) > 1:
                    # One caller's batch broke the transaction (a value the
                    # database refuses): the others must not fail with it.
                    for waiting in group:
                        await self._commit([waiting])
                    return
                self._fail(group, exc)
                return
        self.commits += 1
        self.transfers += sum(len(w.requests) for w in group)
        for waiting, result in zip(group, results, strict=True):
            if not waiting.future.done():
                waiting.future.set_result(result)

    @staticmethod
    def _fail(group: list[_Waiting], exc: Exception) -> None:
        for waiting in group:
            if not waiting.future.done():
                waiting.future.set_exception(exc)
