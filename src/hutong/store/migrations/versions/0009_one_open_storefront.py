"""one open storefront per merchant and host, enforced by the database

Revision ID: 0009
Revises: 0008

The code refuses a second open (requested or approved) storefront of a
merchant on a host with `storefront_exists`, but two requests racing past
that check both inserted. A partial unique index makes the loser's insert
fail; its write is run again and then meets the code's refusal. Rows that
already break the rule (a race that happened before this migration) are
kept: the later of two open requests is refused with its reason saying so.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_OPEN = "status IN ('requested', 'approved')"
_DUPLICATE_REASON = "refused by migration 0009: the merchant had another open storefront here"


def upgrade() -> None:
    # Older duplicates first (kept, refused): the index could not be built over them.
    op.execute(
        sa.text(
            f"""
            UPDATE storefronts SET status = 'refused', reason = :reason,
                   decided_by = 'migration:0009', decided_at = requested_at
            WHERE {_OPEN} AND EXISTS (
                SELECT 1 FROM storefronts AS earlier
                WHERE earlier.merchant = storefronts.merchant
                  AND earlier.host = storefronts.host
                  AND earlier.{_OPEN}
                  AND (earlier.requested_at < storefronts.requested_at
                       OR (earlier.requested_at = storefronts.requested_at
                           AND earlier.id < storefronts.id))
            )
            """
        ).bindparams(reason=_DUPLICATE_REASON)
    )
    op.create_index(
        "ux_storefronts_open",
        "storefronts",
        ["merchant", "host"],
        unique=True,
        sqlite_where=sa.text(_OPEN),
        postgresql_where=sa.text(_OPEN),
    )


def downgrade() -> None:
    op.drop_index("ux_storefronts_open", table_name="storefronts")
