"""The registry's tables: participants and their keys, Beckn subscriptions, the switch's keys.

Defined on the one metadata (`hutong.store.schema`) and re-exported by
`hutong.store.tables`.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    String,
    Table,
)

from hutong.store.schema import known, metadata
from hutong.store.types import UTCDateTime

__all__ = [
    "BECKN_SUBSCRIPTION_STATUSES",
    "BECKN_TYPES",
    "PARTICIPANT_STATUSES",
    "beckn_subscriptions",
    "participant_keys",
    "participants",
    "switch_keys",
]

#: The values of the code's enum a state column may hold, written out (the store
#: is below the domain package that owns it); tests/store/test_database_invariants.py
#: checks it against its enum.
PARTICIPANT_STATUSES = (
    "active",
    "suspended",
    "revoked",
)

participants = Table(
    "participants",
    metadata,
    Column("subscriber_id", String(255), primary_key=True),
    Column("name", String(255), nullable=False, server_default=""),
    #: Space-separated role names, sorted (platform, merchant, wallet, ...).
    Column("roles", String(255), nullable=False),
    Column("callback_url", String(2048), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    known("status", PARTICIPANT_STATUSES),
)

participant_keys = Table(
    "participant_keys",
    metadata,
    Column(
        "subscriber_id",
        String(255),
        ForeignKey("participants.subscriber_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key_id", String(255), primary_key=True),
    Column("public_key", String(64), nullable=False),
    Column("valid_from", UTCDateTime(), nullable=False),
    Column("valid_until", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

#: Beckn registry subscriptions (`POST /subscribe`): one row per subscriber and
#: domain. A row is UNDER_SUBSCRIPTION once its challenge was answered, and
#: SUBSCRIBED when the operator approved it (the participant then exists); it
#: is also where a participant's Beckn domain and location are kept.
BECKN_SUBSCRIPTION_STATUSES = ("UNDER_SUBSCRIPTION", "SUBSCRIBED")
BECKN_TYPES = ("BAP", "BPP", "BG")

beckn_subscriptions = Table(
    "beckn_subscriptions",
    metadata,
    Column("subscriber_id", String(255), primary_key=True),
    Column("domain", String(128), primary_key=True),
    Column("type", String(16), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("country", String(8), nullable=False),
    Column("city", String(64), nullable=False, server_default=""),
    #: The signing key's id in keyIds (ONDC's `ukId`).
    Column("key_id", String(255), nullable=False),
    Column("signing_public_key", String(64), nullable=False),
    Column("encr_public_key", String(64), nullable=False),
    Column("valid_from", UTCDateTime(), nullable=False),
    Column("valid_until", UTCDateTime(), nullable=False),
    Column("status", String(24), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    known("status", BECKN_SUBSCRIPTION_STATUSES),
    known("type", BECKN_TYPES),
)

#: The switch's own signing keys; the newest valid one signs.
switch_keys = Table(
    "switch_keys",
    metadata,
    Column("key_id", String(64), primary_key=True),
    Column("public_key", String(64), nullable=False),
    Column("private_key", String(128), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)
