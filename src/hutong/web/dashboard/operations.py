"""Money, parcels and the network's health, as the operator reads them.

- settlement windows: the latest `WINDOWS_SHOWN`, newest first (primary key
  order on `number`, unique);
- order volumes by channel: one GROUP BY over `orders` (count, fen ordered,
  fen paid), and per month of the last year through `ix_orders_host`'s
  created_at (a range read, not the decade);
- decision calls per callee over the last `HEALTH_DAYS` days, a range read on
  `ix_decision_calls_called_at`: count, error rate (failed / all; a refusal
  is an answer, not an error) and latency p50/p95 by nearest rank::

      p(q) = sorted_latencies[ceil(q * n) - 1]

- event delivery: pending (the backlog) and dead letters per recipient,
  read through `ix_outbox_status_id` (delivered rows are never touched).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.events.outbox import EventStatus
from hutong.store.evidence_tables import decision_calls
from hutong.store.tables import orders, outbox, settlement_windows
from hutong.web.dashboard.flows import Availability, Flow, availability, money_flow

__all__ = [
    "HEALTH_DAYS",
    "WINDOWS_SHOWN",
    "CalleeHealth",
    "ChannelVolume",
    "Deliveries",
    "Health",
    "Money",
    "SettlementWindow",
    "health",
    "money",
    "percentile",
]

WINDOWS_SHOWN = 20
HEALTH_DAYS = 7


@dataclass(frozen=True, slots=True)
class SettlementWindow:
    number: int
    state: str
    transfer_count: int
    opened_at: datetime
    closed_at: datetime | None
    settled_at: datetime | None


@dataclass(frozen=True, slots=True)
class ChannelVolume:
    channel: str
    orders: int
    ordered: int  # fen
    paid: int  # fen


@dataclass(frozen=True, slots=True)
class Money:
    windows: tuple[SettlementWindow, ...]
    channels: tuple[ChannelVolume, ...]
    #: (YYYY-MM, channel, orders) over the last year.
    monthly: tuple[tuple[str, str, int], ...]
    #: Who received what of the completed orders (`flows.money_flow`).
    flows: tuple[Flow, ...] = ()


async def money(conn: AsyncConnection, now: datetime) -> Money:
    w = settlement_windows.c
    windows = (
        await conn.execute(
            select(w.number, w.state, w.transfer_count, w.opened_at, w.closed_at, w.settled_at)
            .order_by(w.number.desc())
            .limit(WINDOWS_SHOWN)
        )
    ).all()
    o = orders.c
    channels = (
        await conn.execute(
            select(o.channel, func.count(), func.sum(o.total), func.sum(o.paid))
            .group_by(o.channel)
            .order_by(o.channel)
        )
    ).all()
    recent = (
        await conn.execute(
            select(o.created_at, o.channel).where(o.created_at >= now - timedelta(days=365))
        )
    ).all()
    monthly: dict[tuple[str, str], int] = {}
    for created, channel in recent:
        key = (f"{created:%Y-%m}", channel)
        monthly[key] = monthly.get(key, 0) + 1
    return Money(
        windows=tuple(SettlementWindow(*row) for row in windows),
        channels=tuple(
            ChannelVolume(row[0], int(row[1]), int(row[2] or 0), int(row[3] or 0))
            for row in channels
        ),
        monthly=tuple((m, c, n) for (m, c), n in sorted(monthly.items())),
        flows=await money_flow(conn),
    )


def percentile(ordered: list[int], q: float) -> int:
    """Nearest-rank percentile of an ascending list (module docstring); 0 for none."""
    if not ordered:
        return 0
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass(frozen=True, slots=True)
class CalleeHealth:
    callee: str
    calls: int
    errors: int
    p50_ms: int
    p95_ms: int

    @property
    def error_rate(self) -> float:
        return self.errors / self.calls if self.calls else 0.0


@dataclass(frozen=True, slots=True)
class Deliveries:
    recipient: str
    pending: int
    dead: int


@dataclass(frozen=True, slots=True)
class Health:
    since: datetime
    callees: tuple[CalleeHealth, ...]
    deliveries: tuple[Deliveries, ...]
    #: Each callee's callback availability per month (`flows.availability`).
    availability: tuple[Availability, ...] = ()


async def health(conn: AsyncConnection, now: datetime) -> Health:
    since = now - timedelta(days=HEALTH_DAYS)
    d = decision_calls.c
    rows = (
        await conn.execute(
            select(d.callee, d.latency_ms, d.outcome)
            .where(d.called_at >= since)
            .order_by(d.callee, d.latency_ms)
        )
    ).all()
    latencies: dict[str, list[int]] = {}
    errors: dict[str, int] = {}
    for callee, latency, outcome in rows:
        latencies.setdefault(callee, []).append(int(latency))
        errors[callee] = errors.get(callee, 0) + (outcome == "failed")
    callees = tuple(
        CalleeHealth(c, len(ms), errors[c], percentile(ms, 0.5), percentile(ms, 0.95))
        for c, ms in sorted(latencies.items())
    )
    box = (
        await conn.execute(
            select(outbox.c.recipient, outbox.c.status, func.count())
            .where(outbox.c.status.in_((EventStatus.PENDING, EventStatus.DEAD)))
            .group_by(outbox.c.recipient, outbox.c.status)
        )
    ).all()
    backlog: dict[str, dict[str, int]] = {}
    for recipient, status, count in box:
        backlog.setdefault(recipient, {})[status] = int(count)
    deliveries = tuple(
        Deliveries(r, s.get(EventStatus.PENDING, 0), s.get(EventStatus.DEAD, 0))
        for r, s in sorted(backlog.items())
    )
    return Health(since, callees, deliveries, await availability(conn))
