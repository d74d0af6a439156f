"""The records behind a finding (`EvidenceRef`), read page by page, oldest first.

Each evidence kind names its table and how the finding's filters select its
rows; an evidence id is "<kind>:<row id>" so it can be looked up again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.audit.evidence import OPENED_OUTCOMES, bounds, link_from, link_source
from hutong.audit.evidence_fees import host_commission
from hutong.audit.findings import EvidenceRef, Window
from hutong.audit.records_market import MARKET_KINDS, market_query
from hutong.store.tables import (
    commission_schedules,
    link_resolutions,
    link_rules,
    logistics_refusals,
    merchant_profiles,
    orders,
    payment_refusals,
    storefront_policies,
    storefronts,
)

__all__ = ["RecordsPage", "read_records"]

#: The most records one page holds.
MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class RecordsPage:
    total: int
    records: list[dict[str, Any]]


def _tuple(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else value


def _str(value: str | tuple[str, ...]) -> str:
    return value if isinstance(value, str) else ",".join(value)


def _query(
    ref: EvidenceRef, window: Window, dialect: str
) -> tuple[Select[Any], ColumnElement[Any], str]:
    """(the rows, the column to order by, the id prefix)."""
    start, end = bounds(window)
    f = ref.filters
    if ref.kind in MARKET_KINDS:
        return market_query(ref.kind, f, start, end)
    if ref.kind == "orders":
        o = orders.c
        query = (
            select(o.id, o.host, o.merchant, o.merchant_platform, o.category, o.channel)
            .add_columns(o.paid, host_commission(dialect).label("host_commission"))
            .add_columns(o.schedule_version, o.created_at)
            .where(o.host == _str(f["host"]), o.category == _str(f["category"]))
            .where(o.channel == _str(f["channel"]))
            .where(o.merchant_platform.in_(_tuple(f["platforms"])))
            .where(o.split.is_not(None), o.paid > 0)
            .where(o.created_at >= start, o.created_at < end)
        )
        if "versions" in f:
            query = query.where(o.schedule_version.in_([int(v) for v in _tuple(f["versions"])]))
        return query, o.id, "order"
    if ref.kind == "link_resolutions":
        r = link_resolutions.c
        query = (
            select(r.id, r.event_id, r.placement_id, r.host, r.surface, r.outcome, r.rule)
            .add_columns(link_source().label("source"), r.created_at)  # type: ignore[attr-defined]
            .select_from(link_from())  # type: ignore[arg-type]
            .where(r.host == _str(f["host"]), r.surface == _str(f["surface"]))
            .where(r.created_at >= start, r.created_at < end)
            .where(~r.outcome.in_(OPENED_OUTCOMES), ~r.outcome.like("%_fallback_open"))
            .where(~r.outcome.like("refused_%"))
            .where(link_source().in_(_tuple(f["sources"])))  # type: ignore[attr-defined]
        )
        return query, r.id, "res"
    if ref.kind == "link_friction":
        r = link_resolutions.c
        query = (
            select(r.id, r.event_id, r.placement_id, r.host, r.surface, r.outcome, r.rule)
            .add_columns(link_source().label("source"), r.latency_us, r.detail, r.created_at)  # type: ignore[attr-defined]
            .select_from(link_from())  # type: ignore[arg-type]
            .where(r.host == _str(f["host"]), r.surface == _str(f["surface"]))
            .where(r.created_at >= start, r.created_at < end)
            .where(r.outcome.in_(OPENED_OUTCOMES) | r.outcome.like("%_fallback_open"))
            .where(link_source().in_(_tuple(f["sources"])))  # type: ignore[attr-defined]
        )
        return query, r.id, "res"
    if ref.kind == "storefronts":
        s = storefronts.c
        home = func.coalesce(merchant_profiles.c.home_platform, s.merchant)
        query = (
            select(
                s.id,
                s.merchant,
                home.label("home"),
                s.host,
                s.status,
                s.reason,
                s.justification,
                s.justification_ref,
                s.decided_by,
                s.decided_at,
            )
            .select_from(
                storefronts.outerjoin(
                    merchant_profiles, merchant_profiles.c.subscriber_id == s.merchant
                )
            )
            .where(s.host == _str(f["host"]), s.status == "refused")
            .where(home.in_(_tuple(f["homes"])))
            .where(s.decided_at >= start, s.decided_at < end)
        )
        return query, s.id, "sf"
    if ref.kind == "storefront_policies":
        p = storefront_policies.c
        query = select(p.host, p.version, p.rule, p.valid_from, p.declared_at).where(
            p.host == _str(f["host"]), p.version == int(_str(f["version"]))
        )
        return query, p.version, "policy"
    if ref.kind == "link_rules":
        k = link_rules.c
        versions = [int(v) for v in _tuple(f["versions"])]
        query = select(k.host, k.version, k.rule, k.recorded_at).where(
            k.host == _str(f["host"]), k.version.in_(versions)
        )
        return query, k.version, "rule"
    if ref.kind == "commission_schedules":
        c = commission_schedules.c
        query = select(c.host, c.version, c.rule, c.valid_from, c.declared_at).where(
            c.host == _str(f["host"]), c.version == int(_str(f["version"]))
        )
        return query, c.version, "schedule"
    if ref.kind == "payment_refusals":
        w = payment_refusals.c
        query = (
            select(w.id, w.by, w.wallet, w.subject, w.reason, w.policy_version, w.since)
            .add_columns(w.created_at)
            .where(w.by == _str(f["by"]), w.wallet == _str(f["party"]))
            .where(w.created_at >= start, w.created_at < end)
        )
        if "version" in f:
            query = query.where(w.policy_version == int(_str(f["version"])))
        return query, w.id, "payref"
    if ref.kind == "logistics_refusals":
        g = logistics_refusals.c
        query = (
            select(g.id, g.kind, g.by, g.against, g.subject, g.reason, g.created_at)
            .where(g.by == _str(f["by"]), g.against == _str(f["party"]))
            .where(g.kind.in_(("host_carrier", "pickup_point")))
            .where(g.created_at >= start, g.created_at < end)
        )
        return query, g.id, "logref"
    raise ValueError(f"unknown evidence kind {ref.kind!r}")


def _shown(row: Any, prefix: str) -> dict[str, Any]:
    record = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row._mapping.items()}
    key = record.get("event_id") or record.get("id") or record.get("version")
    if prefix == "imp":
        key = f"{record['id']}/{record['position']}"
    elif prefix == "schedule" or prefix == "rule":
        key = f"{record['host']}#v{record['version']}"
    elif prefix == "terms":
        key = f"{record['merchant']}/{record['version']}"
    record["evidence_id"] = f"{prefix}:{key}"
    return record


async def read_records(
    conn: AsyncConnection, ref: EvidenceRef, window: Window, *, offset: int = 0, limit: int = 50
) -> RecordsPage:
    """One page of the records behind `ref` in `window`, and how many there are in all."""
    query, order, prefix = _query(ref, window, conn.dialect.name)
    total = await conn.scalar(select(func.count()).select_from(query.subquery()))
    page = query.order_by(order).offset(max(offset, 0)).limit(max(1, min(limit, MAX_PAGE)))
    rows = (await conn.execute(page)).all()
    return RecordsPage(int(total or 0), [_shown(row, prefix) for row in rows])
