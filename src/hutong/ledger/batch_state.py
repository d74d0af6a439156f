"""A batch's view of the ledger while it is applied, and the rules for one transfer. Pure code.

`hutong.ledger.engine.apply_transfers` walks a batch chain by chain and asks a
`BatchState` to apply each transfer: `BatchState.apply` checks a request
against the stored accounts and transfers plus what the batch changed so far,
and either changes the totals and records the transfer or answers the
`Result` that refuses it. Every check comes before the first change, so a
refused transfer has changed nothing; a linked chain that fails is put back
with the `ChainUndo` its first transfer opened. A retry of a stored transfer
is compared field by field (`compare_retry`): identical is ``exists``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hutong.ledger.models import (
    MAX_AMOUNT,
    MAX_REFERENCE,
    MAX_TIMEOUT,
    Account,
    AccountFlags,
    PendingState,
    Result,
    Transfer,
    TransferCode,
    TransferFlags,
    TransferRequest,
    valid_asset,
    valid_id,
)

__all__ = ["BatchState", "ChainUndo", "Totals", "compare_retry"]

_KINDS = TransferFlags.PENDING | TransferFlags.POST_PENDING | TransferFlags.VOID_PENDING
_CODES = frozenset(code.value for code in TransferCode)

Totals = tuple[int, int, int, int]


@dataclass(slots=True)
class ChainUndo:
    """What a linked chain changed, to put back if one of its transfers fails."""

    created: int
    totals: dict[str, Totals] = field(default_factory=dict)
    resolved: dict[str, PendingState | None] = field(default_factory=dict)


class _Rejected(Exception):
    def __init__(self, result: Result) -> None:
        self.result = result


class BatchState:
    """The batch's view: stored state plus what the batch changed so far.

    Accounts are copied on first change (copy-on-write), so the cost of a
    batch follows what it touches, not how many accounts were loaded.
    """

    def __init__(
        self,
        accounts: Mapping[str, Account],
        transfers: Mapping[str, Transfer],
        failures: Mapping[str, Result],
        now: datetime,
    ) -> None:
        self.source = accounts
        #: Copies of the accounts this batch changed, by id.
        self.accounts: dict[str, Account] = {}
        self.stored = transfers
        self.stored_failures = failures
        self.now = now
        self.created: list[Transfer] = []
        self.by_id: dict[str, Transfer] = {}
        self.resolved: dict[str, PendingState] = {}
        self.failed: dict[str, Result] = {}
        self._undo: ChainUndo | None = None

    # -- undoing a linked chain ----------------------------------------------

    def begin_chain(self) -> ChainUndo:
        self._undo = ChainUndo(created=len(self.created))
        return self._undo

    def end_chain(self) -> None:
        self._undo = None

    def undo_chain(self, undo: ChainUndo) -> None:
        for key, values in undo.totals.items():
            account = self.accounts[key]
            (
                account.debits_pending,
                account.debits_posted,
                account.credits_pending,
                account.credits_posted,
            ) = values
        for transfer in self.created[undo.created :]:
            self.by_id.pop(transfer.id, None)
        del self.created[undo.created :]
        for key, previous in undo.resolved.items():
            if previous is None:
                self.resolved.pop(key, None)
            else:
                self.resolved[key] = previous
        self._undo = None

    def changed_accounts(self) -> dict[str, Account]:
        """Copies whose totals differ from the stored account (an undone chain's do not)."""
        return {
            key: account
            for key, account in self.accounts.items()
            if account.totals() != self.source[key].totals()
        }

    def account(self, account_id: str) -> Account | None:
        return self.accounts.get(account_id) or self.source.get(account_id)

    def _writable(self, account_id: str) -> Account:
        account = self.accounts.get(account_id)
        if account is None:
            account = self.accounts[account_id] = copy.copy(self.source[account_id])
        if self._undo is not None and account_id not in self._undo.totals:
            self._undo.totals[account_id] = account.totals()
        return account

    def resolve(self, transfer_id: str, state: PendingState) -> None:
        if self._undo is not None and transfer_id not in self._undo.resolved:
            self._undo.resolved[transfer_id] = self.resolved.get(transfer_id)
        self.resolved[transfer_id] = state

    # -- lookups ---------------------------------------------------------------

    def transfer(self, transfer_id: str) -> Transfer | None:
        return self.by_id.get(transfer_id) or self.stored.get(transfer_id)

    def pending_state(self, transfer: Transfer) -> PendingState:
        return self.resolved.get(transfer.id, transfer.state)

    # -- one transfer ----------------------------------------------------------

    def apply(self, request: TransferRequest) -> Result:
        try:
            return self._apply(request)
        except _Rejected as rejected:
            return rejected.result

    def _apply(self, request: TransferRequest) -> Result:
        if not valid_id(request.id):
            return Result.ID_INVALID
        existing = self.transfer(request.id)
        if existing is not None:
            return compare_retry(request, existing)
        if request.id in self.stored_failures or request.id in self.failed:
            return Result.ID_ALREADY_FAILED
        kind = request.flags & _KINDS
        if kind not in (
            TransferFlags.NONE,
            TransferFlags.PENDING,
            TransferFlags.POST_PENDING,
            TransferFlags.VOID_PENDING,
        ):
            return Result.FLAGS_ARE_MUTUALLY_EXCLUSIVE
        if request.code not in _CODES:
            return Result.CODE_INVALID
        if len(request.reference) > MAX_REFERENCE:
            return Result.REFERENCE_INVALID
        if kind & (TransferFlags.POST_PENDING | TransferFlags.VOID_PENDING):
            return self._resolve_pending(request, kind)
        if request.pending_id:
            return Result.PENDING_ID_MUST_NOT_BE_SET
        if request.timeout and kind != TransferFlags.PENDING:
            return Result.TIMEOUT_RESERVED_FOR_PENDING
        if request.timeout < 0:
            return Result.TIMEOUT_RESERVED_FOR_PENDING
        if request.timeout > MAX_TIMEOUT:
            return Result.OVERFLOWS_TIMEOUT
        if request.debit_account_id == request.credit_account_id:
            return Result.ACCOUNTS_MUST_DIFFER
        if request.amount <= 0:
            return Result.AMOUNT_MUST_BE_POSITIVE
        if not valid_asset(request.asset):
            return Result.ASSET_INVALID
        debit = self.account(request.debit_account_id)
        if debit is None:
            return Result.DEBIT_ACCOUNT_NOT_FOUND
        credit = self.account(request.credit_account_id)
        if credit is None:
            return Result.CREDIT_ACCOUNT_NOT_FOUND
        if debit.asset != request.asset or credit.asset != request.asset:
            return Result.ASSET_MISMATCH
        pending = kind == TransferFlags.PENDING
        self._check_limits(debit, credit, request.amount)
        self._move(debit.id, credit.id, request.amount, pending=pending, sign=1)
        self._create(
            request,
            amount=request.amount,
            state=PendingState.PENDING if pending else PendingState.POSTED,
            expires_at=self.now + timedelta(seconds=request.timeout)
            if pending and request.timeout
            else None,
        )
        return Result.OK

    def _resolve_pending(self, request: TransferRequest, kind: TransferFlags) -> Result:
        if not request.pending_id:
            return Result.PENDING_ID_REQUIRED
        if request.pending_id == request.id:
            return Result.PENDING_ID_MUST_DIFFER
        if request.timeout:
            return Result.TIMEOUT_RESERVED_FOR_PENDING
        if request.amount < 0:
            return Result.AMOUNT_MUST_BE_POSITIVE
        pending = self.transfer(request.pending_id)
        if pending is None:
            return Result.PENDING_TRANSFER_NOT_FOUND
        if not pending.flags & TransferFlags.PENDING:
            return Result.PENDING_TRANSFER_NOT_PENDING
        if (
            (request.debit_account_id and request.debit_account_id != pending.debit_account_id)
            or (
                request.credit_account_id and request.credit_account_id != pending.credit_account_id
            )
            or (request.asset and request.asset != pending.asset)
        ):
            return Result.PENDING_TRANSFER_HAS_DIFFERENT_ACCOUNTS
        current = self.pending_state(pending)
        if current is PendingState.POSTED_PENDING:
            return Result.PENDING_TRANSFER_ALREADY_POSTED
        if current is PendingState.VOIDED:
            return Result.PENDING_TRANSFER_ALREADY_VOIDED
        if current is PendingState.EXPIRED:
            return Result.PENDING_TRANSFER_EXPIRED
        if pending.expires_at is not None and self.now >= pending.expires_at:
            # Too late; `expire_due` releases the hold (the store runs it first).
            return Result.PENDING_TRANSFER_EXPIRED
        debit, credit = pending.debit_account_id, pending.credit_account_id
        if kind == TransferFlags.VOID_PENDING:
            if request.amount not in (0, pending.amount):
                return Result.EXCEEDS_PENDING_TRANSFER_AMOUNT
            self._move(debit, credit, pending.amount, pending=True, sign=-1)
            self.resolve(pending.id, PendingState.VOIDED)
            self._create(
                request,
                amount=pending.amount,
                state=PendingState.POSTED,
                accounts=(pending.debit_account_id, pending.credit_account_id),
                asset=pending.asset,
            )
            return Result.OK
        amount = request.amount or pending.amount
        if amount > pending.amount:
            return Result.EXCEEDS_PENDING_TRANSFER_AMOUNT
        self._move(debit, credit, pending.amount, pending=True, sign=-1)
        self._move(debit, credit, amount, pending=False, sign=1)
        self.resolve(pending.id, PendingState.POSTED_PENDING)
        self._create(
            request,
            amount=amount,
            state=PendingState.POSTED,
            accounts=(pending.debit_account_id, pending.credit_account_id),
            asset=pending.asset,
        )
        return Result.OK

    def _check_limits(self, debit: Account, credit: Account, amount: int) -> None:
        if debit.flags & AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS and (
            debit.debits_pending + debit.debits_posted + amount > debit.credits_posted
        ):
            raise _Rejected(Result.EXCEEDS_CREDITS)
        if credit.flags & AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS and (
            credit.credits_pending + credit.credits_posted + amount > credit.debits_posted
        ):
            raise _Rejected(Result.EXCEEDS_DEBITS)
        if (
            debit.debits_pending + debit.debits_posted + amount > MAX_AMOUNT
            or credit.credits_pending + credit.credits_posted + amount > MAX_AMOUNT
        ):
            raise _Rejected(Result.OVERFLOWS)

    def _move(
        self, debit_id: str, credit_id: str, amount: int, *, pending: bool, sign: int
    ) -> None:
        debit, credit = self._writable(debit_id), self._writable(credit_id)
        if pending:
            debit.debits_pending += sign * amount
            credit.credits_pending += sign * amount
        else:
            debit.debits_posted += sign * amount
            credit.credits_posted += sign * amount

    def _create(
        self,
        request: TransferRequest,
        *,
        amount: int,
        state: PendingState,
        expires_at: datetime | None = None,
        accounts: tuple[str, str] | None = None,
        asset: str | None = None,
    ) -> None:
        debit_id, credit_id = accounts or (request.debit_account_id, request.credit_account_id)
        transfer = Transfer(
            id=request.id,
            debit_account_id=debit_id,
            credit_account_id=credit_id,
            amount=amount,
            asset=asset or request.asset,
            code=request.code,
            reference=request.reference,
            flags=request.flags,
            pending_id=request.pending_id,
            timeout=request.timeout,
            state=state,
            created_at=self.now,
            expires_at=expires_at,
            requested_amount=request.amount,
        )
        self.created.append(transfer)
        self.by_id[transfer.id] = transfer


_COMPARED = (
    ("flags", Result.EXISTS_WITH_DIFFERENT_FLAGS),
    ("pending_id", Result.EXISTS_WITH_DIFFERENT_PENDING_ID),
    ("timeout", Result.EXISTS_WITH_DIFFERENT_TIMEOUT),
    ("debit_account_id", Result.EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID),
    ("credit_account_id", Result.EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID),
    ("amount", Result.EXISTS_WITH_DIFFERENT_AMOUNT),
    ("asset", Result.EXISTS_WITH_DIFFERENT_ASSET),
    ("code", Result.EXISTS_WITH_DIFFERENT_CODE),
    ("reference", Result.EXISTS_WITH_DIFFERENT_REFERENCE),
)


def compare_retry(request: TransferRequest, existing: Transfer) -> Result:
    """`exists` for an identical retry, else the first field that differs."""
    stored = existing.as_request()
    resolving = bool(existing.flags & (TransferFlags.POST_PENDING | TransferFlags.VOID_PENDING))
    for name, result in _COMPARED:
        asked, kept = getattr(request, name), getattr(stored, name)
        if resolving and name in ("debit_account_id", "credit_account_id", "asset") and not asked:
            continue  # a post or void may leave these to the pending transfer
        if asked != kept:
            return result
    return Result.EXISTS
