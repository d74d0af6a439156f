"""beckn jobs: a gateway request's work, recorded with its ACK and run after it

Revision ID: 0021
Revises: 0020

Issue 17 §3: `/beckn/<action>` answers ACK at once; the work is a job in
this table, written in the ACK's transaction (one per BAP and message id),
run by a worker that puts `on_<action>` in the outbox. A crash between the
ACK and the work loses nothing: the job is in the database.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "beckn_jobs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("bap", sa.String(length=255), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _utc(), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", _utc(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("answered_at", _utc(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'answered')", name=op.f("ck_beckn_jobs_status_known")
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_beckn_jobs_attempts_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_beckn_jobs")),
        sa.UniqueConstraint("bap", "message_id", name=op.f("uq_beckn_jobs_bap")),
    )
    op.create_index(
        "ix_beckn_jobs_status_next", "beckn_jobs", ["status", "next_attempt_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_beckn_jobs_status_next", table_name="beckn_jobs")
    op.drop_table("beckn_jobs")
