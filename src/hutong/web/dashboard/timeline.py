"""A platform's link policy history and the network's openness index over time.

The index (`hutong.web.dashboard.cells.openness_index`) is computed on the
first day of every month from `FIRST_DAY` to today and on every day a
declared version took effect (the dated facts, marked on the chart). Each
point is pure computation over the histories read once, one matrix per day
the histories change (`openness_series`); the traffic weights are read
folded (`hutong.web.dashboard.weights`), not counted per page.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.links.hosts import alias
from hutong.links.policy import LinkRule, PolicyHistory
from hutong.links.store import rule_corrections
from hutong.web.dashboard.cells import openness_index
from hutong.web.dashboard.matrix import link_histories, link_matrix_of

__all__ = ["FIRST_DAY", "Fact", "IndexPoint", "Timeline", "openness_series", "timeline"]

#: The first day the dashboard shows: the seed world's history starts in 2011.
FIRST_DAY = date(2011, 1, 1)


@dataclass(frozen=True, slots=True)
class IndexPoint:
    day: date
    index: float | None


@dataclass(frozen=True, slots=True)
class Fact:
    """A declared version: a dated fact of a platform's history."""

    rule: LinkRule
    #: The reason given when it was declared back-dated ("" when not a correction).
    correction: str


@dataclass(frozen=True, slots=True)
class Timeline:
    platform: str | None
    platforms: tuple[str, ...]
    facts: tuple[Fact, ...]
    series: tuple[IndexPoint, ...]


def _months(first: date, last: date) -> list[date]:
    days, day = [], first
    while day <= last:
        days.append(day)
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return days


def openness_series(
    histories: dict[str, PolicyHistory], weights: dict[tuple[str, str], int], today: date
) -> tuple[IndexPoint, ...]:
    """The index on the 1st of each month and on each version's first day, in day order.

    The matrix only changes on a day a version starts or ends, so it is drawn once
    per such day (and once for the days before the first) and every point reads
    the one in force: about 30 matrices for a decade's 200 points, not 200.
    """
    versions = [r for h in histories.values() for r in h.versions]
    days = set(_months(FIRST_DAY, today))
    days |= {r.valid_from for r in versions if r.valid_from <= today}
    changes = sorted(
        {r.valid_from for r in versions} | {r.valid_until for r in versions if r.valid_until}
    )
    drawn: dict[date, float | None] = {}
    points = []
    for day in sorted(days):
        since = bisect_right(changes, day)
        governing = changes[since - 1] if since else FIRST_DAY
        if governing not in drawn:
            cells = link_matrix_of(histories, day).cells.values()
            drawn[governing] = openness_index(cells, weights)
        points.append(IndexPoint(day, drawn[governing]))
    return tuple(points)


async def timeline(
    conn: AsyncConnection,
    platform: str | None,
    today: date,
    weights: dict[tuple[str, str], int],
) -> Timeline:
    histories = await link_histories(conn)
    facts: list[Fact] = []
    chosen = alias(platform) if platform else None
    if chosen in histories:
        corrections = await rule_corrections(conn, chosen)
        for rule in histories[chosen].versions:
            fixed = corrections.get(rule.version)
            facts.append(Fact(rule, fixed.reason if fixed is not None else ""))
    series = openness_series(histories, weights, today)
    return Timeline(chosen, tuple(sorted(histories)), tuple(facts), series)
