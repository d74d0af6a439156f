"""livestreams: sessions across platforms, their carts and viewer counts

Revision ID: 0017
Revises: 0016

A host's live room run by a broadcaster (a platform's official account, a
merchant or a creator), the `live_cart` placements bound to it and the viewer
counts the host reported (issue 18 §2).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "livestream_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("broadcaster", sa.String(length=255), nullable=False),
        sa.Column("broadcaster_kind", sa.String(length=24), nullable=False),
        sa.Column("title", sa.String(length=256), nullable=False),
        sa.Column("scheduled_start", _utc(), nullable=False),
        sa.Column("scheduled_end", _utc(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("started_at", _utc(), nullable=True),
        sa.Column("ended_at", _utc(), nullable=True),
        sa.Column("peak_viewers", sa.BigInteger(), nullable=False),
        sa.Column("views", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.CheckConstraint(
            "state IN ('scheduled', 'live', 'ended')",
            name=op.f("ck_livestream_sessions_state_known"),
        ),
        sa.CheckConstraint(
            "broadcaster_kind IN ('official_account', 'merchant', 'creator')",
            name=op.f("ck_livestream_sessions_broadcaster_kind_known"),
        ),
        sa.CheckConstraint(
            "peak_viewers >= 0", name=op.f("ck_livestream_sessions_peak_viewers_not_negative")
        ),
        sa.CheckConstraint("views >= 0", name=op.f("ck_livestream_sessions_views_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_livestream_sessions")),
    )
    op.create_index(
        "ix_livestream_sessions_host",
        "livestream_sessions",
        ["host", "scheduled_start"],
        unique=False,
    )
    op.create_index(
        "ix_livestream_sessions_broadcaster", "livestream_sessions", ["broadcaster"], unique=False
    )
    op.create_table(
        "livestream_cart",
        sa.Column("placement_id", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("added_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("placement_id", name=op.f("pk_livestream_cart")),
    )
    op.create_index("ix_livestream_cart_session", "livestream_cart", ["session_id"], unique=False)
    op.create_table(
        "livestream_viewer_reports",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("viewers", sa.BigInteger(), nullable=False),
        sa.Column("views", sa.BigInteger(), nullable=False),
        sa.Column("reported_at", _utc(), nullable=False),
        sa.CheckConstraint(
            "viewers >= 0", name=op.f("ck_livestream_viewer_reports_viewers_not_negative")
        ),
        sa.CheckConstraint(
            "views >= 0", name=op.f("ck_livestream_viewer_reports_views_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_livestream_viewer_reports")),
    )
    op.create_index(
        "ix_livestream_viewer_reports_session",
        "livestream_viewer_reports",
        ["session_id", "reported_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("livestream_viewer_reports")
    op.drop_table("livestream_cart")
    op.drop_table("livestream_sessions")
