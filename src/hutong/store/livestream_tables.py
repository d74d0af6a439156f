"""Livestream sessions across platforms (issue 18 §2), on the switch's one metadata.

A session is a host's live room run by a broadcaster; its cart is the
placements bound to it (one session per placement, never rebound), and its
viewer counts are what the host reported. Defined on the one metadata
(`hutong.store.schema`) and re-exported by `hutong.store.tables`.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, String, Table

from hutong.store.schema import known, metadata, not_negative
from hutong.store.types import UTCDateTime

__all__ = [
    "BROADCASTER_KINDS",
    "SESSION_STATES",
    "livestream_cart",
    "livestream_sessions",
    "livestream_viewer_reports",
]

#: `hutong.commerce.livestreams.SessionState`, written out (the store is below it).
SESSION_STATES = ("scheduled", "live", "ended")
#: `hutong.commerce.livestreams.BroadcasterKind`.
BROADCASTER_KINDS = ("official_account", "merchant", "creator")

livestream_sessions = Table(
    "livestream_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("host", String(255), nullable=False),
    Column("broadcaster", String(255), nullable=False),
    Column("broadcaster_kind", String(24), nullable=False),
    Column("title", String(256), nullable=False),
    Column("scheduled_start", UTCDateTime(), nullable=False),
    Column("scheduled_end", UTCDateTime(), nullable=False),
    Column("state", String(16), nullable=False),
    Column("started_at", UTCDateTime(), nullable=True),
    Column("ended_at", UTCDateTime(), nullable=True),
    #: The highest concurrent viewer count and the latest cumulative views (人次) reported.
    Column("peak_viewers", BigInteger, nullable=False),
    Column("views", BigInteger, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_livestream_sessions_host", "host", "scheduled_start"),
    Index("ix_livestream_sessions_broadcaster", "broadcaster"),
    known("state", SESSION_STATES),
    known("broadcaster_kind", BROADCASTER_KINDS),
    not_negative("peak_viewers"),
    not_negative("views"),
)

#: A session's cart: each row binds one `live_cart` placement to its session, for good.
livestream_cart = Table(
    "livestream_cart",
    metadata,
    Column("placement_id", String(64), primary_key=True),
    Column("session_id", String(64), nullable=False),
    Column("added_at", UTCDateTime(), nullable=False),
    Index("ix_livestream_cart_session", "session_id"),
)

#: Every viewer count a host reported (never updated).
livestream_viewer_reports = Table(
    "livestream_viewer_reports",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("session_id", String(64), nullable=False),
    Column("viewers", BigInteger, nullable=False),
    Column("views", BigInteger, nullable=False),
    Column("reported_at", UTCDateTime(), nullable=False),
    Index("ix_livestream_viewer_reports_session", "session_id", "reported_at"),
    not_negative("viewers"),
    not_negative("views"),
)
