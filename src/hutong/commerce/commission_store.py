"""Hosts' commission schedules in the database: an append-only history per host.

A schedule is stored as its rates (JSON) beside its host, version and
``valid_from``; the key (host, version) refuses two declarations racing for
one version (`hutong.commerce.commissions.CommissionHistory.declare` numbers them).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.commerce.commissions import Channel, CommissionHistory, CommissionSchedule
from hutong.protocol.declared_time import Correction
from hutong.store import corrections
from hutong.store.cache import changed, declarations
from hutong.store.corrections import CorrectionRecord
from hutong.store.tables import commission_schedules

__all__ = ["commission_history", "declare_schedule", "schedule_corrections"]


def _schedule_json(schedule: CommissionSchedule) -> str:
    document = schedule.to_dict()
    for name in ("host", "valid_from", "version", "declared_at"):
        document.pop(name)
    return json.dumps(document, ensure_ascii=False)


def _schedule(row: Any) -> CommissionSchedule:
    document = json.loads(row.rule)
    return CommissionSchedule(
        host=row.host,
        valid_from=row.valid_from,
        version=row.version,
        declared_at=row.declared_at.date(),
        take_rates={
            (item["category"], Channel(item["channel"])): item["bps"]
            for item in document["take_rates"]
        },
        channel_rates={Channel(ch): bps for ch, bps in document["channel_rates"].items()},
        default_take_bps=document["default_take_bps"],
        creator_rates=document["creator_rates"],
        default_creator_bps=document["default_creator_bps"],
        note=document.get("note", ""),
    )


async def commission_history(conn: AsyncConnection, host: str) -> CommissionHistory:
    """The host's schedules, cached (`hutong.store.cache`): read it, never declare on it."""
    return await declarations(conn).get(("commission", host), lambda: _load_history(conn, host))


async def _load_history(conn: AsyncConnection, host: str) -> CommissionHistory:
    rows = (
        await conn.execute(
            select(commission_schedules)
            .where(commission_schedules.c.host == host)
            .order_by(commission_schedules.c.version)
        )
    ).all()
    return CommissionHistory(host, [_schedule(row) for row in rows])


async def declare_schedule(
    conn: AsyncConnection,
    schedule: CommissionSchedule,
    now: datetime,
    *,
    correction: Correction | None = None,
) -> CommissionSchedule:
    """Append `schedule` as the host's next version (the key (host, version) refuses a race).

    Its valid_from is the declaring day or later, unless it is a `correction`
    (`hutong.store.corrections`), filed beside it for the history to show.
    """
    corrections.admit(schedule.valid_from, now, correction)
    history = await _load_history(conn, schedule.host)
    stored = history.declare(replace(schedule, version=0, declared_at=now.date()))
    changed(conn, ("commission", schedule.host))
    await conn.execute(
        insert(commission_schedules),
        {
            "host": stored.host,
            "version": stored.version,
            "rule": _schedule_json(stored),
            "valid_from": stored.valid_from,
            "declared_at": now,
        },
    )
    await corrections.record(
        conn,
        kind=commission_schedules.name,
        owner=stored.host,
        version=stored.version,
        valid_from=stored.valid_from,
        correction=correction,
        declared_by=stored.host,
        now=now,
    )
    return stored


async def schedule_corrections(conn: AsyncConnection, host: str) -> dict[int, CorrectionRecord]:
    """The host's back-dated commission schedules, by version."""
    return await corrections.corrections_of(conn, commission_schedules.name, host)
