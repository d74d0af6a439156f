"""Reading the ledger: one account, an owner's accounts, an account's history."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.ledger.accounts import account_from_row, transfer_from_row
from hutong.ledger.models import Account, Transfer
from hutong.store.tables import ledger_accounts, ledger_transfers

__all__ = ["HistoryEntry", "get_account", "history", "list_accounts"]


async def get_account(conn: AsyncConnection, account_id: str) -> Account | None:
    row = (
        await conn.execute(select(ledger_accounts).where(ledger_accounts.c.id == account_id))
    ).first()
    return account_from_row(row) if row is not None else None


async def list_accounts(conn: AsyncConnection, owner: str | None = None) -> list[Account]:
    query = select(ledger_accounts).order_by(ledger_accounts.c.owner, ledger_accounts.c.id)
    if owner is not None:
        query = query.where(ledger_accounts.c.owner == owner)
    return [account_from_row(row) for row in (await conn.execute(query)).all()]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    seq: int
    transfer: Transfer


async def history(
    conn: AsyncConnection, account_id: str, *, after: int = 0, limit: int = 100
) -> list[HistoryEntry]:
    """Transfers that debit or credit the account, oldest first, after `seq`."""
    t = ledger_transfers
    query = (
        select(t)
        .where(
            (t.c.debit_account_id == account_id) | (t.c.credit_account_id == account_id),
            t.c.seq > after,
        )
        .order_by(t.c.seq)
        .limit(limit)
    )
    return [
        HistoryEntry(row.seq, transfer_from_row(row)) for row in (await conn.execute(query)).all()
    ]
