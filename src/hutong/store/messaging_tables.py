"""Messages answered exactly once, and the outbox of events with its delivery lanes.

Defined on the one metadata (`hutong.store.schema`) and re-exported by
`hutong.store.tables`.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from hutong.store.process_tables import PROCESS_ID_LENGTH
from hutong.store.schema import metadata
from hutong.store.types import BigIntPK, UTCDateTime

__all__ = [
    "delivery_lanes",
    "messages",
    "outbox",
]

#: One row per (sender, message id): the first answer, replayed on retries.
messages = Table(
    "messages",
    metadata,
    Column("sender", String(255), primary_key=True),
    Column("message_id", String(128), primary_key=True),
    Column("body_hash", String(128), nullable=False),
    Column("method", String(8), nullable=False),
    Column("path", String(512), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response_body", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    #: The switch process that holds the claim (`switch_processes.id`), while
    #: `status_code` is 0 (claimed); empty on answers and on older claims.
    Column("claimed_by", String(PROCESS_ID_LENGTH), nullable=True),
    Index("ix_messages_expires_at", "expires_at"),
)

#: Transactional outbox: events written with the state change that caused them.
outbox = Table(
    "outbox",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False),
    Column("recipient", String(255), nullable=False),
    Column("action", String(64), nullable=False),
    Column("transaction_id", String(128), nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_attempt_at", UTCDateTime(), nullable=True),
    Column("delivered_at", UTCDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    #: A Beckn answer (`on_<action>` of a `/beckn/*` request): the URL it goes to,
    #: `{bap_uri}/on_<action>`, and the payload is the whole body (context and all).
    Column("reply_url", String(2048), nullable=True),
    UniqueConstraint("event_id"),
    Index("ix_outbox_recipient_status_id", "recipient", "status", "id"),
    Index("ix_outbox_status_id", "status", "id"),
    #: Finished (delivered or dead) events past their retention, for the prune
    #: (`hutong.events.retention`).
    Index("ix_outbox_status_last_attempt", "status", "last_attempt_at"),
)

#: One lane per recipient: events to one participant go out in order, and a
#: lane that is down backs off without holding up the others. Workers lease
#: lanes, so several workers on several hosts share the outbox; `lease_owner`
#: is `worker@process` while the process beats (`hutong.runtime.heartbeat`).
delivery_lanes = Table(
    "delivery_lanes",
    metadata,
    Column("recipient", String(255), primary_key=True),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", UTCDateTime(), nullable=True),
)
