"""alias lookup limits: one token bucket per wallet, shared by every worker

Revision ID: 0010
Revises: 0009

``POST /v1/aliases/lookup`` answered any number of lookups (2,000 in 1.6 s),
so a wallet could walk the phone number space. Each wallet now spends a
token per lookup from a bucket kept in this table (not in a worker's
memory, so several workers on one database share it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alias_lookup_buckets",
        sa.Column("wallet", sa.String(length=255), nullable=False),
        sa.Column("milli_tokens", sa.BigInteger(), nullable=False),
        sa.Column("refilled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("wallet", name=op.f("pk_alias_lookup_buckets")),
    )


def downgrade() -> None:
    op.drop_table("alias_lookup_buckets")
