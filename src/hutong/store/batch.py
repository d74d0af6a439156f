"""Group commit: many concurrent writes share one transaction and one fsync.

Durability is not weakened: a caller is answered only after the transaction
holding its write has committed (SQLite `synchronous=FULL`, PostgreSQL
`synchronous_commit=on`). Each write runs inside its own SAVEPOINT, so one
that fails is rolled back alone and reports its own error, while the others
in the batch commit.

Batches form naturally: while one commit is in flight, new writes queue up and
the next batch takes all of them (up to `max_batch`). `max_wait` can add a
short gathering window before a batch starts, trading latency for fewer
commits when load is light.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.store.db import Database

T = TypeVar("T")
Write = Callable[[AsyncConnection], Awaitable[Any]]


Recover = Callable[[AsyncConnection, Exception], Awaitable[Any]]


@dataclass(slots=True)
class _Pending:
    write: Write
    recover: Recover | None
    future: asyncio.Future[Any]


class WriteBatcher:
    def __init__(self, db: Database, *, max_batch: int = 128, max_wait: float = 0.0) -> None:
        self.db = db
        self.max_batch = max_batch
        self.max_wait = max_wait
        self._queue: asyncio.Queue[_Pending] | None = None
        self._task: asyncio.Task[None] | None = None
        self.batches = 0
        self.writes = 0

    async def run(
        self,
        write: Callable[[AsyncConnection], Awaitable[T]],
        recover: Callable[[AsyncConnection, Exception], Awaitable[T]] | None = None,
    ) -> T:
        """Run `write` in the next batch; returns its result once committed.

        If `write` raises, its savepoint is rolled back; then `recover`, when
        given, runs in the same transaction with the exception (to record a
        refusal, say) and its result is returned; otherwise the exception is.
        """
        if self._task is None or self._task.done():
            self._queue = asyncio.Queue()
            self._task = asyncio.create_task(self._loop())
        assert self._queue is not None
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(write, recover, future))
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
        while True:
            batch = [await queue.get()]
            if self.max_wait > 0:
                await asyncio.sleep(self.max_wait)
            while len(batch) < self.max_batch and not queue.empty():
                batch.append(queue.get_nowait())
            await self._commit(batch)

    @staticmethod
    async def _apply(conn: AsyncConnection, pending: _Pending) -> tuple[bool, Any]:
        try:
            async with conn.begin_nested():
                return True, await pending.write(conn)
        except Exception as exc:  # this write alone is rolled back
            if pending.recover is None:
                return False, exc
            try:
                async with conn.begin_nested():
                    return True, await pending.recover(conn, exc)
            except Exception as again:
                return False, again

    async def _commit(self, batch: list[_Pending]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            async with self.db.transaction() as conn:
                for pending in batch:
                    outcomes.append(await self._apply(conn, pending))
        except BaseException as exc:
            for pending in batch:
                if not pending.future.done():
                    pending.future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        self.batches += 1
        self.writes += len(batch)
        for pending, (ok, value) in zip(batch, outcomes, strict=True):
            if pending.future.done():  # the caller went away
                continue
            if ok:
                pending.future.set_result(value)
            else:
                pending.future.set_exception(value)
