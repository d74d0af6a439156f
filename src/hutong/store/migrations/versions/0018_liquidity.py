"""liquidity: net debit caps, positions, settlement confirmations

Revision ID: 0018
Revises: 0017

Issue 18 §4 (Mojaloop's participant limits and positions): the operator
declares each participant's net debit cap and prefunded amount (versions);
the ledger keeps each participant's position with every transfer; a
participant confirms or disputes its settlement of a closed window. The
positions of an existing ledger are filled in from its accounts' totals
(settled windows are then taken off).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "liquidity_limits",
        sa.Column("participant", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("net_debit_cap", sa.BigInteger(), nullable=False),
        sa.Column("prefunded", sa.BigInteger(), nullable=False),
        sa.Column("declared_at", _utc(), nullable=False),
        sa.Column("declared_by", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.CheckConstraint(
            "net_debit_cap >= 0", name=op.f("ck_liquidity_limits_net_debit_cap_not_negative")
        ),
        sa.CheckConstraint(
            "prefunded >= 0", name=op.f("ck_liquidity_limits_prefunded_not_negative")
        ),
        sa.CheckConstraint(
            "net_debit_cap <= prefunded", name=op.f("ck_liquidity_limits_cap_covered")
        ),
        sa.PrimaryKeyConstraint("participant", "version", name=op.f("pk_liquidity_limits")),
    )
    op.create_table(
        "liquidity_positions",
        sa.Column("participant", sa.String(length=255), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("participant", name=op.f("pk_liquidity_positions")),
    )
    op.create_table(
        "settlement_acknowledgements",
        sa.Column("window_id", sa.String(length=64), nullable=False),
        sa.Column("participant", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.CheckConstraint(
            "state IN ('confirmed', 'disputed')",
            name=op.f("ck_settlement_acknowledgements_state_known"),
        ),
        sa.PrimaryKeyConstraint(
            "window_id", "participant", name=op.f("pk_settlement_acknowledgements")
        ),
    )
    # Every owner of a CNY account: its net debit over its accounts, less what
    # settled windows settled (its overall net there, positive when owed).
    op.execute(
        "INSERT INTO liquidity_positions (participant, position) "
        "SELECT a.owner, SUM(a.debits_posted + a.debits_pending - a.credits_posted) "
        "+ COALESCE((SELECT SUM(p.amount) FROM settlement_positions p "
        "JOIN settlement_windows w ON w.id = p.window_id "
        "WHERE w.state = 'settled' AND p.asset = 'CNY' AND p.participant = a.owner), 0) "
        "FROM ledger_accounts a WHERE a.asset = 'CNY' GROUP BY a.owner"
    )


def downgrade() -> None:
    op.drop_table("settlement_acknowledgements")
    op.drop_table("liquidity_positions")
    op.drop_table("liquidity_limits")
