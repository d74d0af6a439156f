"""a Beckn worker's poll names the holders of leases in force: an index to find them

Revision ID: 0028
Revises: 0026

A worker's poll looks before it leases (hutong.runtime.leases): whether a
due job is free (the first the (status, next_attempt_at) index gives), and
who holds the leases in force on due jobs, so that the jobs of a stopped
process are taken over. The second read went through every due job; an
index on (status, lease_until) makes it a range read of the leases in force
(about workers x jobs per pass), however long the backlog.
"""

from __future__ import annotations

from alembic import op

revision = "0028"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_beckn_jobs_status_lease", "beckn_jobs", ["status", "lease_until"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_beckn_jobs_status_lease", table_name="beckn_jobs")
