"""`hutong ledger balances|history|check`: the operator's view of the ledger.

The state is made directly through the storage layer and the group-commit
service; the commands read it from the database named by
`HUTONG_DATABASE_URL`. `check` exits 1 and names the account when a stored
total no longer matches its transfers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner, Result

from hutong.cli.main import app
from hutong.ledger.models import AccountFlags, TransferFlags, TransferRequest
from hutong.ledger.service import Ledger
from hutong.ledger.store import NewAccount, create_accounts
from hutong.store.db import Database, sync_url

Hutong = Callable[..., Result]

runner = CliRunner()


@pytest.fixture
def hutong(database_url: str) -> Hutong:
    env = {"HUTONG_DATABASE_URL": database_url, "COLUMNS": "200"}

    def run(*args: str) -> Result:
        return runner.invoke(app, ["ledger", *args], env=env)

    return run


def table_rows(output: str) -> list[list[str]]:
    """The body rows of the Rich tables in `output`, as lists of stripped cells."""
    return [
        [cell.strip() for cell in line.strip().strip("│").split("│")]
        for line in output.splitlines()
        if line.lstrip().startswith("│")
    ]


def move(
    transfer_id: str,
    debit: str,
    credit: str,
    amount: int,
    *,
    asset: str = "CNY",
    code: str = "payment",
    reference: str = "",
    flags: TransferFlags = TransferFlags.NONE,
) -> TransferRequest:
    return TransferRequest(
        id=transfer_id,
        debit_account_id=debit,
        credit_account_id=credit,
        amount=amount,
        asset=asset,
        code=code,
        reference=reference,
        flags=flags,
    )


@pytest.fixture
def ledger_state(database_url: str) -> str:
    """Accounts of two owners, deposits, a payment, a hold, a refused overdraft.

    The tests are synchronous: each command runs its own event loop.
    """
    asyncio.run(_make_state(database_url))
    return database_url


async def _make_state(database_url: str) -> None:
    db = Database(database_url)
    now = datetime.now(UTC)
    try:
        async with db.transaction() as conn:
            results = await create_accounts(
                conn,
                [
                    NewAccount("bank", "switch.example", "CNY", "funding"),
                    NewAccount(
                        "alice",
                        "alice.example",
                        "CNY",
                        "user_balance",
                        AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS,
                    ),
                    NewAccount("shop", "shop.example", "CNY", "merchant_receivable"),
                    NewAccount("shop-vip", "shop.example", "points:88vip", "user_balance"),
                    NewAccount("vip-pool", "tmall.example", "points:88vip", "program_liability"),
                ],
                now,
            )
        assert results == ["ok"] * 5
        ledger = Ledger(db, lambda: datetime.now(UTC))
        try:
            applied = await ledger.submit(
                [
                    move("deposit-1", "bank", "alice", 5000, code="deposit"),
                    move("pay-1", "alice", "shop", 1200, reference="order-1"),
                    move("hold-1", "alice", "shop", 300, flags=TransferFlags.PENDING),
                    move("too-much", "alice", "shop", 10_000),
                    move("points", "vip-pool", "shop-vip", 88, asset="points:88vip"),
                ]
            )
            assert [r.value for r in applied] == ["ok", "ok", "ok", "exceeds_credits", "ok"]
        finally:
            await ledger.close()
    finally:
        await db.dispose()


def corrupt(database_url: str, account_id: str, delta: int) -> None:
    engine = create_engine(sync_url(database_url))
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE ledger_accounts SET credits_posted = credits_posted + :delta "
                    "WHERE id = :id"
                ),
                {"delta": delta, "id": account_id},
            )
    finally:
        engine.dispose()


def test_balances_lists_every_account(ledger_state: str, hutong: Hutong) -> None:
    result = hutong("balances")
    assert result.exit_code == 0, result.output
    rows = table_rows(result.output)
    # account, owner, asset, kind, balance, pending out, pending in
    assert rows == [
        ["alice", "alice.example", "CNY", "user_balance", "3800", "300", "0"],
        ["shop", "shop.example", "CNY", "merchant_receivable", "1200", "0", "300"],
        ["shop-vip", "shop.example", "points:88vip", "user_balance", "88", "0", "0"],
        ["bank", "switch.example", "CNY", "funding", "-5000", "0", "0"],
        ["vip-pool", "tmall.example", "points:88vip", "program_liability", "-88", "0", "0"],
    ]

    mine = hutong("balances", "--participant", "shop.example")
    assert mine.exit_code == 0, mine.output
    assert [row[0] for row in table_rows(mine.output)] == ["shop", "shop-vip"]
    nobody = hutong("balances", "--participant", "nobody.example")
    assert nobody.exit_code == 0, nobody.output
    assert table_rows(nobody.output) == []


def test_history_shows_an_accounts_transfers_oldest_first(
    ledger_state: str, hutong: Hutong
) -> None:
    result = hutong("history", "alice")
    assert result.exit_code == 0, result.output
    rows = table_rows(result.output)
    # seq, transfer, debit, credit, amount (signed from alice's side), code, state, reference
    assert [row[1:] for row in rows] == [
        ["deposit-1", "bank", "alice", "+5000", "deposit", "posted", ""],
        ["pay-1", "alice", "shop", "-1200", "payment", "posted", "order-1"],
        ["hold-1", "alice", "shop", "-300", "payment", "pending", ""],
    ]
    seqs = [int(row[0]) for row in rows]
    assert seqs == sorted(seqs)
    assert "alice: balance 3800 CNY" in result.output
    assert "too-much" not in result.output  # refused: never stored

    page = hutong("history", "alice", "--after", str(seqs[0]), "--limit", "1")
    assert page.exit_code == 0, page.output
    assert [row[1] for row in table_rows(page.output)] == ["pay-1"]

    shop = hutong("history", "shop")
    assert [row[4] for row in table_rows(shop.output)] == ["+1200", "+300"]


def test_history_of_an_unknown_account(ledger_state: str, hutong: Hutong) -> None:
    result = hutong("history", "ghost")
    assert result.exit_code == 1, result.output
    assert "unknown_account" in result.output
    assert "ghost" in result.output


def test_check_passes_on_a_consistent_ledger(ledger_state: str, hutong: Hutong) -> None:
    result = hutong("check")
    assert result.exit_code == 0, result.output
    assert "ledger ok: 5 accounts, 4 transfers" in result.output


def test_check_fails_naming_the_corrupted_account(ledger_state: str, hutong: Hutong) -> None:
    corrupt(ledger_state, "shop", 1)
    result = hutong("check")
    assert result.exit_code == 1, result.output
    assert "account shop: totals" in result.output
    assert "asset CNY: posted debits" in result.output  # CNY no longer sums to zero
    assert "alice" not in result.output and "bank" not in result.output
    assert "ledger check failed" in result.output

    corrupt(ledger_state, "shop", -1)
    assert hutong("check").exit_code == 0


def test_check_on_an_empty_ledger(database_url: str, hutong: Hutong) -> None:
    result = hutong("check")
    assert result.exit_code == 0, result.output
    assert "ledger ok: 0 accounts, 0 transfers" in result.output
    assert table_rows(hutong("balances").output) == []
