"""Leasing due rows (delivery lanes, Beckn jobs) that are free or whose holder's process stopped.

A row is leased by writing `lease_owner` and `lease_until`. Taking work is
two steps. First one read looks (so an idle poll takes no write lock), in
two bounded parts: whether any due row is free (LIMIT 1: the first one the
due index gives), and, with a heartbeat watch, the other holders of valid
leases on due rows:

    free   <=>  the caller's `free` (it includes every lease run out: none, or until < now)
    held   <=>  lease_until >= now  and  lease_owner != owner

The held rows are found through an index on `lease_until` (Beckn jobs:
`ix_beckn_jobs_status_lease`; delivery lanes, one per recipient, are few)
that holds only the leases in force, about workers x rows per pass however
many rows are due, and their holders are few (one per worker). The watch (`LeaseHolders`) says
which of them stopped. Then one transaction locks, with SKIP LOCKED, the
due rows that are free or held by a stopped process, and leases them to
`owner`; when no row is free and no holder stopped, none is taken.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Table, null, or_, select, union_all, update

from hutong.runtime.heartbeat import LeaseHolders
from hutong.runtime.services import Services

__all__ = ["lease_due"]


async def lease_due(
    services: Services,
    table: Table,
    *,
    key: str,
    due: Sequence[ColumnElement[bool]],
    free: ColumnElement[bool],
    now: datetime,
    order_by: Any,
    limit: int,
    owner: str,
    until: datetime,
    watch: LeaseHolders | None,
    columns: Sequence[Any] = (),
) -> tuple[list[Row[Any]], list[str]]:
    """Lease up to `limit` rows of `table` matching `due` that are `free` or held by a stopped
    process, to `owner` until `until`; returns the rows (`columns`, else whole) and the
    stopped holders whose rows could be taken.
    """
    async with services.db.read() as conn:
        found = (await conn.execute(_look(table, due, free, now, owner, watch))).all()
    any_free = any(row.holder is None for row in found)
    held = [row.holder for row in found if row.holder is not None]
    stopped = await watch.stopped(held) if watch is not None and held else []
    if not stopped and not any_free:
        return [], []
    async with services.db.transaction() as conn:
        rows = list(
            (
                await conn.execute(
                    select(*(columns or (table,)))
                    .where(*due, or_(free, table.c.lease_owner.in_(stopped)))
                    .order_by(order_by)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            ).all()
        )
        if rows:
            await conn.execute(
                update(table)
                .where(table.c[key].in_([row._mapping[key] for row in rows]))
                .values(lease_owner=owner, lease_until=until)
            )
    return rows, stopped


def _look(
    table: Table,
    due: Sequence[ColumnElement[bool]],
    free: ColumnElement[bool],
    now: datetime,
    owner: str,
    watch: LeaseHolders | None,
) -> Any:
    """One row with no holder when a due row is free, and one per other holder of a lease in
    force on a due row (only with a watch: without one nobody's rows are taken over)."""
    a_free_row = select(null().label("holder")).where(*due, free).limit(1).subquery()
    look = select(a_free_row.c.holder)
    if watch is None:
        return look
    holders = (
        select(table.c.lease_owner.label("holder"))
        .where(*due, table.c.lease_until >= now, table.c.lease_owner != owner)
        .distinct()
        .subquery()
    )
    return union_all(look, select(holders.c.holder))
