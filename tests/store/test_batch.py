"""Group commit: concurrent writes share a transaction, each keeps its own outcome."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, exists, func, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.store.batch import (
    REQUEUES_ON_CONFLICT,
    RETRIES_ON_CONFLICT,
    WriteBatcher,
)
from hutong.store.db import Database, statement_kind
from hutong.store.held_inserts import past_held_rows
from hutong.store.tables import ledger_accounts, ledger_failures, ledger_transfers, switch_keys
from tests.harness.ledger_rows import account, transfer
from tests.harness.statements import counting

NOW = datetime(2026, 11, 23, tzinfo=UTC)
#: One statement shape: the group commit gathers the rows of each shape.
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


async def test_inserts_built_anew_by_each_write_are_still_sent_as_one_statement(
    db: Database,
) -> None:
    batcher = WriteBatcher(db, parallel=1)

    async def write(conn: AsyncConnection, key_id: str) -> None:
        row = {"key_id": key_id, "public_key": "p", "private_key": "s", "created_at": NOW}
        await conn.execute(insert(switch_keys), row)  # a new statement object each time

    with counting(db) as count:
        await asyncio.gather(*(batcher.run(lambda c, k=k: write(c, k)) for k in "abcdef"))

    assert await _count(db) == 6
    assert count.kinds["INSERT INTO"] == batcher.batches < 6
    await batcher.close()


async def test_inserts_with_values_of_their_own_keep_them(db: Database) -> None:
    batcher = WriteBatcher(db, parallel=1)

    async def write(conn: AsyncConnection, key_id: str) -> None:
        # The same shape, but each statement carries its own public key.
        statement = insert(switch_keys).values(public_key=f"public-{key_id}")
        await conn.execute(statement, {"key_id": key_id, "private_key": "s", "created_at": NOW})

    await asyncio.gather(*(batcher.run(lambda c, k=k: write(c, k)) for k in "abc"))

    async with db.read() as conn:
        stored = await conn.execute(select(switch_keys.c.key_id, switch_keys.c.public_key))
        assert {row.key_id: row.public_key for row in stored} == {k: f"public-{k}" for k in "abc"}
    await batcher.close()


async def test_a_statement_flushes_only_the_held_rows_it_can_see_and_those_they_need(
    db: Database,
) -> None:
    batcher = WriteBatcher(db, parallel=1)
    sent: list[str] = []

    def seen(*args: Any) -> None:
        sent.append(statement_kind(args[2]))

    async def write(conn: AsyncConnection) -> int:
        for name in ("payer", "payee"):
            await conn.execute(insert(ledger_accounts), account(name))
        await _insert(conn, "k1")
        await conn.execute(insert(ledger_transfers), transfer("t1", "payer", "payee"))
        # Names the transfers: they, and the accounts they point at, are sent first.
        return int(await conn.scalar(select(func.count()).select_from(ledger_transfers)))

    event.listen(db.sync_engine, "before_cursor_execute", seen)
    try:
        assert await batcher.run(write) == 1
    finally:
        event.remove(db.sync_engine, "before_cursor_execute", seen)

    inserts = [kind for kind in sent if kind.startswith("INSERT")]
    assert inserts == ["INSERT ledger_accounts", "INSERT ledger_transfers", "INSERT switch_keys"]
    assert sent.index("SELECT ledger_transfers") < sent.index("INSERT switch_keys")
    assert await _count(db) == 1
    await batcher.close()


async def test_held_rows_go_after_the_rows_they_point_at_whichever_write_held_them_first(
    db: Database,
) -> None:
    async with db.transaction() as conn:
        await conn.execute(insert(ledger_accounts), [account("a"), account("b")])
    batcher = WriteBatcher(db, parallel=1)

    async def old_accounts(conn: AsyncConnection) -> None:
        await conn.execute(insert(ledger_transfers), transfer("t1", "a", "b"))

    async def new_accounts(conn: AsyncConnection) -> None:
        await conn.execute(insert(ledger_accounts), [account("c"), account("d")])
        await conn.execute(insert(ledger_transfers), transfer("t2", "c", "d"))

    with counting(db) as count:
        await asyncio.gather(batcher.run(old_accounts), batcher.run(new_accounts))

    # One batch, no write run again in a savepoint: the transfers (held first)
    # were sent after the accounts that the second write's transfer needs, and
    # each table's rows in one statement (the accounts were inserted as a list).
    savepoints = sum(n for kind, n in count.kinds.items() if kind.startswith("SAVEPOINT"))
    assert (batcher.batches, savepoints, count.kinds["INSERT INTO"]) == (1, 0, 2)
    async with db.read() as conn:
        stored = await conn.execute(select(ledger_transfers.c.id).order_by(ledger_transfers.c.id))
        assert [row.id for row in stored] == ["t1", "t2"]
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


async def _insert_unless_seen(conn: AsyncConnection, key_id: str) -> bool:
    """A duplicate check reading past the held keys (the primary key backs it): whether seen."""
    check = past_held_rows(select(exists().where(switch_keys.c.key_id == key_id)), switch_keys)
    if await conn.scalar(check):
        return True
    await _insert(conn, key_id)
    return False


async def test_a_check_past_held_rows_leaves_them_held_for_one_insert(db: Database) -> None:
    batcher = WriteBatcher(db, parallel=1)

    with counting(db) as count:
        seen = await asyncio.gather(
            *(batcher.run(lambda c, k=k: _insert_unless_seen(c, k)) for k in "abc")
        )

    # One batch; each check read past the keys held before it, so all three went in one INSERT.
    assert seen == [False, False, False]
    assert (batcher.batches, count.kinds["INSERT INTO"]) == (1, 1)
    assert await _count(db) == 3
    await batcher.close()


async def test_a_twin_held_past_a_check_is_seen_when_its_batch_runs_again(db: Database) -> None:
    batcher = WriteBatcher(db, parallel=1)

    with counting(db) as count:
        seen = await asyncio.gather(
            *(batcher.run(lambda c: _insert_unless_seen(c, "same")) for _ in range(3))
        )

    # The combined insert failed on the key; write by write, the later checks saw the first.
    assert seen == [False, True, True]
    assert any(kind.startswith("SAVEPOINT") for kind in count.kinds)
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


async def test_a_write_run_alone_commits_without_waiting_for_a_batch_or_joining_one(
    db: Database,
) -> None:
    batcher = WriteBatcher(db, parallel=1)
    assert await batcher.run_alone(lambda c: _insert(c, "alone")) == "alone"
    assert await _count(db) == 1
    assert (batcher.batches, batcher.writes) == (0, 0)  # no batch took it
    await batcher.close()


async def test_a_refused_write_run_alone_keeps_nothing_but_what_its_recovery_writes(
    db: Database,
) -> None:
    batcher = WriteBatcher(db, parallel=1)

    async def refused_after_writing(conn: AsyncConnection) -> str:
        await _insert(conn, "undone")
        raise ValueError("refused")

    async def recover(conn: AsyncConnection, error: Exception) -> str:
        assert str(error) == "refused"
        return await _insert(conn, "the refusal's record")

    assert await batcher.run_alone(refused_after_writing, recover) == "the refusal's record"
    async with db.read() as conn:
        kept = (await conn.execute(select(switch_keys.c.key_id))).scalars().all()
    assert kept == ["the refusal's record"]
    with pytest.raises(ValueError, match="refused"):
        await batcher.run_alone(refused_after_writing)
    assert await _count(db) == 1
    await batcher.close()


async def test_batched_writes_commit_while_a_write_run_alone_still_holds_its_transaction(
    db: Database,
) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite has one writer at a time: a batch waits for any transaction")
    batcher = WriteBatcher(db, parallel=1)
    release = asyncio.Event()

    async def long_write(conn: AsyncConnection) -> str:
        await _insert(conn, "long")
        await release.wait()
        return "long"

    alone = asyncio.create_task(batcher.run_alone(long_write))
    await asyncio.sleep(0.05)
    assert await asyncio.wait_for(batcher.run(lambda c: _insert(c, "batched")), 10) == "batched"
    assert not alone.done()
    release.set()
    assert await alone == "long"
    assert await _count(db) == 2
    await batcher.close()
