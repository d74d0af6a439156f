"""Writing events to the outbox, inside the caller's transaction.

An event exists exactly when the state change that caused it was committed:
both are written by one transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.protocol import compact_json
from hutong.protocol.ids import new_id
from hutong.store.tables import delivery_lanes, outbox


class EventStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class EventRecord:
    id: int
    event_id: str
    recipient: str
    action: str
    transaction_id: str
    message: dict[str, Any]
    status: EventStatus
    attempts: int
    created_at: datetime
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str | None


_INSERT_EVENT = insert(outbox)


async def enqueue(
    conn: AsyncConnection,
    *,
    recipient: str,
    action: str,
    message: dict[str, Any],
    now: datetime,
    transaction_id: str | None = None,
    reply_url: str | None = None,
) -> str:
    """Add one event for `recipient`; returns its event id (the envelope's message id).

    With `reply_url` the event is a Beckn answer: `message` is the whole body
    (its own context) and it goes to that URL instead of the callback URL.
    """
    event_id = new_id("evt")
    await conn.execute(
        _INSERT_EVENT,
        {
            "event_id": event_id,
            "recipient": recipient,
            "action": action,
            "transaction_id": transaction_id or event_id,
            "payload": compact_json.dumps_text(message),
            "status": EventStatus.PENDING.value,
            "attempts": 0,
            "created_at": now,
            "reply_url": reply_url,
        },
    )
    return event_id


async def ensure_lane(conn: AsyncConnection, recipient: str, now: datetime) -> None:
    """Create the delivery lane of a recipient if it has none yet."""
    exists = await conn.scalar(
        select(delivery_lanes.c.recipient).where(delivery_lanes.c.recipient == recipient)
    )
    if exists is None:
        await conn.execute(
            insert(delivery_lanes).values(recipient=recipient, next_attempt_at=now, failures=0)
        )


def _record(row: Any) -> EventRecord:
    return EventRecord(
        id=row.id,
        event_id=row.event_id,
        recipient=row.recipient,
        action=row.action,
        transaction_id=row.transaction_id,
        message=json.loads(row.payload),
        status=EventStatus(row.status),
        attempts=row.attempts,
        created_at=row.created_at,
        last_attempt_at=row.last_attempt_at,
        delivered_at=row.delivered_at,
        last_error=row.last_error,
    )


async def list_events(
    conn: AsyncConnection,
    *,
    recipient: str | None = None,
    status: EventStatus | None = None,
    limit: int = 100,
    after_id: int = 0,
) -> list[EventRecord]:
    query = select(outbox).where(outbox.c.id > after_id).order_by(outbox.c.id).limit(limit)
    if recipient is not None:
        query = query.where(outbox.c.recipient == recipient)
    if status is not None:
        query = query.where(outbox.c.status == status.value)
    return [_record(row) for row in (await conn.execute(query)).all()]


async def count_by_status(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status))
    counts = {status.value: 0 for status in EventStatus}
    counts.update({row[0]: int(row[1]) for row in rows})
    return counts
