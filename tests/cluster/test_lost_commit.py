"""A write whose commit outcome is unknown is resolved by its record, never applied twice.

When the primary dies, a connection can break after its COMMIT was sent:
the commit may have happened (the reply was lost) or not. A real PostgreSQL
sits behind `CommitCutter`, a TCP proxy that breaks the next COMMIT in
either way and then refuses connections for a while, as a failover does.

- The group commit never runs such a batch again (it might have committed).
- `run_once` looks up the message record once the database answers: found,
  its answer is returned (the effects are there, once); absent, nothing
  committed and the write runs again, once.
- A database that stays away is 503 `database_unavailable`, which the
  sender may send again as it was.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.config import Settings
from hutong.protocol.errors import HutongError
from hutong.runtime.exactly_once import Answer, MessageKey, Write, run_decided, run_once
from hutong.runtime.services import Services
from hutong.store.batch import WriteBatcher
from hutong.store.db import Database
from hutong.store.failover import database_lost, until_back
from hutong.store.tables import messages, switch_keys
from tests.cluster.commit_cutter import CommitCutter
from tests.harness.switch import PostgresTables

NOW = datetime(2026, 12, 6, tzinfo=UTC)
KEY = MessageKey(
    sender="shop.example", message_id="m-1", digest="d-1", method="POST", path="/v1/things"
)


async def _new_key(conn: AsyncConnection) -> str:
    """A write that adds a new row each time it runs: running it twice shows."""
    key_id = uuid.uuid4().hex
    await conn.execute(
        insert(switch_keys),
        {"key_id": key_id, "public_key": "p", "private_key": "s", "created_at": NOW},
    )
    return key_id


def _present(key_id: str) -> tuple[int, dict[str, Any]]:
    return 201, {"key_id": key_id}


def _refusal(error: HutongError) -> tuple[int, dict[str, Any]]:
    return 409, error.body()


async def _count(url: str, table: Any) -> int:
    db = Database(url)
    try:
        async with db.read() as conn:
            return int(await conn.scalar(select(func.count()).select_from(table)))
    finally:
        await db.dispose()


@pytest.fixture
def database_url(postgres_tables: PostgresTables) -> str:
    """An empty PostgreSQL database: the proxy reads PostgreSQL's wire protocol."""
    return postgres_tables.empty()


@pytest.fixture
async def cutter(database_url: str) -> AsyncIterator[CommitCutter]:
    async with CommitCutter(database_url).running() as proxy:
        yield proxy


@pytest.fixture
async def services(cutter: CommitCutter, settings: Settings) -> AsyncIterator[Services]:
    through = replace(settings, database_url=cutter.url)
    services = Services(settings=through, db=Database(cutter.url))
    yield services
    await services.batcher().close()
    await services.db.dispose()


async def test_a_batch_whose_commit_reply_was_lost_is_not_run_again(
    cutter: CommitCutter, services: Services
) -> None:
    batcher = WriteBatcher(services.db)
    cutter.arm("lose_reply")
    with pytest.raises(DBAPIError) as lost:
        await batcher.run(_new_key)
    await batcher.close()
    assert database_lost(lost.value)
    assert cutter.fired == 1
    assert await _count(cutter.direct_url, switch_keys) == 1


async def test_a_message_whose_commit_reply_was_lost_is_answered_from_its_record(
    cutter: CommitCutter, services: Services
) -> None:
    cutter.arm("lose_reply", refuse_for=1.5)
    answer = await run_once(services, KEY, _new_key, _present, _refusal)
    assert cutter.fired == 1
    assert answer.status == 201 and not answer.replayed
    direct = cutter.direct_url
    assert await _count(direct, switch_keys) == 1
    assert await _count(direct, messages) == 1


async def test_a_message_whose_connection_broke_before_its_commit_runs_once_more(
    cutter: CommitCutter, services: Services
) -> None:
    cutter.arm("cut_before", refuse_for=1.5)
    answer = await run_once(services, KEY, _new_key, _present, _refusal)
    assert cutter.fired == 1
    assert isinstance(answer, Answer) and answer.status == 201
    direct = cutter.direct_url
    assert await _count(direct, switch_keys) == 1
    assert await _count(direct, messages) == 1


async def test_the_retried_message_after_a_lost_reply_is_a_replay_not_a_second_effect(
    cutter: CommitCutter, services: Services
) -> None:
    cutter.arm("lose_reply", refuse_for=0.5)
    first = await run_once(services, KEY, _new_key, _present, _refusal)
    again = await run_once(services, KEY, _new_key, _present, _refusal)
    assert again.replayed and again.body == first.body
    assert await _count(cutter.direct_url, switch_keys) == 1


async def test_a_database_that_stays_away_is_503_database_unavailable(
    cutter: CommitCutter, services: Services
) -> None:
    async with services.db.read() as conn:  # a connection opened before the cut
        await conn.scalar(select(1))
    # Armed after: a new pool's first connection commits (the driver reads its types).
    cutter.arm("cut_before", refuse_for=30)

    async def write_then_read() -> int:
        async with services.db.transaction() as conn:
            return int(await conn.scalar(select(1)))

    with pytest.raises(HutongError) as refused:
        await until_back(write_then_read, wait=1.0)
    assert refused.value.code == "database_unavailable"
    assert refused.value.kind.transient


async def test_a_claim_whose_step_lost_the_database_is_given_back_once_it_answers(
    cutter: CommitCutter, services: Services
) -> None:
    """Else a retry would wait out the claim's lease (30 s or more) before it could run."""

    async def prepare() -> Write[str]:
        cutter.cut_all(refuse_for=1.0)  # the primary dies while the step decides
        async with services.db.read() as conn:
            await conn.scalar(select(1))
        return _new_key

    with pytest.raises(DBAPIError) as lost:
        await run_decided(services, KEY, prepare, _present, _refusal)
    assert database_lost(lost.value)
    assert await _count(cutter.direct_url, messages) == 0  # the claim was given back
    answer = await run_decided(services, KEY, _ready(_new_key), _present, _refusal)
    assert answer.status == 201 and not answer.replayed


def _ready(write: Write[str]) -> Any:
    async def prepare() -> Write[str]:
        return write

    return prepare


def test_a_sqlite_error_is_not_a_lost_database() -> None:
    """SQLite has no connection to lose: its OperationalErrors keep their old handling."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    locked = OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))
    assert not database_lost(locked)


async def test_a_lane_whose_claim_reply_was_lost_is_claimed_again_by_its_worker(
    cutter: CommitCutter, services: Services
) -> None:
    """The claim committed but its worker never heard: the lease is still the worker's.

    Without taking its own lease back, the worker skipped the lane until the
    lease ran out (60 s): a recipient got no events for a minute after a
    failover while every other lane flowed.
    """
    from datetime import timedelta

    from hutong.events.outbox import enqueue
    from hutong.net.delivery import DeliveryWorker
    from hutong.store.tables import delivery_lanes

    now = datetime.now(UTC)
    direct = Database(cutter.direct_url)
    try:
        async with direct.transaction() as conn:
            await enqueue(conn, recipient="shop.example", action="on_ping", message={}, now=now)
            await conn.execute(
                insert(delivery_lanes),
                {"recipient": "shop.example", "next_attempt_at": now - timedelta(seconds=1)},
            )
    finally:
        await direct.dispose()
    worker = DeliveryWorker(services, worker_id="dw-test")
    try:
        cutter.arm("lose_reply", refuse_for=0.5)
        with pytest.raises(DBAPIError):
            await worker.claim_lanes(10)
        assert cutter.fired == 1
        claimed = await until_back(lambda: worker.claim_lanes(10))
        assert claimed == ["shop.example"]
    finally:
        await worker.close()


async def test_a_connection_lost_by_a_write_renews_the_readers_connections_too(
    cutter: CommitCutter, services: Services
) -> None:
    """Reads have their own pool: after a failover its connections to the old primary go too,
    so the read that settles a write whose commit was unknown connects afresh."""
    db = services.db
    async with db.read() as conn:  # the readers' pool now keeps a connection of before
        await conn.scalar(select(1))
    writers, readers = db.sync_engines
    connected: list[object] = []

    def connect(*_: object) -> None:
        connected.append(_)

    event.listen(readers, "connect", connect)
    try:
        cutter.arm("cut_before", refuse_for=0.5)
        with pytest.raises(DBAPIError) as lost:
            async with db.transaction() as conn:
                await _new_key(conn)
        assert database_lost(lost.value)
        assert connected == []
        answered = await until_back(lambda: _count_through(db), wait=10.0)
    finally:
        event.remove(readers, "connect", connect)
    assert answered == 0  # the cut came before the COMMIT
    assert len(connected) == 1  # the kept reader was not used: it went with the writer's
    assert writers is not readers


async def _count_through(db: Database) -> int:
    async with db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(switch_keys)))
