"""beckn subscriptions: the registry's /subscribe requests and participants' domains

Revision ID: 0015
Revises: 0012

Beckn's registry (`registry.yaml`) lists subscribers by type, domain and
location and lets them subscribe themselves (issue 17 §4). A row is kept
per subscriber and domain: under subscription once its challenge was
answered, subscribed once the operator approved it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0012"
branch_labels = None
depends_on = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "beckn_subscriptions",
        sa.Column("subscriber_id", sa.String(length=255), nullable=False),
        sa.Column("domain", sa.String(length=128), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=False),
        sa.Column("city", sa.String(length=64), server_default="", nullable=False),
        sa.Column("key_id", sa.String(length=255), nullable=False),
        sa.Column("signing_public_key", sa.String(length=64), nullable=False),
        sa.Column("encr_public_key", sa.String(length=64), nullable=False),
        sa.Column("valid_from", _utc(), nullable=False),
        sa.Column("valid_until", _utc(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.CheckConstraint(
            "status IN ('UNDER_SUBSCRIPTION', 'SUBSCRIBED')",
            name=op.f("ck_beckn_subscriptions_status_known"),
        ),
        sa.CheckConstraint(
            "type IN ('BAP', 'BPP', 'BG')", name=op.f("ck_beckn_subscriptions_type_known")
        ),
        sa.PrimaryKeyConstraint("subscriber_id", "domain", name=op.f("pk_beckn_subscriptions")),
    )


def downgrade() -> None:
    op.drop_table("beckn_subscriptions")
