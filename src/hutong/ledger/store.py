"""Loading and saving ledger state; applying batches inside a transaction.

Two kinds of account are saved two ways:

- An account with a limit (debits must not exceed credits, or the reverse)
  is decided on: its totals are read under a lock (PostgreSQL `FOR UPDATE`,
  all of them in one statement, in id order) and written back at once.
- Every other account (a merchant's receivable, a wallet's position, a
  host's commission) is never decided on, so it is not locked when read:
  the change of its totals is written as an increment
  (`totals ← totals + Δ`, `store.increments`). Inside a group commit the
  increments of all its writes are applied together just before the
  commit, in id order, so a hot account is locked once per batch, for the
  commit only, and two batches never wait on each other in a circle. The
  overflow check on such an account reads totals that may miss increments
  not yet committed; the database's non-negative and BIGINT checks stay.

Either way no update is lost and every transaction still sums to zero
(`hutong ledger check`); SQLite has a single writer.

Each owner's position (what it owes the network, `hutong.ledger.liquidity`)
moves in the same transaction as its accounts. A caller's batch that would
take a participant past its net debit cap is refused whole: every one of its
transfers answers ``net_debit_cap_exceeded`` and nothing of it is applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

# Creating accounts (`ledger.accounts`) and reading them (`ledger.reads`) live in
# their own modules; their names stay importable from here, where callers look.
from hutong.ledger.accounts import (
    AccountResult as AccountResult,
)
from hutong.ledger.accounts import (
    NewAccount as NewAccount,
)
from hutong.ledger.accounts import (
    create_accounts as create_accounts,
)
from hutong.ledger.accounts import transfer_from_row
from hutong.ledger.engine import apply_transfers, expire_due
from hutong.ledger.liquidity import store as liquidity
from hutong.ledger.liquidity.rules import position_changes
from hutong.ledger.loading import LOCK_TRANSFERS, limited, load, read_accounts
from hutong.ledger.loading import load_unlocked as load_unlocked
from hutong.ledger.models import Account, PendingState, Result, Transfer, TransferRequest
from hutong.ledger.reads import HistoryEntry as HistoryEntry
from hutong.ledger.reads import get_account as get_account
from hutong.ledger.reads import history as history
from hutong.ledger.reads import list_accounts as list_accounts
from hutong.store import increments
from hutong.store.tables import ledger_accounts, ledger_failures, ledger_transfers

_UPDATE_ACCOUNT = (
    update(ledger_accounts)
    .where(ledger_accounts.c.id == bindparam("account_id"))
    .values(
        debits_pending=bindparam("dp"),
        debits_posted=bindparam("dq"),
        credits_pending=bindparam("cp"),
        credits_posted=bindparam("cq"),
    )
)
_UPDATE_STATE = (
    update(ledger_transfers)
    .where(ledger_transfers.c.id == bindparam("transfer_id"))
    .values(state=bindparam("new_state"))
)


async def apply_batches(
    conn: AsyncConnection,
    batches: Sequence[Sequence[TransferRequest]],
    now: datetime,
    *,
    fresh: bool = False,
) -> list[list[Result]]:
    """Apply several callers' batches in one transaction; one result list per batch.

    Each caller's batch is applied on its own (a linked chain never spans
    two callers), in order, on state loaded and locked once for all of them.
    `fresh`: the caller's own state proves no id of the batches stored, so
    they are not read (`hutong.ledger.loading`); a stored one fails the INSERT
    (`IntegrityError`) and with it the caller's transaction, whole.
    """
    requests = [r for batch in batches for r in batch]
    loaded = await load(conn, requests, fresh=fresh, now=now)
    stored = dict(loaded.accounts)
    accounts, transfers, failures = loaded.accounts, loaded.transfers, loaded.failures
    caps = loaded.caps
    # Decided on: read under their locks, after the accounts with a limit.
    positions = await liquidity.lock_positions(conn, caps)
    resolved: dict[str, PendingState] = {}
    created: list[Transfer] = []
    failed: dict[str, Result] = {}
    changed: set[str] = set()

    # Holds that timed out are released first, as the sweeper would have.
    due = [t for t in transfers.values() if t.state is PendingState.PENDING and t.expires_at]
    expired, released = expire_due(due, accounts, now)
    accounts.update(released)
    changed |= set(released)
    for transfer_id, state in expired.items():
        resolved[transfer_id] = state
        transfers[transfer_id].state = state

    for owner, change in position_changes(stored, released).items():
        if owner in positions:
            positions[owner] += change

    results: list[list[Result]] = []
    for batch in batches:
        outcome = apply_transfers(batch, accounts, transfers, failures, now)
        changes = position_changes(accounts, outcome.accounts)
        if any(
            change > 0 and positions[owner] + change > caps[owner]
            for owner, change in changes.items()
            if owner in caps
        ):
            results.append([Result.NET_DEBIT_CAP_EXCEEDED] * len(batch))
            continue
        for owner, change in changes.items():
            if owner in positions:
                positions[owner] += change
        results.append(outcome.results)
        accounts.update(outcome.accounts)
        changed |= set(outcome.accounts)
        for transfer in outcome.created:
            transfers[transfer.id] = transfer
            created.append(transfer)
        for transfer_id, state in outcome.resolved.items():
            resolved[transfer_id] = state
            transfers[transfer_id].state = state
        failures.update(outcome.failed)
        failed.update(outcome.failed)

    await _save(conn, created, resolved, failed, now, claimed=loaded.claimed)
    await _save_totals(conn, {key: (stored[key], accounts[key]) for key in changed})
    await liquidity.move(
        conn, position_changes(stored, {key: accounts[key] for key in changed}), caps
    )
    return results


async def _save(
    conn: AsyncConnection,
    created: list[Transfer],
    resolved: dict[str, PendingState],
    failed: dict[str, Result],
    now: datetime,
    *,
    claimed: dict[str, PendingState] | None = None,
) -> None:
    """The batch's new transfers, the new states of stored ones and its failures.

    A transfer a fresh batch `claimed` already holds the state its claim
    wrote: written again only if the batch left it otherwise (as pending,
    when the request that resolved it failed).
    """
    created_ids = {t.id for t in created}
    if created:
        await conn.execute(
            insert(ledger_transfers),
            [
                {
                    "id": t.id,
                    "debit_account_id": t.debit_account_id,
                    "credit_account_id": t.credit_account_id,
                    "amount": t.amount,
                    "asset": t.asset,
                    "code": t.code,
                    "reference": t.reference,
                    "flags": int(t.flags),
                    "pending_id": t.pending_id,
                    "timeout": t.timeout,
                    "requested_amount": t.requested_amount,
                    # A pending transfer made and resolved in the same batch.
                    "state": resolved.get(t.id, t.state).value,
                    "created_at": t.created_at,
                    "expires_at": t.expires_at,
                }
                for t in created
            ],
        )
    states = {key: state for key, state in resolved.items() if key not in created_ids}
    for key, guessed in (claimed or {}).items():
        if states.get(key, PendingState.PENDING) is guessed:
            del states[key]
        else:
            states.setdefault(key, PendingState.PENDING)
    stored_changes = [
        {"transfer_id": key, "new_state": state.value} for key, state in states.items()
    ]
    if stored_changes:
        await conn.execute(_UPDATE_STATE, stored_changes)
    if failed:
        await conn.execute(
            insert(ledger_failures),
            [
                {"id": key, "result": result.value, "created_at": now}
                for key, result in failed.items()
            ],
        )


async def _save_totals(conn: AsyncConnection, changes: dict[str, tuple[Account, Account]]) -> None:
    """Each changed account's totals, from (as read, as changed): an account with a
    limit is written as it is (it was read under its lock), every other one as an
    increment (see the module's doc)."""
    written = [after for key, (_, after) in sorted(changes.items()) if limited(after)]
    if written:
        await conn.execute(
            _UPDATE_ACCOUNT,
            [
                {
                    "account_id": a.id,
                    "dp": a.debits_pending,
                    "dq": a.debits_posted,
                    "cp": a.credits_pending,
                    "cq": a.credits_posted,
                }
                for a in written
            ],
        )
    rows = {
        key: {
            "debits_pending": after.debits_pending - before.debits_pending,
            "debits_posted": after.debits_posted - before.debits_posted,
            "credits_pending": after.credits_pending - before.credits_pending,
            "credits_posted": after.credits_posted - before.credits_posted,
        }
        for key, (before, after) in changes.items()
        if not limited(after)
    }
    if rows:
        await increments.add(conn, ledger_accounts, "id", rows)


_DUE = (
    select(ledger_transfers)
    .where(
        ledger_transfers.c.state == PendingState.PENDING.value,
        ledger_transfers.c.expires_at <= bindparam("now"),
    )
    .order_by(ledger_transfers.c.expires_at)
    .limit(bindparam("limit"))
)


async def expire_pending(conn: AsyncConnection, now: datetime, limit: int = 1000) -> int:
    """Release holds whose timeout has passed; returns how many."""
    due = [
        transfer_from_row(row)
        for row in (await conn.execute(_DUE, {"now": now, "limit": limit})).all()
    ]
    if not due:
        return 0
    # Under the transfers' locks: another worker may have resolved some.
    fresh = [
        transfer_from_row(row)
        for row in (await conn.execute(LOCK_TRANSFERS, {"ids": [t.id for t in due]})).all()
    ]
    accounts = await read_accounts(
        conn, {t.debit_account_id for t in fresh} | {t.credit_account_id for t in fresh}
    )
    resolved, changed = expire_due(fresh, accounts, now)
    await _save(conn, [], resolved, {}, now)
    await _save_totals(conn, {key: (accounts[key], changed[key]) for key in changed})
    # A released hold only lowers positions: nothing to decide, so increments.
    await liquidity.move(conn, position_changes(accounts, changed), ())
    return len(resolved)
