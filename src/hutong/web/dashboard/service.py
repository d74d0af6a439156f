"""The dashboard's read service: one call per page, each reading in one transaction.

The API layer's dashboard routes call exactly one of these and render what
it returns; nothing here knows of HTTP. Two kinds of page may also write what
they computed, for the next request (docs/dashboard.md): the findings pages
store the window's audit run when it has none or a stale one
(`hutong.audit.stored`), and the openness index folds a long tail of link
traffic (`hutong.web.dashboard.weights`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hutong.audit import (
    CHECKS,
    AuditReport,
    EvidencePage,
    StoredRun,
    Window,
    check_filter,
    current_run,
    run_evidence,
)
from hutong.store.db import Database
from hutong.web.dashboard.matrix import (
    Grid,
    LinkMatrix,
    link_histories,
    link_matrix_of,
    party_grids,
)
from hutong.web.dashboard.operations import Health, Money, health, money
from hutong.web.dashboard.timeline import (
    FIRST_DAY,
    IndexPoint,
    Timeline,
    openness_series,
    timeline,
)
from hutong.web.dashboard.weights import FOLD_AFTER, Weights, fold, read_weights

__all__ = [
    "FIRST_DAY",
    "FindingPage",
    "FindingsPage",
    "MatrixPage",
    "PublicPage",
    "checks",
    "clamp_day",
    "default_period",
    "finding_page",
    "findings_page",
    "health_page",
    "matrix_page",
    "money_page",
    "public_page",
    "timeline_page",
]


def clamp_day(day: date | None, today: date) -> date:
    """The day a page shows: `day` within FIRST_DAY..today (today when not given)."""
    if day is None:
        return today
    return min(max(day, FIRST_DAY), today)


def checks() -> tuple[str, ...]:
    return tuple(sorted(CHECKS))


@dataclass(frozen=True, slots=True)
class MatrixPage:
    links: LinkMatrix
    grids: tuple[Grid, ...]


async def matrix_page(db: Database, day: date) -> MatrixPage:
    async with db.read() as conn:
        links = link_matrix_of(await link_histories(conn), day)
        grids = await party_grids(conn, day)
    return MatrixPage(links, grids)


@dataclass(frozen=True, slots=True)
class PublicPage:
    """The transparency page: aggregate link matrix and openness index, nothing else."""

    links: LinkMatrix
    series: tuple[IndexPoint, ...]


async def _fold_when_long(db: Database, weights: Weights, now: datetime) -> None:
    """A page that counted over FOLD_AFTER unfolded resolutions folds them for the next."""
    if weights.tail > FOLD_AFTER:
        await fold(db, now)


async def public_page(db: Database, day: date, now: datetime) -> PublicPage:
    async with db.read() as conn:
        histories = await link_histories(conn)
        weights = await read_weights(conn)
    await _fold_when_long(db, weights, now)
    series = openness_series(histories, weights.counts, now.date())
    return PublicPage(link_matrix_of(histories, day), series)


async def timeline_page(db: Database, platform: str | None, now: datetime) -> Timeline:
    async with db.read() as conn:
        weights = await read_weights(conn)
        found = await timeline(conn, platform, now.date(), weights.counts)
    await _fold_when_long(db, weights, now)
    return found


@dataclass(frozen=True, slots=True)
class FindingsPage:
    report: AuditReport
    check: str | None
    subject: str | None
    #: The stored run the page read: when it was computed, and why now if it was.
    run: StoredRun


async def findings_page(
    db: Database,
    start: date,
    end: date,
    now: datetime,
    *,
    check: str | None,
    subject: str | None,
) -> FindingsPage:
    """The stored run over [start, end) with the filters (`invalid_window`, `unknown_check`).

    The run is the window's stored one (`hutong.audit.stored`), computed and
    stored first if there is none or it is stale; the filters apply to it.
    """
    window = Window(start, end)
    check = check_filter(check)
    run = await current_run(db, window, now)
    return FindingsPage(run.report.only(subject=subject, check=check), check, subject, run)


def default_period(today: date) -> tuple[date, date]:
    """The findings page's period when none is asked: the last 30 days, today included."""
    return today - timedelta(days=29), today + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class FindingPage:
    evidence: EvidencePage
    run: StoredRun


async def finding_page(db: Database, finding: str, now: datetime, offset: int = 0) -> FindingPage:
    """One finding of its window's stored run, with its records (`unknown_finding` if none)."""
    evidence, run = await run_evidence(db, finding, now, offset=offset, limit=50)
    return FindingPage(evidence, run)


async def money_page(db: Database, now: datetime) -> Money:
    async with db.read() as conn:
        return await money(conn, now)


async def health_page(db: Database, now: datetime) -> Health:
    async with db.read() as conn:
        return await health(conn, now)
