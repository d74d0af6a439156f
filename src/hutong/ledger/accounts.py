"""Creating ledger accounts, and reading rows as accounts and transfers.

An account is created once; asking again with the same owner, asset, kind
and flags is ``exists``, with anything else ``exists_with_different_*``.
Creating a CNY account also gives its owner a position row at 0
(`hutong.ledger.liquidity`), in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.ledger.liquidity import store as liquidity
from hutong.ledger.liquidity.rules import LIQUIDITY_ASSET
from hutong.ledger.models import (
    Account,
    AccountFlags,
    AccountKind,
    PendingState,
    Transfer,
    TransferFlags,
    valid_account_id,
    valid_asset,
)
from hutong.store.tables import ledger_accounts

__all__ = [
    "AccountResult",
    "NewAccount",
    "account_from_row",
    "create_accounts",
    "transfer_from_row",
]


@dataclass(frozen=True, slots=True)
class NewAccount:
    id: str
    owner: str
    asset: str
    kind: str
    flags: AccountFlags = AccountFlags.NONE


class AccountResult(StrEnum):
    OK = "ok"
    EXISTS = "exists"
    ID_INVALID = "id_invalid"
    ASSET_INVALID = "asset_invalid"
    KIND_INVALID = "kind_invalid"
    OWNER_INVALID = "owner_invalid"
    FLAGS_ARE_MUTUALLY_EXCLUSIVE = "flags_are_mutually_exclusive"
    EXISTS_WITH_DIFFERENT_OWNER = "exists_with_different_owner"
    EXISTS_WITH_DIFFERENT_ASSET = "exists_with_different_asset"
    EXISTS_WITH_DIFFERENT_KIND = "exists_with_different_kind"
    EXISTS_WITH_DIFFERENT_FLAGS = "exists_with_different_flags"


_KINDS = frozenset(kind.value for kind in AccountKind)
_BOTH_LIMITS = (
    AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS | AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS
)


def account_from_row(row: Any) -> Account:
    return Account(
        id=row.id,
        owner=row.owner,
        asset=row.asset,
        kind=row.kind,
        flags=AccountFlags(row.flags),
        debits_pending=row.debits_pending,
        debits_posted=row.debits_posted,
        credits_pending=row.credits_pending,
        credits_posted=row.credits_posted,
    )


def transfer_from_row(row: Any) -> Transfer:
    return Transfer(
        id=row.id,
        debit_account_id=row.debit_account_id,
        credit_account_id=row.credit_account_id,
        amount=row.amount,
        asset=row.asset,
        code=row.code,
        reference=row.reference,
        flags=TransferFlags(row.flags),
        pending_id=row.pending_id,
        timeout=row.timeout,
        state=PendingState(row.state),
        created_at=row.created_at,
        expires_at=row.expires_at,
        requested_amount=row.requested_amount,
    )


def _check_account(new: NewAccount) -> str:
    if not valid_account_id(new.id):
        return AccountResult.ID_INVALID
    if not new.owner or len(new.owner) > 255:
        return AccountResult.OWNER_INVALID
    if not valid_asset(new.asset):
        return AccountResult.ASSET_INVALID
    if new.kind not in _KINDS:
        return AccountResult.KIND_INVALID
    if new.flags & _BOTH_LIMITS == _BOTH_LIMITS:
        return AccountResult.FLAGS_ARE_MUTUALLY_EXCLUSIVE
    return AccountResult.OK


async def create_accounts(
    conn: AsyncConnection, accounts: Sequence[NewAccount], now: datetime
) -> list[str]:
    """Create accounts; one result per account (`ok`, `exists`, or why not)."""
    ids = [a.id for a in accounts if valid_account_id(a.id)]
    existing: dict[str, Any] = {}
    if ids:
        query = select(ledger_accounts).where(ledger_accounts.c.id.in_(ids))
        existing = {row.id: row for row in (await conn.execute(query)).all()}
    results: list[str] = []
    rows: list[dict[str, Any]] = []
    for new in accounts:
        result = _check_account(new)
        if result == AccountResult.OK and new.id in existing:
            row = existing[new.id]
            for name, differs in (
                ("owner", AccountResult.EXISTS_WITH_DIFFERENT_OWNER),
                ("asset", AccountResult.EXISTS_WITH_DIFFERENT_ASSET),
                ("kind", AccountResult.EXISTS_WITH_DIFFERENT_KIND),
            ):
                if getattr(row, name) != getattr(new, name):
                    result = differs
                    break
            else:
                result = (
                    AccountResult.EXISTS
                    if row.flags == int(new.flags)
                    else AccountResult.EXISTS_WITH_DIFFERENT_FLAGS
                )
        elif result == AccountResult.OK:
            existing[new.id] = new  # a repeat later in the same call is `exists`
            rows.append(
                {
                    "id": new.id,
                    "owner": new.owner,
                    "asset": new.asset,
                    "kind": new.kind,
                    "flags": int(new.flags),
                    "debits_pending": 0,
                    "debits_posted": 0,
                    "credits_pending": 0,
                    "credits_posted": 0,
                    "created_at": now,
                }
            )
        results.append(result)
    if rows:
        await conn.execute(insert(ledger_accounts), rows)
        await liquidity.ensure_positions(
            conn, {row["owner"] for row in rows if row["asset"] == LIQUIDITY_ASSET}
        )
    return results
