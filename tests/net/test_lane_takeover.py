"""A delivery lane leased by a dead switch process is taken over in seconds, a live one's never.

A worker leases a lane (60 s) before it sends from it. When its process was
SIGKILLed or frozen, the lane's events used to wait out the lease. Now the
lease names the worker's process (`worker@process`), whose heartbeat another
worker watches (`hutong.runtime.heartbeat.LeaseHolders`): the lane is taken
once that beat has been silent `claim_takeover_after` seconds, and never
while it beats, however slow the holder's endpoint.

The holder is a real process (`tests.cluster.lease_holder`) that leases the
lane and keeps it while beating, as a worker whose endpoint is slow does.
"""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import update

from hutong.config import Settings
from hutong.net.delivery import DeliveryWorker
from hutong.store.tables import delivery_lanes
from tests.cluster.lease_holder import end_holder, start_holder
from tests.harness.delivery import World, enqueue_notes, join, notes
from tests.harness.switch import Switch

#: Seconds of heartbeat silence before a takeover, in these tests.
AFTER = 3.0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, claim_takeover_after=AFTER)


@pytest.fixture
async def worker(switch: Switch) -> Any:
    assert switch.services.process_id is not None  # the serving switch beats
    worker = DeliveryWorker(switch.services)
    yield worker
    await worker.close()


@pytest.fixture
def holders(database_url: str) -> Iterator[list[Any]]:
    started: list[Any] = []
    yield started
    for process in started:
        end_holder(process)


async def _delivered_within(worker: DeliveryWorker, inbox: Any, seconds: float) -> float | None:
    """Drain every 0.2 s until the inbox got an event: how long it took, or None."""
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        await worker.drain()
        if inbox.events:
            return time.monotonic() - began
        await asyncio.sleep(0.2)
    return None


async def test_a_live_holders_lane_is_kept_and_a_killed_ones_taken_within_seconds(
    switch: Switch, world: World, worker: DeliveryWorker, holders: list[Any], database_url: str
) -> None:
    reference, _ = world
    await join(switch, world, "orphan.example")
    await enqueue_notes(switch, "orphan.example", "n1", "n2")
    holder = start_holder(database_url, "lanes")
    holders.append(holder)
    inbox = reference.inbox("orphan.example")

    # Alive (its endpoint slow), longer than a silent heartbeat would be allowed.
    assert await _delivered_within(worker, inbox, AFTER + 3) is None

    holder.kill()
    holder.wait()
    waited = await _delivered_within(worker, inbox, 30)
    assert waited is not None and waited < AFTER + 2.5, waited  # not the 60 s lease
    await worker.drain()
    assert notes(inbox.events) == ["n1", "n2"] and inbox.duplicates == 0


async def test_a_frozen_holders_lane_is_taken_within_seconds(
    switch: Switch, world: World, worker: DeliveryWorker, holders: list[Any], database_url: str
) -> None:
    reference, _ = world
    await join(switch, world, "orphan.example")
    await enqueue_notes(switch, "orphan.example", "n1")
    holder = start_holder(database_url, "lanes")
    holders.append(holder)
    holder.send_signal(signal.SIGSTOP)
    waited = await _delivered_within(worker, reference.inbox("orphan.example"), 30)
    assert waited is not None and waited < AFTER + 2.5, waited


async def test_a_worker_whose_lane_was_taken_while_it_was_frozen_stops_after_one_event(
    switch: Switch, world: World, worker: DeliveryWorker
) -> None:
    """Woken, it finishes the event it was sending (recipients deduplicate) and
    sends no more: the lane and its order are the new holder's."""
    reference, _ = world
    await join(switch, world, "orphan.example")
    await enqueue_notes(switch, "orphan.example", "n1", "n2", "n3")
    assert await worker.claim_lanes(10) == ["orphan.example"]
    async with switch.services.db.transaction() as conn:
        await conn.execute(
            update(delivery_lanes).values(lease_owner="dw_taker@" + "t" * 32)
        )  # taken over while this worker was frozen
    await worker.deliver_lane("orphan.example")
    assert notes(reference.inbox("orphan.example").events) == ["n1"]
