"""Wallet-to-wallet transfers and the alias directory they are addressed through.

Defined on the one metadata (`hutong.store.schema`) and re-exported by
`hutong.store.tables`.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    String,
    Table,
    Text,
)

from hutong.store.schema import known, metadata, not_negative, positive
from hutong.store.types import UTCDateTime

__all__ = [
    "TRANSFER_STATES",
    "alias_lookup_buckets",
    "aliases",
    "transfers",
]

#: The values of the code's enum a state column may hold, written out (the store
#: is below the domain package that owns it); tests/store/test_database_invariants.py
#: checks it against its enum.
TRANSFER_STATES = (
    "quoted",
    "asking",
    "committed",
    "released",
    "expired",
    "failed",
)

#: The alias directory: keyed digests and masked forms, never a full phone number.
aliases = Table(
    "aliases",
    metadata,
    Column("digest", String(80), primary_key=True),
    Column("wallet", String(255), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("masked", String(64), nullable=False),
    Column("account", String(255), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

#: Each wallet's alias-lookup allowance: a token bucket (thousandths of a
#: lookup), refilled by elapsed time (`hutong.runtime.rate_limit`).
alias_lookup_buckets = Table(
    "alias_lookup_buckets",
    metadata,
    Column("wallet", String(255), primary_key=True),
    Column("milli_tokens", BigInteger, nullable=False),
    Column("refilled_at", UTCDateTime(), nullable=False),
)

transfers = Table(
    "transfers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("payer_wallet", String(255), nullable=False),
    Column("payer_account", String(255), nullable=False),
    Column("payee_wallet", String(255), nullable=False),
    Column("payee_account", String(255), nullable=False),
    Column("payee_masked", String(64), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("payer_fee", BigInteger, nullable=False),
    Column("payee_fee", BigInteger, nullable=False),
    Column("total_debit", BigInteger, nullable=False),
    Column("credited", BigInteger, nullable=False),
    Column("state", String(16), nullable=False),
    #: The quote's deadline, then how long the wallets may be asked.
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_transfers_state_expires", "state", "expires_at"),
    Index("ix_transfers_payer", "payer_wallet", "created_at"),
    known("state", TRANSFER_STATES),
    positive("amount"),
    not_negative("payer_fee"),
    not_negative("payee_fee"),
    #: The payer pays amount + its fee; the payee gets amount - its fee (at most the amount).
    CheckConstraint("total_debit = amount + payer_fee", name="total_debit_adds_up"),
    CheckConstraint("credited = amount - payee_fee", name="credited_adds_up"),
    not_negative("credited"),
)
