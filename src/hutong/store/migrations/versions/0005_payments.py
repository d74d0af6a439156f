"""payments

Revision ID: 0005
Revises: 0004

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "acceptance_policies",
        sa.Column("platform", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "version", name=op.f("pk_acceptance_policies")),
    )
    op.create_table(
        "aliases",
        sa.Column("digest", sa.String(length=80), nullable=False),
        sa.Column("wallet", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("masked", sa.String(length=64), nullable=False),
        sa.Column("account", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", "wallet", name=op.f("pk_aliases")),
    )
    op.create_table(
        "pay_for_me_requests",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("payment_id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column(
            "share_serial", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("requester", sa.String(length=255), nullable=False),
        sa.Column("buyer", sa.String(length=255), nullable=False),
        sa.Column("note", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=255), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payer_host", sa.String(length=255), nullable=True),
        sa.Column("payer_wallet", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pay_for_me_requests")),
        sa.UniqueConstraint("code", name=op.f("uq_pay_for_me_requests_code")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_pay_for_me_requests_payment_id")),
        sa.UniqueConstraint("share_serial", name=op.f("uq_pay_for_me_requests_share_serial")),
    )
    with op.batch_alter_table("pay_for_me_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pay_for_me_requests_state_expires", ["state", "expires_at"], unique=False
        )

    op.create_table(
        "payment_refunds",
        sa.Column("payment_id", sa.String(length=64), nullable=False),
        sa.Column("refund_id", sa.String(length=128), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("fee_returned", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("payment_id", "refund_id", name=op.f("pk_payment_refunds")),
    )
    op.create_table(
        "payment_refusals",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("by", sa.String(length=255), nullable=False),
        sa.Column("wallet", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_refusals")),
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("merchant", sa.String(length=255), nullable=False),
        sa.Column("merchant_platform", sa.String(length=255), nullable=False),
        sa.Column("wallet", sa.String(length=255), nullable=False),
        sa.Column("payer", sa.String(length=255), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("captured", sa.BigInteger(), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("fee", sa.BigInteger(), nullable=False),
        sa.Column("fee_returned", sa.BigInteger(), nullable=False),
        sa.Column("hold_seconds", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reference", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index("ix_payments_merchant", ["merchant", "created_at"], unique=False)
        batch_op.create_index("ix_payments_state_expires", ["state", "expires_at"], unique=False)

    op.create_table(
        "points_exchanges",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("offer_id", sa.String(length=64), nullable=False),
        sa.Column("member", sa.String(length=255), nullable=False),
        sa.Column("beneficiary", sa.String(length=255), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("points_debit", sa.BigInteger(), nullable=False),
        sa.Column("money_owed", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("benefit_ref", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_exchanges")),
    )
    with op.batch_alter_table("points_exchanges", schema=None) as batch_op:
        batch_op.create_index(
            "ix_points_exchanges_member_day", ["offer_id", "member", "day"], unique=False
        )

    op.create_table(
        "points_offers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("program_from", sa.String(length=255), nullable=False),
        sa.Column("program_to", sa.String(length=255), nullable=False),
        sa.Column("points_price", sa.BigInteger(), nullable=False),
        sa.Column("benefit", sa.String(length=255), nullable=False),
        sa.Column("daily_cap_per_user", sa.Integer(), nullable=True),
        sa.Column("money_rate_fen", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_offers")),
    )
    op.create_table(
        "transfers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("payer_wallet", sa.String(length=255), nullable=False),
        sa.Column("payer_account", sa.String(length=255), nullable=False),
        sa.Column("payee_wallet", sa.String(length=255), nullable=False),
        sa.Column("payee_account", sa.String(length=255), nullable=False),
        sa.Column("payee_masked", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("payer_fee", sa.BigInteger(), nullable=False),
        sa.Column("payee_fee", sa.BigInteger(), nullable=False),
        sa.Column("total_debit", sa.BigInteger(), nullable=False),
        sa.Column("credited", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfers")),
    )
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.create_index("ix_transfers_payer", ["payer_wallet", "created_at"], unique=False)
        batch_op.create_index("ix_transfers_state_expires", ["state", "expires_at"], unique=False)

    op.create_table(
        "wallet_profiles",
        sa.Column("subscriber_id", sa.String(length=255), nullable=False),
        sa.Column("currencies", sa.Text(), nullable=False),
        sa.Column("fees", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subscriber_id", name=op.f("pk_wallet_profiles")),
    )


def downgrade() -> None:
    op.drop_table("wallet_profiles")
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.drop_index("ix_transfers_state_expires")
        batch_op.drop_index("ix_transfers_payer")

    op.drop_table("transfers")
    op.drop_table("points_offers")
    with op.batch_alter_table("points_exchanges", schema=None) as batch_op:
        batch_op.drop_index("ix_points_exchanges_member_day")

    op.drop_table("points_exchanges")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_state_expires")
        batch_op.drop_index("ix_payments_merchant")

    op.drop_table("payments")
    op.drop_table("payment_refusals")
    op.drop_table("payment_refunds")
    with op.batch_alter_table("pay_for_me_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_pay_for_me_requests_state_expires")

    op.drop_table("pay_for_me_requests")
    op.drop_table("aliases")
    op.drop_table("acceptance_policies")
