"""The auditor's reads: every count aggregated in SQL (GROUP BY) for a window [from, to).

Each read answers a few rows per cell (host x source x surface x outcome,
...), never one row per event, so a month of a busy network is summed by
the database. The checks (`hutong.audit.checks`) are pure code over these
cells.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import Integer, case, cast, func, literal, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.audit.evidence_fees import (
    FeeCell,
    PolicyVersion,
    read_acceptance_policies,
    read_carrier_policies,
    read_fees,
    read_schedules,
)
from hutong.audit.evidence_market import (
    CallCell,
    DominanceCell,
    ExposureCell,
    MultiHoming,
    ServiceRefusalCell,
    TermsVersion,
    read_calls,
    read_dominance,
    read_exposure,
    read_multi_homing,
    read_service_refusals,
    read_terms,
)
from hutong.audit.findings import Window
from hutong.links.policy.rules import LinkRule
from hutong.registry.group_store import all_versions
from hutong.registry.groups import GroupVersion
from hutong.store.tables import (
    carrier_services,
    link_resolutions,
    link_rules,
    logistics_refusals,
    merchant_profiles,
    payment_refusals,
    placements,
    storefront_policies,
    storefronts,
    wallet_profiles,
)

__all__ = [
    "CallCell",
    "CarrierRefusalCell",
    "DominanceCell",
    "Evidence",
    "ExposureCell",
    "FeeCell",
    "FrictionCell",
    "LinkCell",
    "MultiHoming",
    "PolicyVersion",
    "ServiceRefusalCell",
    "StandingPolicy",
    "StorefrontCell",
    "TermsVersion",
    "WalletRefusalCell",
    "bounds",
    "read_evidence",
]

#: Resolution outcomes that reached the offer (the link opened).
OPENED_OUTCOMES = ("open", "deep_link", "mini_program")


def bounds(window: Window) -> tuple[datetime, datetime]:
    """The window's instants: [from 00:00 UTC, to 00:00 UTC)."""
    return (
        datetime.combine(window.start, time(), UTC),
        datetime.combine(window.end, time(), UTC),
    )


@dataclass(frozen=True, slots=True)
class LinkCell:
    host: str
    source: str
    surface: str
    #: "opened", "code_only" or "blocked".
    outcome: str
    #: The declared rule that decided them ("" when none did).
    rule: str
    count: int
    first: datetime


#: Link latencies are counted in buckets of this many microseconds.
LATENCY_BUCKET_US = 100


@dataclass(frozen=True, slots=True)
class FrictionCell:
    """Opened links of one host x source x surface with the same steps and latency bucket."""

    host: str
    source: str
    surface: str
    #: Extra steps forced before the link opened, and whether one was "copy to a browser".
    steps: int
    copy_to_browser: bool
    #: The latency bucket: [bucket, bucket + 1) x LATENCY_BUCKET_US microseconds.
    bucket: int
    count: int


@dataclass(frozen=True, slots=True)
class StorefrontCell:
    host: str
    home: str
    status: str
    justification: str | None
    by_policy: bool
    count: int
    first: datetime


@dataclass(frozen=True, slots=True)
class StandingPolicy:
    host: str
    version: int
    valid_from: date
    rule: str  # JSON, `hutong.commerce.storefronts.rules.StandingRule.to_dict`


@dataclass(frozen=True, slots=True)
class WalletRefusalCell:
    by: str
    wallet: str
    policy_version: int
    since: date
    count: int


@dataclass(frozen=True, slots=True)
class CarrierRefusalCell:
    kind: str
    by: str
    carrier: str
    count: int
    first: datetime


@dataclass(frozen=True, slots=True)
class Evidence:
    """Everything one audit run reads, already aggregated."""

    window: Window
    groups: tuple[GroupVersion, ...]
    links: tuple[LinkCell, ...]
    storefronts: tuple[StorefrontCell, ...]
    standing_policies: tuple[StandingPolicy, ...]
    wallets: tuple[str, ...]
    wallet_refusals: tuple[WalletRefusalCell, ...]
    carriers: tuple[str, ...]
    carrier_refusals: tuple[CarrierRefusalCell, ...]
    #: Completed orders' take rates, and the commission schedules declared.
    fees: tuple[FeeCell, ...] = ()
    schedules: tuple[PolicyVersion, ...] = ()
    #: Wallet acceptance policies declared (what a refusal is compared with).
    acceptance_policies: tuple[PolicyVersion, ...] = ()
    #: Opened links by steps, copy-to-browser and latency bucket.
    friction: tuple[FrictionCell, ...] = ()
    #: Ranking impressions: exposure by position, and dominated pairs (`evidence_market`).
    exposure: tuple[ExposureCell, ...] = ()
    dominance: tuple[DominanceCell, ...] = ()
    #: Merchant terms declared, and merchants' first approved storefront per host.
    terms: tuple[TermsVersion, ...] = ()
    multi_homing: tuple[MultiHoming, ...] = ()
    #: Host carrier and pickup network policies declared (which carriers they refuse).
    carrier_policies: tuple[PolicyVersion, ...] = ()
    #: Refusals of calls the callee's own declaration covers (`SERVICE_REFUSALS`).
    service_refusals: tuple[ServiceRefusalCell, ...] = ()
    #: Every link rule declared (in force or not: the checks ask for a day).
    link_rules: tuple[LinkRule, ...] = ()
    #: Decision calls made on behalf of a platform, by outcome and latency.
    calls: tuple[CallCell, ...] = ()


def link_source() -> object:
    """The platform a placement's link leads to (as `hutong.links.store` decides it)."""
    return case(
        (storefronts.c.status == "approved", placements.c.host),
        else_=func.coalesce(merchant_profiles.c.home_platform, placements.c.merchant),
    )


def link_outcome() -> object:
    return case(
        (link_resolutions.c.outcome.in_(OPENED_OUTCOMES), literal("opened")),
        (link_resolutions.c.outcome.like("%_fallback_open"), literal("opened")),
        (link_resolutions.c.outcome == "share_code_only", literal("code_only")),
        else_=literal("blocked"),
    )


def link_from() -> object:
    return (
        link_resolutions.join(placements, placements.c.id == link_resolutions.c.placement_id)
        .outerjoin(merchant_profiles, merchant_profiles.c.subscriber_id == placements.c.merchant)
        .outerjoin(storefronts, storefronts.c.id == placements.c.storefront_id)
    )


async def _links(conn: AsyncConnection, start: datetime, end: datetime) -> list[LinkCell]:
    source = link_source().label("source")  # type: ignore[attr-defined]
    outcome = link_outcome().label("outcome_class")  # type: ignore[attr-defined]
    query = (
        select(
            link_resolutions.c.host,
            source,
            link_resolutions.c.surface,
            outcome,
            link_resolutions.c.rule,
            func.count().label("n"),
            func.min(link_resolutions.c.created_at).label("first"),
        )
        .select_from(link_from())  # type: ignore[arg-type]
        .where(
            link_resolutions.c.created_at >= start,
            link_resolutions.c.created_at < end,
            ~link_resolutions.c.outcome.like("refused_%"),
        )
        .group_by(link_resolutions.c.host, source, link_resolutions.c.surface, outcome)
        .group_by(link_resolutions.c.rule)
    )
    rows = (await conn.execute(query)).all()
    return [
        LinkCell(r.host, r.source, r.surface, r.outcome_class, r.rule, int(r.n), r.first)
        for r in rows
    ]


def _link_steps(dialect: str) -> object:
    """The extra steps a resolution recorded in its detail (0 for rows from before they were)."""
    detail = link_resolutions.c.detail
    if dialect == "postgresql":
        steps = cast(cast(detail, JSONB)["steps"].astext, Integer)
    else:
        steps = cast(func.json_extract(detail, "$.steps"), Integer)
    return func.coalesce(steps, 0)


async def _friction(conn: AsyncConnection, start: datetime, end: datetime) -> list[FrictionCell]:
    r = link_resolutions.c
    source = link_source().label("source")  # type: ignore[attr-defined]
    steps = _link_steps(conn.dialect.name).label("steps")  # type: ignore[attr-defined]
    copy = r.detail.like('%"copy_to_browser"%').label("copy")
    bucket = (r.latency_us / LATENCY_BUCKET_US).label("bucket")
    query = (
        select(r.host, source, r.surface, steps, copy, bucket, func.count().label("n"))
        .select_from(link_from())  # type: ignore[arg-type]
        .where(r.created_at >= start, r.created_at < end)
        .where(link_outcome() == "opened")  # type: ignore[arg-type]
        .group_by(r.host, source, r.surface, steps, copy, bucket)
    )
    rows = (await conn.execute(query)).all()
    cells = [
        FrictionCell(
            r.host, r.source, r.surface, int(r.steps), bool(r.copy), int(r.bucket), int(r.n)
        )
        for r in rows
    ]
    return sorted(
        cells, key=lambda c: (c.host, c.source, c.surface, c.steps, c.copy_to_browser, c.bucket)
    )


async def _storefronts(
    conn: AsyncConnection, start: datetime, end: datetime
) -> list[StorefrontCell]:
    home = func.coalesce(merchant_profiles.c.home_platform, storefronts.c.merchant).label("home")
    by_policy = storefronts.c.decided_by.like("policy:%").label("by_policy")
    query = (
        select(
            storefronts.c.host,
            home,
            storefronts.c.status,
            storefronts.c.justification,
            by_policy,
            func.count().label("n"),
            func.min(storefronts.c.decided_at).label("first"),
        )
        .select_from(
            storefronts.outerjoin(
                merchant_profiles, merchant_profiles.c.subscriber_id == storefronts.c.merchant
            )
        )
        .where(storefronts.c.decided_at >= start, storefronts.c.decided_at < end)
        .group_by(storefronts.c.host, home, storefronts.c.status, storefronts.c.justification)
        .group_by(by_policy)
    )
    rows = (await conn.execute(query)).all()
    return [
        StorefrontCell(
            r.host, r.home, r.status, r.justification, bool(r.by_policy), int(r.n), r.first
        )
        for r in rows
    ]


async def _standing_policies(conn: AsyncConnection, end: date) -> list[StandingPolicy]:
    query = (
        select(storefront_policies)
        .where(storefront_policies.c.valid_from < end)
        .order_by(storefront_policies.c.host, storefront_policies.c.version)
    )
    return [
        StandingPolicy(r.host, r.version, r.valid_from, r.rule)
        for r in (await conn.execute(query)).all()
    ]


async def _wallet_refusals(
    conn: AsyncConnection, start: datetime, end: datetime
) -> list[WalletRefusalCell]:
    t = payment_refusals.c
    query = (
        select(t.by, t.wallet, t.policy_version, func.min(t.since).label("since"), func.count())
        .where(t.created_at >= start, t.created_at < end)
        .group_by(t.by, t.wallet, t.policy_version)
    )
    rows = (await conn.execute(query)).all()
    return [WalletRefusalCell(r[0], r[1], int(r[2]), r[3], int(r[4])) for r in rows]


async def _carrier_refusals(
    conn: AsyncConnection, start: datetime, end: datetime
) -> list[CarrierRefusalCell]:
    t = logistics_refusals.c
    query = (
        select(t.kind, t.by, t.against, func.count(), func.min(t.created_at))
        .where(t.created_at >= start, t.created_at < end)
        .group_by(t.kind, t.by, t.against)
    )
    rows = (await conn.execute(query)).all()
    return [CarrierRefusalCell(r[0], r[1], r[2], int(r[3]), r[4]) for r in rows]


async def _names(conn: AsyncConnection, column: object) -> tuple[str, ...]:
    rows = (await conn.execute(select(column).distinct())).scalars().all()  # type: ignore[call-overload]
    return tuple(sorted(rows))


async def read_evidence(conn: AsyncConnection, window: Window) -> Evidence:
    """Every aggregate the checks need for `window`."""
    start, end = bounds(window)
    return Evidence(
        window=window,
        groups=tuple(await all_versions(conn)),
        links=tuple(sorted(await _links(conn, start, end), key=_link_key)),
        storefronts=tuple(await _storefronts(conn, start, end)),
        standing_policies=tuple(await _standing_policies(conn, window.end)),
        wallets=await _names(conn, wallet_profiles.c.subscriber_id),
        wallet_refusals=tuple(await _wallet_refusals(conn, start, end)),
        carriers=await _names(conn, carrier_services.c.carrier),
        carrier_refusals=tuple(await _carrier_refusals(conn, start, end)),
        fees=tuple(await read_fees(conn, start, end)),
        schedules=tuple(await read_schedules(conn, window.end)),
        acceptance_policies=tuple(await read_acceptance_policies(conn, window.end)),
        friction=tuple(await _friction(conn, start, end)),
        exposure=tuple(await read_exposure(conn, start, end)),
        dominance=tuple(await read_dominance(conn, start, end)),
        terms=tuple(await read_terms(conn, window.end)),
        multi_homing=tuple(await read_multi_homing(conn, end)),
        calls=tuple(await read_calls(conn, start, end)),
        link_rules=tuple(await _link_rules(conn)),
        carrier_policies=tuple(await read_carrier_policies(conn, window.end)),
        service_refusals=tuple(await read_service_refusals(conn, start, end)),
    )


async def _link_rules(conn: AsyncConnection) -> list[LinkRule]:
    query = select(link_rules.c.rule).order_by(link_rules.c.host, link_rules.c.version)
    return [LinkRule.from_dict(json.loads(r)) for r in (await conn.execute(query)).scalars()]


def _link_key(cell: LinkCell) -> tuple[str, ...]:
    return (cell.host, cell.source, cell.surface, cell.outcome, cell.rule)
