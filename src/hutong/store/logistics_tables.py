"""Logistics: carriers' services, pickup points and their policies, shipments, tracking.

Defined on the one metadata (`hutong.store.schema`) and re-exported by
`hutong.store.tables`.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from hutong.store.policy_tables import versioned_policy_table
from hutong.store.schema import known, metadata, not_negative, positive
from hutong.store.types import BigIntPK, UTCDateTime

__all__ = [
    "SHIPMENT_STATUSES",
    "carrier_services",
    "host_carrier_policies",
    "logistics_refusals",
    "pickup_points",
    "pickup_policies",
    "shipments",
    "tracking_events",
]

#: The values of the code's enum a state column may hold, written out (the store
#: is below the domain package that owns it); tests/store/test_database_invariants.py
#: checks it against its enum.
SHIPMENT_STATUSES = (
    "info_received",
    "picked_up",
    "in_transit",
    "out_for_delivery",
    "available_for_pickup",
    "attempt_failed",
    "delivered",
    "exception",
    "returned",
    "cancelled",
    "unknown",
)

#: What a carrier declares it offers: services with coverage, prices, days.
carrier_services = Table(
    "carrier_services",
    metadata,
    Column("carrier", String(255), primary_key=True),
    Column("service", String(64), primary_key=True),
    #: JSON: {"provinces": [...], "price_table": [...], "promised_days": {...}, ...}
    Column("declaration", Text, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

pickup_points = Table(
    "pickup_points",
    metadata,
    Column("id", String(128), primary_key=True),
    #: The network that runs it (a participant: cainiao, jd-logistics, a locker firm).
    Column("network", String(255), nullable=False),
    Column("name", String(255), nullable=False),
    Column("address", String(512), nullable=False),
    Column("province", String(16), nullable=False),
    Column("city", String(16), nullable=False),
    #: Micro-degrees, so positions are exact integers.
    Column("lat_e6", BigInteger, nullable=False),
    Column("lng_e6", BigInteger, nullable=False),
    Column("opening_hours", String(255), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("held", Integer, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_pickup_points_network", "network"),
    Index("ix_pickup_points_city", "province", "city"),
    not_negative("capacity"),
    not_negative("held"),
)

#: Which carriers a network lets deliver to its pickup points (versioned).
pickup_policies = versioned_policy_table("pickup_policies", "network")

#: Which carriers a host (or marketplace) lets its merchants' orders use (versioned).
host_carrier_policies = versioned_policy_table("host_carrier_policies", "host")

shipments = Table(
    "shipments",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("merchant", String(255), nullable=False),
    Column("host", String(255), nullable=True),
    Column("carrier", String(255), nullable=False),
    Column("service", String(64), nullable=False),
    Column("tracking_number", String(64), nullable=True),
    Column("label_ref", String(255), nullable=True),
    Column("pickup_point_id", String(128), nullable=True),
    Column("destination", Text, nullable=False),  # JSON address
    Column("weight_g", Integer, nullable=False),
    Column("price", BigInteger, nullable=False),  # fen, as quoted
    Column("status", String(32), nullable=False),
    Column("sub_status", String(64), nullable=False),
    Column("status_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("carrier", "tracking_number"),
    Index("ix_shipments_merchant", "merchant"),
    known("status", SHIPMENT_STATUSES),
    positive("weight_g"),
    not_negative("price"),
)

#: Every tracking event as the carrier sent it, with its normalized meaning.
tracking_events = Table(
    "tracking_events",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("shipment_id", String(64), nullable=False),
    Column("carrier", String(255), nullable=False),
    #: The carrier's own id of the event, or a digest of its content: duplicates share it.
    Column("dedupe_key", String(128), nullable=False),
    Column("raw_code", String(64), nullable=False),
    Column("raw_sub_code", String(64), nullable=False),
    Column("raw", Text, nullable=False),  # JSON as received
    Column("status", String(32), nullable=False),
    Column("sub_status", String(64), nullable=False),
    Column("reason", String(255), nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("applied", Boolean, nullable=False),
    UniqueConstraint("carrier", "dedupe_key"),
    Index("ix_tracking_events_shipment", "shipment_id", "occurred_at"),
    known("status", SHIPMENT_STATUSES),
)

#: Every refusal that bites (a pickup point refusing a carrier, a host
#: restricting carriers): evidence for the auditor.
logistics_refusals = Table(
    "logistics_refusals",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("by", String(255), nullable=False),
    Column("against", String(255), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)
