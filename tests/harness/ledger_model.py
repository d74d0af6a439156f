"""A model ledger: the simulator the engine is checked against."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from hutong.ledger.engine import BatchOutcome, apply_transfers, expire_due
from hutong.ledger.models import (
    Account,
    PendingState,
    Result,
    Transfer,
    TransferFlags,
    TransferRequest,
)

START = datetime(2025, 1, 1, tzinfo=UTC)


PENDING = TransferFlags.PENDING


class Ledger:
    """What the store does around the engine, in memory.

    Every call into the engine is checked for leaving its inputs alone, and
    every merge for the store's uniqueness rules (a transfer id is stored
    once; an id is a transfer or a failure, never both).
    """

    def __init__(self, accounts: Iterable[Account], now: datetime = START) -> None:
        self.accounts: dict[str, Account] = {account.id: account for account in accounts}
        self.transfers: dict[str, Transfer] = {}
        self.failures: dict[str, Result] = {}
        self.now = now
        self.swept_at = now

    def advance(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    def expire(self) -> dict[str, PendingState]:
        """Release the holds that timed out (the store's sweeper)."""
        pending = [t for t in self.transfers.values() if t.state is PendingState.PENDING]
        before = copy.deepcopy((pending, self.accounts))
        resolved, changed = expire_due(pending, self.accounts, self.now)
        assert (pending, self.accounts) == before, "expire_due modified its input"
        assert set(changed) <= set(self.accounts)
        for transfer_id, state in resolved.items():
            assert state is PendingState.EXPIRED
            assert self.transfers[transfer_id].state is PendingState.PENDING
            self.transfers[transfer_id] = dataclasses.replace(
                self.transfers[transfer_id], state=state
            )
        self.accounts.update(changed)
        self.swept_at = self.now
        return resolved

    def dry_run(self, batch: Sequence[TransferRequest]) -> BatchOutcome:
        """Apply `batch` to the current state without keeping the outcome."""
        before = copy.deepcopy((self.accounts, self.transfers, self.failures))
        outcome = apply_transfers(batch, self.accounts, self.transfers, self.failures, self.now)
        assert (self.accounts, self.transfers, self.failures) == before, (
            "apply_transfers modified its input"
        )
        for key, account in outcome.accounts.items():
            assert account is not self.accounts[key], "an input account was handed back"
        return outcome

    def submit(self, *batch: TransferRequest) -> BatchOutcome:
        if self.now != self.swept_at:
            self.expire()
        outcome = self.dry_run(batch)
        self.merge(outcome)
        return outcome

    def merge(self, outcome: BatchOutcome) -> None:
        for transfer in outcome.created:
            assert transfer.id not in self.transfers, f"{transfer.id} stored twice"
            assert transfer.id not in self.failures, f"{transfer.id} created after failing"
            self.transfers[transfer.id] = transfer
        for transfer_id, state in outcome.resolved.items():
            stored = self.transfers[transfer_id]
            assert stored.flags & PENDING and stored.state is PendingState.PENDING
            assert state in (PendingState.POSTED_PENDING, PendingState.VOIDED)
            self.transfers[transfer_id] = dataclasses.replace(stored, state=state)
        assert set(outcome.accounts) <= set(self.accounts)
        self.accounts.update(outcome.accounts)
        for transfer_id, result in outcome.failed.items():
            assert transfer_id not in self.transfers, f"{transfer_id} is a transfer and a failure"
            assert transfer_id not in self.failures, f"{transfer_id} recorded as failed twice"
            assert not result.succeeded
            self.failures[transfer_id] = result

    def totals(self) -> dict[str, tuple[int, int, int, int]]:
        return {key: account.totals() for key, account in self.accounts.items()}
