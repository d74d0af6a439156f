"""beckn replies: an outbox event may be a Beckn answer with its own URL

Revision ID: 0019
Revises: 0018

Issue 17 §3: a `/beckn/<action>` request is answered ACK and its result goes
later as `on_<action>` to `{bap_uri}/on_<action>`. The outbox keeps that URL
(`reply_url`, NULL for every other event, which goes to the callback URL).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("reply_url", sa.String(2048), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("reply_url")
