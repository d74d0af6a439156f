"""answered Beckn jobs are pruned: an index to find them

Revision ID: 0025
Revises: 0024

An answered Beckn job is kept only as long as its message id is (it answers
a retry the same ACK); the deadline sweep then removes it
(hutong.beckn.retention), looking every second for jobs answered before the
cutoff: an index on (status, answered_at) keeps that look-up cheap as the
table grows. Stored audit runs are pruned too, without a new index (one row
per window).
"""

from __future__ import annotations

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_beckn_jobs_status_answered", "beckn_jobs", ["status", "answered_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_beckn_jobs_status_answered", table_name="beckn_jobs")
