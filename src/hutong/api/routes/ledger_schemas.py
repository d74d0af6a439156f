"""Request and response shapes of the ledger API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from hutong.ledger.models import Account, Transfer, TransferFlags
from hutong.ledger.store import HistoryEntry
from hutong.protocol.envelope import Context

#: Flag names as the API spells them.
TRANSFER_FLAGS = {
    "linked": TransferFlags.LINKED,
    "pending": TransferFlags.PENDING,
    "post_pending": TransferFlags.POST_PENDING,
    "void_pending": TransferFlags.VOID_PENDING,
}


class AccountIn(msgspec.Struct, kw_only=True):
    id: str
    owner: str
    asset: str
    kind: str
    debits_must_not_exceed_credits: bool = False
    credits_must_not_exceed_debits: bool = False


class AccountsIn(msgspec.Struct, kw_only=True):
    accounts: list[AccountIn]


class TransferIn(msgspec.Struct, kw_only=True):
    id: str
    debit_account_id: str = ""
    credit_account_id: str = ""
    #: Integer minor units (fen, points); 0 on a post means the whole hold.
    amount: int = 0
    asset: str = ""
    code: str = "payment"
    #: Free text such as an order id (the database keeps at most 255 characters).
    reference: Annotated[str, msgspec.Meta(max_length=255)] = ""
    #: Any of linked, pending, post_pending, void_pending.
    flags: list[str] = msgspec.field(default_factory=list)
    pending_id: str = ""
    #: Seconds a pending transfer holds before it expires (0: never).
    timeout: int = 0


class TransfersIn(msgspec.Struct, kw_only=True):
    transfers: list[TransferIn]


class SignedAccountsIn(msgspec.Struct, kw_only=True):
    context: Context
    message: AccountsIn


class SignedTransfersIn(msgspec.Struct, kw_only=True):
    context: Context
    message: TransfersIn


class ResolveIn(msgspec.Struct, kw_only=True):
    #: The id of the post or void transfer itself (its idempotency key).
    id: str
    amount: int = 0


class ItemResult(msgspec.Struct):
    id: str
    result: str


class ResultsOut(msgspec.Struct):
    results: list[ItemResult]
    ok: bool


class AccountOut(msgspec.Struct, kw_only=True):
    id: str
    owner: str
    asset: str
    kind: str
    debits_must_not_exceed_credits: bool
    credits_must_not_exceed_debits: bool
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int
    balance: int
    available: int


class TransferOut(msgspec.Struct, kw_only=True):
    seq: int
    id: str
    debit_account_id: str
    credit_account_id: str
    amount: int
    asset: str
    code: str
    reference: str
    flags: list[str]
    pending_id: str
    state: str
    created_at: datetime
    expires_at: datetime | None


class HistoryOut(msgspec.Struct, kw_only=True):
    account_id: str
    transfers: list[TransferOut]
    #: Pass as `after` for the next page; null when this page is the last.
    next_after: int | None


class CheckOut(msgspec.Struct, kw_only=True):
    ok: bool
    accounts: int
    transfers: int
    problems: list[str]


def account_out(account: Account) -> AccountOut:
    from hutong.ledger.models import AccountFlags

    return AccountOut(
        id=account.id,
        owner=account.owner,
        asset=account.asset,
        kind=account.kind,
        debits_must_not_exceed_credits=bool(
            account.flags & AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS
        ),
        credits_must_not_exceed_debits=bool(
            account.flags & AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS
        ),
        debits_pending=account.debits_pending,
        debits_posted=account.debits_posted,
        credits_pending=account.credits_pending,
        credits_posted=account.credits_posted,
        balance=account.balance,
        available=account.available,
    )


def flag_names(flags: TransferFlags) -> list[str]:
    return [name for name, flag in TRANSFER_FLAGS.items() if flags & flag]


def transfer_out(entry: HistoryEntry) -> TransferOut:
    t: Transfer = entry.transfer
    return TransferOut(
        seq=entry.seq,
        id=t.id,
        debit_account_id=t.debit_account_id,
        credit_account_id=t.credit_account_id,
        amount=t.amount,
        asset=t.asset,
        code=t.code,
        reference=t.reference,
        flags=flag_names(t.flags),
        pending_id=t.pending_id,
        state=t.state.value,
        created_at=t.created_at,
        expires_at=t.expires_at,
    )
