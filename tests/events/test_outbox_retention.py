"""Delivered and given-up outbox events are kept `outbox_retention_days`, then pruned.

An event is finished when it was delivered or given up (dead): its last
attempt is then the time it was delivered or parked. The deadline sweep (in
`hutong serve` with delivery on and in `hutong deliver`) removes finished
events whose last attempt is older than `HUTONG_OUTBOX_RETENTION_DAYS`
(default 30; 0 keeps them for ever). An event still pending, never tried or
being retried, is never removed, however old. The newest event is always
kept, so a sequence number (`hutong events list --after`) never comes back.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from hutong.config import load_settings
from hutong.events import retention
from hutong.events.outbox import EventStatus, enqueue
from hutong.runtime.services import Services
from hutong.store.tables import outbox
from hutong.workers.deadlines import sweep_once
from tests.harness.statements import counting
from tests.harness.switch import Clock

DAY = 86_400
SWEEP = "delivered and dead events past their retention"


async def _event(services: Services, name: str) -> None:
    """An event named `name` (its action), pending as `enqueue` leaves it."""
    async with services.db.transaction() as conn:
        await enqueue(conn, recipient="shop.example", action=name, message={}, now=services.clock())


async def _attempted(services: Services, name: str, status: EventStatus, **values: object) -> None:
    """Record an attempt now, as the delivery worker does (`_delivered`, `_failed`, `_park`)."""
    now = services.clock()
    async with services.db.transaction() as conn:
        await conn.execute(
            update(outbox)
            .where(outbox.c.action == name)
            .values(status=status, attempts=outbox.c.attempts + 1, last_attempt_at=now, **values)
        )


async def _kept(services: Services) -> list[str]:
    async with services.db.read() as conn:
        rows = await conn.execute(select(outbox.c.action).order_by(outbox.c.id))
    return list(rows.scalars().all())


async def test_finished_events_go_after_the_retention_and_pending_ones_never(
    services: Services, clock: Clock
) -> None:
    for name in ("delivered", "given_up", "delivered_late", "retrying", "never_tried"):
        await _event(services, name)
    await _attempted(services, "delivered", EventStatus.DELIVERED, delivered_at=clock())
    await _attempted(services, "given_up", EventStatus.DEAD, last_error="revoked")
    await _attempted(services, "retrying", EventStatus.PENDING, last_error="HTTP 503")
    clock.advance(DAY)
    await _attempted(services, "delivered_late", EventStatus.DELIVERED, delivered_at=clock())

    # Within 30 days of its delivery (or of giving up) an event is kept.
    clock.advance(29 * DAY - 1)
    assert (await sweep_once(services))[SWEEP] == 0
    assert len(await _kept(services)) == 5

    # Past it, the finished events go; one delivered a day later stays a day more.
    clock.advance(2)
    assert (await sweep_once(services))[SWEEP] == 2
    assert await _kept(services) == ["delivered_late", "retrying", "never_tried"]

    # A pending event stays however old, tried or not; the late one goes in its turn.
    clock.advance(400 * DAY)
    assert (await sweep_once(services))[SWEEP] == 1
    assert await _kept(services) == ["retrying", "never_tried"]


async def test_the_newest_event_is_kept_so_sequence_numbers_never_come_back(
    services: Services, clock: Clock
) -> None:
    for name in ("first", "second"):
        await _event(services, name)
        await _attempted(services, name, EventStatus.DELIVERED, delivered_at=clock())
    clock.advance(31 * DAY)

    assert await retention.prune_events(services.db, clock(), 30) == 1
    assert await _kept(services) == ["second"]
    await _event(services, "third")  # SQLite would reuse an emptied table's ids
    async with services.db.read() as conn:
        ids = list((await conn.execute(select(outbox.c.id).order_by(outbox.c.id))).scalars().all())
    assert ids[1] > ids[0] > 1


async def test_zero_days_keeps_events_for_ever(services: Services, clock: Clock) -> None:
    for name in ("delivered", "given_up", "newest"):
        await _event(services, name)
    await _attempted(services, "delivered", EventStatus.DELIVERED, delivered_at=clock())
    await _attempted(services, "given_up", EventStatus.DEAD, last_error="too old")
    clock.advance(4000 * DAY)

    assert await retention.prune_events(services.db, clock(), 0) == 0
    services.settings = services.settings.with_(outbox_retention_days=0)
    assert (await sweep_once(services))[SWEEP] == 0
    assert len(await _kept(services)) == 3


async def test_many_events_are_removed_in_several_short_deletes(
    services: Services, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "PRUNE_CHUNK", 3)
    for number in range(10):
        await _event(services, f"e{number}")
        await _attempted(services, f"e{number}", EventStatus.DELIVERED, delivered_at=clock())
        clock.advance(1)
    await _event(services, "pending")
    clock.advance(31 * DAY)

    # Ten finished events, three per delete: four deletes, all of them gone.
    with counting(services.db) as count:
        assert await retention.prune_events(services.db, clock(), 30) == 10
    assert count.kinds["DELETE FROM"] == 4
    assert await _kept(services) == ["pending"]


def test_the_retention_is_thirty_days_unless_set_and_never_negative() -> None:
    assert load_settings({}).outbox_retention_days == 30
    assert load_settings({"HUTONG_OUTBOX_RETENTION_DAYS": "0"}).outbox_retention_days == 0
    with pytest.raises(ValueError, match="HUTONG_OUTBOX_RETENTION_DAYS must not be negative"):
        load_settings({"HUTONG_OUTBOX_RETENTION_DAYS": "-1"})
