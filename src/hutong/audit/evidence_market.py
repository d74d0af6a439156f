"""The auditor's reads for ranking, merchant terms and decision calls (aggregated in SQL).

* `ExposureCell`: shown, unsponsored items per host x home platform x item
  (merchant and SKU) x position (count, sum of the rating shown), for
  exposure by DCG weight with the item as the unit of inference (an item
  shown a hundred times is one item, not a hundred).
* `DominanceCell`: pairs of unsponsored items in one list where item b
  dominates item a (higher rating, at least as many reviews), per host x
  a's home x b's home x rating gap (tenths of a star) x whether a was shown
  above b. The pairs are counted by a self-join in SQL.
* `TermsVersion` and `MultiHoming`: every declared merchant-terms version and
  each merchant's first approved storefront per host (declarations and
  decisions, a few per merchant, not events).
* `CallCell`: decision calls per callee x on-behalf-of x outcome x latency (ms).
* `ServiceRefusalCell`: unjustified refusals of a call the switch only makes
  when the participant's own declaration covers it (`SERVICE_REFUSALS`: a
  carrier's ``book`` is sent only for a route its declared service prices,
  so ``not_serviceable`` from it contradicts its declaration).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Integer, and_, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.store.tables import (
    decision_calls,
    impression_items,
    impression_lists,
    merchant_profiles,
    merchant_terms,
    storefronts,
)

__all__ = [
    "SERVICE_REFUSALS",
    "CallCell",
    "DominanceCell",
    "ExposureCell",
    "MultiHoming",
    "ServiceRefusalCell",
    "TermsVersion",
    "read_calls",
    "read_dominance",
    "read_exposure",
    "read_multi_homing",
    "read_service_refusals",
    "read_terms",
]


@dataclass(frozen=True, slots=True)
class ExposureCell:
    host: str
    home: str
    #: The item shown: "merchant/sku_id".
    item: str
    position: int
    count: int
    rating_sum: float


@dataclass(frozen=True, slots=True)
class DominanceCell:
    """`count` pairs where b dominates a, with rating gap `gap` tenths; `a_won`: a shown above b."""

    host: str
    a_home: str
    b_home: str
    gap: int
    a_won: bool
    count: int


@dataclass(frozen=True, slots=True)
class TermsVersion:
    platform: str
    merchant: str
    version: int
    commission_bps: int
    promotion_eligible: bool
    listed: bool
    valid_from: date
    justification: str | None


@dataclass(frozen=True, slots=True)
class MultiHoming:
    """A merchant's first approved storefront on `host` (its home as the switch knows it)."""

    merchant: str
    home: str
    host: str
    since: datetime


@dataclass(frozen=True, slots=True)
class CallCell:
    callee: str
    on_behalf_of: str
    #: answered, refused (unjustified), justified (refused with a justification) or failed.
    outcome: str
    latency_ms: int
    count: int


#: (action, refusal code) pairs that contradict the callee's own declaration.
SERVICE_REFUSALS = (("book", "not_serviceable"),)


@dataclass(frozen=True, slots=True)
class ServiceRefusalCell:
    callee: str
    action: str
    code: str
    on_behalf_of: str
    count: int
    first: datetime


def _home(items: object) -> object:
    c = items.c  # type: ignore[attr-defined]
    return func.coalesce(c.home_platform, c.merchant)


async def read_exposure(
    conn: AsyncConnection, start: datetime, end: datetime
) -> list[ExposureCell]:
    i, lists = impression_items.c, impression_lists.c
    home = _home(impression_items).label("home")  # type: ignore[attr-defined]
    query = (
        select(
            lists.host,
            home,
            i.merchant,
            i.sku_id,
            i.position,
            func.count().label("n"),
            func.sum(i.rating).label("rs"),
        )
        .select_from(impression_items.join(impression_lists, lists.id == i.list_id))
        .where(lists.shown_at >= start, lists.shown_at < end)
        .where(~i.sponsored, ~i.labelled_ad, i.rating.is_not(None))
        .group_by(lists.host, home, i.merchant, i.sku_id, i.position)
    )
    rows = (await conn.execute(query)).all()
    cells = [
        ExposureCell(
            r.host, r.home, f"{r.merchant}/{r.sku_id}", int(r.position), int(r.n), float(r.rs)
        )
        for r in rows
    ]
    return sorted(cells, key=lambda c: (c.host, c.home, c.item, c.position))


async def read_dominance(
    conn: AsyncConnection, start: datetime, end: datetime
) -> list[DominanceCell]:
    a, b, lists = impression_items.alias("a"), impression_items.alias("b"), impression_lists
    a_home = _home(a).label("a_home")  # type: ignore[attr-defined]
    b_home = _home(b).label("b_home")  # type: ignore[attr-defined]
    gap = cast(func.round((b.c.rating - a.c.rating) * 10), Integer).label("gap")
    won = (a.c.position < b.c.position).label("a_won")
    query = (
        select(lists.c.host, a_home, b_home, gap, won, func.count().label("n"))
        .select_from(
            lists.join(a, a.c.list_id == lists.c.id).join(
                b,
                and_(
                    b.c.list_id == a.c.list_id,
                    b.c.rating > a.c.rating,
                    func.coalesce(b.c.reviews, 0) >= func.coalesce(a.c.reviews, 0),
                ),
            )
        )
        .where(lists.c.shown_at >= start, lists.c.shown_at < end)
        .where(~a.c.sponsored, ~a.c.labelled_ad, ~b.c.sponsored, ~b.c.labelled_ad)
        .group_by(lists.c.host, a_home, b_home, gap, won)
    )
    rows = (await conn.execute(query)).all()
    cells = [
        DominanceCell(r.host, r.a_home, r.b_home, int(r.gap), bool(r.a_won), int(r.n)) for r in rows
    ]
    return sorted(cells, key=lambda c: (c.host, c.a_home, c.b_home, c.gap, c.a_won))


async def read_terms(conn: AsyncConnection, end: date) -> list[TermsVersion]:
    t = merchant_terms.c
    query = (
        select(merchant_terms).where(t.valid_from < end).order_by(t.platform, t.merchant, t.version)
    )
    return [
        TermsVersion(
            r.platform,
            r.merchant,
            r.version,
            r.commission_bps,
            bool(r.promotion_eligible),
            bool(r.listed),
            r.valid_from,
            r.justification,
        )
        for r in (await conn.execute(query)).all()
    ]


async def read_multi_homing(conn: AsyncConnection, end: datetime) -> list[MultiHoming]:
    s = storefronts.c
    home = func.coalesce(merchant_profiles.c.home_platform, s.merchant).label("home")
    query = (
        select(s.merchant, home, s.host, func.min(s.decided_at).label("since"))
        .select_from(
            storefronts.outerjoin(
                merchant_profiles, merchant_profiles.c.subscriber_id == s.merchant
            )
        )
        .where(s.status == "approved", s.decided_at < end)
        .group_by(s.merchant, home, s.host)
    )
    rows = (await conn.execute(query)).all()
    found = [MultiHoming(r.merchant, r.home, r.host, r.since) for r in rows]
    return sorted(found, key=lambda m: (m.merchant, m.host))


async def read_calls(conn: AsyncConnection, start: datetime, end: datetime) -> list[CallCell]:
    c = decision_calls.c
    query = (
        select(
            c.callee,
            c.on_behalf_of,
            c.outcome,
            c.justification.is_not(None).label("justified"),
            c.latency_ms,
            func.count().label("n"),
        )
        .where(c.called_at >= start, c.called_at < end, c.on_behalf_of != "")
        .group_by(c.callee, c.on_behalf_of, c.outcome, c.justification.is_not(None))
        .group_by(c.latency_ms)
    )
    rows = (await conn.execute(query)).all()
    cells = [
        CallCell(
            r.callee,
            r.on_behalf_of,
            "justified" if r.outcome == "refused" and r.justified else r.outcome,
            int(r.latency_ms),
            int(r.n),
        )
        for r in rows
    ]
    return sorted(cells, key=lambda x: (x.callee, x.on_behalf_of, x.outcome, x.latency_ms))


async def read_service_refusals(
    conn: AsyncConnection, start: datetime, end: datetime
) -> list[ServiceRefusalCell]:
    c = decision_calls.c
    pairs = [and_(c.action == action, c.code == code) for action, code in SERVICE_REFUSALS]
    query = (
        select(c.callee, c.action, c.code, c.on_behalf_of, func.count(), func.min(c.called_at))
        .where(c.called_at >= start, c.called_at < end)
        .where(c.outcome == "refused", c.justification.is_(None), or_(*pairs))
        .group_by(c.callee, c.action, c.code, c.on_behalf_of)
    )
    rows = (await conn.execute(query)).all()
    found = [ServiceRefusalCell(r[0], r[1], r[2], r[3], int(r[4]), r[5]) for r in rows]
    return sorted(found, key=lambda x: (x.callee, x.action, x.code, x.on_behalf_of))
