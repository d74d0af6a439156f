"""The ledger's accounts and transfers (and the transfer ids that failed for good).

The database keeps the no-overdraft rule of flagged accounts as a CHECK, a
second line of refusal behind the ledger's own.

Defined on the one metadata (`hutong.store.schema`) and re-exported by
`hutong.store.tables`.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from hutong.store.schema import known, metadata, not_negative, positive
from hutong.store.types import BigIntPK, UTCDateTime

__all__ = [
    "ACCOUNT_ID_WIDTH",
    "ACCOUNT_KINDS",
    "CREDITS_LIMITED_FLAG",
    "DEBITS_LIMITED_FLAG",
    "PENDING_FLAG",
    "PENDING_STATES",
    "TRANSFER_CODES",
    "ledger_accounts",
    "ledger_failures",
    "ledger_transfers",
]

#: The values of the code's enums a state column may hold, written out (the store
#: is below the domain package that owns them); tests/store/test_database_invariants.py
#: checks them against their enums.
ACCOUNT_KINDS = (
    "user_balance",
    "merchant_receivable",
    "commission_income",
    "fee_income",
    "settlement_position",
    "program_liability",
    "funding",
    "suspense",
)
PENDING_STATES = (
    "posted",
    "pending",
    "posted_pending",
    "voided",
    "expired",
)
TRANSFER_CODES = (
    "payment",
    "commission",
    "refund",
    "fee",
    "exchange",
    "settlement",
    "transfer",
    "deposit",
    "withdrawal",
    "adjustment",
)

#: The ledger's flag bits (hutong.ledger.models; checked by the same test).
DEBITS_LIMITED_FLAG = 1
CREDITS_LIMITED_FLAG = 2
PENDING_FLAG = 2
#: Width of every column holding a ledger account id (hutong.ledger.models.MAX_ACCOUNT_ID:
#: ids embed 255-character subscriber ids; checked by tests/ledger/test_account_widths.py).
ACCOUNT_ID_WIDTH = 384

ledger_accounts = Table(
    "ledger_accounts",
    metadata,
    Column("id", String(ACCOUNT_ID_WIDTH), primary_key=True),
    #: The participant the account belongs to (or the switch itself).
    Column("owner", String(255), nullable=False),
    Column("asset", String(80), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("flags", Integer, nullable=False),
    Column("debits_pending", BigInteger, nullable=False),
    Column("debits_posted", BigInteger, nullable=False),
    Column("credits_pending", BigInteger, nullable=False),
    Column("credits_posted", BigInteger, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_ledger_accounts_owner", "owner"),
    known("kind", ACCOUNT_KINDS),
    #: No flag, or one of the two limits (never both: they contradict).
    CheckConstraint(
        f"flags IN (0, {DEBITS_LIMITED_FLAG}, {CREDITS_LIMITED_FLAG})", name="flags_known"
    ),
    not_negative("debits_pending"),
    not_negative("debits_posted"),
    not_negative("credits_pending"),
    not_negative("credits_posted"),
    #: The no-overdraft rule: what is owed or held never passes what came in.
    #: Written as a subtraction of two non-negative totals, which cannot overflow.
    CheckConstraint(
        f"(flags & {DEBITS_LIMITED_FLAG}) = 0 OR debits_posted <= credits_posted - debits_pending",
        name="debits_within_credits",
    ),
    CheckConstraint(
        f"(flags & {CREDITS_LIMITED_FLAG}) = 0"
        " OR credits_posted <= debits_posted - credits_pending",
        name="credits_within_debits",
    ),
)

ledger_transfers = Table(
    "ledger_transfers",
    metadata,
    #: Commit order, for history pages.
    Column("seq", BigIntPK, primary_key=True, autoincrement=True),
    Column("id", String(128), nullable=False),
    Column(
        "debit_account_id",
        String(ACCOUNT_ID_WIDTH),
        ForeignKey("ledger_accounts.id"),
        nullable=False,
    ),
    Column(
        "credit_account_id",
        String(ACCOUNT_ID_WIDTH),
        ForeignKey("ledger_accounts.id"),
        nullable=False,
    ),
    #: Always > 0: a post or void of the whole hold stores the held amount
    #: (what the caller asked, maybe 0, is `requested_amount`).
    Column("amount", BigInteger, nullable=False),
    Column("asset", String(80), nullable=False),
    Column("code", String(32), nullable=False),
    Column("reference", String(255), nullable=False),
    Column("flags", Integer, nullable=False),
    Column("pending_id", String(128), nullable=False),
    Column("timeout", Integer, nullable=False),
    Column("requested_amount", BigInteger, nullable=False),
    Column("state", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=True),
    UniqueConstraint("id"),
    Index("ix_ledger_transfers_debit", "debit_account_id", "seq"),
    Index("ix_ledger_transfers_credit", "credit_account_id", "seq"),
    Index("ix_ledger_transfers_state_expires", "state", "expires_at"),
    Index("ix_ledger_transfers_reference", "reference"),
    positive("amount"),
    not_negative("requested_amount"),
    not_negative("timeout"),
    CheckConstraint("debit_account_id <> credit_account_id", name="accounts_differ"),
    known("state", PENDING_STATES),
    known("code", TRANSFER_CODES),
    #: Only a pending transfer has a pending state; every other one is posted.
    CheckConstraint(
        f"((flags & {PENDING_FLAG}) = 0) = (state = 'posted')",
        name="state_follows_flags",
    ),
)

#: Transfer ids that failed for a reason of their own: they stay failed.
ledger_failures = Table(
    "ledger_failures",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("result", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)
