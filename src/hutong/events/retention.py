"""How long a finished outbox event is kept: `outbox_retention_days`, then pruned.

An event is finished when it was delivered or given up (dead, parked by the
delivery worker); its `last_attempt_at` is then the moment it was delivered
or parked. So, with `days` = `Settings.outbox_retention_days`:

    pruned  <=>  status in (delivered, dead)
                 and last_attempt_at < now - days
                 and id < max(id)

A pending event (never tried, or being retried) is never pruned, however
old: the delivery worker still owes it. The newest event is always kept, so
a sequence number never comes back (SQLite gives an emptied table's ids out
again) and `after` cursors stay valid. `days` = 0 keeps every event.

Who reads finished events, and why 30 days (the default) is enough:

- `hutong events list` and the operator's `GET /operator/events`: what was
  delivered or is dead, for an operator looking into a complaint;
- the dashboard's health page: dead letters per recipient (a count of the
  ones kept, so "dead in the last `days` days");
- nothing else: the delivery worker reads pending events only, a retried
  Beckn request is answered from its message-id record (`messages`, one
  day), and the auditor reads decision calls (`decision_calls`), not events.

The sweep (`hutong.workers.deadlines`, every second) and `hutong events
prune` remove them a short delete at a time, oldest `last_attempt_at` first
(`hutong.store.pruning`), found through `ix_outbox_status_last_attempt`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from hutong.events.outbox import EventStatus
from hutong.store.db import Database
from hutong.store.pruning import delete_in_chunks
from hutong.store.tables import outbox

__all__ = ["FINISHED", "PRUNE_CHUNK", "prune_events"]

#: Events removed per DELETE statement, about (keeps each transaction short).
PRUNE_CHUNK = 1000

#: The statuses an event never leaves: the worker is done with it.
FINISHED = (EventStatus.DELIVERED.value, EventStatus.DEAD.value)


async def prune_events(db: Database, now: datetime, days: int) -> int:
    """Remove events delivered or given up more than `days` ago (0 keeps all); how many."""
    if days <= 0:
        return 0
    newest = select(func.max(outbox.c.id)).scalar_subquery()
    cutoff = now - timedelta(days=days)
    removed = 0
    # One status at a time: each is then one range of the index, in
    # `last_attempt_at` order (both together would be sorted on every read).
    for status in FINISHED:
        rule = (
            (outbox.c.status == status)
            & (outbox.c.last_attempt_at < cutoff)
            & (outbox.c.id < newest)
        )
        removed += await delete_in_chunks(
            db, outbox, rule, by=outbox.c.last_attempt_at, chunk=PRUNE_CHUNK
        )
    return removed
