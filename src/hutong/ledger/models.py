"""Ledger values: assets, accounts, transfers, result codes. Pure code.

Amounts are integers in the asset's smallest unit (CNY in fen, points in
points); there is no float anywhere on the money path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntFlag, StrEnum

#: Largest total an account may reach (signed 64-bit, as the database stores it).
MAX_AMOUNT = 2**63 - 1
#: Longest reference to an order, payment or transfer (the column's width).
MAX_REFERENCE = 255
#: Longest hold of a pending transfer, in seconds (signed 32-bit, as the database stores it).
MAX_TIMEOUT = 2**31 - 1

_ASSET = re.compile(r"^(CNY|points:[a-z0-9][a-z0-9-]{0,62})$")
#: Longest account id (the width of every column holding one). Account ids embed
#: subscriber ids (at most 255 characters); the longest the switch builds is a
#: points member's, ``p/<program>/member/<member>``: 2 + 255 + 8 + 64 = 329 <= 384.
MAX_ACCOUNT_ID = 384

_ID = re.compile(r"^[A-Za-z0-9._:@/-]{1,128}$")
_ACCOUNT_ID = re.compile(rf"^[A-Za-z0-9._:@/-]{{1,{MAX_ACCOUNT_ID}}}$")


def yuan(fen: int) -> str:
    """An amount of fen shown as yuan, exactly: 19900 -> ¥199.00, -5 -> -¥0.05."""
    sign = "-" if fen < 0 else ""
    return f"{sign}¥{abs(fen) // 100}.{abs(fen) % 100:02d}"


def valid_asset(asset: str) -> bool:
    """`CNY` (fen) or `points:<program>` such as `points:88vip`."""
    return bool(_ASSET.match(asset))


def valid_id(value: str) -> bool:
    """A transfer id: 1 to 128 of letters, digits and ``. _ : @ / -``."""
    return bool(_ID.match(value))


def valid_account_id(value: str) -> bool:
    """An account id: 1 to `MAX_ACCOUNT_ID` of the same characters as a transfer id."""
    return bool(_ACCOUNT_ID.match(value))


class AccountFlags(IntFlag):
    NONE = 0
    #: The account may never owe more than it holds (e.g. a user's balance).
    DEBITS_MUST_NOT_EXCEED_CREDITS = 1
    #: The account may never be credited beyond what was debited (e.g. a float).
    CREDITS_MUST_NOT_EXCEED_DEBITS = 2


class TransferFlags(IntFlag):
    NONE = 0
    #: This transfer succeeds or fails together with the next one in the batch.
    LINKED = 1
    #: Hold the amount (counts against limits) until posted, voided or expired.
    PENDING = 2
    #: Post (all or part of) the pending transfer named by `pending_id`.
    POST_PENDING = 4
    #: Release the pending transfer named by `pending_id`.
    VOID_PENDING = 8


class AccountKind(StrEnum):
    USER_BALANCE = "user_balance"
    MERCHANT_RECEIVABLE = "merchant_receivable"
    COMMISSION_INCOME = "commission_income"
    FEE_INCOME = "fee_income"
    SETTLEMENT_POSITION = "settlement_position"
    PROGRAM_LIABILITY = "program_liability"
    FUNDING = "funding"
    SUSPENSE = "suspense"


class TransferCode(StrEnum):
    """Why money moved."""

    PAYMENT = "payment"
    COMMISSION = "commission"
    REFUND = "refund"
    FEE = "fee"
    EXCHANGE = "exchange"
    SETTLEMENT = "settlement"
    TRANSFER = "transfer"
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    ADJUSTMENT = "adjustment"


class PendingState(StrEnum):
    POSTED = "posted"  # an ordinary transfer, or a post of a pending one
    PENDING = "pending"
    POSTED_PENDING = "posted_pending"  # a pending transfer that was posted
    VOIDED = "voided"
    EXPIRED = "expired"


class Result(StrEnum):
    OK = "ok"
    EXISTS = "exists"
    LINKED_EVENT_FAILED = "linked_event_failed"
    LINKED_EVENT_CHAIN_OPEN = "linked_event_chain_open"
    ID_INVALID = "id_invalid"
    ID_ALREADY_FAILED = "id_already_failed"
    FLAGS_ARE_MUTUALLY_EXCLUSIVE = "flags_are_mutually_exclusive"
    ACCOUNTS_MUST_DIFFER = "accounts_must_differ"
    AMOUNT_MUST_BE_POSITIVE = "amount_must_be_positive"
    ASSET_INVALID = "asset_invalid"
    CODE_INVALID = "code_invalid"
    REFERENCE_INVALID = "reference_invalid"
    PENDING_ID_MUST_NOT_BE_SET = "pending_id_must_not_be_set"
    PENDING_ID_REQUIRED = "pending_id_required"
    PENDING_ID_MUST_DIFFER = "pending_id_must_differ"
    TIMEOUT_RESERVED_FOR_PENDING = "timeout_reserved_for_pending_transfer"
    DEBIT_ACCOUNT_NOT_FOUND = "debit_account_not_found"
    CREDIT_ACCOUNT_NOT_FOUND = "credit_account_not_found"
    ASSET_MISMATCH = "asset_mismatch"
    EXCEEDS_CREDITS = "exceeds_credits"
    EXCEEDS_DEBITS = "exceeds_debits"
    OVERFLOWS = "overflows"
    OVERFLOWS_TIMEOUT = "overflows_timeout"
    PENDING_TRANSFER_NOT_FOUND = "pending_transfer_not_found"
    PENDING_TRANSFER_NOT_PENDING = "pending_transfer_not_pending"
    PENDING_TRANSFER_ALREADY_POSTED = "pending_transfer_already_posted"
    PENDING_TRANSFER_ALREADY_VOIDED = "pending_transfer_already_voided"
    PENDING_TRANSFER_EXPIRED = "pending_transfer_expired"
    EXCEEDS_PENDING_TRANSFER_AMOUNT = "exceeds_pending_transfer_amount"
    PENDING_TRANSFER_HAS_DIFFERENT_ACCOUNTS = "pending_transfer_has_different_accounts"
    EXISTS_WITH_DIFFERENT_FLAGS = "exists_with_different_flags"
    EXISTS_WITH_DIFFERENT_PENDING_ID = "exists_with_different_pending_id"
    EXISTS_WITH_DIFFERENT_TIMEOUT = "exists_with_different_timeout"
    EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID = "exists_with_different_debit_account_id"
    EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID = "exists_with_different_credit_account_id"
    EXISTS_WITH_DIFFERENT_AMOUNT = "exists_with_different_amount"
    EXISTS_WITH_DIFFERENT_ASSET = "exists_with_different_asset"
    EXISTS_WITH_DIFFERENT_CODE = "exists_with_different_code"
    EXISTS_WITH_DIFFERENT_REFERENCE = "exists_with_different_reference"
    #: The caller's batch would take a participant's position past its net debit
    #: cap (`hutong.ledger.liquidity`); nothing of the batch was applied.
    NET_DEBIT_CAP_EXCEEDED = "net_debit_cap_exceeded"

    @property
    def succeeded(self) -> bool:
        return self in (Result.OK, Result.EXISTS)


#: Failures not recorded against the id: the chain's fault, not the transfer's
#: (its id stays usable), or the id already belongs to a stored transfer or
#: failure (an `exists_with_different_*` retry must not mark a committed
#: transfer as failed).
NOT_RECORDED = frozenset(
    {
        Result.LINKED_EVENT_FAILED,
        Result.LINKED_EVENT_CHAIN_OPEN,
        Result.ID_INVALID,
        Result.ID_ALREADY_FAILED,
        Result.NET_DEBIT_CAP_EXCEEDED,  # the same id may go through once the cap allows
    }
    | {result for result in Result if result.value.startswith("exists_with_different_")}
)


@dataclass(slots=True)
class Account:
    id: str
    owner: str
    asset: str
    kind: str
    flags: AccountFlags = AccountFlags.NONE
    debits_pending: int = 0
    debits_posted: int = 0
    credits_pending: int = 0
    credits_posted: int = 0

    @property
    def balance(self) -> int:
        """Posted credits minus posted debits (what a user balance holds)."""
        return self.credits_posted - self.debits_posted

    @property
    def available(self) -> int:
        """What could still be debited: posted balance less pending debits."""
        return self.credits_posted - self.debits_posted - self.debits_pending

    def totals(self) -> tuple[int, int, int, int]:
        return (self.debits_pending, self.debits_posted, self.credits_pending, self.credits_posted)


@dataclass(frozen=True, slots=True)
class TransferRequest:
    """What a caller asks for. `amount` 0 on a post means "the whole pending amount"."""

    id: str
    debit_account_id: str = ""
    credit_account_id: str = ""
    amount: int = 0
    asset: str = ""
    code: str = TransferCode.PAYMENT.value
    reference: str = ""
    flags: TransferFlags = TransferFlags.NONE
    pending_id: str = ""
    #: Seconds a pending transfer holds before it expires (0: never).
    timeout: int = 0


@dataclass(slots=True)
class Transfer:
    """A stored transfer, as it was applied."""

    id: str
    debit_account_id: str
    credit_account_id: str
    amount: int
    asset: str
    code: str
    reference: str
    flags: TransferFlags
    pending_id: str
    timeout: int
    state: PendingState
    created_at: datetime
    expires_at: datetime | None = None
    #: For a post or void: what the caller asked (0 = whole amount), to compare retries.
    requested_amount: int = field(default=0)

    def as_request(self) -> TransferRequest:
        return TransferRequest(
            id=self.id,
            debit_account_id=self.debit_account_id,
            credit_account_id=self.credit_account_id,
            amount=self.requested_amount,
            asset=self.asset,
            code=self.code,
            reference=self.reference,
            flags=self.flags,
            pending_id=self.pending_id,
            timeout=self.timeout,
        )
