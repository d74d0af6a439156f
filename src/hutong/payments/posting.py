"""Writing payment legs to the ledger inside the caller's transaction.

A payment step changes its own row and posts its legs in one transaction, so
the state and the money never disagree. Accounts are created ahead of the
step, in their own short transaction (`ensure_accounts`), so that two first
payments of a new merchant do not collide inside a group commit.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.ledger.models import Result, TransferRequest
from hutong.ledger.store import AccountResult, NewAccount, apply_batches, create_accounts
from hutong.protocol.errors import ConflictError
from hutong.store.db import Database

#: Account ids known to exist, per database (a new Database starts afresh).
_KNOWN: weakref.WeakKeyDictionary[Database, set[str]] = weakref.WeakKeyDictionary()


#: The ledger's own refusal of a batch past a participant's net debit cap, for every step.
CAP_REFUSAL = {
    Result.NET_DEBIT_CAP_EXCEEDED: (
        "net_debit_cap_exceeded",
        "a participant's position would pass its net debit cap; nothing was posted",
    )
}


class LedgerRefused(ConflictError):
    """The ledger refused a leg (an overdraft of points, a hold that already lapsed...)."""


async def ensure_accounts(db: Database, accounts: Iterable[NewAccount], now: datetime) -> None:
    """Create the accounts that do not exist yet (remembered per `Database` once seen)."""
    known = _KNOWN.setdefault(db, set())
    missing = [a for a in accounts if a.id not in known]
    if not missing:
        return
    for attempt in range(3):
        try:
            async with db.transaction() as conn:
                results = await create_accounts(conn, missing, now)
            break
        except IntegrityError:  # created at the same moment by another request
            if attempt == 2:
                raise
    for account, result in zip(missing, results, strict=True):
        if result not in (AccountResult.OK, AccountResult.EXISTS):
            raise RuntimeError(f"ledger account {account.id} cannot be created: {result}")
        known.add(account.id)


def unseen_accounts(db: Database, accounts: Iterable[NewAccount]) -> list[NewAccount]:
    """Those of `accounts` this process has not seen exist (no statement: a write can ask)."""
    known = _KNOWN.get(db, set())
    return [account for account in accounts if account.id not in known]


async def post(
    conn: AsyncConnection,
    legs: Sequence[TransferRequest],
    now: datetime,
    *,
    refusals: dict[Result, tuple[str, str]] | None = None,
    fresh: bool = False,
) -> list[Result]:
    """Apply `legs` (one linked chain) in `conn`'s transaction; `LedgerRefused` unless all hold.

    `refusals` maps a ledger result to the (code, message) the caller should
    see instead of the generic ``ledger_refused``. `fresh`: the step's own
    state change, made in `conn` before, proves the legs' ids never posted
    (`hutong.ledger.loading`): they are not read, and a stored one fails the
    transaction instead of answering ``exists``.
    """
    if not legs:
        return []
    (results,) = await apply_batches(conn, [legs], now, fresh=fresh)
    if all(result.succeeded for result in results):
        return results
    failed = next(
        (r for r in results if r not in (Result.LINKED_EVENT_FAILED, Result.OK)), results[0]
    )
    code, message = {**CAP_REFUSAL, **(refusals or {})}.get(
        failed, ("ledger_refused", f"the ledger refused the step: {failed.value}")
    )
    raise LedgerRefused(message, code=code)
