"""The auditor's reads of money: orders' take rates and the declared policies they answer to.

Each completed order's effective take rate is its host commission over what
was paid (``t = host_commission / paid``, from the split recorded at
completion). The orders of a window are summed in SQL per host x category x
channel x merchant platform x schedule version applied, as the moments a
mean and a variance need (n, sum t, sum t^2) plus the extremes (min t, max
t, the smallest order), so a declared rate can be compared without reading
an order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Float, cast, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.store.tables import (
    acceptance_policies,
    commission_schedules,
    host_carrier_policies,
    orders,
    pickup_policies,
)

__all__ = [
    "FeeCell",
    "PolicyVersion",
    "host_commission",
    "read_acceptance_policies",
    "read_carrier_policies",
    "read_fees",
    "read_schedules",
]


@dataclass(frozen=True, slots=True)
class FeeCell:
    """The completed orders of one host x category x channel x merchant platform x version."""

    host: str
    category: str
    channel: str
    merchant_platform: str
    #: The schedule version the split applied (None: no schedule was in force).
    schedule_version: int | None
    count: int
    gmv: int
    fees: int
    #: Sum of the per-order take rates, and of their squares.
    rate_sum: float
    rate_squares: float
    min_rate: float
    max_rate: float
    #: The smallest order (fen): how far a floored commission may fall below its rate.
    min_gmv: int
    first: datetime


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    """One declared version of a policy: its owner, number, first day and JSON rule."""

    owner: str
    version: int
    valid_from: date
    rule: str


def host_commission(dialect: str) -> Any:
    """The split's host commission (fen), read from the split's JSON in SQL."""
    if dialect == "postgresql":
        return cast(cast(orders.c.split, JSONB)["host_commission"].astext, BigInteger)
    return cast(func.json_extract(orders.c.split, "$.host_commission"), BigInteger)


async def read_fees(conn: AsyncConnection, start: datetime, end: datetime) -> list[FeeCell]:
    o = orders.c
    fee = host_commission(conn.dialect.name)
    rate = cast(fee, Float) / o.paid
    query = (
        select(
            o.host,
            o.category,
            o.channel,
            o.merchant_platform,
            o.schedule_version,
            func.count().label("n"),
            func.sum(o.paid).label("gmv"),
            func.sum(fee).label("fees"),
            func.sum(rate).label("rate_sum"),
            func.sum(rate * rate).label("rate_squares"),
            func.min(rate).label("min_rate"),
            func.max(rate).label("max_rate"),
            func.min(o.paid).label("min_gmv"),
            func.min(o.created_at).label("first"),
        )
        .where(o.split.is_not(None), o.paid > 0)
        .where(o.created_at >= start, o.created_at < end)
        .group_by(o.host, o.category, o.channel, o.merchant_platform, o.schedule_version)
        .order_by(o.host, o.category, o.channel, o.merchant_platform, o.schedule_version)
    )
    return [
        FeeCell(
            r.host,
            r.category,
            r.channel,
            r.merchant_platform,
            r.schedule_version,
            int(r.n),
            int(r.gmv),
            int(r.fees),
            float(r.rate_sum),
            float(r.rate_squares),
            float(r.min_rate),
            float(r.max_rate),
            int(r.min_gmv),
            r.first,
        )
        for r in (await conn.execute(query)).all()
    ]


async def _versions(conn: AsyncConnection, table: Any, owner: Any, end: date) -> list[Any]:
    query = (
        select(owner, table.c.version, table.c.valid_from, table.c.rule)
        .where(table.c.valid_from < end)
        .order_by(owner, table.c.version)
    )
    return [PolicyVersion(r[0], r[1], r[2], r[3]) for r in (await conn.execute(query)).all()]


async def read_schedules(conn: AsyncConnection, end: date) -> list[PolicyVersion]:
    """Every commission schedule version declared to take effect before `end`."""
    return await _versions(conn, commission_schedules, commission_schedules.c.host, end)


async def read_acceptance_policies(conn: AsyncConnection, end: date) -> list[PolicyVersion]:
    """Every wallet acceptance policy version declared to take effect before `end`."""
    return await _versions(conn, acceptance_policies, acceptance_policies.c.platform, end)


async def read_carrier_policies(conn: AsyncConnection, end: date) -> list[PolicyVersion]:
    """Every host carrier policy and pickup network policy version before `end` (owner first)."""
    hosts = await _versions(conn, host_carrier_policies, host_carrier_policies.c.host, end)
    networks = await _versions(conn, pickup_policies, pickup_policies.c.network, end)
    return hosts + networks
