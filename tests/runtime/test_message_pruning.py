"""Message-id records are pruned once expired, a short delete at a time."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, insert, select

from hutong.runtime import message_records
from hutong.runtime.message_records import MessageKey, record_values
from hutong.runtime.services import Services
from hutong.store.tables import messages
from tests.harness.statements import counting
from tests.harness.switch import Clock


async def _record(services: Services, count: int, *, sender: str, spread: timedelta) -> None:
    """`count` answered records of `sender`, made `spread` apart (oldest first), ending now."""
    now = services.clock()
    rows = [
        record_values(
            services,
            MessageKey(sender, f"m-{n}", "digest", "POST", "/v1/ping"),
            200,
            b"{}",
            now - spread * (count - 1 - n),
        )
        for n in range(count)
    ]
    async with services.db.transaction() as conn:
        await conn.execute(insert(messages), rows)


async def _left(services: Services) -> dict[str, int]:
    async with services.db.read() as conn:
        rows = await conn.execute(
            select(messages.c.sender, func.count()).group_by(messages.c.sender)
        )
        return {row[0]: row[1] for row in rows}


async def test_expired_records_go_in_short_deletes_and_live_ones_stay(
    services: Services, clock: Clock
) -> None:
    retention = services.settings.message_retention
    await _record(services, 25, sender="old.example", spread=timedelta(seconds=1))
    clock.advance(retention + 60)  # the 25 have expired
    await _record(services, 3, sender="new.example", spread=timedelta(seconds=1))

    with counting(services.db) as count:
        removed = await message_records.prune(services, chunk=10)

    assert removed == 25
    assert await _left(services) == {"new.example": 3}
    # 10, 10, then the last 5: three deletes, one transaction each.
    assert count.kinds["DELETE FROM"] == 3


async def test_records_expiring_in_the_same_instant_go_together(
    services: Services, clock: Clock
) -> None:
    await _record(services, 12, sender="burst.example", spread=timedelta(0))
    clock.advance(services.settings.message_retention + 1)

    assert await message_records.prune(services, chunk=5) == 12
    assert await _left(services) == {}
    assert await message_records.prune(services, chunk=5) == 0
