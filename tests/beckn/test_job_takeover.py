"""A Beckn job leased by a dead switch process is taken over in seconds, a live one's never.

A gateway worker leases the jobs it runs for twice the claim lease (60 s or
more). When its process was SIGKILLed or frozen mid-job, the BAP used to
wait that long for its `on_<action>`. Now the lease names the worker's
process (`worker@process`), whose heartbeat other workers watch
(`hutong.runtime.heartbeat.LeaseHolders`): the job is taken once that beat
has been silent `claim_takeover_after` seconds, and never while it beats,
however slow the participant the holder waits for.

The holder is a real process (`tests.cluster.lease_holder`) that leases the
job and keeps it while beating.
"""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest

from hutong.beckn.calls import BecknCall
from hutong.beckn.queue import claim, holders, lease_seconds, record, worker_id
from hutong.config import Settings
from hutong.runtime.heartbeat import Heartbeat, LeaseHolders, holder_of, lease_owner
from hutong.runtime.services import Services
from tests.cluster.lease_holder import end_holder, start_holder
from tests.harness.switch import Clock

#: Seconds of heartbeat silence before a takeover, in these tests.
AFTER = 3.0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, claim_takeover_after=AFTER)


@pytest.fixture
def started(database_url: str) -> Iterator[list[Any]]:
    processes: list[Any] = []
    yield processes
    for process in processes:
        end_holder(process)


async def _job(services: Services) -> None:
    context = {"bap_id": "bap.example", "bap_uri": "https://bap.example", "message_id": "m-1"}
    call = BecknCall("search", "bap.example", context, {"intent": {}})
    async with services.db.transaction() as conn:
        await record(services, call)(conn)


async def _taken_within(services: Services, watch: LeaseHolders, seconds: float) -> float | None:
    """Claim every 0.2 s, as a worker's passes do, until a job comes: how long, or None."""
    worker = worker_id(services)
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        if await claim(services, worker, watch=watch):
            return time.monotonic() - began
        await asyncio.sleep(0.2)
    return None


async def test_a_live_holders_job_is_kept_and_a_killed_ones_taken_within_seconds(
    services: Services, started: list[Any], database_url: str
) -> None:
    assert lease_seconds(services) >= 60
    await _job(services)
    holder = start_holder(database_url, "jobs")
    started.append(holder)
    watch = holders(services)

    # Alive (its participant slow), longer than a silent heartbeat would be allowed.
    assert await _taken_within(services, watch, AFTER + 3) is None

    holder.kill()
    holder.wait()
    waited = await _taken_within(services, watch, 30)
    assert waited is not None and waited < AFTER + 2.5, waited  # not the 60 s lease


async def test_a_frozen_holders_job_is_taken_within_seconds(
    services: Services, started: list[Any], database_url: str
) -> None:
    await _job(services)
    holder = start_holder(database_url, "jobs")
    started.append(holder)
    holder.send_signal(signal.SIGSTOP)
    waited = await _taken_within(services, holders(services), 30)
    assert waited is not None and waited < AFTER + 2.5, waited


async def test_a_lease_that_names_no_process_waits_out_its_lease(
    services: Services, clock: Clock
) -> None:
    """A worker without a heartbeat (HUTONG_CLAIM_TAKEOVER_AFTER=0) names no process."""
    await _job(services)
    assert services.process_id is None and "@" not in worker_id(services)
    assert len(await claim(services, worker_id(services))) == 1
    assert await _taken_within(services, holders(services), 1.5) is None
    clock.advance(lease_seconds(services) + 1)
    assert len(await claim(services, worker_id(services), watch=holders(services))) == 1


def test_a_lease_owner_names_its_process_when_it_beats() -> None:
    assert lease_owner("bw_1", "p" * 32) == "bw_1@" + "p" * 32
    assert holder_of(lease_owner("bw_1", "p" * 32)) == "p" * 32
    assert lease_owner("bw_1", None) == "bw_1" and holder_of("bw_1") is None
    assert holder_of(None) is None and holder_of("bw_1@") is None


async def test_only_owners_whose_process_stopped_are_named_and_never_when_turned_off(
    services: Services,
) -> None:
    heartbeat = Heartbeat(services.settings.database_url)
    beating = await heartbeat.start()
    gone = "g" * 32  # no row: stopped cleanly, or pruned dead
    owners = ["bw_1@" + beating, "bw_2@" + gone, "bw_3", None]
    assert await holders(services).stopped(owners) == ["bw_2@" + gone]
    assert await LeaseHolders(services.db, 0).stopped(owners) == []
    await heartbeat.stop()
