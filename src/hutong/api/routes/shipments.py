"""Shipments API: quotes of every carrier, booking, cancelling, a shipment, tracking pushes.

Booking and cancelling ask the carrier first (`run_decided`), so a resend is
answered without asking again and another body under a used id is
`message_id_conflict`; a tracking push is a database write (`run_once`), so
a resend replays the first answer. Carriers' services, pickup points and
the policies are declared in `hutong.api.routes.logistics`.
"""

from __future__ import annotations

from typing import Any

from litestar import Response, Router, get, post
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.api.auth import SignedRequest, SignedRequestMiddleware
from hutong.api.declare import SenderDep, ServicesDep, SignedDep, StrictBody, requires
from hutong.api.documented import CALLS_PARTICIPANTS
from hutong.api.idempotency import Operation, Reply, run_decided, run_once
from hutong.api.routes.logistics_schemas import (
    BookIn,
    Envelope,
    RouteIn,
    SignedBook,
    SignedRoute,
)
from hutong.api.routes.payments_schemas import SignedEmpty
from hutong.api.routes.shipments_out import BOOK_OPT, CANCEL_OPT, QUOTE_OPT, SHOW_OPT, TRACK_OPT
from hutong.commerce.orders import shipping as order_shipping
from hutong.logistics import booking, service, store
from hutong.logistics.booked import shipment_id_of
from hutong.net.transport import call_transport
from hutong.protocol.errors import ForbiddenError
from hutong.registry.models import Role
from hutong.registry.service import require_participant
from hutong.runtime.exactly_once import Unanswered
from hutong.runtime.services import Services


async def _route(services: Services, given: RouteIn | BookIn) -> service.Route:
    origin = service.place_of(given.origin, "origin")
    destination = await service.route_destination(
        services, given.destination, given.pickup_point_id
    )
    return service.Route(origin, destination, given.weight_g, given.pickup_point_id, given.host)


@post(
    "/shipments/quote",
    dto=StrictBody[SignedRoute],
    return_dto=None,
    status_code=200,
    summary="Quotes of every carrier serving a route",
    opt=QUOTE_OPT,
)
async def quote(
    services: ServicesDep, sender: SenderDep, data: JSONBody[SignedRoute]
) -> dict[str, Any]:
    given = data.message
    board = await service.quote_all(services, await _route(services, given), sender)
    return {
        "quotes": [
            {
                "carrier": q.carrier,
                "service": q.service,
                "price": q.price,
                "days": q.days,
                "zone": q.zone.value,
            }
            for q in board.quotes
        ],
        "refused": board.refused,
    }


@post(
    "/shipments",
    dto=StrictBody[SignedBook],
    return_dto=None,
    status_code=201,
    summary="Book a shipment with the carrier you choose",
    guards=[requires(Role.MERCHANT)],
    opt=BOOK_OPT,
)
async def book(
    services: ServicesDep, signed: SignedDep, data: JSONBody[SignedBook]
) -> Response[bytes]:
    """Exactly once per message id: the carrier is asked by the first send only.

    The shipment is stored when the carrier books it (`booking.book`, its id
    derived from the message id); the answer is recorded after. A send whose
    answer was lost in a crash between the two books again, finds the stored
    shipment and answers it.
    """
    given = data.message

    async def prepare() -> Operation:
        shipment = await _book(services, signed, given)

        async def write(_: AsyncConnection) -> Reply:
            return 201, shipment.as_dict()

        return write

    return await run_decided(services, signed, prepare)


async def _book(services: Services, signed: SignedRequest, given: BookIn) -> store.Shipment:
    route = await _route(services, given)
    shipment_id = shipment_id_of(signed.subscriber_id, signed.message_id or "")
    destination = dict(given.address) | {"area_code": given.destination or ""}
    return await booking.book(
        services,
        call_transport(),
        merchant=signed.subscriber_id,
        carrier=given.carrier,
        service=given.service,
        route=route,
        destination=destination,
        shipment_id=shipment_id,
    )


@post(
    "/shipments/{shipment_id:str}/cancel",
    dto=StrictBody[SignedEmpty],
    return_dto=None,
    status_code=200,
    summary="Cancel before pick-up",
    opt=CANCEL_OPT,
)
async def cancel(
    services: ServicesDep,
    signed: SignedDep,
    shipment_id: FromPath[str],
    data: JSONBody[SignedEmpty],
) -> Response[bytes]:
    """Exactly once per message id: a retry gets the first answer, the carrier is asked once.

    The body is checked (and documented) as `data`: its message is empty.
    """

    async def prepare() -> Operation:
        shipment = await service.ask_to_cancel(
            services, call_transport(), shipment_id, signed.subscriber_id
        )

        async def write(conn: AsyncConnection) -> tuple[int, dict[str, Any]]:
            return 200, (await service.record_cancel(conn, shipment, services.clock())).as_dict()

        return write

    return await run_decided(services, signed, prepare)


@get(
    "/shipments/{shipment_id:str}",
    summary="A shipment and its tracking, in one language",
    opt=SHOW_OPT,
)
async def show(
    services: ServicesDep, sender: SenderDep, shipment_id: FromPath[str]
) -> dict[str, Any]:
    async with services.db.read() as conn:
        shipment = await store.get_shipment(conn, shipment_id)
        participant = await require_participant(conn, sender)
        events = await store.events_of(conn, shipment_id)
    if sender not in (shipment.merchant, shipment.host, shipment.carrier) and not (
        participant.has_role(Role.AUDITOR)
    ):
        raise ForbiddenError("this shipment is not yours", code="not_your_shipment")
    return shipment.as_dict() | {"events": events}


@post(
    "/tracking",
    dto=StrictBody[Envelope],
    return_dto=None,
    status_code=200,
    summary="Push a tracking event in your own vocabulary",
    opt=TRACK_OPT,
)
async def track(
    services: ServicesDep, signed: SignedDep, data: JSONBody[Envelope]
) -> Response[bytes]:
    """Exactly once per message id (and each event once by the carrier's own event key)."""
    write = order_shipping.track_write(services, signed.subscriber_id, data.message)
    # An unknown parcel: refused, its message id unused (the write returns Unanswered).
    return await run_once(services, signed, write, _applied_out)


def _applied_out(applied: store.Applied | Unanswered) -> Reply:
    if isinstance(applied, Unanswered):  # raised by the exactly-once path before it gets here
        raise applied.error
    return 200, applied.to_dict()


router = Router(
    path="/v1",
    opt={CALLS_PARTICIPANTS: True},
    route_handlers=[quote, book, cancel, show, track],
    middleware=[SignedRequestMiddleware()],
    tags=["logistics"],
    security=[{"beckn": []}],
)
