"""The lookup allowance's token bucket, refilled and taken by the database itself.

A token is taken by one conditional UPDATE that refills the bucket in SQL
(whole milliseconds since its last refill); an empty bucket is read to say
how long to wait. Both databases must count the same tokens as the rule in
Python (`refilled`), to the millisecond.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from hutong.runtime.rate_limit import Limit, refilled, take_alias_lookup
from hutong.runtime.services import Services
from hutong.store.tables import alias_lookup_buckets
from tests.harness.switch import Clock

#: One lookup a second, three at once.
LIMIT = Limit(per_minute=60, burst=3)


async def take(services: Services, clock: Clock) -> int:
    async with services.db.transaction() as conn:
        return await take_alias_lookup(conn, "alipay.example", LIMIT, clock.now)


async def left(services: Services) -> int:
    async with services.db.read() as conn:
        return int(await conn.scalar(select(alias_lookup_buckets.c.milli_tokens)))


async def test_a_bucket_gives_its_burst_then_one_token_a_second_to_the_millisecond(
    services: Services, clock: Clock
) -> None:
    assert [await take(services, clock) for _ in range(4)] == [0, 0, 0, 1]
    clock.advance(0.999)
    assert await take(services, clock) == 1  # 999 thousandths of a token: not yet
    clock.advance(0.001)
    assert await take(services, clock) == 0
    assert await left(services) == 0
    clock.advance(1.5)
    assert await take(services, clock) == 0
    assert await left(services) == 500  # half a token kept for the next one
    clock.advance(3600)
    assert [await take(services, clock) for _ in range(4)] == [0, 0, 0, 1]  # never past full


async def test_a_clock_that_went_back_refills_nothing(services: Services, clock: Clock) -> None:
    assert await take(services, clock) == 0
    clock.advance(-10)
    assert await take(services, clock) == 0
    assert await left(services) == 1000  # two taken, nothing added


def test_the_python_rule_agrees() -> None:
    assert refilled(LIMIT, 0, 0.999) == 999
    assert refilled(LIMIT, 2500, 10) == 3000
    assert refilled(LIMIT, 500, -5) == 500


@pytest.fixture
def clock() -> Clock:
    """A clock with microseconds, as a real one has (the rounding must not show)."""
    moving = Clock()
    moving.now = datetime(2026, 12, 6, 9, 30, 0, 123_456, tzinfo=UTC)
    return moving
