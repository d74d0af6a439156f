"""Applying a batch of transfers to account state. Pure code, no I/O.

The storage layer loads every account and transfer a batch mentions, calls
`apply_transfers`, and writes back what it returns, in one transaction. The
rules are those of a double-entry ledger with two-phase transfers (the
semantics follow TigerBeetle's): each transfer debits one account and credits
another by the same amount, so every asset always sums to zero.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from hutong.ledger.batch_state import BatchState
from hutong.ledger.models import (
    NOT_RECORDED,
    Account,
    PendingState,
    Result,
    Transfer,
    TransferFlags,
    TransferRequest,
    valid_id,
)

__all__ = ["BatchOutcome", "apply_transfers", "chains", "expire_due"]


@dataclass(slots=True)
class BatchOutcome:
    results: list[Result]
    #: Transfers created by this batch, in order.
    created: list[Transfer] = field(default_factory=list)
    #: Pending transfers whose state changed (posted, voided, expired).
    resolved: dict[str, PendingState] = field(default_factory=dict)
    #: Accounts whose totals changed, by id.
    accounts: dict[str, Account] = field(default_factory=dict)
    #: Ids that failed for a reason of their own, with that reason.
    failed: dict[str, Result] = field(default_factory=dict)


def chains(batch: Sequence[TransferRequest]) -> list[list[int]]:
    """Indexes of the batch grouped into linked chains (a lone transfer is a chain of one)."""
    groups: list[list[int]] = []
    current: list[int] = []
    for index, request in enumerate(batch):
        current.append(index)
        if not request.flags & TransferFlags.LINKED:
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


def apply_transfers(
    batch: Sequence[TransferRequest],
    accounts: Mapping[str, Account],
    transfers: Mapping[str, Transfer],
    failures: Mapping[str, Result],
    now: datetime,
) -> BatchOutcome:
    """Apply `batch` in order; returns one result per request and the changes.

    `accounts` must hold every account the batch names (and the accounts of
    every pending transfer it posts or voids); `transfers` every stored
    transfer whose id the batch uses, as `id` or as `pending_id`; `failures`
    the recorded failures of those ids. Nothing passed in is modified.
    """
    state = BatchState(accounts, transfers, failures, now)
    results: list[Result] = [Result.OK] * len(batch)
    for chain in chains(batch):
        open_chain = bool(batch[chain[-1]].flags & TransferFlags.LINKED)
        # A single transfer that fails has changed nothing (every check comes
        # before the first change), so only a chain of several needs undoing.
        undo = state.begin_chain() if len(chain) > 1 and not open_chain else None
        failed_at: int | None = None
        failure = Result.OK
        if open_chain:
            # The last request carries the `linked` flag it must not: it gets
            # the error, the rest `linked_event_failed` (as in TigerBeetle).
            failed_at, failure = chain[-1], Result.LINKED_EVENT_CHAIN_OPEN
        else:
            for index in chain:
                result = state.apply(batch[index])
                results[index] = result
                if not result.succeeded:
                    failed_at, failure = index, result
                    break
        if failed_at is None:
            state.end_chain()
            continue
        if undo is not None:
            state.undo_chain(undo)
        for index in chain:
            results[index] = Result.LINKED_EVENT_FAILED
        results[failed_at] = failure
        if failure not in NOT_RECORDED and valid_id(batch[failed_at].id):
            state.failed.setdefault(batch[failed_at].id, failure)
    return BatchOutcome(
        results=results,
        created=state.created,
        resolved=state.resolved,
        accounts=state.changed_accounts(),
        failed=state.failed,
    )


def expire_due(
    pending: Sequence[Transfer], accounts: Mapping[str, Account], now: datetime
) -> tuple[dict[str, PendingState], dict[str, Account]]:
    """Release every pending transfer whose timeout has passed.

    Returns the new states by transfer id and copies of the accounts changed.
    """
    changed: dict[str, Account] = {}
    resolved: dict[str, PendingState] = {}

    def writable(account_id: str) -> Account:
        if account_id not in changed:
            changed[account_id] = copy.copy(accounts[account_id])
        return changed[account_id]

    for transfer in pending:
        if transfer.state is not PendingState.PENDING or transfer.expires_at is None:
            continue
        if now < transfer.expires_at:
            continue
        writable(transfer.debit_account_id).debits_pending -= transfer.amount
        writable(transfer.credit_account_id).credits_pending -= transfer.amount
        resolved[transfer.id] = PendingState.EXPIRED
    return resolved, changed
