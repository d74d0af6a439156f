"""transfers: ``asking`` instead of ``reserved``

Revision ID: 0029
Revises: 0028

An execute records its transfer before any wallet is asked (with the claim of
its message id), and writes nothing more until the end: the state it wrote,
``reserved``, said the payer's wallet held the money while that wallet was
still being asked. The state is ``asking`` now (`hutong.payments.transfers.states`);
transfers left ``reserved`` are ``asking`` (what had happened to them is the
same), and going back turns them into ``reserved`` again.

The CHECK on the state is dropped, the rows moved, the CHECK made again: on
SQLite each batch recreates the table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

_ENDS = ("committed", "released", "expired", "failed")
_CHECK = "ck_transfers_state_known"


def _one_of(*values: str) -> str:
    return f"state IN ({', '.join(repr(value) for value in values)})"


def _states(old: str, new: str) -> None:
    """Move transfers in state `old` to `new`, the CHECK allowing `new` (and not `old`)."""
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(_CHECK), type_="check")
    transfers = sa.table("transfers", sa.column("state", sa.String))
    op.execute(transfers.update().where(transfers.c.state == old).values(state=new))
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f(_CHECK), _one_of("quoted", new, *_ENDS))


def upgrade() -> None:
    _states("reserved", "asking")


def downgrade() -> None:
    _states("asking", "reserved")
