"""Reference participants: a small HTTP app that plays any participant's side.

It receives the switch's events at `/cb/{subscriber_id}`, verifies each
signature with the switch's public key, and keeps what it received (once per
message id, in arrival order). Tests and the demo can make one participant's
endpoint fail or slow down to watch the switch retry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from litestar import Litestar, Request, Response, post
from litestar.params import FromPath

from hutong.client import verify_event
from hutong.protocol.errors import ack, nack
from hutong.protocol.signing import SignatureError


@dataclass(slots=True)
class Inbox:
    """What one participant received."""

    events: list[dict[str, Any]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    duplicates: int = 0
    refused: int = 0
    #: "ok" answers 200; "down" answers 503; "slow" waits `delay` seconds first.
    mode: str = "ok"
    delay: float = 0.0

    def actions(self) -> list[str]:
        return [event["context"]["action"] for event in self.events]


@dataclass(slots=True)
class ReferenceWorld:
    """The state shared by the reference participants' endpoints."""

    switch_public_key: str = ""
    switch_id: str = "hutong.switch"
    clock: Any = None
    inboxes: dict[str, Inbox] = field(default_factory=dict)
    #: Called with (subscriber id, envelope) for each new event.
    on_event: Callable[[str, dict[str, Any]], None] | None = None
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    def inbox(self, subscriber_id: str) -> Inbox:
        return self.inboxes.setdefault(subscriber_id, Inbox())

    async def wait_for(
        self, subscriber_id: str, count: int, *, timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        """Wait until `subscriber_id` has received `count` distinct events."""
        async with self.arrived:
            await asyncio.wait_for(
                self.arrived.wait_for(lambda: len(self.inbox(subscriber_id).events) >= count),
                timeout,
            )
        return self.inbox(subscriber_id).events


def reference_app(world: ReferenceWorld) -> Litestar:
    @post("/cb/{subscriber_id:str}", status_code=200)
    async def callback(
        request: Request[Any, Any, Any], subscriber_id: FromPath[str]
    ) -> Response[Any]:
        inbox = world.inbox(subscriber_id)
        if inbox.mode == "down":
            return Response(nack("unavailable", "endpoint is down"), status_code=503)
        if inbox.mode == "slow":
            await asyncio.sleep(inbox.delay)
        body = await request.body()
        now: datetime | None = world.clock() if world.clock else None
        try:
            envelope = verify_event(
                body,
                request.headers.get("authorization", ""),
                world.switch_public_key,
                now=now,
                switch_id=world.switch_id,
            )
        except (SignatureError, ValueError) as exc:
            inbox.refused += 1
            return Response(nack("bad_signature", str(exc)), status_code=401)
        message_id = envelope["context"]["message_id"]
        async with world.arrived:
            if message_id in inbox.seen:
                inbox.duplicates += 1
            else:
                inbox.seen.add(message_id)
                inbox.events.append(envelope)
                if world.on_event is not None:
                    world.on_event(subscriber_id, envelope)
            world.arrived.notify_all()
        return Response(ack(), status_code=200)

    return Litestar(route_handlers=[callback], debug=False, logging_config=None)
