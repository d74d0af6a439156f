"""ledger account ids as wide as the longest one built from a subscriber id

Revision ID: 0023
Revises: 0022

Account ids embed subscriber ids, which may be 255 characters long
(``m/<merchant>/receivable``; the longest, ``p/<program>/member/<member>``,
is 329), but the columns holding them were 128 wide: the first order or
transfer touching a participant with a long id failed. Every column holding
an account id becomes 384 wide (hutong.ledger.models.MAX_ACCOUNT_ID): the
account's own id and the two foreign keys of a transfer that name it.

On PostgreSQL widening a VARCHAR is an ALTER that rewrites nothing; on
SQLite (which stores any length anyway) batch mode recreates the tables so
the declared type matches. Downgrading narrows them back, which PostgreSQL
refuses while a longer id is stored.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

OLD_WIDTH, NEW_WIDTH = 128, 384

#: Every column holding a ledger account id, by table.
COLUMNS = {
    "ledger_accounts": ("id",),
    "ledger_transfers": ("debit_account_id", "credit_account_id"),
}


def _resize(old: int, new: int) -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(
                    column,
                    existing_type=sa.String(length=old),
                    type_=sa.String(length=new),
                    existing_nullable=False,
                )


def upgrade() -> None:
    _resize(OLD_WIDTH, NEW_WIDTH)


def downgrade() -> None:
    _resize(NEW_WIDTH, OLD_WIDTH)
