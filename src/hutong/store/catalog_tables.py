"""Merchants' profiles and offers, and storefronts: a merchant's catalog on a host.

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
    text,
)

from hutong.store.policy_tables import versioned_policy_table
from hutong.store.schema import known, metadata, not_negative, positive
from hutong.store.types import UTCDateTime

__all__ = [
    "OPEN_STOREFRONT",
    "STOREFRONT_STATUSES",
    "merchant_profiles",
    "offers",
    "storefront_policies",
    "storefronts",
]

#: The values of the code's enum a state column may hold, written out (the store
#: is below the domain package that owns it); tests/store/test_database_invariants.py
#: checks it against its enum.
STOREFRONT_STATUSES = (
    "requested",
    "approved",
    "refused",
)

#: What a merchant is beyond a participant: the platform that is its home
#: (where its own store sells), and whether it is that platform's own
#: (self-operated, 自营) store.
merchant_profiles = Table(
    "merchant_profiles",
    metadata,
    Column("subscriber_id", String(255), primary_key=True),
    Column("home_platform", String(255), nullable=False),
    Column("self_operated", Boolean, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

offers = Table(
    "offers",
    metadata,
    Column("merchant", String(255), primary_key=True),
    Column("sku_id", String(128), primary_key=True),
    Column("title", String(512), nullable=False),
    Column("price", BigInteger, nullable=False),  # fen
    Column("stock", BigInteger, nullable=False),
    Column("category", String(128), nullable=False),
    Column("h5_url", String(2048), nullable=False),
    Column("deep_link", String(2048), nullable=True),
    Column("mini_program_app_id", String(128), nullable=True),
    Column("mini_program_path", String(1024), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    positive("price"),
    not_negative("stock"),
)

#: The condition of an open storefront (migration 0009 has the same text).
OPEN_STOREFRONT = "status IN ('requested', 'approved')"

storefronts = Table(
    "storefronts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("merchant", String(255), nullable=False),
    Column("host", String(255), nullable=False),
    Column("status", String(16), nullable=False),
    #: JSON list of {"sku_id", "price"}: the catalog subset and its prices here.
    Column("catalog", Text, nullable=False),
    Column("commission_bps", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    #: A refusal's justification code and its reference (issue 15; NULL if none).
    Column("justification", String(16), nullable=True),
    Column("justification_ref", String(512), nullable=True),
    Column("decided_by", String(64), nullable=False),
    Column("requested_at", UTCDateTime(), nullable=False),
    Column("decided_at", UTCDateTime(), nullable=True),
    Index("ix_storefronts_host", "host", "status"),
    Index("ix_storefronts_merchant", "merchant"),
    #: One open (requested or approved) storefront per merchant and host.
    Index(
        "ux_storefronts_open",
        "merchant",
        "host",
        unique=True,
        sqlite_where=text(OPEN_STOREFRONT),
        postgresql_where=text(OPEN_STOREFRONT),
    ),
    known("status", STOREFRONT_STATUSES),
)

#: A host's standing decisions on storefront requests, as declared (versioned).
storefront_policies = versioned_policy_table("storefront_policies", "host")
