"""Stored runs: the auditor's findings per window, computed once and served until stale.

The dashboard's findings pages read a stored run instead of running every
check per request. A run is stored (table `audit_runs`, one row per window,
a newer run replaces it) by `hutong replay` (each year it audits), by
`hutong audit run` and `hutong audit refresh`, and by the page itself when
the window has no run yet or its run is stale.

Evidence high-water mark: the rows of each table the auditor reads, counted
(one statement of scalar subqueries) before the run reads its evidence, plus
the completed orders and decided storefronts (the two in-place updates the
checks read)::

    mark = {table: count(*)}

A stored run is stale, and recomputed when next asked, when

- any declaration count differs (`DECLARED`: a new policy version, group,
  term, placement, participant or storefront decision can make or undo a
  finding on its own), or
- the traffic tables (`TRAFFIC`) moved by more than `STALE_SHARE` (1 %) of
  their rows at the mark, or
- traffic moved at all and the run is older than `MAX_AGE` (15 minutes).

So a quiet database (a finished replay) never recomputes, and a live one
recomputes a window at most every 15 minutes under steady traffic, at once
on a declaration or a burst. In-place edits the mark cannot see (a merchant
profile's home platform changed) wait for the next change it can see or for
`hutong audit refresh --force`. The mark is taken before the run: a write
racing the run only makes the next request recompute once more.

Retention: a window asked once (the dashboard's default window moves every
day) would keep its row for ever. `prune_runs` removes the runs computed
more than `audit_run_retention_days` ago, but never the newest run (the one
the dashboard shows last); a window asked again after its run was pruned
is computed and stored again::

    pruned  <=>  computed_at < now - days  and  computed_at < max(computed_at)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Table, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.audit.encoding import decode_report, encode_report
from hutong.audit.findings import Window, window_of_id
from hutong.audit.records import read_records
from hutong.audit.run import AuditReport, audit, find
from hutong.audit.service import EvidencePage
from hutong.store.db import Database
from hutong.store.tables import (
    acceptance_policies,
    audit_runs,
    carrier_services,
    commission_schedules,
    corporate_groups,
    decision_calls,
    host_carrier_policies,
    impression_items,
    impression_lists,
    link_resolutions,
    link_rules,
    logistics_refusals,
    merchant_profiles,
    merchant_terms,
    orders,
    participants,
    payment_refusals,
    pickup_policies,
    placements,
    storefront_policies,
    storefronts,
    wallet_profiles,
)

__all__ = [
    "DECLARED",
    "MAX_AGE",
    "STALE_SHARE",
    "TRAFFIC",
    "StoredRun",
    "compute_run",
    "current_run",
    "evidence_mark",
    "prune_runs",
    "refresh",
    "run_evidence",
    "staleness",
    "stored_windows",
]

STALE_SHARE = 0.01
MAX_AGE = timedelta(minutes=15)

_DECLARED_TABLES: tuple[Table, ...] = (
    acceptance_policies,
    carrier_services,
    commission_schedules,
    corporate_groups,
    host_carrier_policies,
    link_rules,
    merchant_profiles,
    merchant_terms,
    participants,
    pickup_policies,
    placements,
    storefront_policies,
    storefronts,
    wallet_profiles,
)
_TRAFFIC_TABLES: tuple[Table, ...] = (
    decision_calls,
    impression_items,
    impression_lists,
    link_resolutions,
    logistics_refusals,
    orders,
    payment_refusals,
)
#: The mark's declaration counts, by name.
DECLARED = (*(t.name for t in _DECLARED_TABLES), "storefronts.decided")
#: The mark's traffic counts, by name.
TRAFFIC = (*(t.name for t in _TRAFFIC_TABLES), "orders.completed")


@dataclass(frozen=True, slots=True)
class StoredRun:
    report: AuditReport
    computed_at: datetime
    mark: Mapping[str, int]
    #: Why this call computed it ("" when it was read as stored).
    recomputed: str = ""


async def evidence_mark(conn: AsyncConnection) -> dict[str, int]:
    """The high-water mark of the module docstring, in one statement."""
    counts = {
        t.name: select(func.count()).select_from(t).scalar_subquery()
        for t in (*_DECLARED_TABLES, *_TRAFFIC_TABLES)
    }
    counts["storefronts.decided"] = (
        select(func.count()).where(storefronts.c.decided_at.is_not(None)).scalar_subquery()
    )
    counts["orders.completed"] = (
        select(func.count()).where(orders.c.split.is_not(None)).scalar_subquery()
    )
    row = (await conn.execute(select(*(c.label(n) for n, c in counts.items())))).one()
    return {name: int(value) for name, value in row._mapping.items()}


def staleness(
    then: Mapping[str, int], now_mark: Mapping[str, int], computed_at: datetime, now: datetime
) -> str:
    """Why a run at mark `then`, computed at `computed_at`, is stale now ("" when it is not)."""
    changed = [name for name in DECLARED if then.get(name) != now_mark.get(name)]
    if changed:
        return "declarations changed: " + ", ".join(changed)
    moved = sum(abs(now_mark.get(n, 0) - then.get(n, 0)) for n in TRAFFIC)
    if moved == 0:
        return ""
    before = sum(then.get(n, 0) for n in TRAFFIC)
    if moved > STALE_SHARE * before:
        return f"{moved} traffic rows since, over {STALE_SHARE:.0%} of {before}"
    if now - computed_at > MAX_AGE:
        return f"{moved} traffic rows since, and computed over {MAX_AGE} ago"
    return ""


async def _store(
    db: Database, report: AuditReport, mark: Mapping[str, int], now: datetime
) -> StoredRun:
    """Insert or replace the window's run (an upsert: two pages racing store one row)."""
    values = {
        "window_from": report.window.start,
        "window_to": report.window.end,
        "computed_at": now,
        "mark": json.dumps(dict(mark), sort_keys=True),
        "report": encode_report(report),
    }
    async with db.transaction() as conn:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(audit_runs).values(values)
        await conn.execute(
            statement.on_conflict_do_update(
                index_elements=["window_from", "window_to"],
                set_={k: statement.excluded[k] for k in ("computed_at", "mark", "report")},
            )
        )
    return StoredRun(report, now, dict(mark))


async def compute_run(db: Database, window: Window, now: datetime) -> StoredRun:
    """Run the auditor over `window` (`hutong.audit.audit`, unfiltered) and store the run."""
    async with db.read() as conn:
        mark = await evidence_mark(conn)
    return await _store(db, await audit(db, window), mark, now)


async def current_run(db: Database, window: Window, now: datetime) -> StoredRun:
    """The window's stored run if it is not stale, else a fresh one, stored."""
    async with db.read() as conn:
        row = (
            await conn.execute(
                select(audit_runs.c.computed_at, audit_runs.c.mark, audit_runs.c.report).where(
                    audit_runs.c.window_from == window.start, audit_runs.c.window_to == window.end
                )
            )
        ).one_or_none()
        mark = await evidence_mark(conn)
    if row is None:
        why = "no stored run of this window"
    else:
        then = json.loads(str(row.mark))
        why = staleness(then, mark, row.computed_at, now)
        if not why:
            return StoredRun(decode_report(str(row.report)), row.computed_at, then)
    stored = await _store(db, await audit(db, window), mark, now)
    return replace(stored, recomputed=why)


async def stored_windows(db: Database) -> list[Window]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(audit_runs.c.window_from, audit_runs.c.window_to).order_by(
                audit_runs.c.window_from, audit_runs.c.window_to
            )
        )
        return [Window(start, end) for start, end in rows.all()]


async def prune_runs(db: Database, now: datetime, days: int) -> int:
    """Remove runs computed more than `days` ago, the newest kept (0 keeps all); how many."""
    if days <= 0:
        return 0
    cutoff = now - timedelta(days=days)
    newest = select(func.max(audit_runs.c.computed_at)).scalar_subquery()
    old = (audit_runs.c.computed_at < cutoff, audit_runs.c.computed_at < newest)
    # A read looks first: the sweep runs every second, and takes no write lock
    # when nothing is due.
    async with db.read() as conn:
        if await conn.scalar(select(func.count()).select_from(audit_runs).where(*old)) == 0:
            return 0
    async with db.transaction() as conn:
        gone = await conn.execute(delete(audit_runs).where(*old))
    return int(gone.rowcount or 0)


async def refresh(
    db: Database, now: datetime, windows: Iterable[Window] | None = None, *, force: bool = False
) -> list[StoredRun]:
    """Bring stored runs up to date: `windows` (default: every stored one); all with `force`."""
    chosen = list(windows) if windows is not None else await stored_windows(db)
    runs = []
    for window in chosen:
        if force:
            runs.append(replace(await compute_run(db, window, now), recomputed="forced"))
        else:
            runs.append(await current_run(db, window, now))
    return runs


async def run_evidence(
    db: Database, finding: str, now: datetime, *, offset: int = 0, limit: int = 50
) -> tuple[EvidencePage, StoredRun]:
    """A finding of its window's current run and a page of its records (read now)."""
    window = window_of_id(finding)
    run = await current_run(db, window, now)
    found = find(run.report, finding)
    async with db.read() as conn:
        page = await read_records(conn, found.evidence, window, offset=offset, limit=limit)
    return EvidencePage(found, page.total, offset, page.records), run
