"""Reference participants: a small HTTP app that plays any participant's side.

It receives the switch's events at `/cb/{subscriber_id}`, verifies each
signature with the switch's public key, and keeps what it received (once per
message id, in arrival order). Tests and the demo can make one participant's
endpoint fail or slow down to watch the switch retry.

It also runs desks that answer the switch's decision calls at
`/cb/{subscriber_id}/{action}`, each answer signed with the desk's own key:
carriers (`book`, `cancel`), wallets (`authorize`, `capture`, `void`, `refund`,
`reserve`, `confirm`), membership programs (`issue`), see
`hutong.world.wallets`, and merchant platforms (`reserve_stock`), see
`hutong.world.stock`. Events for a desk (`on_transfer`, `on_payment`,
`on_payment_released`, `on_exchange`, `on_order`) are applied to it once
verified and first seen.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from litestar import Litestar, Request, Response, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath

from hutong.client import verify_event
from hutong.protocol.envelope import message_id_of
from hutong.protocol.errors import ack, nack
from hutong.protocol.signing import SignatureError, Signer
from hutong.world.stock import STOCK_ACTIONS, StockDesk
from hutong.world.wallets import PROGRAM_ACTIONS, WALLET_ACTIONS, Desk, ProgramDesk, WalletDesk


@dataclass(slots=True)
class Inbox:
    """What one participant received."""

    events: list[dict[str, Any]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    duplicates: int = 0
    refused: int = 0
    #: "ok" answers 200; "down" answers 503; "slow" waits `delay` seconds first;
    #: "nack" answers 200 with a Beckn NACK body, as Beckn receivers refuse.
    mode: str = "ok"
    delay: float = 0.0

    def actions(self) -> list[str]:
        return [event["context"]["action"] for event in self.events]


@dataclass(slots=True)
class CarrierDesk:
    """A reference carrier's booking desk: books, cancels, signs its answers."""

    signer: Signer
    tracking_prefix: str
    #: "ok" books; "refuse" answers a signed refusal; "down" answers 503;
    #: "slow" waits `delay` seconds first.
    mode: str = "ok"
    delay: float = 0.0
    #: Bookings by the switch's message id (a retry gets the same answer).
    bookings: dict[str, dict[str, Any]] = field(default_factory=dict)
    cancelled: set[str] = field(default_factory=set)

    def book(self, message_id: str, message: dict[str, Any]) -> dict[str, Any]:
        if message_id not in self.bookings:
            number = f"{self.tracking_prefix}{len(self.bookings) + 1:010d}"
            self.bookings[message_id] = {
                "tracking_number": number,
                "label_ref": f"label/{number}.pdf",
                "shipment_id": message.get("shipment_id"),
            }
        return self.bookings[message_id]


@dataclass(slots=True)
class ReferenceWorld:
    """The state shared by the reference participants' endpoints."""

    switch_public_key: str = ""
    switch_id: str = "hutong.switch"
    clock: Any = None
    inboxes: dict[str, Inbox] = field(default_factory=dict)
    #: Called with (subscriber id, envelope) for each new event.
    on_event: Callable[[str, dict[str, Any]], None] | None = None
    #: Carriers whose booking desk this world runs, by subscriber id.
    carriers: dict[str, CarrierDesk] = field(default_factory=dict)
    #: Wallets and membership programs whose desk this world runs, by subscriber id.
    wallets: dict[str, WalletDesk] = field(default_factory=dict)
    programs: dict[str, ProgramDesk] = field(default_factory=dict)
    #: Merchant platforms whose stock desk this world runs, by subscriber id.
    stores: dict[str, StockDesk] = field(default_factory=dict)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    def now(self) -> datetime | None:
        """The world's time when it runs on a clock of its own (a replay's); else None."""
        moment: datetime | None = self.clock() if self.clock else None
        return moment

    def inbox(self, subscriber_id: str) -> Inbox:
        return self.inboxes.setdefault(subscriber_id, Inbox())

    def desk(self, subscriber_id: str, action: str | None = None) -> Desk | None:
        """The desk of `subscriber_id` (the one that answers `action`), if this world runs it."""
        if action in WALLET_ACTIONS:
            return self.wallets.get(subscriber_id)
        if action in PROGRAM_ACTIONS:
            return self.programs.get(subscriber_id)
        if action in STOCK_ACTIONS:
            return self.stores.get(subscriber_id)
        return (
            self.wallets.get(subscriber_id)
            or self.programs.get(subscriber_id)
            or self.stores.get(subscriber_id)
        )

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
        if inbox.mode == "nack":
            return Response(nack("30000", "not taking events now"), status_code=200)
        if inbox.mode == "slow":
            await asyncio.sleep(inbox.delay)
        body = await request.body()
        try:
            envelope = verify_event(
                body,
                request.headers.get("authorization", ""),
                world.switch_public_key,
                now=world.now(),
                switch_id=world.switch_id,
            )
        except (SignatureError, ValueError) as exc:
            inbox.refused += 1
            return Response(nack("bad_signature", str(exc)), status_code=401)
        message_id = message_id_of(envelope) or ""
        async with world.arrived:
            if message_id in inbox.seen:
                inbox.duplicates += 1
            else:
                inbox.seen.add(message_id)
                inbox.events.append(envelope)
                desk = world.desk(subscriber_id)
                if desk is not None:
                    desk.on_event(envelope)
                if world.on_event is not None:
                    world.on_event(subscriber_id, envelope)
            world.arrived.notify_all()
        return Response(ack(), status_code=200)

    def signed(desk: CarrierDesk | Desk, document: dict[str, Any], status: int) -> Response[bytes]:
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        now = world.now()
        created = int(now.timestamp() if now else time.time())
        headers = {"authorization": desk.signer.authorization(body, created, created + 60)}
        return Response(body, status_code=status, media_type="application/json", headers=headers)

    async def desk_request(
        request: Request[Any, Any, Any], subscriber_id: str
    ) -> tuple[CarrierDesk, dict[str, Any]] | Response[Any]:
        desk = world.carriers.get(subscriber_id)
        if desk is None:
            return Response(nack("not_found", "no such desk"), status_code=404)
        if desk.mode == "down":
            return Response(nack("unavailable", "desk is down"), status_code=503)
        if desk.mode == "slow":
            await asyncio.sleep(desk.delay)
        body = await request.body()
        try:
            envelope = verify_event(
                body,
                request.headers.get("authorization", ""),
                world.switch_public_key,
                now=world.now(),
                switch_id=world.switch_id,
            )
        except (SignatureError, ValueError) as exc:
            return signed(desk, nack("bad_signature", str(exc)), 401)
        return desk, envelope

    @post("/cb/{subscriber_id:str}/book", status_code=200)
    async def book(request: Request[Any, Any, Any], subscriber_id: FromPath[str]) -> Response[Any]:
        found = await desk_request(request, subscriber_id)
        if isinstance(found, Response):
            return found
        desk, envelope = found
        if desk.mode == "refuse":
            return signed(desk, nack("not_serviceable", "we do not serve this address"), 422)
        booked = desk.book(message_id_of(envelope) or "", envelope["message"])
        return signed(desk, ack(**booked), 200)

    @post("/cb/{subscriber_id:str}/cancel", status_code=200)
    async def cancel(
        request: Request[Any, Any, Any], subscriber_id: FromPath[str]
    ) -> Response[Any]:
        found = await desk_request(request, subscriber_id)
        if isinstance(found, Response):
            return found
        desk, envelope = found
        desk.cancelled.add(str(envelope["message"].get("tracking_number")))
        return signed(desk, ack(), 200)

    async def decide(
        request: Request[Any, Any, Any], subscriber_id: str, action: str
    ) -> Response[Any]:
        """One decision call to a wallet or program desk: verified, deduplicated, signed."""
        desk = world.desk(subscriber_id, action)
        if desk is None:
            return Response(nack("not_found", "no such desk"), status_code=404)
        body = await request.body()
        desk.calls.append((action, _peek_message_id(body)))
        mode = desk.fail.get(action)
        if mode == "down":
            return Response(nack("unavailable", "desk is down"), status_code=503)
        if mode == "slow":
            await asyncio.sleep(desk.delay)
        try:
            envelope = verify_event(
                body,
                request.headers.get("authorization", ""),
                world.switch_public_key,
                now=world.now(),
                switch_id=world.switch_id,
            )
        except (SignatureError, ValueError) as exc:
            return signed(desk, nack("bad_signature", str(exc)), 401)
        message_id = message_id_of(envelope)
        if message_id is None:
            return signed(desk, nack("invalid_request", "context.message_id is missing"), 400)
        message = envelope.get("message")
        status, document = desk.answer(
            action, message_id, message if isinstance(message, dict) else {}
        )
        return signed(desk, document, status)

    def decision_route(action: str) -> HTTPRouteHandler:
        @post(f"/cb/{{subscriber_id:str}}/{action}", status_code=200, name=f"desk-{action}")
        async def handler(
            request: Request[Any, Any, Any], subscriber_id: FromPath[str]
        ) -> Response[Any]:
            return await decide(request, subscriber_id, action)

        return handler

    decisions = [
        decision_route(action) for action in (*WALLET_ACTIONS, *PROGRAM_ACTIONS, *STOCK_ACTIONS)
    ]
    return Litestar(
        route_handlers=[callback, book, cancel, *decisions], debug=False, logging_config=None
    )


def _peek_message_id(body: bytes) -> str:
    """The message id of a call not yet verified (only to record the call), or ""."""
    try:
        return message_id_of(json.loads(body)) or ""
    except ValueError:
        return ""
