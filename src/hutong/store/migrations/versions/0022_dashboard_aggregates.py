"""audit runs and link traffic: what the dashboard reads precomputed

Revision ID: 0022
Revises: 0021

Issue 16 (pages under 300 ms on a replayed decade): the findings pages read
a stored run of the auditor instead of running it per request. One row per
window, replaced by a newer run; the evidence high-water mark it was
computed at says when it is stale (hutong.audit.stored). Link traffic:
the openness index's weights, counted per (host, source platform) through a
link_resolutions id; later rows are counted on read and folded in.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_runs",
        sa.Column("window_from", sa.Date(), nullable=False),
        sa.Column("window_to", sa.Date(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mark", sa.Text(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("window_from", "window_to", name=op.f("pk_audit_runs")),
    )
    op.create_table(
        "link_traffic",
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("resolutions", sa.BigInteger(), nullable=False),
        sa.Column("through_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("host", "source", name=op.f("pk_link_traffic")),
    )


def downgrade() -> None:
    op.drop_table("link_traffic")
    op.drop_table("audit_runs")
