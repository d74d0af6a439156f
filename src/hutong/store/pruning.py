"""Removing what is past its retention, a short delete at a time.

Every prune of a table that grows for ever (decision calls, answered Beckn
jobs, finished outbox events) has one shape: a read finds up to `chunk` ids
of rows matching the rule, and a short transaction deletes those ids, the
rule checked again in the DELETE; until a read finds fewer than `chunk`.

    removed = sum over rounds of |DELETE ... WHERE id IN (ids) AND rule|

The read comes first because the sweeps run every second: when nothing is
due they take no write lock. No transaction holds more than `chunk` rows, so
a prune of a long backlog never blocks writers for long.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Table, delete, select

from hutong.store.db import Database

__all__ = ["delete_in_chunks"]


async def delete_in_chunks(
    db: Database, table: Table, rule: ColumnElement[bool], *, chunk: int
) -> int:
    """Delete the rows of `table` (by `id`) where `rule` holds, `chunk` at a time; how many."""
    due = select(table.c.id).where(rule).limit(chunk)
    removed = 0
    while True:
        async with db.read() as conn:
            ids = list((await conn.execute(due)).scalars().all())
        if ids:
            async with db.transaction() as conn:
                gone = await conn.execute(delete(table).where(table.c.id.in_(ids), rule))
            removed += int(gone.rowcount or 0)
        if len(ids) < chunk:
            return removed
