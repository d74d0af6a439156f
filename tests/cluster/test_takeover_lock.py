"""A takeover that meets a frozen process's row lock holds up no other write (PostgreSQL).

A claimer frozen (SIGSTOP) inside a transaction keeps the row locks it
took. A twin taking over its claim then waits on that lock; in the group
commit it made every other write of the twin's process wait with it, for as
long as the claimer stayed frozen. The takeover now runs in a transaction of
its own with a short `lock_timeout` (`TAKEOVER_LOCK_TIMEOUT`): it gives up,
tries again, and the group commit flows meanwhile. The lock is held here by
an open transaction of the test, which is what a frozen process leaves.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from hutong.config import Settings
from hutong.runtime.exactly_once import Write, run_decided
from hutong.runtime.message_records import CLAIMED, record_values
from hutong.runtime.services import Services
from hutong.store.db import Database
from hutong.store.tables import messages
from tests.cluster.claimer import KEY, new_key, present, refusal


@pytest.fixture
async def twin(database_url: str) -> AsyncIterator[Services]:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has no row locks: one writer at a time")
    settings = Settings(database_url=database_url, claim_takeover_after=3.0)
    services = Services(settings=settings, db=Database(database_url))
    services.process_id = "t" * 32
    yield services
    await services.batcher().close()
    await services.db.dispose()


async def test_a_takeover_waiting_on_a_frozen_claimers_lock_holds_up_no_other_write(
    twin: Services, database_url: str
) -> None:
    stopped = "g" * 32  # no heartbeat row: its claim may be taken over at once
    async with twin.db.transaction() as conn:
        await conn.execute(
            insert(messages),
            record_values(twin, KEY, CLAIMED, b"", datetime.now(UTC), claimed_by=stopped),
        )
    frozen = Database(database_url)
    async with frozen.transaction() as lock:
        await lock.execute(select(messages).with_for_update())  # ... and freezes

        async def prepare() -> Write[str]:
            return new_key("twin")

        retry = asyncio.create_task(run_decided(twin, KEY, prepare, present, refusal))
        await asyncio.sleep(0.5)  # the twin is taking the claim over, and waits
        began = time.monotonic()
        other = await asyncio.wait_for(twin.batcher().run(new_key("other")), timeout=5)
        assert other == "other" and time.monotonic() - began < 2.0
        assert not retry.done()
    answer = await asyncio.wait_for(retry, timeout=10)  # the lock went: taken over
    assert answer.status == 201 and not answer.replayed
    await frozen.dispose()
