"""Logistics API: carriers' services, pickup points and policies, shipments, tracking.

Every write is exactly once per message id: declarations, pickup points and
tracking events are database writes (`run_once`), so a resend replays the
first answer instead of adding a version or overwriting a later publication;
booking and cancelling ask the carrier first (`run_decided`), so a resend is
answered without asking again and another body under a used id is
`message_id_conflict`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from litestar import Response, Router, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.api.auth import SignedRequest, SignedRequestMiddleware
from hutong.api.declare import SenderDep, ServicesDep, SignedDep, StrictBody, requires
from hutong.api.documented import CALLS_PARTICIPANTS
from hutong.api.idempotency import Operation, Reply, run_decided, run_once
from hutong.api.routes import logistics_out
from hutong.api.routes.logistics_schemas import (
    MAX_RADIUS_M,
    BookIn,
    Envelope,
    RouteIn,
    RuleIn,
    SignedBook,
    SignedPoints,
    SignedRoute,
    SignedRule,
    point_out,
)
from hutong.api.routes.payments_schemas import SignedEmpty
from hutong.api.routes.shipments_out import BOOK_OPT, CANCEL_OPT, QUOTE_OPT, SHOW_OPT, TRACK_OPT
from hutong.api.schemas import admitted, correction_out
from hutong.commerce.orders import shipping as order_shipping
from hutong.logistics import service, store
from hutong.logistics.pickup import PickupPoint, PickupRule
from hutong.logistics.quotes import Place, ServiceDeclaration
from hutong.net.transport import call_transport
from hutong.protocol.errors import ForbiddenError, ValidationError, ack
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
    "/carrier/services",
    dto=StrictBody[Envelope],
    return_dto=None,
    status_code=200,
    summary="Declare your services (carriers)",
    opt=logistics_out.SERVICES_OPT,
    guards=[requires(Role.CARRIER)],
)
async def declare_services(
    services: ServicesDep, signed: SignedDep, data: JSONBody[Envelope]
) -> Response[bytes]:
    sender = signed.subscriber_id
    raw = data.message.get("services")
    try:
        declared = [ServiceDeclaration.from_dict(item) for item in raw or []]
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError(
            f"a service declaration is not valid: {exc}", code="invalid_service"
        ) from None
    if not declared:
        declared = list(service.plugin_for(sender).services)

    async def write(conn: AsyncConnection) -> Reply:
        await store.declare_services(conn, sender, declared, services.clock())
        return 200, ack(services=[d.to_dict() for d in declared])

    return await run_once(services, signed, write)


@post(
    "/pickup-points",
    dto=StrictBody[SignedPoints],
    return_dto=None,
    status_code=200,
    summary="Publish your network's pickup points",
    opt=logistics_out.PUBLISH_POINTS_OPT,
    guards=[requires(Role.CARRIER, Role.PLATFORM)],
)
async def publish_points(
    services: ServicesDep, signed: SignedDep, data: JSONBody[SignedPoints]
) -> Response[bytes]:
    sender = signed.subscriber_id
    body = data.message
    points = []
    for p in body.points:
        if p.capacity < 0 or not -90 <= p.lat <= 90 or not -180 <= p.lng <= 180:
            raise ValidationError(
                f"pickup point {p.id}: bad capacity or position", code="invalid_pickup_point"
            )
        try:
            Place(p.province, p.city)  # quotes and bookings to the point need its area
            point = PickupPoint(
                id=p.id,
                network=sender,
                name=p.name,
                address=p.address,
                province=p.province,
                city=p.city,
                lat_e6=round(p.lat * 1_000_000),
                lng_e6=round(p.lng * 1_000_000),
                opening_hours=p.opening_hours,
                capacity=p.capacity,
                held=0,
            )
        except ValueError as exc:
            raise ValidationError(
                f"pickup point {p.id}: {exc}", code="invalid_pickup_point"
            ) from None
        points.append(point)

    async def write(conn: AsyncConnection) -> Reply:
        await store.publish_points(conn, sender, points, services.clock())
        return 200, ack(published=len(points))

    return await run_once(services, signed, write)


async def _declare(
    services: Services, signed: SignedRequest, given: RuleIn, kind: str
) -> Response[bytes]:
    owner = signed.subscriber_id
    correction = admitted(given.correction, given.valid_from, services.clock())
    try:
        rule = PickupRule(
            network=owner,
            valid_from=given.valid_from,
            allowed=frozenset(given.allowed) if given.allowed is not None else None,
            refused=frozenset(given.refused),
            reason=given.reason,
        )
    except ValueError as exc:
        raise ValidationError(str(exc), code="invalid_policy") from None

    async def write(conn: AsyncConnection) -> Reply:
        stored = await store.declare_policy(
            conn,
            kind=kind,
            owner=owner,
            rule=rule,
            now=services.clock(),
            correction=correction,
        )
        return 200, ack(rule=stored.to_dict())

    return await run_once(services, signed, write)


async def _versions(services: Services, kind: str, owner: str) -> dict[str, Any]:
    async with services.db.read() as conn:
        policy = await (store.pickup_policy if kind == "pickup" else store.host_policy)(conn, owner)
        corrected = await store.policy_corrections(conn, kind=kind, owner=owner)
    return {
        "owner": owner,
        "versions": [
            r.to_dict() | {"correction": correction_out(corrected.get(r.version))}
            for r in policy.versions
        ],
    }


@get(
    "/pickup-policies/{network:str}",
    summary="A network's pickup policy, every version (back-dated corrections marked)",
    opt=logistics_out.POLICY_VERSIONS_OPT,
)
async def pickup_policy_versions(services: ServicesDep, network: FromPath[str]) -> dict[str, Any]:
    return await _versions(services, "pickup", network)


@get(
    "/carrier-policies/{host:str}",
    summary="A host's carrier policy, every version (back-dated corrections marked)",
    opt=logistics_out.POLICY_VERSIONS_OPT,
)
async def carrier_policy_versions(services: ServicesDep, host: FromPath[str]) -> dict[str, Any]:
    return await _versions(services, "carrier", host)


@post(
    "/pickup-policies",
    dto=StrictBody[SignedRule],
    return_dto=None,
    status_code=200,
    summary="Which carriers may deliver to your points",
    opt=logistics_out.DECLARE_POLICY_OPT,
    guards=[requires(Role.CARRIER, Role.PLATFORM)],
)
async def declare_pickup_policy(
    services: ServicesDep, signed: SignedDep, data: JSONBody[SignedRule]
) -> Response[bytes]:
    return await _declare(services, signed, data.message, "pickup")


@post(
    "/carrier-policies",
    dto=StrictBody[SignedRule],
    return_dto=None,
    status_code=200,
    summary="Which carriers your orders may use (hosts)",
    opt=logistics_out.DECLARE_POLICY_OPT,
    guards=[requires(Role.PLATFORM)],
)
async def declare_carrier_policy(
    services: ServicesDep, signed: SignedDep, data: JSONBody[SignedRule]
) -> Response[bytes]:
    return await _declare(services, signed, data.message, "host")


@get(
    "/pickup-points",
    summary="Pickup points of every network near a location",
    opt=logistics_out.POINTS_OPT,
)
async def search_points(
    services: ServicesDep,
    lat: FromQuery[float],
    lng: FromQuery[float],
    radius_m: FromQuery[int] = 2000,
    limit: FromQuery[int] = 20,
) -> dict[str, Any]:
    if not 0 < radius_m <= MAX_RADIUS_M:
        raise ValidationError(f"radius_m must be 1 to {MAX_RADIUS_M}", code="invalid_radius")
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise ValidationError("lat must be -90 to 90 and lng -180 to 180", code="invalid_position")
    async with services.db.read() as conn:
        near = await store.points_near(
            conn, round(lat * 1e6), round(lng * 1e6), radius_m, min(max(limit, 1), 100)
        )
    return {"points": [point_out(p) | {"distance_m": d} for d, p in near]}


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

    The shipment is stored when the carrier books it (`service.book`, its id
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
    key = f"{signed.subscriber_id}|{signed.message_id}".encode()
    shipment_id = "shp_" + hashlib.blake2b(key, digest_size=12).hexdigest()
    destination = dict(given.address) | {"area_code": given.destination or ""}
    return await service.book(
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
    route_handlers=[
        declare_services,
        publish_points,
        declare_pickup_policy,
        pickup_policy_versions,
        carrier_policy_versions,
        declare_carrier_policy,
        search_points,
        quote,
        book,
        cancel,
        show,
        track,
    ],
    middleware=[SignedRequestMiddleware()],
    tags=["logistics"],
    security=[{"beckn": []}],
)
