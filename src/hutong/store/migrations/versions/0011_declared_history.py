"""declared history: back-dated corrections on record, what-if resolutions apart

Revision ID: 0011
Revises: 0010

A policy version declared today with a valid_from years back rewrote what
the switch answered for those years, silently. Versions now take effect from
their declaration day; a back-dated one is a correction, recorded in
``policy_corrections`` (who, when, the valid_from it claims, why) for every
history listing to show. Resolutions asked with ``?at=`` (what-if questions)
go to ``link_what_if_resolutions``, so traffic counted in
``link_resolutions`` is real visits only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policy_corrections",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("declared_by", sa.String(length=255), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "owner", "version", name=op.f("pk_policy_corrections")),
    )
    op.create_table(
        "link_what_if_resolutions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("placement_id", sa.String(length=64), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("surface", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("policy_day", sa.Date(), nullable=False),
        sa.Column("latency_us", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_what_if_resolutions")),
    )
    with op.batch_alter_table("link_what_if_resolutions", schema=None) as batch_op:
        batch_op.create_index("ix_link_what_if_resolutions_host", ["host", "outcome"], unique=False)
        batch_op.create_index(
            "ix_link_what_if_resolutions_placement", ["placement_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("link_what_if_resolutions")
    op.drop_table("policy_corrections")
