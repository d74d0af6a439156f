"""Points programs: their exchange offers, members' exchanges, and refusals of each other.

An offer lets members of one program spend points on another's benefit; each
exchange is one member's use of it, counted against a daily cap. A refusal
is one row per version a program declares about one counterparty program: it
refuses (or, in a later version, no longer refuses) exchanges with it from
``valid_from`` on. Rows are never updated; a back-dated version is filed in
``policy_corrections`` (kind ``points_refusals``, owner the declaring program,
its version). Defined on the one metadata (`hutong.store.schema`) and
re-exported by `hutong.store.tables`.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from hutong.store.schema import known, metadata, not_negative, positive
from hutong.store.types import UTCDateTime

__all__ = ["EXCHANGE_STATES", "points_exchanges", "points_offers", "points_refusals"]

points_refusals = Table(
    "points_refusals",
    metadata,
    Column("id", String(64), primary_key=True),
    #: The declaring program and its version number (1, 2, ... over all its declarations).
    Column("program", String(255), nullable=False),
    Column("version", Integer, nullable=False),
    Column("counterparty", String(255), nullable=False),
    Column("refuses", Boolean, nullable=False),
    #: The program's public statement, e.g. its denial of an announced arrangement.
    Column("statement", Text, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("declared_at", UTCDateTime(), nullable=False),
    UniqueConstraint("program", "version"),
    Index("ix_points_refusals_pair", "program", "counterparty", "valid_from"),
    positive("version"),
)

#: The values of the code's enum a state column may hold, written out (the store
#: is below the domain package that owns it); tests/store/test_database_invariants.py
#: checks it against its enum.
EXCHANGE_STATES = (
    "held",
    "committed",
    "cancelled",
)

points_offers = Table(
    "points_offers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("program_from", String(255), nullable=False),
    Column("program_to", String(255), nullable=False),
    Column("points_price", BigInteger, nullable=False),
    Column("benefit", String(255), nullable=False),
    Column("daily_cap_per_user", Integer, nullable=True),
    Column("money_rate_fen", BigInteger, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    positive("points_price"),
    not_negative("money_rate_fen"),
    positive("daily_cap_per_user"),
)

points_exchanges = Table(
    "points_exchanges",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("offer_id", String(64), nullable=False),
    Column("member", String(255), nullable=False),
    #: The member's account at the issuing program.
    Column("beneficiary", String(255), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("points_debit", BigInteger, nullable=False),
    Column("money_owed", BigInteger, nullable=False),
    Column("state", String(16), nullable=False),
    #: The UTC day the daily cap counts against.
    Column("day", Date, nullable=False),
    Column("benefit_ref", String(255), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_points_exchanges_member_day", "offer_id", "member", "day"),
    known("state", EXCHANGE_STATES),
    positive("quantity"),
    positive("points_debit"),
    not_negative("money_owed"),
)
