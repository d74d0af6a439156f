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
each write's increments within its own savepoint (failures are rare).

Batches form naturally: while one commit is in flight, new writes queue up and
the next batch takes all of them (up to `max_batch`). `max_wait` can add a
short gathering window before a batch starts, trading latency for fewer
commits when load is light.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from prometheus_client import Counter, Histogram
from sqlalchemy import CompoundSelect, Delete, Executable, Insert, Select, Table, TextClause, Update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.util import find_tables
from sqlalchemy.sql.visitors import iterate

from hutong.store.db import Database
from hutong.store.failover import database_lost
from hutong.store.gather import Gatherer
from hutong.store.increments import Held

__all__ = [
    "REQUEUES_ON_CONFLICT",
    "RETRIES_ON_CONFLICT",
    "WriteBatcher",
    "is_lock_conflict",
    "past_held_rows",
]

T = TypeVar("T")
_S = TypeVar("_S", bound=Executable)

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


#: Statements whose tables `_DeferredInserts` reads off; any other flushes what is held.
_ANALYSED = (Select, CompoundSelect, Insert, Update, Delete)
#: The execution option of `past_held_rows`.
_PAST_HELD = "hutong_past_held_rows"


def past_held_rows(statement: _S, *tables: Table) -> _S:
    """`statement`, sent without first sending the rows of `tables` a group commit holds.

    Only for a read of `tables` that is a duplicate check a unique key makes
    too: a twin row held by an earlier write of the batch goes unseen, the
    batch's combined insert then fails on the key, and the batch runs again
    write by write (each in its own savepoint, nothing held), where the check
    sees the twin. In exchange the rows of `tables` that the batch's writes
    hold stay held and go as one INSERT, however many writes run the check.
    """
    return statement.execution_options(**{_PAST_HELD: frozenset(tables)})


def _past_held(statement: Any) -> frozenset[Any]:
    past: frozenset[Any] = statement.get_execution_options().get(_PAST_HELD, frozenset())
    return past


class _DeferredInserts:
    """A connection view that holds back INSERTs of values and sends them together.

    Inserts of the same statement (the same table, columns and clauses, as
    SQLAlchemy's cache key tells, however many times the statement object was
    built) share one multi-row INSERT, whichever writes of the batch sent
    them. Another statement first flushes the held rows of the tables it
    names, or that the tables it names point at by foreign key (`_touched`),
    with the held rows those rows point at, so every read and update sees the
    rows written before it; rows of tables it does not name cannot be seen by
    it or matter to it, and stay held. (Raw SQL, or anything else whose tables
    cannot be read off, flushes all.) A failure of a combined insert (a
    duplicate key, say) fails the optimistic pass, and the batch runs again
    write by write, each in its own savepoint. It also holds the batch's
    increments (`held_increments`), applied by `finish`.
    """

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        #: (statement's cache key, columns) -> (statement, rows), in first-seen order.
        self._held: dict[Hashable, tuple[Insert, list[dict[str, Any]]]] = {}
        self.held_increments = Held()

    def view(self) -> AsyncConnection:
        return cast(AsyncConnection, self)

    async def execute(self, statement: Any, parameters: Any = None) -> Any:
        if isinstance(statement, Insert) and not statement._returning:
            rows = _rows(parameters)
            cache_key = statement._generate_cache_key() if rows else None
            if cache_key is not None:
                # Values written into the statement itself (`.values(x=1)`) are
                # not in the cache key's key: such a statement merges only with
                # itself.
                shape = statement if cache_key.bindparams else cache_key.key
                key = (shape, frozenset(rows[0]))
                self._held.setdefault(key, (statement, []))[1].extend(rows)
                return None
        await self._flush_for(statement)
        return await self.conn.execute(statement, parameters)

    async def scalar(self, statement: Any, parameters: Any = None) -> Any:
        await self._flush_for(statement)
        return await self.conn.scalar(statement, parameters)

    async def _flush_for(self, statement: Any) -> None:
        if self._held:
            tables = self._touched(statement)
            await self.flush(tables)

    def _touched(self, statement: Any) -> set[Any] | None:
        """The held tables `statement` may read, change or refer to; None: any."""
        reached = _reached_tables(statement)
        if reached is None:
            return None
        held = {insert.table for insert, _ in self._held.values()}
        hit = held & (reached - _past_held(statement))
        # The rows to be flushed first: those the flushed rows point at.
        grown = hit
        while grown:
            grown = (held & _referred(grown)) - hit
            hit |= grown
        return hit

    def begin_nested(self) -> Any:
        raise _NotDeferrable

    async def flush(self, tables: set[Any] | None = None) -> None:
        """Send the held rows of `tables` (all when None).

        A table's rows go after those of the tables they point at (the schema's
        foreign-key order, whichever write held them first); one table's
        statements in the order first held.
        """
        if tables is not None and not tables:
            return
        due = [
            (_foreign_key_rank(statement.table), n, key)
            for n, (key, (statement, _)) in enumerate(self._held.items())
            if tables is None or statement.table in tables
        ]
        for _, _, key in sorted(due):
            statement, rows = self._held.pop(key)
            await self.conn.execute(statement, rows)

    async def finish(self) -> None:
        """What is held, written: the inserts, then the increments (hot rows last)."""
        await self.flush()
        await self.held_increments.apply(self.conn)


def _reached_tables(statement: Any) -> frozenset[Any] | None:
    """The tables `statement` names and those they point at; None: it may name any.

    Read off once per statement shape: statements of one SQLAlchemy cache key
    name the same tables, and the key is memoized on the statement, which its
    execution reuses. Walking the statement's tree on every statement of a
    batch was a twelfth of the switch's CPU under load.
    """
    if not isinstance(statement, _ANALYSED):
        return None  # raw SQL may name any table
    cache_key = statement._generate_cache_key()
    if cache_key is None:
        return _read_reached_tables(statement)
    try:
        return _REACHED[cache_key.key]
    except KeyError:
        pass
    reached = _read_reached_tables(statement)
    if len(_REACHED) >= _REACHED_MAX:
        _REACHED.clear()  # statement shapes are few; this only bounds the unexpected
    _REACHED[cache_key.key] = reached
    return reached


def _read_reached_tables(statement: Any) -> frozenset[Any] | None:
    if any(isinstance(part, TextClause) for part in iterate(statement)):
        return None  # raw SQL may name any table
    named = set(
        find_tables(
            statement,
            check_columns=True,
            include_aliases=True,
            include_joins=True,
            include_crud=True,
        )
    )
    return frozenset(named | _referred(named))


#: The tables each statement shape reaches (by its cache key), as `_reached_tables` read them.
_REACHED: dict[Hashable, frozenset[Any] | None] = {}
_REACHED_MAX = 4096


def _rows(parameters: Any) -> list[dict[str, Any]]:
    """The rows of an insert's parameters that can be held: one dict, or dicts of one shape."""
    if isinstance(parameters, dict):
        return [parameters]
    if (
        isinstance(parameters, list)
        and parameters
        and all(isinstance(row, dict) for row in parameters)
        and all(row.keys() == parameters[0].keys() for row in parameters)
    ):
        return parameters
    return []


def _foreign_key_rank(table: Any) -> int:
    """Where `table` comes in its schema's foreign-key order: after every table it points at."""
    ranks = _RANKS.get(id(table.metadata))
    if ranks is None:
        ranks = {t: n for n, t in enumerate(table.metadata.sorted_tables)}
        _RANKS[id(table.metadata)] = ranks
    return ranks.get(table, len(ranks))


#: Each schema's tables in foreign-key order (by the id of their MetaData).
_RANKS: dict[int, dict[Any, int]] = {}


def _referred(tables: Iterable[Any]) -> set[Any]:
    """The tables that `tables` point at by foreign key."""
    return {key.column.table for table in tables for key in getattr(table, "foreign_keys", ())}


class _NotDeferrable(Exception):
    """A write that needs a savepoint runs in the savepoint pass instead."""


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

    async def close(self) -> None:
        await self._gatherer.close()

    @staticmethod
    async def _apply(conn: AsyncConnection, pending: _Pending) -> tuple[bool, Any]:
        failure: Exception | None = None
        for attempt in range(RETRIES_ON_CONFLICT + 1):
            try:
                async with conn.begin_nested():
                    return True, await pending.write(conn)
            except Exception as exc:  # this write alone is rolled back
                failure = exc
                if not (is_lock_conflict(exc) and attempt < RETRIES_ON_CONFLICT):
                    break  # a deadlock victim's locks are gone: it may simply go again
                BATCH_CONFLICTS.labels("retried").inc()
        assert failure is not None
        if pending.recover is None:
            return False, failure
        try:
            async with conn.begin_nested():
                return True, await pending.recover(conn, failure)
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
                    deferring = _DeferredInserts(conn)
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
                        outcomes.append(await self._apply(conn, pending))
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
