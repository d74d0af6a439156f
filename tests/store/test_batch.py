"""Group commit: concurrent writes share a transaction, each keeps its own outcome."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.store.batch import REQUEUES_ON_CONFLICT, RETRIES_ON_CONFLICT, WriteBatcher
from hutong.store.db import Database
from hutong.store.tables import ledger_failures, switch_keys
from tests.harness.statements import counting

NOW = datetime(2026, 11, 23, tzinfo=UTC)
#: One statement object: the group commit gathers the rows of each statement.
_INSERT_KEY = insert(switch_keys)


async def _insert(conn: AsyncConnection, key_id: str) -> str:
    await conn.execute(
        _INSERT_KEY,
        {"key_id": key_id, "public_key": "p", "private_key": "s", "created_at": NOW},
    )
    return key_id


async def _count(db: Database) -> int:
    async with db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(switch_keys)))


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


async def test_concurrent_writes_are_committed_in_fewer_transactions(db: Database) -> None:
    batcher = WriteBatcher(db, parallel=1)
    keys = [f"k{n}" for n in range(50)]

    results = await asyncio.gather(*(batcher.run(lambda c, k=k: _insert(c, k)) for k in keys))

    assert results == keys
    assert await _count(db) == 50
    assert batcher.writes == 50
    assert batcher.batches < 50
    await batcher.close()


async def test_held_inserts_are_sent_together_before_the_first_statement_naming_their_table(
    db: Database,
) -> None:
    batcher = WriteBatcher(db, parallel=1)

    async def write(conn: AsyncConnection) -> int:
        await _insert(conn, "one")
        await conn.execute(select(ledger_failures.c.id))  # another table: "one" stays held
        await _insert(conn, "two")
        return int(await conn.scalar(select(func.count()).select_from(switch_keys)))

    with counting(db) as count:
        seen = await batcher.run(write)

    assert seen == 2  # the count named switch_keys: both rows were written before it
    assert count.kinds["INSERT INTO"] == 1
    await batcher.close()


async def test_raw_sql_sees_the_rows_held_before_it(db: Database) -> None:
    batcher = WriteBatcher(db, parallel=1)

    async def write(conn: AsyncConnection) -> int:
        await _insert(conn, "one")
        return int(await conn.scalar(text("SELECT count(*) FROM switch_keys")))

    assert await batcher.run(write) == 1  # its tables cannot be read off: it flushes
    await batcher.close()


async def test_a_failing_write_is_rolled_back_alone(db: Database) -> None:
    batcher = WriteBatcher(db, parallel=1)

    async def half_then_fail(conn: AsyncConnection) -> str:
        await _insert(conn, "half")
        raise RuntimeError("refused after a partial write")

    outcomes = await asyncio.gather(
        batcher.run(lambda c: _insert(c, "a")),
        batcher.run(half_then_fail),
        batcher.run(lambda c: _insert(c, "b")),
        return_exceptions=True,
    )

    assert outcomes[0] == "a" and outcomes[2] == "b"
    assert isinstance(outcomes[1], RuntimeError)
    async with db.read() as conn:
        stored = set((await conn.execute(select(switch_keys.c.key_id))).scalars())
    assert stored == {"a", "b"}
    await batcher.close()


async def test_recover_runs_after_the_rollback_and_its_result_is_returned(db: Database) -> None:
    batcher = WriteBatcher(db, parallel=1)

    async def fail(conn: AsyncConnection) -> str:
        await _insert(conn, "undone")
        raise ValueError("no")

    async def record_refusal(conn: AsyncConnection, error: Exception) -> str:
        return await _insert(conn, f"refusal:{error}")

    assert await batcher.run(fail, record_refusal) == "refusal:no"
    async with db.read() as conn:
        stored = set((await conn.execute(select(switch_keys.c.key_id))).scalars())
    assert stored == {"refusal:no"}
    await batcher.close()


async def test_a_duplicate_key_fails_only_the_second_writer(db: Database) -> None:
    batcher = WriteBatcher(db, parallel=1)

    outcomes = await asyncio.gather(
        batcher.run(lambda c: _insert(c, "same")),
        batcher.run(lambda c: _insert(c, "same")),
        return_exceptions=True,
    )

    assert outcomes[0] == "same"
    assert isinstance(outcomes[1], Exception)
    assert await _count(db) == 1
    await batcher.close()


async def test_results_arrive_only_after_the_commit(db: Database) -> None:
    batcher = WriteBatcher(db, parallel=1)

    await batcher.run(lambda c: _insert(c, "durable"))

    # A fresh handle sees it: the answer came after the transaction committed.
    other = Database(db.url)
    try:
        assert await _count(other) == 1
    finally:
        await other.dispose()
    await batcher.close()


class _Deadlock(Exception):
    sqlstate = "40P01"


async def test_a_deadlock_victim_runs_again_and_commits_once(db: Database) -> None:
    """A write chosen as a deadlock victim did nothing wrong: it is retried, not failed."""
    batcher = WriteBatcher(db, parallel=1)
    tries: list[int] = []

    async def unlucky(conn: AsyncConnection) -> str:
        tries.append(1)
        await _insert(conn, f"victim-{len(tries)}")
        if len(tries) <= 2:
            raise DBAPIError("UPDATE ...", {}, _Deadlock("deadlock detected"))
        return "done"

    assert await batcher.run(unlucky) == "done"
    # The optimistic pass and the first savepoint try failed; the third try committed alone.
    assert len(tries) == 3
    async with db.read() as conn:
        kept = (await conn.execute(select(switch_keys.c.key_id))).scalars().all()
    assert kept == ["victim-3"]
    await batcher.close()


async def test_a_write_that_keeps_deadlocking_fails_with_its_error(db: Database) -> None:
    batcher = WriteBatcher(db, parallel=1)
    tries: list[int] = []

    async def always(conn: AsyncConnection) -> str:
        tries.append(1)
        raise DBAPIError("UPDATE ...", {}, _Deadlock("deadlock detected"))

    with pytest.raises(DBAPIError):
        await batcher.run(always)
    assert await _count(db) == 0
    # Each batch: the optimistic pass and every savepoint retry; then later batches.
    per_batch = 1 + RETRIES_ON_CONFLICT + 1
    assert len(tries) == per_batch * (1 + REQUEUES_ON_CONFLICT)
    await batcher.close()


async def test_a_write_that_loses_every_retry_in_its_batch_commits_in_a_later_one(
    db: Database,
) -> None:
    """Retried in one transaction it may meet the same other batch every time; the next won't."""
    batcher = WriteBatcher(db, parallel=1)
    tries: list[int] = []

    async def unlucky(conn: AsyncConnection) -> str:
        tries.append(1)
        await _insert(conn, f"try-{len(tries)}")
        if len(tries) <= 1 + RETRIES_ON_CONFLICT + 1:  # the whole first batch
            raise DBAPIError("UPDATE ...", {}, _Deadlock("deadlock detected"))
        return "done"

    assert await batcher.run(unlucky) == "done"
    assert await _count(db) == 1
    await batcher.close()


def test_commits_in_flight_come_from_the_settings_and_sqlite_keeps_one(tmp_path: Path) -> None:
    """One group commit in flight per process unless the operator says more;
    SQLite has one writer, so it keeps one whatever is asked."""
    from hutong.config import load_settings

    assert load_settings({}).commits_in_flight == 1
    assert load_settings({"HUTONG_COMMITS_IN_FLIGHT": "3"}).commits_in_flight == 3
    with pytest.raises(ValueError, match="HUTONG_COMMITS_IN_FLIGHT must be at least 1"):
        load_settings({"HUTONG_COMMITS_IN_FLIGHT": "0"})
    sqlite = Database(f"sqlite+aiosqlite:///{tmp_path / 'one.db'}")
    assert WriteBatcher(sqlite, parallel=4).parallel == 1
    postgres = Database("postgresql+psycopg://u@127.0.0.1:1/x")
    assert WriteBatcher(postgres).parallel == 1
    assert WriteBatcher(postgres, parallel=3).parallel == 3
