"""Who received what, and the callback availability over time: the money and health charts.

Money flow: the completed orders' splits (fen), summed in SQL per wallet x
host x merchant x carrier x creator (one GROUP BY over the orders that carry
a split), drawn as a flow from buyers through wallets and hosts to each
part's receiver::

    buyers -> wallet            paid
    wallet -> wallet's fee      wallet_fee
    wallet -> host              paid - wallet_fee
    host   -> host's commission host_commission
    host   -> creator           creator_commission
    host   -> carrier           carrier_fee
    host   -> merchant          merchant

Each node is named once (a participant's fee or commission is its own node,
so the flow has no cycle); the parts of an order add up to what it paid.

Callback availability: per callee and calendar month, the share of the
switch's decision calls that got an answer (an answer may refuse; only a
failed call, no valid answer in time, counts against it)::

    availability(callee, month) = 1 - failed / calls

one GROUP BY over `decision_calls` on the month's text prefix of called_at
(the same on SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import BigInteger, String, cast, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from hutong.store.evidence_tables import decision_calls
from hutong.store.tables import orders

__all__ = ["PARTS", "Availability", "Flow", "availability", "last_months", "money_flow"]

PARTS = ("merchant", "host_commission", "creator_commission", "wallet_fee", "carrier_fee")


@dataclass(frozen=True, slots=True)
class Flow:
    source: str
    target: str
    fen: int


@dataclass(frozen=True, slots=True)
class Availability:
    callee: str
    #: YYYY-MM
    month: str
    calls: int
    failed: int

    @property
    def share(self) -> float:
        return 1 - self.failed / self.calls if self.calls else 1.0


def _part(dialect: str, part: str) -> ColumnElement[int]:
    if dialect == "postgresql":
        return cast(cast(orders.c.split, JSONB)[part].astext, BigInteger)
    return cast(func.json_extract(orders.c.split, f"$.{part}"), BigInteger)


async def money_flow(conn: AsyncConnection) -> tuple[Flow, ...]:
    """The flows of the module docstring, largest first; none without a completed order."""
    o = orders.c
    dialect = conn.dialect.name
    sums = [func.sum(_part(dialect, p)).label(p) for p in PARTS]
    rows = (
        await conn.execute(
            select(o.wallet, o.host, o.merchant, o.carrier, o.creator, func.sum(o.paid), *sums)
            .where(o.split.is_not(None))
            .group_by(o.wallet, o.host, o.merchant, o.carrier, o.creator)
        )
    ).all()
    flows: dict[tuple[str, str], int] = defaultdict(int)
    for wallet, host, merchant, carrier, creator, paid, *parts in rows:
        part = dict(zip(PARTS, (int(p or 0) for p in parts), strict=True))
        flows[("buyers", wallet)] += int(paid or 0)
        flows[(wallet, f"{wallet} fee")] += part["wallet_fee"]
        flows[(wallet, host)] += int(paid or 0) - part["wallet_fee"]
        flows[(host, f"{host} commission")] += part["host_commission"]
        if creator:
            flows[(host, creator)] += part["creator_commission"]
        flows[(host, carrier)] += part["carrier_fee"]
        flows[(host, merchant)] += part["merchant"]
    return tuple(
        Flow(s, t, fen)
        for (s, t), fen in sorted(flows.items(), key=lambda item: (-item[1], item[0]))
        if fen > 0
    )


async def availability(conn: AsyncConnection) -> tuple[Availability, ...]:
    """Per callee and month, calls and failed calls (module docstring), by callee then month."""
    d = decision_calls.c
    month = func.substr(cast(d.called_at, String), 1, 7)
    failed = func.sum(cast(d.outcome == "failed", BigInteger))
    rows = (
        await conn.execute(
            select(d.callee, month.label("month"), func.count(), failed)
            .group_by(d.callee, month)
            .order_by(d.callee, month)
        )
    ).all()
    return tuple(Availability(c, m, int(n), int(f or 0)) for c, m, n, f in rows)


def last_months(rows: tuple[Availability, ...], months: int = 12) -> tuple[Availability, ...]:
    """The rows of the latest `months` months that have calls (the table; the chart has all)."""
    kept = set(sorted({r.month for r in rows})[-months:])
    return tuple(r for r in rows if r.month in kept)
