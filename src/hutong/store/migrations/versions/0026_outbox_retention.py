"""delivered and dead outbox events are pruned: an index to find them

Revision ID: 0026
Revises: 0025

An event delivered or given up is kept `HUTONG_OUTBOX_RETENTION_DAYS` (30)
after its last attempt; the deadline sweep then removes it
(hutong.events.retention), looking every second for finished events whose
last attempt is before the cutoff: an index on (status, last_attempt_at)
keeps that look-up a range read however many events were delivered.
"""

from __future__ import annotations

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_outbox_status_last_attempt", "outbox", ["status", "last_attempt_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_status_last_attempt", table_name="outbox")
