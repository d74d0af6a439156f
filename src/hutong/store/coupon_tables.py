"""Coupon tables (issue 18 §1), on the switch's one metadata.

Campaigns with their stock (``issued`` can never pass ``stock``: a CHECK, and
claims take stock with a conditional UPDATE), the coupons claimed (one row a
claim; the unique (campaign, host, buyer, seq) holds the per-buyer limit
under concurrency), what each order redeemed, and every refusal (for the
auditor). Re-exported by `hutong.store.tables`.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from hutong.store.schema import known, metadata, not_negative, positive
from hutong.store.types import BigIntPK, UTCDateTime

__all__ = [
    "CLAIM_STATES",
    "COUPON_ACTIONS",
    "COUPON_VALUE_KINDS",
    "coupon_campaigns",
    "coupon_claims",
    "coupon_redemptions",
    "coupon_refusals",
]

COUPON_VALUE_KINDS = ("fixed", "percent")
#: A coupon is claimed (the buyer holds it) or redeemed (an order used it).
CLAIM_STATES = ("claimed", "redeemed")
#: What a refusal refused.
COUPON_ACTIONS = ("claim", "redeem")

#: One row a campaign; only ``issued`` changes after it is declared.
coupon_campaigns = Table(
    "coupon_campaigns",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("issuer", String(255), nullable=False),
    Column("merchant", String(255), nullable=False),
    Column("title", String(200), nullable=False),
    Column("funding", Text, nullable=False),  # JSON {participant: bps}, in declared order
    Column("value_kind", String(16), nullable=False),
    Column("value", BigInteger, nullable=False),
    Column("cap", BigInteger, nullable=False),
    Column("min_spend", BigInteger, nullable=False),
    Column("per_buyer", Integer, nullable=False),
    Column("releases", Text, nullable=False),  # JSON [[iso time, quantity], ...]
    Column("hosts", Text, nullable=False),  # JSON lists, [] = any (hosts: never empty)
    Column("surfaces", Text, nullable=False),
    Column("redeem_hosts", Text, nullable=False),
    Column("storefronts", Text, nullable=False),
    Column("categories", Text, nullable=False),
    Column("stock", BigInteger, nullable=False),
    Column("issued", BigInteger, nullable=False),
    Column("valid_from", UTCDateTime(), nullable=False),
    Column("valid_until", UTCDateTime(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_coupon_campaigns_merchant", "merchant"),
    known("value_kind", COUPON_VALUE_KINDS),
    positive("value"),
    not_negative("cap"),
    not_negative("min_spend"),
    positive("per_buyer"),
    positive("stock"),
    not_negative("issued"),
    CheckConstraint("issued <= stock", name="issued_within_stock"),
)

#: One row a coupon a buyer claimed.
coupon_claims = Table(
    "coupon_claims",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("campaign_id", String(64), nullable=False),
    Column("host", String(255), nullable=False),
    #: The host's pseudonymous id of its buyer.
    Column("buyer", String(128), nullable=False),
    Column("surface", String(32), nullable=False),
    #: The buyer's n-th coupon of the campaign (1..per_buyer).
    Column("seq", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("order_id", String(64), nullable=True),
    Column("claimed_at", UTCDateTime(), nullable=False),
    Column("redeemed_at", UTCDateTime(), nullable=True),
    UniqueConstraint("campaign_id", "host", "buyer", "seq", name="uq_coupon_claims_buyer_seq"),
    known("state", CLAIM_STATES),
    positive("seq"),
)

#: What an order redeemed: the discount, who funds it, what refunds gave back.
coupon_redemptions = Table(
    "coupon_redemptions",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("claim_id", String(64), nullable=False, unique=True),
    Column("campaign_id", String(64), nullable=False),
    Column("order_total", BigInteger, nullable=False),
    Column("discount", BigInteger, nullable=False),
    Column("funding", Text, nullable=False),  # JSON {participant: bps}, the campaign's
    #: The coupon's part of the refunds so far (cumulative, ``D * R // T``).
    Column("returned", BigInteger, nullable=False),
    #: The coupon's part the funders paid when the order was paid (0 before).
    Column("funded", BigInteger, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_coupon_redemptions_campaign", "campaign_id"),
    positive("discount"),
    not_negative("returned"),
    not_negative("funded"),
    CheckConstraint("discount <= order_total", name="discount_within_total"),
    CheckConstraint("returned <= discount", name="returned_within_discount"),
)

#: Every coupon refusal, kept for the auditor (a host that honours its own group's
#: coupons and not a rival's). The buyer is not kept.
coupon_refusals = Table(
    "coupon_refusals",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("campaign_id", String(64), nullable=False),
    Column("action", String(16), nullable=False),
    Column("host", String(255), nullable=False),
    Column("merchant", String(255), nullable=False),
    Column("code", String(64), nullable=False),
    Column("order_id", String(64), nullable=True),
    Column("refused_at", UTCDateTime(), nullable=False),
    Index("ix_coupon_refusals_campaign", "campaign_id", "refused_at"),
    Index("ix_coupon_refusals_host", "host", "refused_at"),
    known("action", COUPON_ACTIONS),
)
