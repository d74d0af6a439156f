"""Logistics API: carriers' services, pickup points and their policies.

Every write is exactly once per message id: declarations, pickup points and
policies are database writes (`run_once`), so a resend replays the first
answer instead of adding a version or overwriting a later publication.
Shipments (quotes, booking, cancelling, tracking) are in
`hutong.api.routes.shipments`.
"""

from __future__ import annotations

from typing import Any

from litestar import Response, Router, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.api.auth import SignedRequest, SignedRequestMiddleware
from hutong.api.declare import ServicesDep, SignedDep, StrictBody, requires
from hutong.api.documented import CALLS_PARTICIPANTS
from hutong.api.idempotency import Reply, run_once
from hutong.api.routes import logistics_out
from hutong.api.routes.logistics_schemas import (
    MAX_RADIUS_M,
    Envelope,
    RuleIn,
    SignedPoints,
    SignedRule,
    point_out,
)
from hutong.api.schemas import admitted, correction_out
from hutong.logistics import service, store
from hutong.logistics.pickup import PickupPoint, PickupRule
from hutong.logistics.quotes import Place, ServiceDeclaration
from hutong.protocol.errors import ValidationError, ack
from hutong.registry.models import Role
from hutong.runtime.services import Services


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
    ],
    middleware=[SignedRequestMiddleware()],
    tags=["logistics"],
    security=[{"beckn": []}],
)
