"""points refusals: a program's declared refusal of another program's exchanges

Revision ID: 0020
Revises: 0019

Issue 18 §5 (Tencent Video's public denial of the 88VIP arrangement, 2022):
a points program declares, as dated versions under the declaring-day rule,
that it refuses exchanges with a named program; an exchange is refused with
the declaration in force named, and auditors read the history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "points_refusals",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("program", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("counterparty", sa.String(length=255), nullable=False),
        sa.Column("refuses", sa.Boolean(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("version > 0", name=op.f("ck_points_refusals_version_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_refusals")),
        sa.UniqueConstraint("program", "version", name=op.f("uq_points_refusals_program")),
    )
    op.create_index(
        "ix_points_refusals_pair",
        "points_refusals",
        ["program", "counterparty", "valid_from"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_points_refusals_pair", table_name="points_refusals")
    op.drop_table("points_refusals")
