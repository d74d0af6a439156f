"""A dead switch process's message claims are taken over in seconds, a live one's never.

A step that asks a participant (pay, create, ship) claims its message id
first; a twin (the client's retry with the same message id) waits for the
claimer's answer. When the claimer was SIGKILLed while it asked, the retry
used to wait out the claim's lease (30 s or more). Now each switch process
beats once a second (`hutong.runtime.heartbeat`) and its claims name it: a
twin takes a claim over once its claimer's beat has been silent
`claim_takeover_after` seconds, and never while the claimer beats, however
slow the participant it waits for.

The claimer is a real process (`tests.cluster.claimer`), killed, frozen
(SIGSTOP) or left alone; the lease stays 30 s throughout, so a takeover
within seconds is the heartbeat's doing.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Table, delete, func, insert, select

from hutong.config import Settings, load_settings
from hutong.runtime.exactly_once import Write, claim_lease, run_decided
from hutong.runtime.heartbeat import (
    BEAT_INTERVAL,
    CONFIRM,
    PRUNE_AFTER,
    PRUNE_EVERY,
    ClaimerWatch,
    Heartbeat,
)
from hutong.runtime.services import Services
from hutong.store.db import Database
from hutong.store.tables import messages, switch_keys, switch_processes
from tests.cluster.claimer import KEY, new_key, present, refusal
from tests.harness.switch import Switch

ROOT = Path(__file__).resolve().parents[2]
#: Starts a claimer whose participant answers after so many seconds; returns once it claimed.
_Claimer = Callable[[float], subprocess.Popen[str]]
#: Seconds of heartbeat silence before a takeover, in these tests.
AFTER = 3.0


@pytest.fixture
async def twin(database_url: str) -> AsyncIterator[Services]:
    """Another switch process, beating, where the client's retry arrives."""
    settings = Settings(database_url=database_url, claim_takeover_after=AFTER)
    services = Services(settings=settings, db=Database(database_url))
    assert claim_lease(services) >= 30
    heartbeat = Heartbeat(database_url)
    services.process_id = await heartbeat.start()
    stop = asyncio.Event()
    beating = asyncio.create_task(heartbeat.run(stop))
    yield services
    stop.set()
    await beating
    await heartbeat.stop()
    await services.batcher().close()
    await services.db.dispose()


@pytest.fixture
def claimer(database_url: str) -> Iterator[_Claimer]:
    started: list[subprocess.Popen[str]] = []

    def start(slow: float) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.cluster.claimer", database_url, str(AFTER), str(slow)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        started.append(process)
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "claimed"
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)
            process.kill()
        process.wait()


async def _retry(twin: Services) -> tuple[float, int, dict[str, object], bool]:
    """The client's retry at the twin: seconds it took, and its answer."""

    async def prepare() -> Write[str]:
        return new_key("twin")

    began = time.monotonic()
    answer = await run_decided(twin, KEY, prepare, present, refusal)
    return time.monotonic() - began, answer.status, json.loads(answer.body), answer.replayed


async def _count(services: Services, table: Table) -> int:
    async with services.db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


async def test_a_killed_processs_claim_is_taken_over_within_seconds(
    claimer: _Claimer, twin: Services
) -> None:
    process = claimer(600)  # asking a wallet that will not answer soon
    process.kill()
    process.wait()
    waited, status, body, replayed = await _retry(twin)
    assert status == 201 and body == {"answered_by": "twin"} and not replayed
    assert waited < AFTER + 2.5, waited  # not the 30 s lease
    assert await _count(twin, switch_keys) == 1


async def test_a_live_processs_claim_is_kept_while_its_wallet_is_slow(
    claimer: _Claimer, twin: Services
) -> None:
    slow = AFTER + 4  # longer than a silent heartbeat would be allowed
    process = claimer(slow)
    waited, status, body, replayed = await _retry(twin)
    assert status == 201 and body == {"answered_by": "claimer"} and replayed
    assert waited >= slow - 1.5, waited
    out, _ = process.communicate(timeout=30)
    assert json.loads(out) == {"status": 201, "body": {"answered_by": "claimer"}, "replayed": False}
    assert await _count(twin, switch_keys) == 1


async def test_a_frozen_process_loses_its_claim_and_cannot_answer_it_when_woken(
    claimer: _Claimer, twin: Services
) -> None:
    """SIGSTOP: no beats, so the claim is taken over; woken, its answer is refused
    (the claim is no longer the one it made) and it gives the twin's answer."""
    process = claimer(1.0)
    process.send_signal(signal.SIGSTOP)
    waited, status, body, replayed = await _retry(twin)
    assert status == 201 and body == {"answered_by": "twin"} and not replayed
    assert waited < AFTER + 2.5, waited
    process.send_signal(signal.SIGCONT)
    out, _ = process.communicate(timeout=30)
    assert json.loads(out) == {"status": 201, "body": {"answered_by": "twin"}, "replayed": True}
    assert await _count(twin, switch_keys) == 1  # the woken claimer's write was rolled back


async def test_a_claim_records_its_claimer_and_a_clean_stop_deletes_the_row(
    database_url: str,
) -> None:
    settings = Settings(database_url=database_url, claim_takeover_after=AFTER)
    services = Services(settings=settings, db=Database(database_url))
    heartbeat = Heartbeat(database_url)
    services.process_id = await heartbeat.start()

    async def prepare() -> Write[str]:
        return new_key("claimer")

    await run_decided(services, KEY, prepare, present, refusal)
    async with services.db.read() as conn:
        claimed_by = await conn.scalar(select(messages.c.claimed_by))
    assert claimed_by == heartbeat.process_id
    await heartbeat.stop()
    assert await _count(services, switch_processes) == 0
    await services.batcher().close()
    await services.db.dispose()


def test_the_takeover_delay_comes_from_the_environment() -> None:
    assert load_settings({}).claim_takeover_after == 5.0
    assert load_settings({"HUTONG_CLAIM_TAKEOVER_AFTER": "8"}).claim_takeover_after == 8.0
    assert load_settings({"HUTONG_CLAIM_TAKEOVER_AFTER": "0"}).claim_takeover_after == 0.0
    with pytest.raises(ValueError, match="HUTONG_CLAIM_TAKEOVER_AFTER must be 0"):
        load_settings({"HUTONG_CLAIM_TAKEOVER_AFTER": "1"})


class _TwinClock:
    """The waiting twin's monotonic clock; `per_look` is added at every look (a slow read)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.per_look = 0.0

    def __call__(self) -> float:
        self.now += self.per_look
        return self.now


async def _process_silent_for(db: Database, seconds: float) -> str:
    """A process row whose last beat was `seconds` ago (by this host's clock)."""
    at = datetime.now(UTC) - timedelta(seconds=seconds)
    async with db.transaction() as conn:
        row = {"id": "p" * 32, "started_at": at, "beat_at": at}
        await conn.execute(insert(switch_processes), row)
    return "p" * 32


async def test_a_silent_claimer_is_judged_stopped_only_on_two_reads_confirm_apart(
    database_url: str,
) -> None:
    db = Database(database_url)
    silent = await _process_silent_for(db, 100)
    clock = _TwinClock()
    watch = ClaimerWatch(db, AFTER, monotonic=clock)
    assert not await watch.stopped(silent)  # first seen silent
    clock.now += CONFIRM - 0.1
    assert not await watch.stopped(silent)
    clock.now += 0.2
    assert await watch.stopped(silent)
    await db.dispose()


async def test_reads_that_waited_for_the_database_never_judge_a_claimer(
    database_url: str,
) -> None:
    """During a failover every beat fails: silence seen through a read that itself
    waited (longer than a beat) does not count against the claimer."""
    db = Database(database_url)
    silent = await _process_silent_for(db, 100)
    clock = _TwinClock()
    clock.per_look = BEAT_INTERVAL  # each read takes a beat's time
    watch = ClaimerWatch(db, AFTER, monotonic=clock)
    for _ in range(5):
        assert not await watch.stopped(silent)
        clock.now += CONFIRM
    await db.dispose()


async def test_a_claimer_without_a_row_is_stopped_at_once_and_a_beating_one_never(
    database_url: str,
) -> None:
    db = Database(database_url)
    clock = _TwinClock()
    watch = ClaimerWatch(db, AFTER, monotonic=clock)
    assert await watch.stopped("gone" * 8)  # stopped cleanly, or pruned dead
    heartbeat = Heartbeat(database_url)
    beating = await heartbeat.start()
    for _ in range(4):
        await heartbeat.beat()
        assert not await watch.stopped(beating)
        clock.now += CONFIRM
    assert not await ClaimerWatch(db, 0, monotonic=clock).stopped("gone" * 8)  # turned off
    await heartbeat.stop()
    await db.dispose()


async def test_dead_processes_are_pruned_and_a_live_one_whose_row_went_puts_it_back(
    database_url: str,
) -> None:
    db = Database(database_url)
    dead = await _process_silent_for(db, PRUNE_AFTER + 60)
    heartbeat = Heartbeat(database_url)
    beating = await heartbeat.start()
    for _ in range(PRUNE_EVERY):
        await heartbeat.beat()
    async with db.read() as conn:
        ids = set((await conn.execute(select(switch_processes.c.id))).scalars())
    assert ids == {beating} and dead not in ids
    async with db.transaction() as conn:
        await conn.execute(delete(switch_processes))
    await heartbeat.beat()
    async with db.read() as conn:
        assert await conn.scalar(select(switch_processes.c.id)) == beating
    await heartbeat.stop()
    await db.dispose()


async def test_a_serving_switch_beats_and_names_itself_in_its_claims(switch: Switch) -> None:
    """The app's lifespan starts the heartbeat before anything can claim."""
    services = switch.services
    assert services.process_id is not None
    async with services.db.read() as conn:
        ids = set((await conn.execute(select(switch_processes.c.id))).scalars())
    assert services.process_id in ids
