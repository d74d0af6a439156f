"""Group commit: many concurrent writes share one transaction and one fsync.

Durability is not weakened: a caller is answered only after the transaction
holding its write has committed (SQLite `synchronous=FULL`, PostgreSQL
`synchronous_commit=on`). A batch first runs its writes one after the other
in one transaction; if any write fails, the whole transaction is rolled back
and the batch runs again with each write in its own SAVEPOINT, so the failed
one is rolled back alone and reports its own error while the others commit.
(Savepoints cost two statements per write; failures are rare.) A batch whose
connection is lost is not run again: it may have committed (see
`store.failover`); every write of it fails with the error.

Increments of hot counters (ledger totals; `store.increments`) are held by
the optimistic pass and applied together just before its commit, in key
order: a hot row is locked once per batch, for the commit only, and batches
in flight never wait on each other in a circle. The savepoint pass applies
each write's increments within its own savepoint (failures are rare). A
bounded increment (`increments.add_within`) whose batch sum would pass its
bound fails the optimistic pass before its commit (`LimitPassed`), so the
batch runs again write by write, each bounded increment checked at once.

Batches form naturally: while one commit is in flight, new writes queue up and
the next batch takes all of them (up to `max_batch`). `max_wait` can add a
short gathering window before a batch starts, trading latency for fewer
commits when load is light.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from prometheus_client import Counter, Histogram
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.store.db import Database
from hutong.store.failover import database_lost
from hutong.store.gather import Gatherer
from hutong.store.held_inserts import HeldInserts

__all__ = [
    "REQUEUES_ON_CONFLICT",
    "RETRIES_ON_CONFLICT",
    "WriteBatcher",
    "is_lock_conflict",
]

T = TypeVar("T")

#: How often a write chosen as a deadlock victim (or failing serialization) is
#: run again in the savepoint pass before its error is returned.
RETRIES_ON_CONFLICT = 3
#: How many later batches a write that keeps losing deadlocks may move to.
REQUEUES_ON_CONFLICT = 3
#: PostgreSQL's deadlock_detected and serialization_failure.
_CONFLICT_STATES = frozenset({"40P01", "40001"})


def is_lock_conflict(exc: BaseException) -> bool:
    """A deadlock or serialization failure: the write did nothing wrong and may run again.

    Writes in one batch lock rows in their own orders (a payment row, then its
    ledger accounts; a transfer, then its wallets' accounts), so two batches
    in flight on PostgreSQL can deadlock; the database breaks the cycle by
    failing one statement, and the write is simply retried.
    """
    state = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return isinstance(exc, DBAPIError) and state in _CONFLICT_STATES


#: Where a write's time goes, for the operator (and bench/orders.py): waiting
#: for a batch to take it, running (its batch's statements), committing.
BATCH_SECONDS = Histogram(
    "hutong_write_batch_seconds",
    "Group commit: seconds a write waits for its batch (queued), and a batch runs and commits",
    ["phase"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
BATCH_WRITES = Histogram(
    "hutong_write_batch_writes",
    "Group commit: writes per batch",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)
BATCH_CONFLICTS = Counter(
    "hutong_write_batch_conflicts_total",
    "Group commit: deadlock or serialization victims, run again (retried) or moved to a later"
    " batch (requeued), and batches whose optimistic pass failed (isolated)",
    ["outcome"],
)

Write = Callable[[AsyncConnection], Awaitable[Any]]


Recover = Callable[[AsyncConnection, Exception], Awaitable[Any]]


@dataclass(slots=True)
class _Pending:
    write: Write
    recover: Recover | None
    future: asyncio.Future[Any]
    requeued: int = 0
    queued_at: float = 0.0


class WriteBatcher:
    def __init__(
        self,
        db: Database,
        *,
        max_batch: int = 128,
        max_wait: float = 0.0,
        parallel: int | None = None,
    ) -> None:
        self.db = db
        self.max_batch = max_batch
        self.max_wait = max_wait
        #: Batches in flight at once: one for SQLite (one writer at a time);
        #: for PostgreSQL as the caller says (`Settings.commits_in_flight`), else one.
        self.parallel = 1 if db.is_sqlite else (parallel or 1)
        self._gatherer: Gatherer[_Pending] = Gatherer(
            self._commit, max_items=max_batch, max_wait=max_wait, workers=self.parallel
        )
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
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        await self._gatherer.put(_Pending(write, recover, future, queued_at=time.perf_counter()))
        return await future

    async def run_alone(
        self,
        write: Callable[[AsyncConnection], Awaitable[T]],
        recover: Callable[[AsyncConnection, Exception], Awaitable[T]] | None = None,
    ) -> T:
        """`run`, in a transaction of its own instead of the next batch's.

        For a write that holds its locks long (closing a settlement window sums
        the window's transfers): in a batch, every write of the batch would
        wait for it, and a refusal of it would send the batch through its
        savepoint pass. Same answers as `run`: a lock conflict runs it again,
        `recover` runs in the same transaction after a failure.
        """
        async with self.db.transaction() as conn:
            ok, value = await self._apply(conn, write, recover)
        if ok:
            return cast(T, value)
        raise value

    async def close(self) -> None:
        await self._gatherer.close()

    @staticmethod
    async def _apply(
        conn: AsyncConnection, write: Write, recover: Recover | None
    ) -> tuple[bool, Any]:
        failure: Exception | None = None
        for attempt in range(RETRIES_ON_CONFLICT + 1):
            try:
                async with conn.begin_nested():
                    return True, await write(conn)
            except Exception as exc:  # this write alone is rolled back
                failure = exc
                if not (is_lock_conflict(exc) and attempt < RETRIES_ON_CONFLICT):
                    break  # a deadlock victim's locks are gone: it may simply go again
                BATCH_CONFLICTS.labels("retried").inc()
        assert failure is not None
        if recover is None:
            return False, failure
        try:
            async with conn.begin_nested():
                return True, await recover(conn, failure)
        except Exception as again:
            return False, again

    async def _commit(self, batch: list[_Pending]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        started = time.perf_counter()
        queued = BATCH_SECONDS.labels("queued")
        for pending in batch:
            queued.observe(started - pending.queued_at)
        BATCH_WRITES.observe(len(batch))
        try:
            try:
                # Optimistic: no savepoints while every write succeeds, and
                # inserts of one shape gathered into one multi-row statement each.
                async with self.db.transaction() as conn:
                    deferring = HeldInserts(conn)
                    for pending in batch:
                        outcomes.append((True, await pending.write(deferring.view())))
                    await deferring.finish()
                    ran = time.perf_counter()
            except Exception as exc:
                if database_lost(exc):
                    # The connection went, perhaps during COMMIT: whether the
                    # batch committed is unknown, so nothing runs again here;
                    # each caller resolves it by its own record (store.failover).
                    raise
                # Some write failed: undo all, then isolate each in a savepoint.
                BATCH_CONFLICTS.labels("isolated").inc()
                outcomes = []
                async with self.db.transaction() as conn:
                    for pending in batch:
                        outcomes.append(await self._apply(conn, pending.write, pending.recover))
                    ran = time.perf_counter()
            BATCH_SECONDS.labels("run").observe(ran - started)
            BATCH_SECONDS.labels("commit").observe(time.perf_counter() - ran)
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
            if not ok and is_lock_conflict(value) and pending.requeued < REQUEUES_ON_CONFLICT:
                # Retried in this transaction, it kept meeting the same batch holding
                # the other locks; a later batch meets others (nothing of it was kept).
                pending.requeued += 1
                BATCH_CONFLICTS.labels("requeued").inc()
                await self._gatherer.put(pending)
                continue
            if ok:
                pending.future.set_result(value)
            else:
                pending.future.set_exception(value)
