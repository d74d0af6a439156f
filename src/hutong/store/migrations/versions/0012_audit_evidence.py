"""audit evidence: groups, impressions, merchant terms, decision calls, justifications

Revision ID: 0012
Revises: 0011

The auditor (issue 15) needs evidence the switch did not keep: which
participants form one corporate group (versioned), what hosts showed in
ranked lists, what a platform applies to each merchant (versioned), every
decision call the switch made to a participant, and the justification of a
storefront refusal.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_JUSTIFICATIONS = "justification IN ('fraud', 'safety', 'legal', 'quality', 'capacity')"


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "corporate_groups",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("members", sa.Text(), nullable=False),
        sa.Column("allied", sa.Text(), nullable=False),
        sa.Column("declared_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("name", "version", name=op.f("pk_corporate_groups")),
    )
    op.create_table(
        "merchant_terms",
        sa.Column("platform", sa.String(length=255), nullable=False),
        sa.Column("merchant", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("commission_bps", sa.Integer(), nullable=False),
        sa.Column("promotion_eligible", sa.Boolean(), nullable=False),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("justification", sa.String(length=16), nullable=True),
        sa.Column("justification_ref", sa.String(length=512), nullable=True),
        sa.Column("declared_at", _utc(), nullable=False),
        sa.CheckConstraint(
            "commission_bps >= 0", name=op.f("ck_merchant_terms_commission_bps_not_negative")
        ),
        sa.CheckConstraint(_JUSTIFICATIONS, name=op.f("ck_merchant_terms_justification_known")),
        sa.PrimaryKeyConstraint("platform", "merchant", "version", name=op.f("pk_merchant_terms")),
    )
    op.create_index(
        "ix_merchant_terms_merchant", "merchant_terms", ["merchant", "valid_from"], unique=False
    )
    op.create_table(
        "impression_lists",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("surface", sa.String(length=32), nullable=False),
        sa.Column("query", sa.String(length=512), nullable=False),
        sa.Column("shown_at", _utc(), nullable=False),
        sa.Column("received_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impression_lists")),
    )
    op.create_index(
        "ix_impression_lists_host_shown", "impression_lists", ["host", "shown_at"], unique=False
    )
    op.create_table(
        "impression_items",
        sa.Column("list_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.String(length=64), nullable=True),
        sa.Column("merchant", sa.String(length=255), nullable=False),
        sa.Column("sku_id", sa.String(length=128), nullable=False),
        sa.Column("home_platform", sa.String(length=255), nullable=True),
        sa.Column("sponsored", sa.Boolean(), nullable=False),
        sa.Column("labelled_ad", sa.Boolean(), nullable=False),
        sa.Column("rating", sa.Float(), nullable=True),
        sa.Column("reviews", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("position > 0", name=op.f("ck_impression_items_position_positive")),
        sa.PrimaryKeyConstraint("list_id", "position", name=op.f("pk_impression_items")),
    )
    op.create_index("ix_impression_items_merchant", "impression_items", ["merchant"], unique=False)
    op.create_table(
        "decision_calls",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("callee", sa.String(length=255), nullable=False),
        sa.Column("on_behalf_of", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("justification", sa.String(length=16), nullable=True),
        sa.Column("justification_ref", sa.String(length=512), nullable=True),
        sa.Column("called_at", _utc(), nullable=False),
        sa.CheckConstraint(
            "latency_ms >= 0", name=op.f("ck_decision_calls_latency_ms_not_negative")
        ),
        sa.CheckConstraint(
            "outcome IN ('answered', 'refused', 'failed')",
            name=op.f("ck_decision_calls_outcome_known"),
        ),
        sa.CheckConstraint(_JUSTIFICATIONS, name=op.f("ck_decision_calls_justification_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_calls")),
    )
    op.create_index("ix_decision_calls_called_at", "decision_calls", ["called_at"], unique=False)
    op.create_index(
        "ix_decision_calls_callee", "decision_calls", ["callee", "called_at"], unique=False
    )
    op.add_column("storefronts", sa.Column("justification", sa.String(length=16), nullable=True))
    op.add_column(
        "storefronts", sa.Column("justification_ref", sa.String(length=512), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("storefronts") as batch:
        batch.drop_column("justification_ref")
        batch.drop_column("justification")
    op.drop_index("ix_decision_calls_callee", table_name="decision_calls")
    op.drop_index("ix_decision_calls_called_at", table_name="decision_calls")
    op.drop_table("decision_calls")
    op.drop_index("ix_impression_items_merchant", table_name="impression_items")
    op.drop_table("impression_items")
    op.drop_index("ix_impression_lists_host_shown", table_name="impression_lists")
    op.drop_table("impression_lists")
    op.drop_index("ix_merchant_terms_merchant", table_name="merchant_terms")
    op.drop_table("merchant_terms")
    op.drop_table("corporate_groups")
