"""Leasing due rows (delivery lanes, Beckn jobs) that are free or whose holder's process stopped.

A row is leased by writing `lease_owner` and `lease_until`. Taking work is
two steps: a read names the holders of the due rows (so an idle poll takes
no write lock), the heartbeat watch (`LeaseHolders`) says which of them
stopped; then one transaction locks, with SKIP LOCKED, the due rows that
are free or held by a stopped process, and leases them to `owner`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Table, case, or_, select, update

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
        owners = (
            await conn.execute(
                select(table.c.lease_owner, case((free, 1), else_=0).label("free"))
                .where(*due)
                .distinct()
            )
        ).all()
    held = [o.lease_owner for o in owners if not o.free and o.lease_owner != owner]
    stopped = await watch.stopped(held) if watch is not None and held else []
    if not stopped and not any(o.free for o in owners):
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
