"""orders, commission schedules, settlement windows

Revision ID: 0007
Revises: 0006

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "commission_schedules",
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("declared_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("host", "version", name=op.f("pk_commission_schedules")),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("buyer", sa.String(length=128), nullable=False),
        sa.Column("merchant", sa.String(length=255), nullable=False),
        sa.Column("merchant_platform", sa.String(length=255), nullable=False),
        sa.Column("wallet", sa.String(length=255), nullable=False),
        sa.Column("carrier", sa.String(length=255), nullable=False),
        sa.Column("carrier_service", sa.String(length=64), nullable=False),
        sa.Column("creator", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("placement_id", sa.String(length=64), nullable=False),
        sa.Column("storefront_id", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=128), nullable=False),
        sa.Column("destination", sa.Text(), nullable=False),
        sa.Column("lines", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.Column("refunded", sa.Text(), nullable=False),
        sa.Column("pay_by", _TS, nullable=True),
        sa.Column("confirm_by", _TS, nullable=True),
        sa.Column("carrier_booked", sa.Boolean(), nullable=False),
        sa.Column("requested", sa.Text(), nullable=True),
        sa.Column("resume", sa.String(length=24), nullable=True),
        sa.Column("requested_at", _TS, nullable=True),
        sa.Column("payment_id", sa.String(length=64), nullable=False),
        sa.Column("shipment_id", sa.String(length=64), nullable=False),
        sa.Column("reservation", sa.String(length=128), nullable=False),
        sa.Column("schedule_version", sa.Integer(), nullable=True),
        sa.Column("split", sa.Text(), nullable=True),
        sa.Column("refunded_after_split", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
    )
    op.create_index("ix_orders_state_pay_by", "orders", ["state", "pay_by"])
    op.create_index("ix_orders_state_confirm_by", "orders", ["state", "confirm_by"])
    op.create_index("ix_orders_host", "orders", ["host", "created_at"])
    op.create_index("ix_orders_merchant", "orders", ["merchant", "created_at"])
    op.create_index("ix_orders_shipment", "orders", ["shipment_id"])
    op.create_table(
        "order_refunds",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("refund_id", sa.String(length=128), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("lines", sa.Text(), nullable=False),
        sa.Column("reversal", sa.Text(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("order_id", "refund_id", name=op.f("pk_order_refunds")),
    )
    op.create_table(
        "settlement_windows",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("from_seq", sa.BigInteger(), nullable=False),
        sa.Column("to_seq", sa.BigInteger(), nullable=True),
        sa.Column("transfer_count", sa.BigInteger(), nullable=False),
        sa.Column("opened_at", _TS, nullable=False),
        sa.Column("closed_at", _TS, nullable=True),
        sa.Column("settled_at", _TS, nullable=True),
        sa.Column("closed_by", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_windows")),
        sa.UniqueConstraint("number", name=op.f("uq_settlement_windows_number")),
    )
    op.create_table(
        "settlement_positions",
        sa.Column("window_id", sa.String(length=64), nullable=False),
        sa.Column("participant", sa.String(length=255), nullable=False),
        sa.Column("counterparty", sa.String(length=255), nullable=False),
        sa.Column("asset", sa.String(length=80), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "window_id",
            "participant",
            "counterparty",
            "asset",
            name=op.f("pk_settlement_positions"),
        ),
    )
    op.create_table(
        "settlement_instructions",
        sa.Column("window_id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("asset", sa.String(length=80), nullable=False),
        sa.Column("payer", sa.String(length=255), nullable=False),
        sa.Column("payee", sa.String(length=255), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("window_id", "number", name=op.f("pk_settlement_instructions")),
    )


def downgrade() -> None:
    for table in (
        "settlement_instructions",
        "settlement_positions",
        "settlement_windows",
        "order_refunds",
    ):
        op.drop_table(table)
    for index in (
        "ix_orders_shipment",
        "ix_orders_merchant",
        "ix_orders_host",
        "ix_orders_state_confirm_by",
        "ix_orders_state_pay_by",
    ):
        op.drop_index(index, table_name="orders")
    op.drop_table("orders")
    op.drop_table("commission_schedules")
