"""The gateway's durable jobs: recorded with the ACK, run after it, answered exactly once.

- **Recorded with the ACK.** `record(call)` is the write the route runs
  exactly once per (BAP, `message_id`) (`runtime.exactly_once.run_once`):
  the job row and the ACK commit together, so an ACKed request is never
  lost (a crash after the ACK leaves the job in the database) and a
  retried request with the same message id is ACKed again and runs nothing.
- **Run after it.** A worker (`run_jobs`, in every process that runs the
  background work; `run_due` runs one pass) leases due jobs (`lease_owner`,
  `lease_until`; `FOR UPDATE SKIP LOCKED` on PostgreSQL) and runs each
  (`hutong.beckn.jobs.prepare`); the effects, the `on_<action>` put in the
  outbox and the job marked answered commit in one transaction, which
  holds only while the lease is still the worker's. A lease names its
  worker's process (`hutong.runtime.heartbeat.lease_owner`): a worker whose
  process dies mid-job (SIGKILL, a frozen host) has its jobs taken by
  another once that process's heartbeat stopped
  (`Settings.claim_takeover_after`, seconds), else when the lease runs out
  (`lease_seconds`); the job runs again, the domain steps being exactly
  once by the request's message id. A live worker's job (its participant
  slow) is never taken.
- **Never silent.** A participant that did not answer (a transient
  refusal) is tried again after `retry_delay(attempts)`, up to
  `JOB_ATTEMPTS` runs; then, like any refusal and like a failure of the
  switch itself (`internal_error`, logged), the BAP receives `on_<action>`
  carrying Beckn's Error.
- **Kept while its message id is.** An answered job is pruned once its
  message-id record is no longer kept (`hutong.beckn.retention`); a pending
  or leased one never.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.beckn.calls import BecknCall, error_answer, queue_answer
from hutong.beckn.jobs import prepare
from hutong.net.backoff import retry_delay
from hutong.net.transport import CallTransport, call_transport
from hutong.protocol.errors import HutongError, Kind
from hutong.protocol.ids import new_id
from hutong.runtime.exactly_once import Write, claim_lease
from hutong.runtime.heartbeat import LeaseHolders, lease_owner
from hutong.runtime.leases import lease_due
from hutong.runtime.services import Services
from hutong.store.tables import beckn_jobs

__all__ = [
    "JOB_ATTEMPTS",
    "Job",
    "JobStatus",
    "claim",
    "holders",
    "record",
    "run_due",
    "run_jobs",
    "wake",
    "worker_id",
]

log = logging.getLogger("hutong.beckn")

#: Runs of a job whose participants do not answer before the BAP is told so.
JOB_ATTEMPTS = 5
#: Jobs one pass of a worker leases (they run concurrently).
JOBS_PER_PASS = 20


class JobStatus(StrEnum):
    PENDING = "pending"
    ANSWERED = "answered"


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    call: BecknCall
    attempts: int


def lease_seconds(services: Services) -> float:
    """How long a job is a worker's: longer than any run (a step asks two participants)."""
    return 2 * claim_lease(services)


def record(services: Services, call: BecknCall) -> Write[None]:
    """The job of `call`, pending and due now (written with the ACK)."""

    async def write(conn: AsyncConnection) -> None:
        now = services.clock()
        known = await conn.scalar(
            select(beckn_jobs.c.id).where(
                beckn_jobs.c.bap == call.bap, beckn_jobs.c.message_id == call.message_id
            )
        )
        if known is not None:
            return  # asked before (its ACK record swept, the job not yet pruned): never run twice
        await conn.execute(
            insert(beckn_jobs).values(
                bap=call.bap,
                message_id=call.message_id,
                action=call.action,
                request=json.dumps(
                    {"context": call.context, "message": call.message}, ensure_ascii=False
                ),
                status=JobStatus.PENDING.value,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )

    return write


def holders(services: Services) -> LeaseHolders:
    """The watch on other workers' processes a worker keeps across its passes."""
    return LeaseHolders(services.db, services.settings.claim_takeover_after)


def worker_id(services: Services) -> str:
    """A new worker's lease owner, naming this process when it beats."""
    return lease_owner(new_id("bw"), services.process_id)


async def claim(
    services: Services,
    worker: str,
    limit: int = JOBS_PER_PASS,
    *,
    watch: LeaseHolders | None = None,
) -> list[Job]:
    """Lease up to `limit` due jobs no live lease holds, longest due first.

    A read looks first, so an idle worker's poll takes no write lock; with
    `watch` it names the holders of leases in force on due jobs, and the
    jobs of those whose process stopped are taken too. Every read is a range
    of an index, `(status, next_attempt_at)` in the order jobs are taken or
    `(status, lease_until)` for the leases in force: a poll reads about the
    same however many jobs are due (`hutong.runtime.leases`).
    """
    now = services.clock()
    rows, stopped = await lease_due(
        services,
        beckn_jobs,
        key="id",
        due=(beckn_jobs.c.status == JobStatus.PENDING.value, beckn_jobs.c.next_attempt_at <= now),
        free=or_(beckn_jobs.c.lease_until.is_(None), beckn_jobs.c.lease_until < now),
        now=now,
        order_by=beckn_jobs.c.next_attempt_at,
        limit=limit,
        owner=worker,
        until=now + timedelta(seconds=lease_seconds(services)),
        watch=watch,
    )
    if stopped and rows:
        log.warning("took over beckn jobs of a stopped process", extra={"owners": stopped})
    return [_job(row) for row in rows]


def _job(row: Any) -> Job:
    request = json.loads(row.request)
    call = BecknCall(row.action, row.bap, request["context"], request["message"])
    return Job(row.id, call, row.attempts)


class _LeaseLost(Exception):
    """The job's lease ran out and another worker took it: this run's effects are dropped."""


def _leased(job: Job, worker: str) -> Any:
    return (
        (beckn_jobs.c.id == job.id)
        & (beckn_jobs.c.status == JobStatus.PENDING.value)
        & (beckn_jobs.c.lease_owner == worker)
    )


async def _answered(conn: AsyncConnection, job: Job, worker: str, now: datetime) -> None:
    done = await conn.execute(
        update(beckn_jobs)
        .where(_leased(job, worker))
        .values(
            status=JobStatus.ANSWERED.value,
            attempts=job.attempts + 1,
            answered_at=now,
            lease_owner=None,
            lease_until=None,
        )
    )
    if done.rowcount != 1:
        raise _LeaseLost


async def _later(services: Services, job: Job, worker: str, error: HutongError) -> None:
    """Give the job back, due again after its backoff (a participant did not answer)."""
    now = services.clock()
    delay = retry_delay(job.attempts + 1, base=1.0, cap=services.settings.delivery_max_delay)
    async with services.db.transaction() as conn:
        await conn.execute(
            update(beckn_jobs)
            .where(_leased(job, worker))
            .values(
                attempts=job.attempts + 1,
                next_attempt_at=now + timedelta(seconds=delay),
                lease_owner=None,
                lease_until=None,
                last_error=f"{error.code}: {error.message}"[:1000],
            )
        )


def _internal(job: Job) -> HutongError:
    return HutongError(
        f"the switch failed to run {job.call.action}; the failure was logged",
        code="internal_error",
        kind=Kind.UPSTREAM_FAILED,
    )


async def _finish(services: Services, job: Job, worker: str, write: Write[None]) -> None:
    """Commit `write` with the job answered; a refusal in the write is answered instead."""

    async def apply(conn: AsyncConnection) -> None:
        await write(conn)
        await _answered(conn, job, worker, services.clock())

    async def refused(conn: AsyncConnection, error: Exception) -> None:
        if not isinstance(error, HutongError) or error.kind.transient:
            raise error
        await queue_answer(services, job.call, error_answer(error))(conn)
        await _answered(conn, job, worker, services.clock())

    await services.batcher().run(apply, refused)


async def run_job(services: Services, http: CallTransport, job: Job, worker: str) -> None:
    """Run one leased job to its answer (or give it back to be tried again)."""
    try:
        try:
            write = await prepare(services, http, job.call)
            await _finish(services, job, worker, write)
        except HutongError as error:  # transient: a participant did not answer
            if job.attempts + 1 < JOB_ATTEMPTS:
                await _later(services, job, worker, error)
                return
            given_up = queue_answer(services, job.call, error_answer(error))
            await _finish(services, job, worker, given_up)
    except _LeaseLost:
        log.warning("beckn job %s was taken over by another worker", job.id)
    except Exception:
        log.exception("beckn job %s (%s) failed", job.id, job.call.action)
        failed = queue_answer(services, job.call, error_answer(_internal(job)))
        try:
            await _finish(services, job, worker, failed)
        except _LeaseLost:
            pass
        except Exception:  # not even the error can be queued: never run it again
            log.exception("beckn job %s cannot be answered; abandoned", job.id)
            await _abandon(services, job, worker)


async def _abandon(services: Services, job: Job, worker: str) -> None:
    """Mark a job that cannot be answered (its request unreadable) as done, unanswered."""
    async with services.db.transaction() as conn:
        await conn.execute(
            update(beckn_jobs)
            .where(_leased(job, worker))
            .values(
                status=JobStatus.ANSWERED.value,
                attempts=job.attempts + 1,
                answered_at=services.clock(),
                lease_owner=None,
                lease_until=None,
                last_error="abandoned: the answer could not be queued",
            )
        )


async def run_due(
    services: Services, *, worker: str | None = None, watch: LeaseHolders | None = None
) -> int:
    """One pass: lease the due jobs (with `watch`, a stopped process's too) and run them."""
    worker = worker or worker_id(services)
    jobs = await claim(services, worker, watch=watch)
    http = call_transport()
    await asyncio.gather(*(run_job(services, http, job, worker) for job in jobs))
    return len(jobs)


_WAKE: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Event] = (
    weakref.WeakKeyDictionary()
)


def _wake_event() -> asyncio.Event:
    return _WAKE.setdefault(asyncio.get_running_loop(), asyncio.Event())


def wake() -> None:
    """A job was recorded: this process's worker runs a pass now, not at its next poll."""
    _wake_event().set()


async def run_jobs(services: Services, stop: asyncio.Event) -> None:
    """Run due jobs until `stop` is set: at each wake-up, else every poll interval."""
    worker = worker_id(services)
    watch = holders(services)
    woken = _wake_event()
    interval = services.settings.delivery_poll_interval
    while not stop.is_set():
        woken.clear()
        try:
            while await run_due(services, worker=worker, watch=watch):
                pass
        except Exception:  # keep the loop alive; the next pass retries
            log.exception("beckn job pass failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(_first(stop, woken), timeout=interval)


async def _first(*events: asyncio.Event) -> None:
    waits = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
