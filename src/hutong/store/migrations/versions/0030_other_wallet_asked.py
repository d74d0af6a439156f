"""payments: the wallet asked besides the payment's own, on its row

Revision ID: 0030
Revises: 0029

The UPDATE that authorizes a payment checked that no other wallet had been
asked with a subquery on `payment_attempts`. On PostgreSQL a statement's
subquery sees what had committed when it began, not an ask committed while
it waited for the payment's row lock, so the wallets asked were read again
after it (one statement per pay). An ask of a wallet other than the
payment's own now also writes it on the payment's row
(`payments.other_wallet_asked`: empty, the one wallet, or ``*`` for several),
which the UPDATE's WHERE checks on the row's newest version. Payments with
such asks recorded before this revision get theirs from `payment_attempts`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

_OTHERS = (
    "FROM payment_attempts"
    " WHERE payment_attempts.payment_id = payments.id"
    " AND payment_attempts.wallet <> payments.wallet"
)


def upgrade() -> None:
    op.add_column(
        "payments",
        sa.Column("other_wallet_asked", sa.String(length=255), server_default="", nullable=False),
    )
    op.execute(
        "UPDATE payments SET other_wallet_asked = CASE"
        f" WHEN (SELECT count(DISTINCT payment_attempts.wallet) {_OTHERS}) = 1"
        f" THEN (SELECT min(payment_attempts.wallet) {_OTHERS})"
        " ELSE '*' END"
        f" WHERE EXISTS (SELECT 1 {_OTHERS})"
    )


def downgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("other_wallet_asked")
