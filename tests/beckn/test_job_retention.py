"""Answered Beckn jobs are kept as long as their message ids are remembered, then pruned.

An answered job (its `on_<action>` in the outbox) is needed only to answer a
retry of its message id the same ACK and run nothing: as long as the
message-id record is kept (`Settings.message_retention`). The deadline sweep
removes answered (and abandoned) jobs answered longer ago than that; a job
still pending or leased is never removed, however old.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from hutong.beckn import prune_jobs
from hutong.beckn.calls import BecknCall
from hutong.beckn.queue import claim, record
from hutong.runtime.services import Services
from hutong.store.tables import beckn_jobs
from hutong.workers.deadlines import sweep_once
from tests.harness.switch import Clock


async def _recorded(services: Services, message_id: str) -> None:
    context = {"bap_id": "bap.example", "bap_uri": "https://bap.example", "message_id": message_id}
    call = BecknCall("search", "bap.example", context, {"intent": {}})
    async with services.db.transaction() as conn:
        await record(services, call)(conn)


async def _answer(services: Services, message_id: str, *, abandoned: bool = False) -> None:
    """Mark the job answered now, as the worker does (`queue._answered`, `queue._abandon`)."""
    async with services.db.transaction() as conn:
        await conn.execute(
            update(beckn_jobs)
            .where(beckn_jobs.c.message_id == message_id)
            .values(
                status="answered",
                attempts=1,
                answered_at=services.clock(),
                last_error="abandoned: the answer could not be queued" if abandoned else None,
            )
        )


async def _kept(services: Services) -> list[tuple[str, str]]:
    async with services.db.read() as conn:
        rows = await conn.execute(
            select(beckn_jobs.c.message_id, beckn_jobs.c.status).order_by(beckn_jobs.c.id)
        )
    return [(row.message_id, row.status) for row in rows]


async def test_an_answered_job_is_pruned_once_its_message_id_is_no_longer_kept(
    services: Services, clock: Clock
) -> None:
    retention = services.settings.message_retention
    for message_id in ("answered", "abandoned", "leased", "waiting"):
        await _recorded(services, message_id)
    await _answer(services, "answered")
    await _answer(services, "abandoned", abandoned=True)
    [leased] = await claim(services, "bw_slow", limit=1)  # a worker runs it, slowly
    assert leased.call.message_id == "leased"
    async with services.db.transaction() as conn:  # due again only after a long backoff
        await conn.execute(
            update(beckn_jobs)
            .where(beckn_jobs.c.message_id == "waiting")
            .values(next_attempt_at=clock() + timedelta(days=30), attempts=4)
        )

    # Within the retention a retry may still come: every job is kept.
    clock.advance(retention - 1)
    assert await prune_jobs(services) == 0
    assert len(await _kept(services)) == 4

    # Past it, the answered and abandoned jobs go; the pending and leased ones never do.
    clock.advance(2)
    assert await prune_jobs(services) == 2
    assert await _kept(services) == [("leased", "pending"), ("waiting", "pending")]
    clock.advance(30 * 86_400)
    assert await prune_jobs(services) == 0
    assert await _kept(services) == [("leased", "pending"), ("waiting", "pending")]


async def test_the_deadline_sweep_prunes_jobs_by_when_they_were_answered_not_asked(
    services: Services, clock: Clock
) -> None:
    retention = services.settings.message_retention
    await _recorded(services, "late")
    clock.advance(600)  # answered ten minutes after it was asked (its participant was down)
    await _answer(services, "late")

    clock.advance(retention - 300)  # past its asking's retention, not its answer's
    assert (await sweep_once(services))["answered beckn jobs past the message retention"] == 0
    assert await _kept(services) == [("late", "answered")]
    clock.advance(301)
    assert (await sweep_once(services))["answered beckn jobs past the message retention"] == 1
    assert await _kept(services) == []
