"""Declared policies kept as history, and the back-dated corrections of their versions.

`versioned_policy_table` makes the table of one kind of policy (a host's
storefront or carrier policy, a network's pickup policy, a platform's wallet
acceptance, a host's commission schedule): one row per version, never
updated; `policy_corrections` says which versions were back-dated, and why.

Defined on the one metadata (`hutong.store.schema`) and re-exported by
`hutong.store.tables`.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    Integer,
    String,
    Table,
    Text,
)

from hutong.store.schema import metadata
from hutong.store.types import UTCDateTime

__all__ = [
    "policy_corrections",
    "versioned_policy_table",
]

#: Back-dated policy versions, each declared as a correction with its reason
#: (`hutong.protocol.declared_time`). `kind` names the policy table, `owner`
#: its owner; (kind, owner, version) is the corrected version's row there.
policy_corrections = Table(
    "policy_corrections",
    metadata,
    Column("kind", String(32), primary_key=True),
    Column("owner", String(255), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("valid_from", Date, nullable=False),
    Column("reason", Text, nullable=False),
    Column("declared_by", String(255), nullable=False),
    Column("declared_at", UTCDateTime(), nullable=False),
)


def versioned_policy_table(name: str, owner: str) -> Table:
    """A declared policy kept as history: one row per version, never updated.

    `owner` names the column of who declares it (a host, a network).
    """
    return Table(
        name,
        metadata,
        Column(owner, String(255), primary_key=True),
        Column("version", Integer, primary_key=True),
        Column("rule", Text, nullable=False),  # JSON
        Column("valid_from", Date, nullable=False),
        Column("declared_at", UTCDateTime(), nullable=False),
    )
