"""coupons: campaigns, claimed coupons, redemptions and refusals

Revision ID: 0016
Revises: 0015

Cross-platform coupon campaigns (issue 18 §1): a campaign's stock and what
it issued (``issued <= stock``, a CHECK), one row a claimed coupon (unique
per campaign, host, buyer and sequence number: the per-buyer limit holds
under concurrency), what each order redeemed, and every refusal for the
auditor.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _big_id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "coupon_campaigns",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("merchant", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("funding", sa.Text(), nullable=False),
        sa.Column("value_kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("cap", sa.BigInteger(), nullable=False),
        sa.Column("min_spend", sa.BigInteger(), nullable=False),
        sa.Column("per_buyer", sa.Integer(), nullable=False),
        sa.Column("releases", sa.Text(), nullable=False),
        sa.Column("hosts", sa.Text(), nullable=False),
        sa.Column("surfaces", sa.Text(), nullable=False),
        sa.Column("redeem_hosts", sa.Text(), nullable=False),
        sa.Column("storefronts", sa.Text(), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("stock", sa.BigInteger(), nullable=False),
        sa.Column("issued", sa.BigInteger(), nullable=False),
        sa.Column("valid_from", _utc(), nullable=False),
        sa.Column("valid_until", _utc(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.CheckConstraint(
            "value_kind IN ('fixed', 'percent')",
            name=op.f("ck_coupon_campaigns_value_kind_known"),
        ),
        sa.CheckConstraint("value > 0", name=op.f("ck_coupon_campaigns_value_positive")),
        sa.CheckConstraint("cap >= 0", name=op.f("ck_coupon_campaigns_cap_not_negative")),
        sa.CheckConstraint(
            "min_spend >= 0", name=op.f("ck_coupon_campaigns_min_spend_not_negative")
        ),
        sa.CheckConstraint("per_buyer > 0", name=op.f("ck_coupon_campaigns_per_buyer_positive")),
        sa.CheckConstraint("stock > 0", name=op.f("ck_coupon_campaigns_stock_positive")),
        sa.CheckConstraint("issued >= 0", name=op.f("ck_coupon_campaigns_issued_not_negative")),
        sa.CheckConstraint("issued <= stock", name=op.f("ck_coupon_campaigns_issued_within_stock")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_campaigns")),
    )
    op.create_index("ix_coupon_campaigns_merchant", "coupon_campaigns", ["merchant"])
    op.create_table(
        "coupon_claims",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("buyer", sa.String(length=128), nullable=False),
        sa.Column("surface", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=True),
        sa.Column("claimed_at", _utc(), nullable=False),
        sa.Column("redeemed_at", _utc(), nullable=True),
        sa.CheckConstraint(
            "state IN ('claimed', 'redeemed')", name=op.f("ck_coupon_claims_state_known")
        ),
        sa.CheckConstraint("seq > 0", name=op.f("ck_coupon_claims_seq_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_claims")),
        sa.UniqueConstraint(
            "campaign_id", "host", "buyer", "seq", name="uq_coupon_claims_buyer_seq"
        ),
    )
    op.create_table(
        "coupon_redemptions",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("claim_id", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("order_total", sa.BigInteger(), nullable=False),
        sa.Column("discount", sa.BigInteger(), nullable=False),
        sa.Column("funding", sa.Text(), nullable=False),
        sa.Column("returned", sa.BigInteger(), nullable=False),
        sa.Column("funded", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.CheckConstraint("discount > 0", name=op.f("ck_coupon_redemptions_discount_positive")),
        sa.CheckConstraint(
            "returned >= 0", name=op.f("ck_coupon_redemptions_returned_not_negative")
        ),
        sa.CheckConstraint("funded >= 0", name=op.f("ck_coupon_redemptions_funded_not_negative")),
        sa.CheckConstraint(
            "discount <= order_total",
            name=op.f("ck_coupon_redemptions_discount_within_total"),
        ),
        sa.CheckConstraint(
            "returned <= discount", name=op.f("ck_coupon_redemptions_returned_within_discount")
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_coupon_redemptions")),
        sa.UniqueConstraint("claim_id", name=op.f("uq_coupon_redemptions_claim_id")),
    )
    op.create_index("ix_coupon_redemptions_campaign", "coupon_redemptions", ["campaign_id"])
    op.create_table(
        "coupon_refusals",
        sa.Column("id", _big_id(), autoincrement=True, nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("merchant", sa.String(length=255), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=True),
        sa.Column("refused_at", _utc(), nullable=False),
        sa.CheckConstraint(
            "action IN ('claim', 'redeem')", name=op.f("ck_coupon_refusals_action_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_refusals")),
    )
    op.create_index("ix_coupon_refusals_campaign", "coupon_refusals", ["campaign_id", "refused_at"])
    op.create_index("ix_coupon_refusals_host", "coupon_refusals", ["host", "refused_at"])


def downgrade() -> None:
    op.drop_table("coupon_refusals")
    op.drop_table("coupon_redemptions")
    op.drop_table("coupon_claims")
    op.drop_table("coupon_campaigns")
