"""The auditor's stored runs (issue 16): findings computed once, read by the dashboard.

One row per audited window [window_from, window_to): the run's report as
JSON (findings with the evidence they stand on, inconclusive cells), when it
was computed and the evidence high-water mark it was computed at
(`hutong.audit.stored`). A newer run of the same window replaces the row.
Defined on the one metadata and re-exported by `hutong.store.tables`.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, Table, Text

from hutong.store.schema import metadata
from hutong.store.types import UTCDateTime

__all__ = ["audit_runs"]

audit_runs = Table(
    "audit_runs",
    metadata,
    Column("window_from", Date, primary_key=True),
    Column("window_to", Date, primary_key=True),
    Column("computed_at", UTCDateTime(), nullable=False),
    Column("mark", Text, nullable=False),  # JSON: {table: rows} when computed
    Column("report", Text, nullable=False),  # JSON: hutong.audit.stored's encoding
)
