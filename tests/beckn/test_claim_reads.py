"""A Beckn worker's poll reads about as much with a long backlog of due jobs as with a short one.

Workers poll every fraction of a second. A poll looks before it leases
(`hutong.runtime.leases`): whether a due job is free, and who holds the
leases in force on due jobs (so a stopped process's jobs are taken over).
That look used to go through every due job, so a backlog of thousands made
every poll of every worker read thousands of rows. Now each read of a poll
is a range of an index that stops at what it needs: the first free job in
the order jobs are taken, and the leases in force.

The work of a read is measured by answering it again (`read_work`): rows
visited on PostgreSQL, virtual machine steps on SQLite.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import insert, text, update

from hutong.beckn.queue import JobStatus, claim, holders, worker_id
from hutong.runtime.heartbeat import Heartbeat, lease_owner
from hutong.runtime.services import Services
from hutong.store.tables import beckn_jobs
from tests.harness.statements import read_work, recording_reads

#: Jobs another live worker holds (its lease in force).
HELD = 5


@pytest.fixture
async def live_process(services: Services) -> AsyncIterator[str]:
    """A process that beats: its workers' leases are never taken over."""
    heartbeat = Heartbeat(services.settings.database_url)
    process = await heartbeat.start()
    yield process
    await heartbeat.stop()


async def _due(services: Services, count: int, *, first: int) -> None:
    """`count` pending jobs due now, never tried."""
    now = services.clock()
    rows = [
        {
            "bap": "bap.example",
            "message_id": f"m-{first + n}",
            "action": "search",
            "request": '{"context": {}, "message": {}}',
            "status": JobStatus.PENDING.value,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for n in range(count)
    ]
    async with services.db.transaction() as conn:
        await conn.execute(insert(beckn_jobs), rows)
        if not services.db.is_sqlite:
            await conn.execute(text("ANALYZE beckn_jobs"))  # as autovacuum would


async def _poll_work(services: Services) -> int:
    """The work of one worker's poll's reads (it leases one job)."""
    with recording_reads(services.db) as reads:
        claimed = await claim(services, worker_id(services), 1, watch=holders(services))
    assert len(claimed) == 1
    return sum([await read_work(services.db, read) for read in reads])


async def test_a_poll_reads_about_as_much_with_thousands_of_jobs_due_as_with_twenty(
    services: Services, live_process: str
) -> None:
    await _due(services, 20, first=0)
    async with services.db.transaction() as conn:
        await conn.execute(
            update(beckn_jobs)
            .where(beckn_jobs.c.message_id.in_([f"m-{n}" for n in range(HELD)]))
            .values(
                lease_owner=lease_owner("bw_busy", live_process),
                lease_until=services.clock() + timedelta(seconds=60),
            )
        )
    few = await _poll_work(services)

    await _due(services, 3000, first=20)
    many = await _poll_work(services)

    assert many < 2 * few, (few, many)
