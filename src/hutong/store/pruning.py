"""Removing what is past its retention, a short delete at a time.

Every prune of a table that grows for ever (message-id records, decision
calls, answered Beckn jobs, finished outbox events) has one shape, oldest
first by a column `by` the caller names (the one its rule's index is
ordered by): a read finds how many of the `chunk` oldest rows matching the
rule there are and the largest `by` among them (the edge), and a short
transaction deletes the rows matching the rule up to the edge (ties with
it too); until a read finds fewer than `chunk`.

    edge     = max(by) over the first `chunk` rows where rule, ordered by `by`
    removed  = sum over rounds of |DELETE ... WHERE rule AND by <= edge|

The read comes first because the sweeps run every second: when nothing is
due they take no write lock. Each round reads at most `chunk` index entries
and deletes about `chunk` rows (more only when many share the edge's
`by`), so a prune of a long backlog never blocks writers for long (on
SQLite every writer would wait for one long delete).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Table, delete, func, select

from hutong.store.db import Database

__all__ = ["delete_in_chunks"]


async def delete_in_chunks(
    db: Database,
    table: Table,
    rule: ColumnElement[bool],
    *,
    by: ColumnElement[Any],
    chunk: int,
) -> int:
    """Delete the rows of `table` where `rule` holds, oldest `by` first, about `chunk` a
    transaction; how many."""
    oldest = select(by.label("by")).where(rule).order_by(by).limit(chunk).subquery()
    round_ = select(func.count(), func.max(oldest.c.by))
    removed = 0
    while True:
        async with db.read() as conn:
            found, edge = (await conn.execute(round_)).one()
        if found:
            async with db.transaction() as conn:
                gone = await conn.execute(delete(table).where(rule, by <= edge))
            removed += int(gone.rowcount or 0)
        if found < chunk:
            return removed
