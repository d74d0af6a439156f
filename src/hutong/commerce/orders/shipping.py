"""Shipping an order: the merchant books the order's carrier; tracking moves the order.

The merchant books the carrier the buyer chose (`hutong.logistics.booking`,
the shipment's id derived from the order so a retry books once); the shipment
is stored in the write that records it on the order (book_carrier), one
transaction. An order that moved while its carrier was asked (cancelled, or
booked by a twin request) is refused, and what the carrier booked is still
kept (`_booked_meanwhile`). From then on the carrier's tracking events move
the order (`track` hands the event to the logistics service with `FOLLOWER`,
whose order row it reads with the shipment and moves in the transaction
that stores the event): picked up or any later progress ships it, delivered
delivers it and starts the buyer's confirmation window.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.commerce.orders import OrderEvent, OrderState
from hutong.commerce.orders import store as order_store
from hutong.commerce.orders.lines import OrderError
from hutong.commerce.orders.moves import moved, require_party, step, tell
from hutong.commerce.orders.outcome import OrderOutcome
from hutong.commerce.orders.store import OrderRow
from hutong.logistics import booking
from hutong.logistics import service as logistics
from hutong.logistics import store as logistics_store
from hutong.logistics.booked import Booking
from hutong.logistics.booking import BookingPlan
from hutong.logistics.statuses import Status
from hutong.logistics.store import Applied
from hutong.net.transport import CallTransport
from hutong.protocol.errors import HutongError
from hutong.runtime.exactly_once import Refused, Unanswered, Write
from hutong.runtime.services import Services

#: How long the buyer has to confirm receipt once delivered.
CONFIRM_WITHIN = 7 * 86_400


def shipment_id_for(order_id: str) -> str:
    return "shp_" + hashlib.blake2b(f"order|{order_id}".encode(), digest_size=12).hexdigest()


async def ship(
    services: Services,
    http: CallTransport,
    sender: str,
    order_id: str,
    *,
    origin: str,
    weight_g: int,
    service: str = "",
) -> Write[OrderOutcome | Refused]:
    """The merchant books the order's carrier for the parcel (origin area code, weight)."""
    row, planned = await _planned(
        services, sender, order_id, origin=origin, weight_g=weight_g, service=service, record=True
    )
    if isinstance(planned, Booking):
        return _booked(services, row, planned)
    await booking.take_slot(services, planned)
    return _booked(services, row, await booking.ask_carrier(services, http, planned))


async def _planned(
    services: Services,
    sender: str,
    order_id: str,
    *,
    origin: str,
    weight_g: int,
    service: str,
    record: bool,
) -> tuple[OrderRow, Booking | BookingPlan]:
    """The order, and its booking checked and priced (or found stored), once `sender` may ship."""
    shipment_id = shipment_id_for(order_id)
    async with services.db.read() as conn:
        row, stored = await order_store.order_and_booking(conn, order_id, shipment_id)
        declared = (await logistics_store.all_services(conn)).get(row.carrier, [])
    require_party(row, sender, "merchant")
    step(row.order, OrderEvent.BOOK_CARRIER, services.clock())
    start = logistics.place_of(origin, "origin")
    name = service or row.carrier_service or (declared[0].name if declared else "")
    destination = await logistics.route_destination(
        services, row.destination.get("area_code") or "", row.destination.get("pickup_point_id")
    )
    planned = await booking.plan_booking(
        services,
        merchant=row.merchant,
        carrier=row.carrier,
        service=name,
        route=logistics.Route(
            start, destination, weight_g, row.destination.get("pickup_point_id"), row.host
        ),
        destination=dict(row.destination.get("address") or {})
        | {"area_code": row.destination.get("area_code") or ""},
        shipment_id=shipment_id,
        host_has_an_order=True,  # this order: its host is one the merchant sells on
        stored=stored,  # read with the order
        record=record,
    )
    return row, planned


@dataclass(slots=True)
class Shipping:
    """One ship, read and checked before its message id is claimed (`start_ship`).

    The usual ship (the merchant's, of a paid order not booked yet, to a
    pickup point its carrier may serve) takes the point's slot in its claim's
    transaction (`along`: one conditional UPDATE), before the carrier is
    asked: a twin rolls back with its claim and never asks, and a carrier
    that did not answer gives the slot back, as when the slot was taken on
    its own. Everything else (no pickup point, a booking stored already, a
    refusal, a full point) is read and checked again after the claim (`ship`),
    where a refusal is recorded as the answer.
    """

    services: Services
    http: CallTransport
    sender: str
    order_id: str
    origin: str
    weight_g: int
    service: str
    #: The order and its booking as planned before the claim, when the claim may take the slot.
    seen: tuple[OrderRow, BookingPlan] | None = None
    #: Whether the claim took the slot (the last run of its write: the one that commits).
    taken: bool = False

    @property
    def along(self) -> Write[None] | None:
        """What commits with the claim: the pickup point's slot, when this ship may take it."""
        return None if self.seen is None else self._take

    async def _take(self, conn: AsyncConnection) -> None:
        assert self.seen is not None
        self.taken = await booking.slot_taken(conn, self.seen[1])

    async def decide(self) -> Write[OrderOutcome | Refused]:
        """After the claim: ask the carrier (the slot taken) or check it all again (`ship`)."""
        if self.seen is not None and self.taken:
            row, plan = self.seen
            return _booked(
                self.services, row, await booking.ask_carrier(self.services, self.http, plan)
            )
        return await ship(
            self.services,
            self.http,
            self.sender,
            self.order_id,
            origin=self.origin,
            weight_g=self.weight_g,
            service=self.service,
        )


async def start_ship(
    services: Services,
    http: CallTransport,
    sender: str,
    order_id: str,
    *,
    origin: str,
    weight_g: int,
    service: str = "",
) -> Shipping:
    """What a ship reads before its claim: the order, its booking planned, whether the claim
    takes the slot.

    Only reads (a policy's refusal is not recorded here): a twin's are
    harmless. Refusals are left to `Shipping.decide`, after the claim, so that
    they are recorded as the answer.
    """
    shipping = Shipping(services, http, sender, order_id, origin, weight_g, service)
    try:
        row, planned = await _planned(
            services,
            sender,
            order_id,
            origin=origin,
            weight_g=weight_g,
            service=service,
            record=False,
        )
    except HutongError as refusal:
        if refusal.kind.transient:
            raise
        return shipping  # refused after the claim (checked again there)
    if isinstance(planned, BookingPlan) and planned.route.pickup_point_id:
        shipping.seen = (row, planned)
    return shipping


def _booked(services: Services, row: OrderRow, booked: Booking) -> Write[OrderOutcome | Refused]:
    """The write that stores what the carrier booked with the order (`row`: as read before)."""
    order_id = row.id

    async def write(conn: AsyncConnection) -> OrderOutcome | Refused:
        # Still as read (one conditional UPDATE locks it: no locked read first), the
        # order books as it did before the carrier was asked; else it is read under
        # the lock and booked or refused for what it is now.
        now = services.clock()
        after = step(row.order, OrderEvent.BOOK_CARRIER, now)
        shipment_id = booked.shipment.id
        done = await order_store.save_if_unchanged(conn, row, after, now, shipment_id=shipment_id)
        if done is not None:
            await booked.keep(conn)
            await tell(conn, row.order, OrderEvent.BOOK_CARRIER, done, now)
            return OrderOutcome(done, shipment=booked.shipment)
        current = await order_store.require_order(conn, order_id, lock=True)
        try:
            step(current.order, OrderEvent.BOOK_CARRIER, now)
        except OrderError as refusal:
            return await _booked_meanwhile(conn, current, booked, refusal)
        await booked.keep(conn)
        done = await moved(conn, current, OrderEvent.BOOK_CARRIER, now, shipment_id=shipment_id)
        return OrderOutcome(done, shipment=booked.shipment)

    return write


async def _booked_meanwhile(
    conn: AsyncConnection, current: OrderRow, booking: Booking, refusal: OrderError
) -> Refused:
    """In `conn`: the order moved while its carrier was asked; the answer is the refusal.

    What the carrier booked is still kept, as when the shipment was stored on
    its own: stored, unless a twin request for this order stored it with the
    order first, in which case this attempt's pickup slot goes back.
    """
    if current.shipment_id == booking.shipment.id:
        await booking.give_back(conn)
    else:
        await booking.keep(conn)
    return Refused(refusal)


async def track(services: Services, carrier: str, payload: dict[str, Any]) -> Applied:
    """A carrier's tracking event (its own vocabulary): the shipment and its order move."""
    return await logistics.ingest(services, carrier, payload, follower=FOLLOWER)


def track_write(
    services: Services, carrier: str, payload: dict[str, Any]
) -> Write[Applied | Unanswered]:
    """The write of `track`, to run exactly once under the event's message id.

    A push about an unknown parcel returns `Unanswered`: refused, its message
    id unused (`hutong.runtime.exactly_once.run_once` records nothing).
    """
    return logistics.ingest_write(services, carrier, payload, follower=FOLLOWER)


async def follow(conn: AsyncConnection, row: OrderRow, status: Status, now: datetime) -> OrderRow:
    """In `conn`: move `row` (locked), the order shipped in a parcel, as its tracking says.

    Returns the order as it is after (as it was, if tracking cannot move it).
    """
    if status in (Status.UNKNOWN, Status.INFO_RECEIVED, Status.CANCELLED):
        return row
    if row.state is OrderState.PAID and status.level >= Status.PICKED_UP.level:
        row = await moved(conn, row, OrderEvent.SHIP, now)
    if row.state is OrderState.SHIPPED and status is Status.DELIVERED:
        deadline = now + timedelta(seconds=CONFIRM_WITHIN)
        row = await moved(conn, row, OrderEvent.DELIVER, now, arguments={"deadline": deadline})
    return row


async def _follow_row(conn: AsyncConnection, read: Row[Any], status: Status, now: datetime) -> None:
    await follow(conn, order_store.order_in(read), status, now)


#: The order shipped in a parcel moves with its tracking: read with the shipment,
#: locked after it (`hutong.logistics.store.shipment_for_event`).
FOLLOWER = logistics.TrackingFollower(rides=order_store.SHIPMENT_OF_ORDER, follow=_follow_row)


async def catch_up(conn: AsyncConnection, row: order_store.OrderRow, now: datetime) -> OrderRow:
    """In `conn`: move `row` (locked) as far as its parcel got while a refund request held it still.

    Tracking cannot move an order whose refund is requested; when the request
    ends (refunded in part, refused, withdrawn) the order takes up the
    shipment's current status.
    """
    if not row.shipment_id or row.state not in (OrderState.PAID, OrderState.SHIPPED):
        return row
    shipment = await logistics_store.find_shipment(conn, row.shipment_id)
    if shipment is None:
        return row
    return await follow(conn, row, shipment.status, now)
