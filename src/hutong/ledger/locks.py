"""Locking ledger accounts ahead of a step, in the one order every step uses.

A step that reads or moves several accounts and must not interleave with
another step on them locks them first, in ascending id order (the order the
ledger itself locks the accounts of a batch), so two steps never wait on each
other in a circle. On PostgreSQL that is ``SELECT ... FOR UPDATE``; SQLite
has no row locks and serializes writers, so the same call only reads.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.store.tables import ledger_accounts

__all__ = ["lock_accounts"]

_LOCK = (
    select(ledger_accounts.c.id)
    .where(ledger_accounts.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(ledger_accounts.c.id)
    .with_for_update()
)


async def lock_accounts(conn: AsyncConnection, account_ids: Iterable[str]) -> list[str]:
    """Lock the accounts in `conn`'s transaction, by ascending id; the ids that exist.

    An id with no account is skipped (nothing to lock); the caller that
    needs them all compares the answer with what it asked for.
    """
    ids = sorted(set(account_ids))
    if not ids:
        return []
    return list((await conn.execute(_LOCK, {"ids": ids})).scalars())
