"""links

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "app_links",
        sa.Column("subscriber_id", sa.String(length=255), nullable=False),
        sa.Column("ios_app_ids", sa.Text(), nullable=False),
        sa.Column("android_packages", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subscriber_id", name=op.f("pk_app_links")),
    )
    op.create_table(
        "link_resolutions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("placement_id", sa.String(length=64), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("surface", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("policy_day", sa.Date(), nullable=False),
        sa.Column("latency_us", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_resolutions")),
    )
    with op.batch_alter_table("link_resolutions", schema=None) as batch_op:
        batch_op.create_index("ix_link_resolutions_host", ["host", "outcome"], unique=False)
        batch_op.create_index("ix_link_resolutions_placement", ["placement_id"], unique=False)

    op.create_table(
        "link_rules",
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("host", "version", name=op.f("pk_link_rules")),
    )
    op.create_table(
        "merchant_profiles",
        sa.Column("subscriber_id", sa.String(length=255), nullable=False),
        sa.Column("home_platform", sa.String(length=255), nullable=False),
        sa.Column("self_operated", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subscriber_id", name=op.f("pk_merchant_profiles")),
    )
    op.create_table(
        "mini_program_links",
        sa.Column("placement_id", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("placement_id", name=op.f("pk_mini_program_links")),
    )
    op.create_table(
        "offers",
        sa.Column("merchant", sa.String(length=255), nullable=False),
        sa.Column("sku_id", sa.String(length=128), nullable=False),
        sa.Column("title", sa.String(length=512), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("stock", sa.BigInteger(), nullable=False),
        sa.Column("category", sa.String(length=128), nullable=False),
        sa.Column("h5_url", sa.String(length=2048), nullable=False),
        sa.Column("deep_link", sa.String(length=2048), nullable=True),
        sa.Column("mini_program_app_id", sa.String(length=128), nullable=True),
        sa.Column("mini_program_path", sa.String(length=1024), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("merchant", "sku_id", name=op.f("pk_offers")),
    )
    op.create_table(
        "placements",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column(
            "share_serial", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("surface", sa.String(length=32), nullable=False),
        sa.Column("merchant", sa.String(length=255), nullable=False),
        sa.Column("sku_id", sa.String(length=128), nullable=False),
        sa.Column("placed_by", sa.String(length=255), nullable=False),
        sa.Column("storefront_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("share_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_placements")),
        sa.UniqueConstraint("code", name=op.f("uq_placements_code")),
        sa.UniqueConstraint("share_serial", name=op.f("uq_placements_share_serial")),
    )
    op.create_table(
        "storefront_policies",
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("host", "version", name=op.f("pk_storefront_policies")),
    )
    op.create_table(
        "storefronts",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("merchant", sa.String(length=255), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("catalog", sa.Text(), nullable=False),
        sa.Column("commission_bps", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storefronts")),
    )
    with op.batch_alter_table("storefronts", schema=None) as batch_op:
        batch_op.create_index("ix_storefronts_host", ["host", "status"], unique=False)
        batch_op.create_index("ix_storefronts_merchant", ["merchant"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("storefronts", schema=None) as batch_op:
        batch_op.drop_index("ix_storefronts_merchant")
        batch_op.drop_index("ix_storefronts_host")

    op.drop_table("storefronts")
    op.drop_table("storefront_policies")
    op.drop_table("placements")
    op.drop_table("offers")
    op.drop_table("mini_program_links")
    op.drop_table("merchant_profiles")
    op.drop_table("link_rules")
    with op.batch_alter_table("link_resolutions", schema=None) as batch_op:
        batch_op.drop_index("ix_link_resolutions_placement")
        batch_op.drop_index("ix_link_resolutions_host")

    op.drop_table("link_resolutions")
    op.drop_table("app_links")
