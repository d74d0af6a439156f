"""payment attempts

Revision ID: 0006
Revises: 0005

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payment_attempts",
        sa.Column("payment_id", sa.String(length=64), nullable=False),
        sa.Column("wallet", sa.String(length=255), nullable=False),
        sa.Column("attempt", sa.String(length=128), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "payment_id", "wallet", "attempt", name=op.f("pk_payment_attempts")
        ),
    )


def downgrade() -> None:
    op.drop_table("payment_attempts")
