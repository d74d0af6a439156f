"""Points programs' declared refusals of each other's exchanges, on the switch's one metadata.

One row per version a program declares about one counterparty program: it
refuses (or, in a later version, no longer refuses) exchanges with it from
``valid_from`` on. Rows are never updated; a back-dated version is filed in
``policy_corrections`` (kind ``points_refusals``, owner the declaring program,
its version). Re-exported by `hutong.store.tables`.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, Index, Integer, String, Table, Text, UniqueConstraint

from hutong.store.schema import metadata, positive
from hutong.store.types import UTCDateTime

__all__ = ["points_refusals"]

points_refusals = Table(
    "points_refusals",
    metadata,
    Column("id", String(64), primary_key=True),
    #: The declaring program and its version number (1, 2, ... over all its declarations).
    Column("program", String(255), nullable=False),
    Column("version", Integer, nullable=False),
    Column("counterparty", String(255), nullable=False),
    Column("refuses", Boolean, nullable=False),
    #: The program's public statement, e.g. its denial of an announced arrangement.
    Column("statement", Text, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("declared_at", UTCDateTime(), nullable=False),
    UniqueConstraint("program", "version"),
    Index("ix_points_refusals_pair", "program", "counterparty", "valid_from"),
    positive("version"),
)
