"""Hot accounts: every order posts to the same few accounts, and nobody waits in a circle.

A merchant's receivable, a wallet's position and a host's commission take a
posting from nearly every order. Writes of a group commit post to them in
whatever order their steps come; the ledger adds to accounts without a limit
at the batch's commit, in id order, so batches in flight never deadlock
(PostgreSQL would notice a deadlock only after a second) and no posting is
lost. An account with a limit is still read under its lock and decided on.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.ledger.check import check_ledger
from hutong.ledger.models import AccountFlags, AccountKind, Result, TransferRequest
from hutong.ledger.store import NewAccount, apply_batches, create_accounts, get_account
from hutong.store.batch import WriteBatcher
from hutong.store.db import Database

NOW = datetime(2026, 12, 6, tzinfo=UTC)
HOT = ["h/douyin/commission", "m/jd-beauty/receivable", "w/alipay/position", "w/alipay/fees"]
#: A member's points: may never go below zero, so it is decided on under a lock.
LIMITED = "p/88vip/member/b-1"
FUNDING = "p/88vip/issued"


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    async with database.transaction() as conn:
        accounts = [NewAccount(a, "owner", "CNY", AccountKind.FEE_INCOME.value) for a in HOT]
        accounts += [
            NewAccount(
                LIMITED,
                "b-1",
                "points:88vip",
                AccountKind.USER_BALANCE.value,
                AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS,
            ),
            NewAccount(FUNDING, "88vip", "points:88vip", AccountKind.PROGRAM_LIABILITY.value),
        ]
        assert set(await create_accounts(conn, accounts, NOW)) == {"ok"}
    yield database
    await database.dispose()


def leg(
    transfer_id: str, debit: str, credit: str, amount: int, asset: str = "CNY"
) -> TransferRequest:
    return TransferRequest(
        id=transfer_id, debit_account_id=debit, credit_account_id=credit, amount=amount, asset=asset
    )


def retried() -> float:
    """Deadlock victims the batcher ran again, in this process so far."""
    found = REGISTRY.get_sample_value("hutong_write_batch_conflicts_total", {"outcome": "retried"})
    return found or 0.0


async def deadlocks(db: Database) -> int:
    if db.is_sqlite:
        return 0
    async with db.read() as conn:
        found = await conn.scalar(
            text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        )
    return int(found or 0)


async def test_batches_posting_to_hot_accounts_in_any_order_never_deadlock(db: Database) -> None:
    """Each write posts twice, in its own order of the hot accounts, with a pause between."""
    batcher = WriteBatcher(db, max_batch=8, parallel=4)
    rng = random.Random(7)
    before_deadlocks = await deadlocks(db)
    before_retries = retried()

    async def step(n: int) -> list[list[Result]]:
        first, second = rng.sample(range(len(HOT)), 2), rng.sample(range(len(HOT)), 2)

        async def write(conn: AsyncConnection) -> list[list[Result]]:
            a = await apply_batches(conn, [[leg(f"t{n}a", HOT[first[0]], HOT[first[1]], 100)]], NOW)
            await asyncio.sleep(0.002)  # the other batches in flight go on meanwhile
            b = await apply_batches(conn, [[leg(f"t{n}b", HOT[second[0]], HOT[second[1]], 7)]], NOW)
            return a + b

        return await batcher.run(write)

    outcomes = await asyncio.gather(*(step(n) for n in range(120)))
    await batcher.close()

    assert all(results == [[Result.OK], [Result.OK]] for results in outcomes)
    assert await deadlocks(db) == before_deadlocks
    assert retried() == before_retries
    async with db.read() as conn:
        report = await check_ledger(conn)
        totals = [await get_account(conn, a) for a in HOT]
    assert report.ok, report.problems
    assert report.transfers == 240
    posted = sum(a.debits_posted for a in totals if a is not None)
    assert posted == 120 * 107  # nothing lost: every posting is in the totals


async def test_a_batch_that_rolls_back_leaves_no_increment_behind(db: Database) -> None:
    batcher = WriteBatcher(db, parallel=1)

    async def posts_then_fails(conn: AsyncConnection) -> None:
        await apply_batches(conn, [[leg("lost", HOT[0], HOT[1], 500)]], NOW)
        raise RuntimeError("refused after posting")

    async def posts(conn: AsyncConnection) -> list[list[Result]]:
        return await apply_batches(conn, [[leg("kept", HOT[1], HOT[2], 30)]], NOW)

    failed, kept = await asyncio.gather(
        batcher.run(posts_then_fails), batcher.run(posts), return_exceptions=True
    )
    await batcher.close()

    assert isinstance(failed, RuntimeError)
    assert kept == [[Result.OK]]
    async with db.read() as conn:
        report = await check_ledger(conn)
        first = await get_account(conn, HOT[0])
        second = await get_account(conn, HOT[1])
    assert report.ok and report.transfers == 1
    assert first is not None and first.debits_posted == 0
    assert second is not None and (second.credits_posted, second.debits_posted) == (0, 30)


async def test_an_account_with_a_limit_is_decided_on_what_was_committed(db: Database) -> None:
    """Two batches in flight spend one member's 100 points: only what was there is spent."""
    async with db.transaction() as conn:
        await apply_batches(conn, [[leg("grant", FUNDING, LIMITED, 100, "points:88vip")]], NOW)
    batcher = WriteBatcher(db, max_batch=1, parallel=4)

    async def spend(n: int) -> list[list[Result]]:
        async def write(conn: AsyncConnection) -> list[list[Result]]:
            return await apply_batches(
                conn,
                [[leg(f"spend-{n}", LIMITED, FUNDING, 30, "points:88vip")]],
                NOW,
            )

        return await batcher.run(write)

    outcomes = await asyncio.gather(*(spend(n) for n in range(6)))
    await batcher.close()

    spent = [results[0][0] for results in outcomes]
    assert (spent.count(Result.OK), spent.count(Result.EXCEEDS_CREDITS)) == (3, 3)
    async with db.read() as conn:
        member = await get_account(conn, LIMITED)
        report = await check_ledger(conn)
    assert member is not None and (member.credits_posted, member.debits_posted) == (100, 90)
    assert report.ok, report.problems
