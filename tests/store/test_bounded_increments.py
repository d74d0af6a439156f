"""Bounded increments: held by a group commit, applied once per batch, never past their bound.

A coupon campaign's ``issued`` may not pass what is released: each claim adds
one with that bound (`hutong.store.increments.add_within`). Here the row is a
ledger account's ``credits_posted`` with a bound of 5, on SQLite and
PostgreSQL: within a batch the writes see what earlier ones hold, the batch
applies their sum in one UPDATE, and a sum past the bound keeps nothing of
the batch's first pass: write by write, each is the conditional UPDATE and
learns whether it was taken.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.store import increments
from hutong.store.batch import WriteBatcher
from hutong.store.db import Database
from hutong.store.tables import ledger_accounts
from tests.harness.ledger_rows import account
from tests.harness.statements import counting

ROW = "acc-bounded"
LIMIT = 5


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    async with database.transaction() as conn:
        await conn.execute(insert(ledger_accounts), account(ROW))
    yield database
    await database.dispose()


async def _value(db: Database) -> int:
    async with db.read() as conn:
        found = await conn.scalar(
            select(ledger_accounts.c.credits_posted).where(ledger_accounts.c.id == ROW)
        )
    assert found is not None
    return int(found)


async def _add(conn: AsyncConnection, delta: int) -> tuple[int, bool]:
    """What the write saw held before it, and whether its increment was taken."""
    before = increments.held_delta(conn, ledger_accounts, "id", ROW, "credits_posted")
    taken = await increments.add_within(
        conn, ledger_accounts, "id", ROW, "credits_posted", delta, LIMIT
    )
    return before, taken


async def test_outside_a_batch_an_increment_past_its_bound_changes_nothing(db: Database) -> None:
    async with db.transaction() as conn:
        assert await _add(conn, 3) == (0, True)
        assert await _add(conn, 3) == (0, False)
        assert await _add(conn, 2) == (0, True)
    assert await _value(db) == LIMIT


async def test_a_batch_applies_its_increments_of_a_row_in_one_update(db: Database) -> None:
    batcher = WriteBatcher(db, parallel=1)

    with counting(db) as count:
        seen = await asyncio.gather(*(batcher.run(lambda c: _add(c, 1)) for _ in range(5)))

    assert batcher.batches == 1
    assert seen == [(n, True) for n in range(5)]  # each saw what the ones before it hold
    assert count.kinds.get("UPDATE LEDGER_ACCOUNTS") == 1, count.kinds
    assert await _value(db) == LIMIT
    await batcher.close()


async def test_a_batch_past_a_bound_runs_again_and_each_write_learns_if_it_was_taken(
    db: Database,
) -> None:
    batcher = WriteBatcher(db, parallel=1)

    def adding(delta: int) -> Callable[[AsyncConnection], Awaitable[tuple[int, bool]]]:
        return lambda conn: _add(conn, delta)

    # Each of these is within the bound alone: the sum (7) is not.
    seen = await asyncio.gather(*(batcher.run(adding(d)) for d in (3, 2, 2)))

    assert batcher.batches == 1  # one batch, failed by its sum, then run write by write
    assert [taken for _, taken in seen] == [True, True, False]
    assert await _value(db) == LIMIT
    await batcher.close()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # SQLite: one writer
async def test_a_bound_holds_against_a_value_changed_since_the_batch_read_it(
    db: Database,
) -> None:
    batcher = WriteBatcher(db, parallel=1)
    started, go_on = asyncio.Event(), asyncio.Event()

    async def decided_on_a_read(conn: AsyncConnection) -> tuple[int, bool]:
        started.set()
        await go_on.wait()
        return await _add(conn, 4)

    first = asyncio.ensure_future(batcher.run(decided_on_a_read))
    await started.wait()
    other = Database(db.url)
    try:  # another process adds 3 and commits while the batch holds its 4
        async with other.transaction() as conn:
            assert await _add(conn, 3) == (0, True)
    finally:
        await other.dispose()
    go_on.set()

    assert await first == (0, False)  # the batch ran again write by write: 3 + 4 > 5
    assert await _value(db) == 3
    await batcher.close()
