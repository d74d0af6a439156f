"""Cross-platform orders, their refunds and the hosts' commission schedules.

Defined on the one metadata (`hutong.store.schema`) and re-exported by
`hutong.store.tables`.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from hutong.store.policy_tables import versioned_policy_table
from hutong.store.schema import known, metadata, not_negative, positive
from hutong.store.types import UTCDateTime

__all__ = [
    "ORDER_STATES",
    "commission_schedules",
    "order_refunds",
    "orders",
]

#: The values of the code's enum a state column may hold, written out (the store
#: is below the domain package that owns it); tests/store/test_database_invariants.py
#: checks it against its enum.
ORDER_STATES = (
    "created",
    "reserved",
    "paid",
    "shipped",
    "delivered",
    "completed",
    "cancelled",
    "refund_requested",
    "partially_refunded",
    "refunded",
)

#: A host's commission schedule, as declared (versioned, never updated).
commission_schedules = versioned_policy_table("commission_schedules", "host")

#: A cross-platform order: the host's buyer, a merchant of (maybe) another platform.
orders = Table(
    "orders",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("host", String(255), nullable=False),
    #: The host's pseudonymous id of its buyer; never a name or a phone number.
    Column("buyer", String(128), nullable=False),
    Column("merchant", String(255), nullable=False),
    Column("merchant_platform", String(255), nullable=False),
    Column("wallet", String(255), nullable=False),
    Column("carrier", String(255), nullable=False),
    Column("carrier_service", String(64), nullable=False),
    #: The creator whose placement brought the order ("" when none).
    Column("creator", String(255), nullable=False),
    #: How the order came (`hutong.commerce.commissions.Channel`), and from what.
    Column("channel", String(32), nullable=False),
    Column("placement_id", String(64), nullable=False),
    Column("storefront_id", String(64), nullable=False),
    Column("category", String(128), nullable=False),
    #: JSON: an address, or a pickup point id.
    Column("destination", Text, nullable=False),
    #: JSON list of {"sku_id", "quantity", "unit_price_shown"}.
    Column("lines", Text, nullable=False),
    Column("state", String(24), nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("paid", BigInteger, nullable=False),
    #: JSON list: fen refunded per line, in line order.
    Column("refunded", Text, nullable=False),
    Column("pay_by", UTCDateTime(), nullable=True),
    Column("confirm_by", UTCDateTime(), nullable=True),
    Column("carrier_booked", Boolean, nullable=False),
    #: While a refund is requested: fen per line (JSON), the state it came from, when.
    Column("requested", Text, nullable=True),
    Column("resume", String(24), nullable=True),
    Column("requested_at", UTCDateTime(), nullable=True),
    Column("payment_id", String(64), nullable=False),
    Column("shipment_id", String(64), nullable=False),
    #: The merchant platform's reservation reference.
    Column("reservation", String(128), nullable=False),
    #: At completion: the schedule version applied and the split (JSON), fen per part.
    Column("schedule_version", Integer, nullable=True),
    Column("split", Text, nullable=True),
    #: Refunds after completion so far (what the split's reversal is cumulative over).
    Column("refunded_after_split", BigInteger, nullable=False),
    #: Why the order was cancelled, when it was (a stable code), else "".
    Column("reason", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_orders_state_pay_by", "state", "pay_by"),
    Index("ix_orders_state_confirm_by", "state", "confirm_by"),
    Index("ix_orders_host", "host", "created_at"),
    Index("ix_orders_merchant", "merchant", "created_at"),
    Index("ix_orders_shipment", "shipment_id"),
    known("state", ORDER_STATES),
    known("resume", ORDER_STATES),
    positive("total"),
    #: An order is paid in full or not at all.
    CheckConstraint("paid = 0 OR paid = total", name="paid_all_or_nothing"),
    not_negative("refunded_after_split"),
)

#: Every refund of an order, by its id (a retry of the same refund changes nothing).
order_refunds = Table(
    "order_refunds",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("refund_id", String(128), primary_key=True),
    Column("amount", BigInteger, nullable=False),
    #: JSON {sku_id: fen}.
    Column("lines", Text, nullable=False),
    #: JSON of the split's reversal when refunded after completion, else null.
    Column("reversal", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    positive("amount"),
)
