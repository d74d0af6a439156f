"""switch processes and their heartbeats; who holds a message claim

Revision ID: 0024
Revises: 0023

Issue 14: a switch process killed while a step asked a participant left its
claim of the message id to be taken over only after the lease (30 s or
more). Each process now beats once a second in `switch_processes`, and a
claim records its claimer (`messages.claimed_by`, nullable: answers and
claims made before this revision have none and keep the lease), so a twin
takes a dead process's claim over within seconds (hutong.runtime.heartbeat).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "switch_processes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_switch_processes")),
    )
    op.add_column("messages", sa.Column("claimed_by", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("claimed_by")
    op.drop_table("switch_processes")
