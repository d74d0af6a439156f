"""The switch's live processes, each with its last heartbeat (issue 14).

Every switch process (an API worker, `hutong deliver`) has a random id and
beats once a second (`hutong.runtime.heartbeat`); a message claim records
its claimer's id (`messages.claimed_by`), so a twin waiting on the claim can
take it over within seconds when the claimer's beat stopped, instead of
after the claim's lease. Defined on the one metadata (`hutong.store.schema`)
and re-exported by `hutong.store.tables`.
"""

from __future__ import annotations

from sqlalchemy import Column, String, Table

from hutong.store.schema import metadata
from hutong.store.types import UTCDateTime

__all__ = ["PROCESS_ID_LENGTH", "switch_processes"]

#: Characters of a process id (a random hex string).
PROCESS_ID_LENGTH = 32

#: One row per running switch process; deleted when it stops cleanly, pruned
#: when its beat is long silent (it died). `beat_at` is the database's clock
#: on PostgreSQL (one clock for every host), the host's on SQLite (one host).
switch_processes = Table(
    "switch_processes",
    metadata,
    Column("id", String(PROCESS_ID_LENGTH), primary_key=True),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("beat_at", UTCDateTime(), nullable=False),
)
