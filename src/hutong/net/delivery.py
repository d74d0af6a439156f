"""Delivery workers: POST each outbox event, signed by the switch, to its recipient.

Events to one recipient form a lane and leave in order; a worker leases a lane
(a row with an owner and an expiry) before sending from it, so several workers
on several hosts share the outbox without sending the same event at the same
time. On PostgreSQL the lease is taken with `FOR UPDATE SKIP LOCKED`. A
lease names its worker's process (`hutong.runtime.heartbeat.lease_owner`):
once that process's heartbeat stopped (SIGKILL, a frozen host) another
worker takes the lane within seconds instead of after `lease_seconds`; a
live worker's lane (its endpoint slow) is never taken. A worker that finds
its lane taken (it was frozen and woke) stops working it after the event it
was sending. A lane
whose endpoint fails backs off exponentially; the other lanes carry on, each
in its own task. Delivery is at least once: recipients deduplicate by the
envelope's `context.message_id`, which is the event id.

An event is delivered when the answer is a 2xx that is not a NACK: Beckn
receivers refuse with HTTP 200 and `{"message":{"ack":{"status":"NACK"}}}`,
so a NACK body fails the attempt whatever the status, and is retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.events.outbox import EventStatus
from hutong.net.backoff import retry_delay
from hutong.protocol.ack import nack_of
from hutong.protocol.envelope import event_envelope, named_uri
from hutong.protocol.ids import new_id
from hutong.runtime.heartbeat import LeaseHolders, lease_owner
from hutong.runtime.leases import lease_due
from hutong.runtime.metrics import EVENT_DELIVERIES
from hutong.runtime.services import Services
from hutong.store.failover import until_back
from hutong.store.tables import delivery_lanes, outbox, participants

log = logging.getLogger("hutong.delivery")

#: How long a signed event stays valid for its recipient.
EVENT_SIGNATURE_LIFETIME = 300


@dataclass(frozen=True, slots=True)
class DeliveryOptions:
    lease_seconds: float = 60.0
    max_lanes: int = 64
    events_per_pass: int = 50


class DeliveryWorker:
    def __init__(
        self,
        services: Services,
        *,
        client: httpx.AsyncClient | None = None,
        options: DeliveryOptions | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.services = services
        self.options = options or DeliveryOptions()
        self.worker_id = worker_id or lease_owner(new_id("dw"), services.process_id)
        self._holders = LeaseHolders(services.db, services.settings.claim_takeover_after)
        self._own_client = client is None
        self.client = client or httpx.AsyncClient(
            timeout=services.settings.delivery_timeout,
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        )
        self._tasks: dict[str, asyncio.Task[None]] = {}

    async def close(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        if self._own_client:
            await self.client.aclose()

    async def run(self, stop: asyncio.Event) -> None:
        """Claim lanes and deliver until `stop` is set."""
        interval = self.services.settings.delivery_poll_interval
        while not stop.is_set():
            try:
                await self.dispatch()
            except Exception:  # keep the loop alive; the next pass retries
                log.exception("delivery pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)

    async def dispatch(self) -> list[str]:
        """Start a task for each lane this worker can claim now; returns their names."""
        self._tasks = {r: t for r, t in self._tasks.items() if not t.done()}
        room = self.options.max_lanes - len(self._tasks)
        if room <= 0:
            return []
        claimed = await self.claim_lanes(room)
        for recipient in claimed:
            self._tasks[recipient] = asyncio.create_task(self.deliver_lane(recipient))
        return claimed

    async def drain(self) -> None:
        """Deliver everything that is due now, waiting for every lane (tests, demo)."""
        while True:
            await self.dispatch()
            if not self._tasks:
                return
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)
            self._tasks = {}

    async def claim_lanes(self, limit: int) -> list[str]:
        """Lease up to `limit` due lanes that are free or whose holder's process stopped.

        A read looks first (an idle pass takes no write lock) and names the
        holders of the leased lanes, whose heartbeats `LeaseHolders` watches.
        """
        now = self.services.clock()
        lease_until = now + timedelta(seconds=self.options.lease_seconds)
        lanes = delivery_lanes
        due = (
            lanes.c.next_attempt_at <= now,
            lanes.c.recipient.not_in(list(self._tasks)),
            exists().where(
                and_(
                    outbox.c.recipient == lanes.c.recipient,
                    outbox.c.status == EventStatus.PENDING,
                )
            ),
        )
        free = or_(
            lanes.c.lease_until.is_(None),
            lanes.c.lease_until < now,
            # Ours, with no task on it: a claim that committed while its
            # reply was lost (a failover). Waiting for the lease would hold
            # the lane for a minute.
            lanes.c.lease_owner == self.worker_id,
        )
        rows, stopped = await lease_due(
            self.services,
            lanes,
            key="recipient",
            due=due,
            free=free,
            now=now,
            order_by=lanes.c.next_attempt_at,
            limit=limit,
            owner=self.worker_id,
            until=lease_until,
            watch=self._holders,
            columns=(lanes.c.recipient,),
        )
        candidates = [row.recipient for row in rows]
        if stopped and candidates:
            log.warning("took over delivery lanes of a stopped process", extra={"owners": stopped})
        return candidates

    async def deliver_lane(self, recipient: str) -> None:
        try:
            await self._deliver_lane(recipient)
        except Exception:
            log.exception("delivery to %s failed unexpectedly", recipient)
            await self._back_off_after_crash(recipient)
        finally:
            # Through a failover too: a lease left behind would hold the lane
            # for `lease_seconds` after the database is back.
            await until_back(lambda: self._release(recipient))

    async def _release(self, recipient: str) -> None:
        async with self.services.db.transaction() as conn:
            await conn.execute(
                update(delivery_lanes)
                .where(
                    delivery_lanes.c.recipient == recipient,
                    delivery_lanes.c.lease_owner == self.worker_id,
                )
                .values(lease_owner=None, lease_until=None)
            )

    async def _back_off_after_crash(self, recipient: str) -> None:
        """A lane whose pass crashed waits like a failed one instead of spinning."""
        settings = self.services.settings
        with contextlib.suppress(Exception):
            async with self.services.db.transaction() as conn:
                failures = await conn.scalar(
                    select(delivery_lanes.c.failures).where(delivery_lanes.c.recipient == recipient)
                )
                failures = int(failures or 0) + 1
                delay = retry_delay(
                    failures, base=settings.delivery_base_delay, cap=settings.delivery_max_delay
                )
                await self._set_lane(
                    conn,
                    recipient,
                    failures=failures,
                    next_attempt_at=self.services.clock() + timedelta(seconds=delay),
                )

    async def _deliver_lane(self, recipient: str) -> None:
        settings = self.services.settings
        started = self.services.clock()
        budget = timedelta(seconds=self.options.lease_seconds / 2)
        async with self.services.db.read() as conn:
            target = (
                await conn.execute(
                    select(participants.c.callback_url, participants.c.status).where(
                        participants.c.subscriber_id == recipient
                    )
                )
            ).first()
            lane = (
                await conn.execute(
                    select(delivery_lanes.c.failures).where(delivery_lanes.c.recipient == recipient)
                )
            ).first()
            events = (
                await conn.execute(
                    select(outbox)
                    .where(outbox.c.recipient == recipient, outbox.c.status == EventStatus.PENDING)
                    .order_by(outbox.c.id)
                    .limit(self.options.events_per_pass)
                )
            ).all()
        failures = lane.failures if lane is not None else 0
        for event in events:
            now = self.services.clock()
            if now - started > budget:
                return
            too_old = now - event.created_at > timedelta(seconds=settings.delivery_max_age)
            if target is None or target.status == "revoked" or too_old:
                reason = (
                    "recipient is not registered"
                    if target is None
                    else "recipient is revoked"
                    if target.status == "revoked"
                    else f"not delivered within {settings.delivery_max_age}s: "
                    f"{event.last_error or 'no attempt succeeded'}"
                )
                await self._park(event.id, now, reason)
                continue
            error = await self._send(target.callback_url, event, now)
            now = self.services.clock()
            if error is None:
                if not await self._delivered(event.id, recipient, now):
                    return  # the lane was taken over while this worker was frozen
                failures = 0
                continue
            failures += 1
            delay = retry_delay(
                failures, base=settings.delivery_base_delay, cap=settings.delivery_max_delay
            )
            await self._failed(event.id, recipient, now, error, failures, delay)
            return

    async def _send(self, url: str, event: Any, now: datetime) -> str | None:
        """POST one event; returns None on success or the error in a few words."""
        settings = self.services.settings
        if event.reply_url:
            # A Beckn answer: its body and context were made when it was queued.
            return await self._post(event.reply_url, event.payload.encode(), now)
        body = json.dumps(
            event_envelope(
                action=event.action,
                message_id=event.event_id,
                transaction_id=event.transaction_id,
                sender=settings.switch_id,
                sender_uri=settings.public_url or named_uri(settings.switch_id),
                recipient=event.recipient,
                recipient_uri=url,
                message=json.loads(event.payload),
                created_at=event.created_at,
                ttl_seconds=settings.delivery_max_age,
            ),
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        return await self._post(url, body, now)

    async def _post(self, url: str, body: bytes, now: datetime) -> str | None:
        """POST `body` signed by the switch; None when the answer is a 2xx that is no NACK."""
        created = int(now.timestamp())
        authorization = self.services.signer().authorization(
            body, created, created + EVENT_SIGNATURE_LIFETIME
        )
        try:
            response = await self.client.post(
                url,
                content=body,
                headers={"content-type": "application/json", "authorization": authorization},
            )
        except httpx.HTTPError as exc:
            EVENT_DELIVERIES.labels(outcome="error").inc()
            return f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__
        refusal = nack_of(response.content)
        if 200 <= response.status_code < 300 and refusal is None:
            EVENT_DELIVERIES.labels(outcome="delivered").inc()
            return None
        EVENT_DELIVERIES.labels(outcome="refused").inc()
        if refusal is not None and 200 <= response.status_code < 300:
            return f"NACK (HTTP {response.status_code}): {refusal}"[:500]
        return f"HTTP {response.status_code}: {response.text[:200]}"

    async def _delivered(self, event_id: int, recipient: str, now: datetime) -> bool:
        """Record the delivery; whether the lane is still this worker's."""
        async with self.services.db.transaction() as conn:
            await conn.execute(
                update(outbox)
                .where(outbox.c.id == event_id)
                .values(
                    status=EventStatus.DELIVERED,
                    attempts=outbox.c.attempts + 1,
                    last_attempt_at=now,
                    delivered_at=now,
                )
            )
            return await self._set_lane(conn, recipient, failures=0, next_attempt_at=now)

    async def _failed(
        self,
        event_id: int,
        recipient: str,
        now: datetime,
        error: str,
        failures: int,
        delay: float,
    ) -> None:
        log.warning(
            "delivery failed",
            extra={"recipient": recipient, "event": event_id, "error": error, "retry_in": delay},
        )
        async with self.services.db.transaction() as conn:
            await conn.execute(
                update(outbox)
                .where(outbox.c.id == event_id)
                .values(attempts=outbox.c.attempts + 1, last_attempt_at=now, last_error=error)
            )
            await self._set_lane(
                conn,
                recipient,
                failures=failures,
                next_attempt_at=now + timedelta(seconds=delay),
            )

    async def _park(self, event_id: int, now: datetime, reason: str) -> None:
        EVENT_DELIVERIES.labels(outcome="dead").inc()
        async with self.services.db.transaction() as conn:
            await conn.execute(
                update(outbox)
                .where(outbox.c.id == event_id)
                .values(status=EventStatus.DEAD, last_attempt_at=now, last_error=reason)
            )

    async def _set_lane(
        self, conn: AsyncConnection, recipient: str, *, failures: int, next_attempt_at: datetime
    ) -> bool:
        """Move the lane's backoff while it is this worker's; whether it was."""
        moved = await conn.execute(
            update(delivery_lanes)
            .where(
                delivery_lanes.c.recipient == recipient,
                delivery_lanes.c.lease_owner == self.worker_id,
            )
            .values(failures=failures, next_attempt_at=next_attempt_at)
        )
        return moved.rowcount == 1
