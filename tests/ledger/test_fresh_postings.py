"""Fresh postings: a caller whose own state machine proves its transfer ids new skips their read.

A payment's hold is posted in the transaction that moves the payment from
created to authorized, its capture in the one that moves it to captured, an
order's split in the one that completes the order: none of their ids can be
stored already, so reading them (to answer ``exists`` to a retry) is a round
trip for nothing. Such a posting is *fresh*: its ids are not read, the
unique key on the transfer id refuses a duplicate at the write (the caller's
transaction fails and leaves nothing), and the pending transfer it posts or
voids is claimed by one conditional UPDATE (``state = pending`` and not yet
lapsed) that reads it in the same statement. What the ledger decides on is
still read and checked at the write: accounts, limits, caps, the ids'
recorded failures.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.ledger.check import check_ledger
from hutong.ledger.liquidity import store as liquidity
from hutong.ledger.models import (
    AccountKind,
    PendingState,
    Result,
    TransferFlags,
    TransferRequest,
)
from hutong.ledger.store import NewAccount, apply_batches, create_accounts, get_account
from hutong.store.batch import WriteBatcher
from hutong.store.db import Database
from hutong.store.tables import ledger_transfers

NOW = datetime(2026, 12, 6, tzinfo=UTC)
WALLET = "w/alipay/position"
FEES = "w/alipay/fees"
MERCHANT = "m/jd-beauty/receivable"


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    async with database.transaction() as conn:
        accounts = [
            NewAccount(WALLET, "alipay", "CNY", AccountKind.SETTLEMENT_POSITION.value),
            NewAccount(FEES, "alipay", "CNY", AccountKind.FEE_INCOME.value),
            NewAccount(MERCHANT, "jd-beauty", "CNY", AccountKind.MERCHANT_RECEIVABLE.value),
        ]
        assert set(await create_accounts(conn, accounts, NOW)) == {"ok"}
    yield database
    await database.dispose()


def hold(transfer_id: str, amount: int = 10_000, timeout: int = 600) -> TransferRequest:
    return TransferRequest(
        id=transfer_id,
        debit_account_id=WALLET,
        credit_account_id=MERCHANT,
        amount=amount,
        asset="CNY",
        flags=TransferFlags.PENDING,
        timeout=timeout,
    )


def capture(transfer_id: str, pending_id: str, amount: int = 0) -> TransferRequest:
    return TransferRequest(
        id=transfer_id, amount=amount, flags=TransferFlags.POST_PENDING, pending_id=pending_id
    )


def fee(transfer_id: str, amount: int, credit: str = FEES) -> TransferRequest:
    return TransferRequest(
        id=transfer_id,
        debit_account_id=MERCHANT,
        credit_account_id=credit,
        amount=amount,
        asset="CNY",
    )


def linked(request: TransferRequest) -> TransferRequest:
    return TransferRequest(**{**_fields(request), "flags": request.flags | TransferFlags.LINKED})


def _fields(request: TransferRequest) -> dict[str, Any]:
    return {name: getattr(request, name) for name in request.__dataclass_fields__}


@contextlib.contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The statements `db` runs inside the block, each as its first words and table."""
    seen: list[str] = []

    def record(_c: Any, _cur: Any, sql: str, _p: Any, _ctx: Any, _many: bool) -> None:
        words = sql.split()
        if words[0] == "SELECT":
            seen.append(f"SELECT {words[1].split('.')[0]}")
        else:
            seen.append(" ".join(words[:3] if words[0] in ("INSERT", "DELETE") else words[:2]))

    event.listen(db.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.sync_engine, "before_cursor_execute", record)


async def post(
    db: Database, requests: list[TransferRequest], *, fresh: bool, now: datetime = NOW
) -> list[Result]:
    async with db.transaction() as conn:
        (results,) = await apply_batches(conn, [requests], now, fresh=fresh)
    return results


async def state_of(db: Database, transfer_id: str) -> str | None:
    async with db.read() as conn:
        query = select(ledger_transfers.c.state).where(ledger_transfers.c.id == transfer_id)
        found: str | None = await conn.scalar(query)
        return found


async def totals(db: Database) -> dict[str, tuple[int, int, int, int]]:
    async with db.read() as conn:
        found = {key: await get_account(conn, key) for key in (WALLET, FEES, MERCHANT)}
    return {key: account.totals() for key, account in found.items() if account is not None}


async def ledger_ok(db: Database) -> int:
    """The number of transfers stored, once `hutong ledger check` found nothing wrong."""
    async with db.read() as conn:
        report = await check_ledger(conn)
    assert report.ok, report.problems
    return report.transfers


# -- what a fresh posting spends ----------------------------------------------------------


async def test_a_fresh_hold_reads_its_accounts_once_and_writes_once(db: Database) -> None:
    with statements(db) as ran:
        assert await post(db, [hold("p1/hold")], fresh=True) == [Result.OK]

    # No read of the transfer's own id: the accounts (with caps and the ids'
    # failures, one UNION), the transfer, then the increments of the totals.
    ledger = [s for s in ran if "ledger_" in s]
    assert ledger[:2] == ["SELECT ledger_accounts", "INSERT INTO ledger_transfers"]
    assert "SELECT ledger_transfers" not in ledger
    assert await state_of(db, "p1/hold") == PendingState.PENDING.value
    assert (await totals(db))[WALLET] == (10_000, 0, 0, 0)
    assert await ledger_ok(db) == 1


async def test_a_fresh_capture_claims_its_hold_in_the_update_that_posts_it(db: Database) -> None:
    await post(db, [hold("p1/hold")], fresh=True)
    with statements(db) as ran:
        results = await post(
            db, [linked(capture("p1/capture", "p1/hold", 8_000)), fee("p1/fee", 60)], fresh=True
        )

    assert results == [Result.OK, Result.OK]
    ledger = [s for s in ran if "ledger_" in s]
    # The hold: claimed and marked posted by one conditional UPDATE that returns it
    # (no locked read of it and no second UPDATE of its state).
    assert ledger[:3] == [
        "UPDATE ledger_transfers",
        "SELECT ledger_accounts",
        "INSERT INTO ledger_transfers",
    ]
    assert ledger.count("UPDATE ledger_transfers") == 1
    assert "SELECT ledger_transfers" not in ledger
    assert await state_of(db, "p1/hold") == PendingState.POSTED_PENDING.value
    after = await totals(db)
    assert after[WALLET] == (0, 8_000, 0, 0)
    assert after[MERCHANT] == (0, 60, 0, 8_000)
    assert after[FEES] == (0, 0, 0, 60)
    assert await ledger_ok(db) == 3


async def test_fresh_and_ordinary_postings_leave_the_same_ledger(db: Database) -> None:
    """The same steps, once fresh and once ordinary (on accounts of their own): the
    same results and the same totals."""
    steps = [
        [hold("a/hold")],
        [hold("b/hold", 5_000)],
        [linked(capture("a/capture", "a/hold", 7_000)), fee("a/fee", 70)],
        [capture("b/capture", "b/hold")],
        [capture("b/again", "b/hold")],
        [capture("c/capture", "no/hold")],
        [fee("d/fee", 30, "nowhere")],
    ]
    async with db.transaction() as conn:
        copies = [
            NewAccount(f"fresh/{key}", f"fresh-{owner}", "CNY", AccountKind.FEE_INCOME.value)
            for key, owner in ((WALLET, "alipay"), (FEES, "alipay"), (MERCHANT, "jd-beauty"))
        ]
        assert set(await create_accounts(conn, copies, NOW)) == {"ok"}
    ordinary = [await post(db, step, fresh=False) for step in steps]
    fresh = [await post(db, [_renamed(r) for r in step], fresh=True) for step in steps]

    assert fresh == ordinary
    assert ordinary[-3:] == [
        [Result.PENDING_TRANSFER_ALREADY_POSTED],
        [Result.PENDING_TRANSFER_NOT_FOUND],
        [Result.CREDIT_ACCOUNT_NOT_FOUND],
    ]
    async with db.read() as conn:
        for key in (WALLET, FEES, MERCHANT):
            ours, theirs = await get_account(conn, key), await get_account(conn, f"fresh/{key}")
            assert ours is not None and theirs is not None
            assert ours.totals() == theirs.totals()
    assert await ledger_ok(db) == 2 * 5


def _renamed(request: TransferRequest) -> TransferRequest:
    """`request` on the ``fresh/`` copies of the accounts, with ids of its own."""
    fields = _fields(request)
    for name in ("id", "pending_id", "debit_account_id", "credit_account_id"):
        if fields[name]:
            fields[name] = f"fresh/{fields[name]}"
    return TransferRequest(**fields)


# -- what a fresh posting refuses -----------------------------------------------------------


async def test_a_fresh_posting_whose_id_exists_is_refused_and_leaves_nothing(
    db: Database,
) -> None:
    await post(db, [hold("p1/hold")], fresh=True)
    before = await totals(db)

    # The caller said the id was new and it is not: the write fails, whole.
    with pytest.raises(IntegrityError):
        await post(db, [hold("p1/hold", 3_000)], fresh=True)

    assert await totals(db) == before
    assert await ledger_ok(db) == 1


async def test_in_a_group_commit_a_duplicate_fresh_id_fails_its_write_alone(db: Database) -> None:
    await post(db, [hold("p1/hold")], fresh=True)
    batcher = WriteBatcher(db, parallel=1)

    async def duplicate(conn: AsyncConnection) -> list[list[Result]]:
        return await apply_batches(conn, [[hold("p1/hold", 3_000)]], NOW, fresh=True)

    async def other(conn: AsyncConnection) -> list[list[Result]]:
        return await apply_batches(conn, [[hold("p2/hold", 2_000)]], NOW, fresh=True)

    failed, kept = await asyncio.gather(
        batcher.run(duplicate), batcher.run(other), return_exceptions=True
    )
    await batcher.close()

    assert isinstance(failed, IntegrityError)
    assert kept == [[Result.OK]]
    assert (await totals(db))[WALLET] == (12_000, 0, 0, 0)
    assert await ledger_ok(db) == 2


async def test_a_fresh_capture_of_a_lapsed_hold_is_refused_and_releases_it(db: Database) -> None:
    await post(db, [hold("p1/hold", timeout=60)], fresh=True)

    later = NOW + timedelta(seconds=61)
    results = await post(db, [capture("p1/capture", "p1/hold")], fresh=True, now=later)

    assert results == [Result.PENDING_TRANSFER_EXPIRED]
    assert await state_of(db, "p1/hold") == PendingState.EXPIRED.value
    assert await state_of(db, "p1/capture") is None
    assert (await totals(db))[WALLET] == (0, 0, 0, 0)
    assert await ledger_ok(db) == 1


async def test_a_fresh_capture_whose_chain_fails_leaves_the_hold_pending(db: Database) -> None:
    await post(db, [hold("p1/hold")], fresh=True)
    before = await totals(db)

    results = await post(
        db, [linked(capture("p1/capture", "p1/hold")), fee("p1/fee", 60, "nowhere")], fresh=True
    )

    assert results == [Result.LINKED_EVENT_FAILED, Result.CREDIT_ACCOUNT_NOT_FOUND]
    assert await state_of(db, "p1/hold") == PendingState.PENDING.value
    assert await totals(db) == before
    # Still capturable: the claim was undone with the chain.
    assert await post(db, [capture("p1/capture2", "p1/hold")], fresh=True) == [Result.OK]
    assert await ledger_ok(db) == 2


async def test_a_fresh_posting_of_an_id_that_failed_before_is_refused(db: Database) -> None:
    assert await post(db, [fee("f1", 60, "nowhere")], fresh=False) == [
        Result.CREDIT_ACCOUNT_NOT_FOUND
    ]

    assert await post(db, [fee("f1", 60)], fresh=True) == [Result.ID_ALREADY_FAILED]
    assert await ledger_ok(db) == 0


async def test_a_fresh_capture_waits_for_one_in_flight_and_posts_nothing(db: Database) -> None:
    """Two captures of one hold at once: the second waits on the first's claim, then
    finds the hold posted (PostgreSQL: the row's lock; SQLite: its one writer)."""
    await post(db, [hold("p1/hold")], fresh=True)
    second: asyncio.Task[list[Result]] | None = None

    async with db.transaction() as conn:
        (first,) = await apply_batches(
            conn, [[capture("p1/capture-a", "p1/hold")]], NOW, fresh=True
        )
        second = asyncio.create_task(post(db, [capture("p1/capture-b", "p1/hold")], fresh=True))
        await asyncio.sleep(0.2)  # the second is in flight while the first holds the claim
        assert not second.done()

    assert first == [Result.OK]
    assert await second == [Result.PENDING_TRANSFER_ALREADY_POSTED]
    assert (await totals(db))[WALLET] == (0, 10_000, 0, 0)
    assert await ledger_ok(db) == 2


# -- any mix: fresh and ordinary agree ------------------------------------------------------

#: (what, which hold, amount, seconds later): a hold, its capture (whole or part, with
#: or without a fee), its void, or a posting out of the merchant's receivable.
action = st.tuples(
    st.sampled_from(("hold", "capture", "capture_with_fee", "void", "payout")),
    st.integers(0, 3),
    st.integers(0, 6_000),
    st.sampled_from((0, 0, 200, 400)),
)
Action = tuple[str, int, int, int]
_runs = itertools.count()


def _requests(namespace: str, index: int, act: Action, holds: list[str]) -> list[TransferRequest]:
    what, which, amount, _ = act
    own = f"{namespace}/t{index}"
    pending = holds[which % len(holds)] if holds else f"{namespace}/none"
    wallet, fees, merchant = (f"{namespace}/{key}" for key in (WALLET, FEES, MERCHANT))
    if what == "hold":
        holds.append(own)
        return [
            TransferRequest(
                id=own,
                debit_account_id=wallet,
                credit_account_id=merchant,
                amount=amount or 1,
                asset="CNY",
                flags=TransferFlags.PENDING,
                timeout=300,
            )
        ]
    if what in ("capture", "capture_with_fee"):
        posted = capture(own, pending, amount % 4_000)
        if what == "capture":
            return [posted]
        return [
            linked(posted),
            TransferRequest(
                id=f"{own}/fee",
                debit_account_id=merchant,
                credit_account_id=fees,
                amount=amount % 97 or 1,
                asset="CNY",
            ),
        ]
    if what == "void":
        return [TransferRequest(id=own, flags=TransferFlags.VOID_PENDING, pending_id=pending)]
    return [
        TransferRequest(
            id=own, debit_account_id=merchant, credit_account_id=wallet, amount=amount, asset="CNY"
        )
    ]


async def _run(database_url: str, actions: list[Action], cap: int) -> None:
    db = Database(database_url)
    run = next(_runs)
    try:
        seen = []
        for fresh in (False, True):
            namespace = f"r{run}-{'fresh' if fresh else 'ordinary'}"
            async with db.transaction() as conn:
                owners = {WALLET: "wallet", FEES: "wallet", MERCHANT: "merchant"}
                accounts = [
                    NewAccount(
                        f"{namespace}/{key}",
                        f"{namespace}-{owner}",
                        "CNY",
                        AccountKind.SETTLEMENT_POSITION.value,
                    )
                    for key, owner in owners.items()
                ]
                assert set(await create_accounts(conn, accounts, NOW)) == {"ok"}
                await liquidity.declare(conn, f"{namespace}-wallet", cap, cap, NOW, by="test")
            now, holds, results = NOW, [], []
            for index, act in enumerate(actions):
                now += timedelta(seconds=act[3])
                requests = _requests(namespace, index, act, holds)
                results.append(await post(db, requests, fresh=fresh, now=now))
            async with db.read() as conn:
                totals = [
                    account.totals()
                    for key in (WALLET, FEES, MERCHANT)
                    if (account := await get_account(conn, f"{namespace}/{key}")) is not None
                ]
                positions = await liquidity.positions(
                    conn, [f"{namespace}-wallet", f"{namespace}-merchant"]
                )
                query = select(ledger_transfers.c.id, ledger_transfers.c.state).where(
                    ledger_transfers.c.id.like(f"{namespace}/%")
                )
                states = {
                    row.id.removeprefix(namespace): row.state
                    for row in (await conn.execute(query)).all()
                }
            seen.append((results, totals, sorted(positions.values()), states))
        assert seen[0] == seen[1]
        await ledger_ok(db)
    finally:
        await db.dispose()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=st.lists(action, max_size=12), cap=st.sampled_from((1_000_000, 8_000)))
def test_fresh_and_ordinary_postings_agree_after_any_mix(
    database_url: str, actions: list[Action], cap: int
) -> None:
    """Holds, captures (with fees), voids, payouts and lapses, each id new: applied fresh
    and applied ordinarily, the same results, totals, positions and transfer states;
    `hutong ledger check` holds (caps, expiry and linked chains all play)."""
    asyncio.run(_run(database_url, actions, cap))
