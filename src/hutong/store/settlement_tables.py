"""Settlement windows over the ledger's commit order, their nets and pay instructions.

Defined on the one metadata (`hutong.store.schema`) and re-exported by
`hutong.store.tables`.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from hutong.store.schema import known, metadata, not_negative, positive
from hutong.store.types import UTCDateTime

__all__ = [
    "WINDOW_STATES",
    "settlement_instructions",
    "settlement_positions",
    "settlement_windows",
]

#: The values of the code's enum a state column may hold, written out (the store
#: is below the domain package that owns it); tests/store/test_database_invariants.py
#: checks it against its enum.
WINDOW_STATES = (
    "open",
    "closed",
    "settled",
)

#: Settlement windows over the ledger's commit order: transfers with
#: from_seq < seq <= to_seq. One window is open at a time.
settlement_windows = Table(
    "settlement_windows",
    metadata,
    Column("id", String(64), primary_key=True),
    #: 1, 2, 3, ...: the order of windows (unique: two windows never overlap).
    Column("number", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("from_seq", BigInteger, nullable=False),
    Column("to_seq", BigInteger, nullable=True),
    Column("transfer_count", BigInteger, nullable=False),
    Column("opened_at", UTCDateTime(), nullable=False),
    Column("closed_at", UTCDateTime(), nullable=True),
    Column("settled_at", UTCDateTime(), nullable=True),
    Column("closed_by", String(255), nullable=False),
    UniqueConstraint("number"),
    known("state", WINDOW_STATES),
    not_negative("from_seq"),
    not_negative("transfer_count"),
)

#: A closed window's bilateral nets: what `participant` is owed by `counterparty`.
settlement_positions = Table(
    "settlement_positions",
    metadata,
    Column("window_id", String(64), primary_key=True),
    Column("participant", String(255), primary_key=True),
    Column("counterparty", String(255), primary_key=True),
    Column("asset", String(80), primary_key=True),
    Column("amount", BigInteger, nullable=False),
)

#: A closed window's pay instructions: `payer` pays `payee`.
settlement_instructions = Table(
    "settlement_instructions",
    metadata,
    Column("window_id", String(64), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("asset", String(80), nullable=False),
    Column("payer", String(255), nullable=False),
    Column("payee", String(255), nullable=False),
    Column("amount", BigInteger, nullable=False),
    positive("amount"),
)
