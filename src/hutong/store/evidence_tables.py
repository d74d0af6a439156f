"""The auditor's evidence tables (issue 15), on the switch's one metadata.

Groups (who is own, allied or rival), ranking impressions reported by hosts,
the terms a platform applies to one merchant, and the decision calls the
switch makes to participants. They are defined on the one metadata
(`hutong.store.schema`) and re-exported by `hutong.store.tables`.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from hutong.store.schema import known, metadata, not_negative, positive
from hutong.store.types import BigIntPK, UTCDateTime

__all__ = [
    "DECISION_OUTCOMES",
    "JUSTIFICATIONS",
    "corporate_groups",
    "decision_calls",
    "impression_items",
    "impression_lists",
    "merchant_terms",
]

#: The closed set of justification codes (hutong.protocol.justifications).
JUSTIFICATIONS = ("fraud", "safety", "legal", "quality", "capacity")
#: What became of a decision call (hutong.net.call_journal.Outcome).
DECISION_OUTCOMES = ("answered", "refused", "failed")

#: One row per version of a corporate group (never updated).
corporate_groups = Table(
    "corporate_groups",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("valid_from", Date, nullable=False),
    Column("members", Text, nullable=False),  # JSON list of subscriber ids, sorted
    Column("allied", Text, nullable=False),  # JSON list of group names / subscriber ids
    Column("declared_at", UTCDateTime(), nullable=False),
)

#: What a platform applies to one merchant, one row per version (never updated).
merchant_terms = Table(
    "merchant_terms",
    metadata,
    Column("platform", String(255), primary_key=True),
    Column("merchant", String(255), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("commission_bps", Integer, nullable=False),
    Column("promotion_eligible", Boolean, nullable=False),
    Column("listed", Boolean, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("reason", Text, nullable=False),
    Column("justification", String(16), nullable=True),
    Column("justification_ref", String(512), nullable=True),
    Column("declared_at", UTCDateTime(), nullable=False),
    Index("ix_merchant_terms_merchant", "merchant", "valid_from"),
    not_negative("commission_bps"),
    known("justification", JUSTIFICATIONS),
)

#: One ranked list a host showed on a surface.
impression_lists = Table(
    "impression_lists",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("host", String(255), nullable=False),
    Column("surface", String(32), nullable=False),
    Column("query", String(512), nullable=False),
    Column("shown_at", UTCDateTime(), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Index("ix_impression_lists_host_shown", "host", "shown_at"),
)

#: One item of a shown list, with its owner and home platform as the switch knows them.
impression_items = Table(
    "impression_items",
    metadata,
    Column("list_id", String(64), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("placement_id", String(64), nullable=True),
    Column("merchant", String(255), nullable=False),
    Column("sku_id", String(128), nullable=False),
    #: The merchant's home platform (merchant profile), if it has one.
    Column("home_platform", String(255), nullable=True),
    Column("sponsored", Boolean, nullable=False),
    Column("labelled_ad", Boolean, nullable=False),
    Column("rating", Float, nullable=True),
    Column("reviews", BigInteger, nullable=True),
    Index("ix_impression_items_merchant", "merchant"),
    positive("position"),
)

#: Every signed call the switch made to a participant: who, for whom, what, how long, result.
decision_calls = Table(
    "decision_calls",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("callee", String(255), nullable=False),
    #: The host or buyer's platform the call was made for ("" when none).
    Column("on_behalf_of", String(255), nullable=False),
    Column("action", String(64), nullable=False),
    Column("message_id", String(128), nullable=False),
    Column("latency_ms", Integer, nullable=False),
    Column("outcome", String(16), nullable=False),
    #: The refusal's or failure's code ("" when answered).
    Column("code", String(64), nullable=False),
    Column("justification", String(16), nullable=True),
    Column("justification_ref", String(512), nullable=True),
    Column("called_at", UTCDateTime(), nullable=False),
    Index("ix_decision_calls_called_at", "called_at"),
    Index("ix_decision_calls_callee", "callee", "called_at"),
    not_negative("latency_ms"),
    known("outcome", DECISION_OUTCOMES),
    known("justification", JUSTIFICATIONS),
)
