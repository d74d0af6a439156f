"""Loading what a batch is applied on: its transfers, accounts, caps and failures.

An ordinary batch reads the transfers it names (its own ids, to answer
``exists`` to a retry, and the pending transfers it posts or voids), locked,
then its accounts with their owners' net debit caps and its ids' recorded
failures (one UNION): two statements.

A *fresh* batch is one whose caller proves by its own state machine that
none of its transfer ids is stored (a payment's hold, posted in the
transaction that moves the payment from created to authorized under a
conditional UPDATE; its capture; an order's split, posted under the order's
lock as it completes). Its ids are not read: the unique key on the transfer
id refuses a duplicate at the INSERT, which fails the caller's transaction
whole, so nothing is ever applied twice. Each pending transfer it posts or
voids is *claimed*, in id order, by one conditional UPDATE that sets the
state the batch's first request on it would give it, where the transfer is
still pending and not lapsed, and returns the row (the lock, the read and
the state write in one statement):

    UPDATE ledger_transfers SET state = :target
    WHERE id = :pending_id AND state = 'pending' AND (expires_at IS NULL OR expires_at > :now)
    RETURNING *

A pending transfer the claim misses (unknown, resolved, lapsed) is read
under its lock as in an ordinary batch, so the engine refuses it for what
it is (and releases a lapsed hold). The engine applies the claimed transfer
as pending; the store writes its state again only when the batch left it
other than claimed (a chain that failed puts it back to pending). The
accounts, caps and failures are read as for any batch: what is decided on
is never skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    CompoundSelect,
    bindparam,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.ledger.accounts import account_from_row, transfer_from_row
from hutong.ledger.liquidity import store as liquidity
from hutong.ledger.liquidity.rules import LIQUIDITY_ASSET
from hutong.ledger.models import (
    Account,
    AccountFlags,
    PendingState,
    Result,
    Transfer,
    TransferFlags,
    TransferRequest,
)
from hutong.store.tables import ledger_accounts, ledger_failures, ledger_transfers

__all__ = [
    "LOCK_TRANSFERS",
    "Loaded",
    "limited",
    "load",
    "load_unlocked",
    "lock_limited",
    "read_accounts",
]

_IDS: BindParameter[Any] = bindparam("ids", expanding=True)
_t = ledger_transfers

_LOAD_TRANSFERS = select(_t).where(_t.c.id.in_(_IDS))
#: The transfers a batch names, locked: a pending one is resolved by whoever
#: holds its row (a payment's capture, a void, the expiry sweeper), never twice.
LOCK_TRANSFERS = _LOAD_TRANSFERS.order_by(_t.c.id).with_for_update()
#: A fresh batch's pending transfer, locked, read and given its new state at once.
_CLAIM = (
    update(_t)
    .where(
        _t.c.id == bindparam("claim_id"),
        _t.c.state == PendingState.PENDING.value,
        or_(_t.c.expires_at.is_(None), _t.c.expires_at > bindparam("now")),
    )
    .values(state=bindparam("target"))
    .returning(*_t.c)
)
_OWNER = ledger_accounts.c.owner
_READ_ACCOUNTS = select(ledger_accounts).where(ledger_accounts.c.id.in_(_IDS))
_LOCK_ACCOUNTS = _READ_ACCOUNTS.order_by(ledger_accounts.c.id).with_for_update()
_LIMITS = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS | AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS
_RESOLVES = {
    TransferFlags.POST_PENDING: PendingState.POSTED_PENDING,
    TransferFlags.VOID_PENDING: PendingState.VOIDED,
}


def _accounts_and_failures(*, preview: bool) -> CompoundSelect[Any]:
    """A batch's accounts with their owners' net debit caps (a preview: and positions, as
    they stand), and the recorded failures of the batch's ids, in one statement.

    An account's row has ``failure`` NULL; a failure's row has only ``id`` and
    ``failure``. The caps are read with the accounts, never cached: the
    ledger decides on them. The failures are read after the transfers' lock,
    as before the two were one statement: a retry that waited for a pending
    transfer's lock sees its id failed by the request it waited for.
    """
    extra = [liquidity.cap_of(_OWNER).label("net_debit_cap")]
    if preview:
        extra.append(liquidity.position_of(_OWNER).label("position"))
    accounts = select(ledger_accounts, *extra, null().label("failure")).where(
        ledger_accounts.c.id.in_(_IDS)
    )
    failed = select(
        *(
            ledger_failures.c.id if column.name == "id" else null().label(column.name)
            for column in ledger_accounts.c
        ),
        *(null().label(column.name) for column in extra),
        ledger_failures.c.result.label("failure"),
    ).where(ledger_failures.c.id.in_(bindparam("failed", expanding=True)))
    return union_all(accounts, failed)


_ACCOUNTS_AND_FAILURES = _accounts_and_failures(preview=False)
_PREVIEW_ACCOUNTS_AND_FAILURES = _accounts_and_failures(preview=True)


@dataclass(slots=True)
class Loaded:
    accounts: dict[str, Account]
    transfers: dict[str, Transfer]
    failures: dict[str, Result]
    #: The current net debit cap of each owner of a CNY account loaded that has one.
    caps: dict[str, int] = field(default_factory=dict)
    #: Positions as they stand, of the owners in `caps` (a preview's only).
    positions: dict[str, int] = field(default_factory=dict)
    #: A fresh batch's claimed pending transfers, with the state the claim stored.
    claimed: dict[str, PendingState] = field(default_factory=dict)


async def load_unlocked(conn: AsyncConnection, requests: Iterable[TransferRequest]) -> Loaded:
    """What a batch of `requests` would be applied on, read without a lock (a preview),
    with the caps and positions of the accounts' owners: two statements."""
    return await load(conn, requests, lock=False)


async def load(
    conn: AsyncConnection,
    requests: Iterable[TransferRequest],
    *,
    lock: bool = True,
    fresh: bool = False,
    now: datetime | None = None,
) -> Loaded:
    """The transfers the batch names (one statement, locked unless a preview; a fresh
    batch: only its pending transfers, claimed), then its accounts with their owners'
    caps and the failures of its ids (one statement; the accounts with a limit again,
    under their lock)."""
    requests = list(requests)
    ids = sorted({r.id for r in requests} | {r.pending_id for r in requests if r.pending_id})
    loaded = Loaded({}, {}, {})
    if fresh:
        if not lock or now is None:
            raise ValueError("a fresh batch is applied (locked), at a time")
        await _claim(conn, requests, now, loaded)
    elif ids:
        reading = LOCK_TRANSFERS if lock else _LOAD_TRANSFERS
        for row in (await conn.execute(reading, {"ids": ids})).all():
            loaded.transfers[row.id] = transfer_from_row(row)
    account_ids = {r.debit_account_id for r in requests} | {r.credit_account_id for r in requests}
    for transfer in loaded.transfers.values():
        account_ids |= {transfer.debit_account_id, transfer.credit_account_id}
    account_ids.discard("")
    if not ids and not account_ids:
        return loaded
    both = _ACCOUNTS_AND_FAILURES if lock else _PREVIEW_ACCOUNTS_AND_FAILURES
    for row in (await conn.execute(both, {"ids": sorted(account_ids), "failed": ids})).all():
        if row.failure is not None:
            loaded.failures[row.id] = Result(row.failure)
            continue
        loaded.accounts[row.id] = account_from_row(row)
        if row.asset == LIQUIDITY_ASSET and row.net_debit_cap is not None:
            loaded.caps[row.owner] = row.net_debit_cap
            if not lock:
                loaded.positions[row.owner] = row.position or 0
    if lock:
        await lock_limited(conn, loaded.accounts)
    return loaded


async def _claim(
    conn: AsyncConnection, requests: list[TransferRequest], now: datetime, loaded: Loaded
) -> None:
    """Claim each pending transfer the fresh `requests` post or void, in id order (see the
    module's doc); one the claim misses is read under its lock instead."""
    targets: dict[str, PendingState] = {}
    for request in requests:
        kind = request.flags & (TransferFlags.POST_PENDING | TransferFlags.VOID_PENDING)
        if request.pending_id and kind in _RESOLVES:
            targets.setdefault(request.pending_id, _RESOLVES[TransferFlags(kind)])
    for pending_id, target in sorted(targets.items()):
        params = {"claim_id": pending_id, "target": target.value, "now": now}
        row = (await conn.execute(_CLAIM, params)).first()
        if row is not None:
            claimed = transfer_from_row(row)
            claimed.state = PendingState.PENDING  # as the engine must see it
            loaded.transfers[pending_id] = claimed
            loaded.claimed[pending_id] = target
            continue
        for found in (await conn.execute(LOCK_TRANSFERS, {"ids": [pending_id]})).all():
            loaded.transfers[found.id] = transfer_from_row(found)


async def read_accounts(conn: AsyncConnection, ids: Iterable[str]) -> dict[str, Account]:
    """The accounts by id: those with a limit read under their lock, the others as they are."""
    ids = sorted(ids)
    if not ids:
        return {}
    accounts: dict[str, Account] = {}
    for row in (await conn.execute(_READ_ACCOUNTS, {"ids": ids})).all():
        accounts[row.id] = account_from_row(row)
    await lock_limited(conn, accounts)
    return accounts


async def lock_limited(conn: AsyncConnection, accounts: dict[str, Account]) -> None:
    """Read the accounts with a limit again, under their lock (they are decided on)."""
    ids = sorted(key for key, account in accounts.items() if limited(account))
    if ids:
        for row in (await conn.execute(_LOCK_ACCOUNTS, {"ids": ids})).all():
            accounts[row.id] = account_from_row(row)


def limited(account: Account) -> bool:
    return bool(account.flags & _LIMITS)
