"""Event delivery from the transactional outbox to participants' callback URLs.

Each test drives delivery by hand: `DeliveryWorker(services).drain()` sends
everything that is due now and waits for it. The switch's clock is settable,
so a lane that failed is due again only once the test advances the clock past
its backoff (base 0.05s, cap 0.2s in the test settings). What arrived is read
from the reference participants' inboxes; what the switch thinks happened is
read from the outbox table.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hutong.client import Client, encode_json
from hutong.events.outbox import EventRecord, EventStatus, count_by_status, list_events
from hutong.net.delivery import DeliveryOptions, DeliveryWorker
from hutong.protocol.beckn_context import beckn_uuid
from hutong.protocol.envelope import DOMAIN, PROTOCOL_VERSION
from hutong.protocol.signing import Signer, new_key_pair
from hutong.store.tables import delivery_lanes
from tests.harness.beckn_schemas import context_errors
from tests.harness.delivery import World, enqueue_notes, join, notes
from tests.harness.switch import Clock, Switch

# --- helpers -----------------------------------------------------------------


async def ping(client: Client, *notes: str) -> list[str]:
    """One signed `POST /v1/ping` per note; returns the ids of the events enqueued."""
    event_ids = []
    for note in notes:
        response = await client.post("/v1/ping", {"note": note})
        assert response.status_code == 200, response.text
        event_ids.append(response.json()["message"]["event_id"])
    return event_ids


async def outbox_rows(
    switch: Switch, recipient: str | None = None, status: EventStatus | None = None
) -> list[EventRecord]:
    async with switch.services.db.read() as conn:
        return await list_events(conn, recipient=recipient, status=status)


async def lane(switch: Switch, recipient: str) -> Any:
    async with switch.services.db.read() as conn:
        return (
            await conn.execute(
                select(delivery_lanes).where(delivery_lanes.c.recipient == recipient)
            )
        ).one()


@pytest.fixture
async def worker(switch: Switch) -> Any:
    worker = DeliveryWorker(switch.services)
    yield worker
    await worker.close()


# --- the envelope --------------------------------------------------------------


async def test_an_event_arrives_as_a_signed_beckn_envelope(
    switch: Switch, world: World, worker: DeliveryWorker, clock: Clock
) -> None:
    reference, _ = world
    client = await join(switch, world, "douyin.example")
    response = await client.post("/v1/ping", {"note": "n1"}, message_id="msg-ping-1")
    assert response.status_code == 200, response.text
    event_id = response.json()["message"]["event_id"]

    await worker.drain()

    inbox = reference.inbox("douyin.example")
    assert inbox.refused == 0  # the signature checked out against the switch's public key
    assert inbox.duplicates == 0
    [envelope] = inbox.events
    assert set(envelope) == {"context", "message"}
    context = envelope["context"]
    assert context == {
        "domain": DOMAIN,
        "location": {"country": {"code": "CHN"}},
        "action": "on_ping",
        "version": PROTOCOL_VERSION,
        "bap_id": "douyin.example",
        "bap_uri": f"{world[1]}/cb/douyin.example",  # its callback URL
        "bpp_id": switch.services.settings.switch_id,
        "bpp_uri": f"urn:hutong:{switch.services.settings.switch_id}",
        # Beckn's ids are UUIDs; Hutong's own ids go alongside.
        "message_id": beckn_uuid(event_id),
        "hutong_message_id": event_id,
        # The ping's transaction: the event carries the request's transaction on.
        "transaction_id": beckn_uuid("msg-ping-1"),
        "hutong_transaction_id": "msg-ping-1",
        "timestamp": context["timestamp"],
        "ttl": "P1D",  # the outbox tries for a day (`delivery_max_age`)
    }
    assert context["timestamp"].endswith("Z")
    assert context_errors(context) == []
    assert envelope["message"] == {"note": "n1", "in_reply_to": "msg-ping-1"}

    [row] = await outbox_rows(switch, "douyin.example")
    assert row.event_id == event_id
    assert row.status is EventStatus.DELIVERED
    assert row.attempts == 1
    assert row.delivered_at == clock.now
    assert row.last_error is None


# --- retries -------------------------------------------------------------------


async def test_a_down_endpoint_gets_every_event_once_and_in_order_after_it_recovers(
    switch: Switch, world: World, worker: DeliveryWorker, clock: Clock
) -> None:
    reference, _ = world
    client = await join(switch, world, "shop.example")
    inbox = reference.inbox("shop.example")
    inbox.mode = "down"
    event_ids = await ping(client, "n1", "n2", "n3", "n4")

    await worker.drain()

    assert inbox.events == []
    first, *rest = await outbox_rows(switch, "shop.example")
    # The lane stops at its first failure: later events wait their turn.
    assert (first.status, first.attempts) == (EventStatus.PENDING, 1)
    assert first.last_error is not None and first.last_error.startswith("HTTP 503")
    assert [(r.status, r.attempts) for r in rest] == [(EventStatus.PENDING, 0)] * 3
    backed_off = await lane(switch, "shop.example")
    assert backed_off.failures == 1
    assert clock.now < backed_off.next_attempt_at <= clock.now + timedelta(seconds=0.05)

    # Nothing is due until the backoff has passed: draining again sends nothing.
    await worker.drain()
    assert [r.attempts for r in await outbox_rows(switch, "shop.example")] == [1, 0, 0, 0]

    # Each further failure doubles the wait, up to the cap (0.05s, 0.1s, 0.2s, 0.2s).
    for failures, step in [(2, 0.1), (3, 0.2), (4, 0.2)]:
        clock.advance(0.2)
        await worker.drain()
        waiting = await lane(switch, "shop.example")
        assert waiting.failures == failures
        wait = waiting.next_attempt_at - clock.now
        assert timedelta(seconds=step / 2) <= wait <= timedelta(seconds=step)
    assert [r.attempts for r in await outbox_rows(switch, "shop.example")] == [4, 0, 0, 0]

    inbox.mode = "ok"
    clock.advance(0.2)
    await worker.drain()

    assert notes(inbox.events) == ["n1", "n2", "n3", "n4"]
    assert [e["context"]["hutong_message_id"] for e in inbox.events] == event_ids
    assert inbox.duplicates == 0
    assert inbox.refused == 0
    rows = await outbox_rows(switch, "shop.example")
    assert [r.status for r in rows] == [EventStatus.DELIVERED] * 4
    assert [r.attempts for r in rows] == [5, 1, 1, 1]
    recovered = await lane(switch, "shop.example")
    assert recovered.failures == 0
    assert recovered.lease_owner is None

    # Draining again sends nothing twice.
    await worker.drain()
    assert len(inbox.events) == 4 and inbox.duplicates == 0


async def test_a_200_whose_body_is_a_nack_is_a_failed_delivery_and_is_retried(
    switch: Switch, world: World, worker: DeliveryWorker, clock: Clock
) -> None:
    # A Beckn receiver refuses with HTTP 200 and {"message":{"ack":{"status":"NACK"}}}.
    reference, _ = world
    client = await join(switch, world, "shop.example")
    inbox = reference.inbox("shop.example")
    inbox.mode = "nack"
    await ping(client, "n1", "n2")

    await worker.drain()

    first, second = await outbox_rows(switch, "shop.example")
    assert (first.status, first.attempts) == (EventStatus.PENDING, 1)
    assert first.last_error == "NACK (HTTP 200): 30000 not taking events now"
    assert (second.status, second.attempts) == (EventStatus.PENDING, 0)
    assert (await lane(switch, "shop.example")).failures == 1

    inbox.mode = "ok"
    clock.advance(0.2)
    await worker.drain()
    assert notes(inbox.events) == ["n1", "n2"]
    rows = await outbox_rows(switch, "shop.example")
    assert [(r.status, r.attempts) for r in rows] == [
        (EventStatus.DELIVERED, 2),
        (EventStatus.DELIVERED, 1),
    ]


async def test_an_unreachable_endpoint_records_the_connection_error(
    switch: Switch, world: World, worker: DeliveryWorker
) -> None:
    # Nothing listens on port 9: the connection is refused.
    client = await switch.register("gone.example", ["platform"], "http://127.0.0.1:9/cb")
    await ping(client, "n1")

    await worker.drain()

    [row] = await outbox_rows(switch, "gone.example")
    assert (row.status, row.attempts) == (EventStatus.PENDING, 1)
    assert row.last_error is not None and "Connect" in row.last_error
    assert (await lane(switch, "gone.example")).failures == 1


# --- isolation -----------------------------------------------------------------


async def test_a_slow_endpoint_does_not_hold_up_a_healthy_one(
    switch: Switch, world: World, worker: DeliveryWorker
) -> None:
    reference, _ = world
    slow = await join(switch, world, "slow.example")
    healthy = await join(switch, world, "healthy.example")
    reference.inbox("slow.example").mode = "slow"
    reference.inbox("slow.example").delay = 1.5
    await ping(slow, "s1", "s2")
    await ping(healthy, "h1", "h2", "h3")

    lanes = await worker.dispatch()
    assert sorted(lanes) == ["healthy.example", "slow.example"]

    arrived = await reference.wait_for("healthy.example", 3, timeout=1.0)
    assert notes(arrived) == ["h1", "h2", "h3"]
    # Meanwhile the slow lane is still waiting for the answer to its first event.
    assert reference.inbox("slow.example").events == []
    assert [r.attempts for r in await outbox_rows(switch, "slow.example")] == [0, 0]

    reference.inbox("slow.example").delay = 0.0
    await worker.drain()
    assert notes(reference.inbox("slow.example").events) == ["s1", "s2"]


@pytest.mark.parametrize("how", ["down", "unreachable"])
async def test_a_dead_endpoint_does_not_hold_up_a_healthy_one(
    switch: Switch, world: World, worker: DeliveryWorker, how: str
) -> None:
    reference, _ = world
    if how == "down":
        dead = await join(switch, world, "dead.example")
        reference.inbox("dead.example").mode = "down"
    else:
        dead = await switch.register("dead.example", ["platform"], "http://127.0.0.1:9/cb")
    healthy = await join(switch, world, "healthy.example")
    await ping(dead, "d1", "d2")
    await ping(healthy, "h1", "h2", "h3")

    await worker.drain()

    assert notes(reference.inbox("healthy.example").events) == ["h1", "h2", "h3"]
    assert [r.status for r in await outbox_rows(switch, "healthy.example")] == [
        EventStatus.DELIVERED
    ] * 3
    assert [(r.status, r.attempts) for r in await outbox_rows(switch, "dead.example")] == [
        (EventStatus.PENDING, 1),
        (EventStatus.PENDING, 0),
    ]


# --- giving up -----------------------------------------------------------------


async def test_an_event_older_than_the_maximum_age_is_parked_and_the_lane_moves_on(
    switch: Switch, world: World, worker: DeliveryWorker, clock: Clock
) -> None:
    reference, _ = world
    await join(switch, world, "late.example")
    inbox = reference.inbox("late.example")
    inbox.mode = "down"
    [old] = await enqueue_notes(switch, "late.example", "old")
    await worker.drain()  # one failed attempt

    clock.advance(switch.services.settings.delivery_max_age + 1)
    inbox.mode = "ok"
    [fresh] = await enqueue_notes(switch, "late.example", "fresh")
    await worker.drain()

    assert notes(inbox.events) == ["fresh"]
    parked, delivered = await outbox_rows(switch, "late.example")
    assert (parked.event_id, parked.status, parked.attempts) == (old, EventStatus.DEAD, 1)
    assert parked.last_error is not None
    assert parked.last_error.startswith(
        f"not delivered within {switch.services.settings.delivery_max_age}s"
    )
    assert "HTTP 503" in parked.last_error  # the last failure is kept as the cause
    assert (delivered.event_id, delivered.status) == (fresh, EventStatus.DELIVERED)


async def test_events_to_a_revoked_participant_are_parked(
    switch: Switch, world: World, worker: DeliveryWorker
) -> None:
    reference, _ = world
    client = await join(switch, world, "revoked.example")
    await ping(client, "n1", "n2")
    response = await switch.operator.post("/operator/participants/revoked.example/revoke", json={})
    assert response.status_code == 200, response.text

    await worker.drain()

    assert reference.inbox("revoked.example").events == []
    rows = await outbox_rows(switch, "revoked.example")
    # The two pings and the notice of the revocation itself.
    assert [r.action for r in rows] == ["on_ping", "on_ping", "on_participant_status"]
    assert all(r.status is EventStatus.DEAD for r in rows)
    assert all(r.last_error == "recipient is revoked" for r in rows)
    assert all(r.attempts == 0 for r in rows)  # nothing was sent


# --- several workers -----------------------------------------------------------


class RecordingWorker(DeliveryWorker):
    """A worker that notes which lanes it works on, and any overlap with another worker."""

    def __init__(self, *args: Any, busy: dict[str, str], log: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.busy = busy
        self.log = log
        self.lanes: list[str] = []

    async def deliver_lane(self, recipient: str) -> None:
        if recipient in self.busy:
            self.log.append(f"{recipient}: {self.worker_id} while {self.busy[recipient]}")
        self.busy[recipient] = self.worker_id
        self.lanes.append(recipient)
        try:
            await super().deliver_lane(recipient)
        finally:
            del self.busy[recipient]


async def test_two_workers_draining_together_never_send_an_event_twice(
    switch: Switch, world: World
) -> None:
    reference, _ = world
    recipients = [f"p{i}.example" for i in range(6)]
    for recipient in recipients:
        await join(switch, world, recipient)
        reference.inbox(recipient).mode = "slow"  # keep lanes in flight a while
        reference.inbox(recipient).delay = 0.02
        await enqueue_notes(switch, recipient, "a", "b", "c", "d")
    busy: dict[str, str] = {}
    overlaps: list[str] = []
    options = DeliveryOptions(max_lanes=2)  # neither worker can take every lane at once
    one = RecordingWorker(switch.services, options=options, busy=busy, log=overlaps)
    two = RecordingWorker(switch.services, options=options, busy=busy, log=overlaps)
    try:
        await asyncio.gather(one.drain(), two.drain())
    finally:
        await one.close()
        await two.close()

    assert overlaps == []  # no lane was ever worked on by both at the same time
    assert one.lanes and two.lanes  # and they did share the work
    for recipient in recipients:
        inbox = reference.inbox(recipient)
        assert notes(inbox.events) == ["a", "b", "c", "d"]
        assert inbox.duplicates == 0
    rows = await outbox_rows(switch)
    assert len(rows) == 4 * len(recipients)
    assert all(r.status is EventStatus.DELIVERED and r.attempts == 1 for r in rows)


async def test_a_lane_held_by_a_vanished_worker_is_taken_over_when_its_lease_expires(
    switch: Switch, world: World, worker: DeliveryWorker, clock: Clock
) -> None:
    reference, _ = world
    await join(switch, world, "orphan.example")
    await enqueue_notes(switch, "orphan.example", "n1")
    crashed = DeliveryWorker(switch.services, options=DeliveryOptions(lease_seconds=60))
    try:
        assert await crashed.claim_lanes(10) == ["orphan.example"]  # ... and never delivers
    finally:
        await crashed.close()

    await worker.drain()
    assert reference.inbox("orphan.example").events == []  # the lease still holds

    clock.advance(61)
    await worker.drain()
    assert notes(reference.inbox("orphan.example").events) == ["n1"]


# --- querying the outbox -------------------------------------------------------


async def test_the_outbox_can_be_listed_by_recipient_and_status_and_counted(
    switch: Switch, world: World, worker: DeliveryWorker
) -> None:
    reference, _ = world
    await join(switch, world, "ok.example")
    await join(switch, world, "down.example")
    await join(switch, world, "revoked.example")
    reference.inbox("down.example").mode = "down"
    delivered = await enqueue_notes(switch, "ok.example", "o1", "o2")
    pending = await enqueue_notes(switch, "down.example", "d1", "d2", "d3")
    dead = await enqueue_notes(switch, "revoked.example", "r1")
    await switch.operator.post("/operator/participants/revoked.example/revoke", json={})
    await worker.drain()

    def ids(rows: list[EventRecord]) -> list[str]:
        return [r.event_id for r in rows]

    async with switch.services.db.read() as conn:
        assert ids(await list_events(conn, recipient="ok.example")) == delivered
        assert ids(await list_events(conn, status=EventStatus.PENDING)) == pending
        assert (
            ids(await list_events(conn, recipient="down.example", status=EventStatus.DELIVERED))
            == []
        )
        parked = await list_events(conn, recipient="revoked.example", status=EventStatus.DEAD)
        assert ids(parked)[:1] == dead
        assert [r.action for r in parked] == ["on_note", "on_participant_status"]
        # Paging: `after_id` continues where the previous page stopped.
        page = await list_events(conn, limit=2)
        assert ids(page) == delivered
        following = await list_events(conn, limit=2, after_id=page[-1].id)
        assert ids(following) == pending[:2]
        assert await count_by_status(conn) == {"pending": 3, "delivered": 2, "dead": 2}
        assert await list_events(conn, recipient="nobody.example") == []


async def test_an_empty_outbox_counts_zero_of_each_status(switch: Switch) -> None:
    async with switch.services.db.read() as conn:
        assert await count_by_status(conn) == {"pending": 0, "delivered": 0, "dead": 0}


# --- the reference participant's own checks -----------------------------------


async def test_the_reference_participant_refuses_an_event_not_signed_by_the_switch(
    switch: Switch, world: World, clock: Clock
) -> None:
    reference, base_url = world
    url = f"{base_url}/cb/victim.example"
    body = encode_json(
        {"context": {"action": "on_ping", "message_id": "evt-forged"}, "message": {"note": "x"}}
    )
    impostor = Signer(switch.services.settings.switch_id, "k1", new_key_pair().private_key)
    real = switch.services.signer()
    created = clock.unix

    async with httpx.AsyncClient() as http:
        # Signed with some other key, under the switch's name.
        forged = await http.post(
            url,
            content=body,
            headers={"authorization": impostor.authorization(body, created, created + 60)},
        )
        # Signed by the switch, but the body was changed afterwards.
        tampered = await http.post(
            url,
            content=body.replace(b'"x"', b'"y"'),
            headers={"authorization": real.authorization(body, created, created + 60)},
        )
        # Not signed at all.
        unsigned = await http.post(url, content=body)

    assert [r.status_code for r in (forged, tampered, unsigned)] == [401, 401, 401]
    assert forged.json()["error"]["code"] == "bad_signature"
    inbox = reference.inbox("victim.example")
    assert inbox.refused == 3
    assert inbox.events == []
