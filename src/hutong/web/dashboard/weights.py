"""The openness index's weights: link resolutions per (host, source platform), kept folded.

Counting every resolution of a decade on each timeline or transparency page
was most of their time (60 ms of 80 at the replay's default volume, and
growing with traffic). The counts are kept in `link_traffic` through a
`link_resolutions` id T, and a page counts only the rows after it::

    weights(host, source) = link_traffic[host, source]                      (through id T)
                           + count(link_resolutions with id > T, joined to
                                   their placement and the merchant's home platform)

The tail is a range read on the primary key: exact at every read, however
old the fold. `fold` adds the tail into `link_traffic` and moves T, at the
end of `hutong replay`, by `hutong audit refresh`, and by a page whose tail
held more than `FOLD_AFTER` resolutions. It folds only through the newest
row created over `FOLD_LAG` ago: on PostgreSQL ids are taken before commit,
so a younger id may still have an older one uncommitted below it (a request
transaction lasts seconds, not a minute). Folds are serialized (SQLite's one
writer; a table lock on PostgreSQL), so two pages folding at once count once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.links.hosts import alias
from hutong.store.db import Database
from hutong.store.tables import link_resolutions, link_traffic, merchant_profiles, placements

__all__ = ["FOLD_AFTER", "FOLD_LAG", "Weights", "fold", "read_weights"]

FOLD_AFTER = 5_000
FOLD_LAG = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Weights:
    #: Resolutions per (host, source platform), both by their short names.
    counts: dict[tuple[str, str], int]
    #: The folded counts run through this link_resolutions id.
    through: int
    #: How many resolutions the read counted after it.
    tail: int


async def _folded(conn: AsyncConnection) -> tuple[dict[tuple[str, str], int], int]:
    t = link_traffic.c
    rows = (await conn.execute(select(t.host, t.source, t.resolutions, t.through_id))).all()
    counts = {(r.host, r.source): int(r.resolutions) for r in rows}
    return counts, max((int(r.through_id) for r in rows), default=0)


async def _count_after(
    conn: AsyncConnection, through: int, last: int | None = None
) -> dict[tuple[str, str], int]:
    r = link_resolutions.c
    query = (
        select(r.host, merchant_profiles.c.home_platform, func.count())
        .select_from(
            link_resolutions.join(placements, placements.c.id == r.placement_id).join(
                merchant_profiles, merchant_profiles.c.subscriber_id == placements.c.merchant
            )
        )
        .where(r.id > through)
        .group_by(r.host, merchant_profiles.c.home_platform)
    )
    if last is not None:
        query = query.where(r.id <= last)
    counts: dict[tuple[str, str], int] = {}
    for host, home, count in (await conn.execute(query)).all():
        key = (alias(host), alias(home))
        counts[key] = counts.get(key, 0) + int(count)
    return counts


def _add(
    a: dict[tuple[str, str], int], b: dict[tuple[str, str], int]
) -> dict[tuple[str, str], int]:
    return {k: a.get(k, 0) + b.get(k, 0) for k in a.keys() | b.keys()}


async def read_weights(conn: AsyncConnection) -> Weights:
    """The folded counts plus the tail after them (module docstring)."""
    counts, through = await _folded(conn)
    tail = await _count_after(conn, through)
    return Weights(_add(counts, tail), through, sum(tail.values()))


async def fold(db: Database, now: datetime) -> int:
    """Fold the tail through the newest row created over FOLD_LAG before `now`; the new T."""
    r = link_resolutions.c
    async with db.transaction() as conn:
        if conn.dialect.name == "postgresql":
            # Two pages folding at once: the second waits, then reads the first's fold.
            await conn.execute(text("LOCK TABLE link_traffic IN SHARE ROW EXCLUSIVE MODE"))
        counts, through = await _folded(conn)
        last = (
            await conn.execute(
                select(r.id).where(r.created_at < now - FOLD_LAG).order_by(r.id.desc()).limit(1)
            )
        ).scalar()
        if last is None or int(last) <= through:
            return through
        merged = _add(counts, await _count_after(conn, through, int(last)))
        await conn.execute(delete(link_traffic))
        if merged:
            await conn.execute(
                insert(link_traffic),
                [
                    {"host": h, "source": s, "resolutions": n, "through_id": int(last)}
                    for (h, s), n in sorted(merged.items())
                ],
            )
        return int(last)
