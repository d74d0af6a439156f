"""What the dashboard reads precomputed (issue 16): stored audit runs and link traffic.

`audit_runs`: one row per audited window [window_from, window_to): the run's
report as JSON (findings with the evidence they stand on, inconclusive
cells), when it was computed and the evidence high-water mark it was
computed at (`hutong.audit.stored`). A newer run of the same window replaces
the row.

`link_traffic`: link resolutions counted per (host, source platform) through
`link_resolutions.id` = through_id (the same on every row), the openness
index's weights (`hutong.web.dashboard.weights`); the rows after it are
counted on read and folded in now and then.

Defined on the one metadata and re-exported by `hutong.store.tables`.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, String, Table, Text

from hutong.store.schema import metadata
from hutong.store.types import UTCDateTime

__all__ = ["audit_runs", "link_traffic"]

audit_runs = Table(
    "audit_runs",
    metadata,
    Column("window_from", Date, primary_key=True),
    Column("window_to", Date, primary_key=True),
    Column("computed_at", UTCDateTime(), nullable=False),
    Column("mark", Text, nullable=False),  # JSON: {table: rows} when computed
    Column("report", Text, nullable=False),  # JSON: hutong.audit.stored's encoding
)

link_traffic = Table(
    "link_traffic",
    metadata,
    Column("host", String(255), primary_key=True),
    Column("source", String(255), primary_key=True),
    Column("resolutions", BigInteger, nullable=False),
    Column("through_id", BigInteger, nullable=False),
)
