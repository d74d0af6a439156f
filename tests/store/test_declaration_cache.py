"""The declaration cache: an entry serves until it is `TTL` old or its writer drops it.

`hutong.store.cache` is read by every signed request (keys) and every order
step (participants, profiles, policies); its promise is a bound on staleness,
so that is what is shown: how long an entry serves, that a drop wins over a
read that was under way, and that a write's drop is made again at its commit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select

from hutong.store.cache import EVERYTHING, Declarations, changed, declarations
from hutong.store.db import Database
from hutong.store.tables import participants
from tests.harness.switch import Seconds

NEW_YEAR = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def seconds() -> Seconds:
    return Seconds()


@pytest.fixture
def cache(seconds: Seconds) -> Declarations:
    return Declarations(ttl=0.8, clock=seconds)


class Reads:
    """A loader that counts its reads and returns the read's number."""

    def __init__(self) -> None:
        self.count = 0

    async def __call__(self) -> int:
        self.count += 1
        return self.count


async def test_an_entry_serves_until_it_is_ttl_old(cache: Declarations, seconds: Seconds) -> None:
    reads = Reads()
    assert await cache.get(("participant", "a"), reads) == 1
    seconds.now = 0.79
    assert await cache.get(("participant", "a"), reads) == 1
    seconds.now = 0.8
    assert await cache.get(("participant", "a"), reads) == 2


async def test_a_drop_forgets_a_key_its_kind_or_everything(cache: Declarations) -> None:
    reads = Reads()
    for key in (("participant", "a"), ("participant", "b"), ("wallets",)):
        await cache.get(key, reads)

    cache.forget(("participant", "a"))
    assert await cache.get(("participant", "a"), reads) == 4
    assert await cache.get(("participant", "b"), reads) == 2

    cache.forget(("participant",))
    assert await cache.get(("participant", "b"), reads) == 5
    assert await cache.get(("wallets",), reads) == 3

    cache.forget(EVERYTHING)
    assert await cache.get(("wallets",), reads) == 6


async def test_a_read_under_way_when_a_drop_comes_is_not_kept(cache: Declarations) -> None:
    reads = Reads()

    async def read_while_a_write_drops() -> int:
        cache.forget(("participant", "a"))  # the write commits while this read runs
        return await reads()

    assert await cache.get(("participant", "a"), read_while_a_write_drops) == 1
    assert await cache.get(("participant", "a"), reads) == 2  # read again, not the old one


class SlowReads(Reads):
    """A loader that waits for `go` before answering: reads of it overlap."""

    def __init__(self) -> None:
        super().__init__()
        self.go = asyncio.Event()

    async def __call__(self) -> int:
        self.count += 1
        number = self.count
        await self.go.wait()
        return number


async def test_requests_missing_the_same_key_at_once_share_one_read(cache: Declarations) -> None:
    """When an entry expires under load, the requests that miss it together wait for one
    read instead of each sending its own (the key's statement once, not once per request)."""
    reads = SlowReads()
    waiting = [asyncio.create_task(cache.get(("key", "a", "k1"), reads)) for _ in range(5)]
    await asyncio.sleep(0)
    reads.go.set()

    assert await asyncio.gather(*waiting) == [1] * 5
    assert reads.count == 1


async def test_a_request_after_a_drop_does_not_share_a_read_begun_before_it(
    cache: Declarations,
) -> None:
    """A read under way when a write drops the key may hold what the write changed: a request
    arriving after the drop reads again (the writer's process sees its change at once)."""
    reads = SlowReads()
    before = asyncio.create_task(cache.get(("participant", "a"), reads))
    await asyncio.sleep(0)
    cache.forget(("participant", "a"))
    after = asyncio.create_task(cache.get(("participant", "a"), reads))
    await asyncio.sleep(0)
    reads.go.set()

    assert (await before, await after) == (1, 2)


async def test_a_shared_read_outlives_the_request_that_began_it(cache: Declarations) -> None:
    """The request that began a read going away (a client hung up) does not fail the others."""
    reads = SlowReads()
    first = asyncio.create_task(cache.get(("participant", "a"), reads))
    await asyncio.sleep(0)
    second = asyncio.create_task(cache.get(("participant", "a"), reads))
    await asyncio.sleep(0)
    first.cancel()
    reads.go.set()

    assert await second == 1
    assert reads.count == 1


async def test_a_failed_shared_read_fails_its_sharers_and_is_not_kept(
    cache: Declarations,
) -> None:
    async def broken() -> int:
        await asyncio.sleep(0)
        raise RuntimeError("database away")

    waiting = [asyncio.create_task(cache.get(("participant", "a"), broken)) for _ in range(3)]
    outcomes = await asyncio.gather(*waiting, return_exceptions=True)

    assert all(isinstance(o, RuntimeError) for o in outcomes)
    assert await cache.get(("participant", "a"), Reads()) == 1  # read afresh


async def test_unknown_keys_asked_for_by_anyone_never_grow_it_past_its_bound(
    seconds: Seconds,
) -> None:
    cache = Declarations(ttl=0.8, clock=seconds, max_entries=3)
    reads = Reads()
    for n in range(10):
        await cache.get(("key", "nobody", f"k{n}"), reads)
        assert len(cache) <= 3


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


async def test_a_write_drops_what_it_changed_again_at_its_commit(db: Database) -> None:
    async def names() -> tuple[str, ...]:
        async with db.read() as conn:
            found = await conn.execute(select(participants.c.subscriber_id))
            return tuple(found.scalars())

    async with db.read() as conn:
        cache = declarations(conn)
    assert await cache.get(("names",), names) == ()

    async with db.transaction() as conn:
        changed(conn, ("names",))
        # A reader between the drop and the commit reads (and keeps) the old rows...
        assert await cache.get(("names",), names) == ()
        await conn.execute(
            participants.insert().values(
                subscriber_id="a.example",
                name="",
                roles="platform",
                callback_url="http://127.0.0.1:9/cb",
                status="active",
                created_at=NEW_YEAR,
                updated_at=NEW_YEAR,
            )
        )
    # ...which the commit drops again: the next read sees the write.
    assert await cache.get(("names",), names) == ("a.example",)


async def test_a_read_made_while_the_commit_is_on_its_way_is_not_kept(db: Database) -> None:
    """The commit hook drops before the database commits: a read that begins then sees the
    old rows under the new generation. The drop once more after the commit wins over it."""
    key = ("names",)
    async with db.transaction() as conn:
        changed(conn, key)  # registers the cache's commit hook first
        engine = conn.sync_connection.engine
        cache = declarations(conn)

    def read_during_the_commit(_: object) -> None:
        # After the cache's own hook (registered first): the read that begins and
        # finishes while the commit is on its way, and keeps the old rows.
        cache.keep(cache.read_begins(), {key: "old rows"})

    async def now_committed() -> str:
        return "new rows"

    event.listen(engine, "commit", read_during_the_commit)
    try:
        async with db.transaction() as conn:
            changed(conn, key)
        assert await cache.get(key, now_committed) == "new rows"
    finally:
        event.remove(engine, "commit", read_during_the_commit)
