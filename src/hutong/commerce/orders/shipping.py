"""Shipping an order: the merchant books the order's carrier; tracking moves the order.

The merchant books the carrier the buyer chose (`hutong.logistics.service.prepare_booking`,
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
from hutong.logistics import service as logistics
from hutong.logistics import store as logistics_store
from hutong.logistics.booked import Booking
from hutong.logistics.statuses import Status
from hutong.logistics.store import Applied
from hutong.net.transport import CallTransport
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
    booking = await logistics.prepare_booking(
        services,
        http,
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
    )

    async def write(conn: AsyncConnection) -> OrderOutcome | Refused:
        # Still as read (one conditional UPDATE locks it: no locked read first), the
        # order books as it did before the carrier was asked; else it is read under
        # the lock and booked or refused for what it is now.
        now = services.clock()
        after = step(row.order, OrderEvent.BOOK_CARRIER, now)
        shipment_id = booking.shipment.id
        booked = await order_store.save_if_unchanged(conn, row, after, now, shipment_id=shipment_id)
        if booked is not None:
            await booking.keep(conn)
            await tell(conn, row.order, OrderEvent.BOOK_CARRIER, booked, now)
            return OrderOutcome(booked, shipment=booking.shipment)
        current = await order_store.require_order(conn, order_id, lock=True)
        try:
            step(current.order, OrderEvent.BOOK_CARRIER, now)
        except OrderError as refusal:
            return await _booked_meanwhile(conn, current, booking, refusal)
        await booking.keep(conn)
        done = await moved(
            conn, current, OrderEvent.BOOK_CARRIER, now, shipment_id=booking.shipment.id
        )
        return OrderOutcome(done, shipment=booking.shipment)

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
