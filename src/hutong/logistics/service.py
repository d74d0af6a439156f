"""Quoting, booking and cancelling shipments (tracking events: `hutong.logistics.tracking`).

Places are checked where they enter (`place_of`): six digits
(``invalid_area_code``) of a province that exists (``unknown_region``).
A quote naming a host names a registered platform (``invalid_host``). A
route with no host is the merchant's own store's: its home platform is the
host (`with_host`), so that platform's carrier exclusion applies to quotes
and bookings that name no host, and it hears the shipment's news. A parcel
heavier than every service serving the route takes is refused
(``no_carrier_for_weight``), not answered with no quotes.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.logistics import store
from hutong.logistics.booked import Booking
from hutong.logistics.news import tell
from hutong.logistics.quotes import (
    Place,
    Quote,
    ServiceDeclaration,
    UnknownRegion,
    cheapest_first,
    quote,
)
from hutong.logistics.statuses import Status
from hutong.logistics.tracking import (
    TrackingFollower,
    ingest,
    ingest_write,
    plugin_for,
)
from hutong.net.calls import call
from hutong.net.transport import CallTransport
from hutong.protocol.errors import ConflictError, ForbiddenError, ValidationError
from hutong.registry.models import Role
from hutong.registry.service import get_participant
from hutong.runtime.services import Services

__all__ = [
    "Booking",
    "QuoteBoard",
    "Route",
    "TrackingFollower",
    "ask_to_cancel",
    "book",
    "cancel",
    "ingest",
    "ingest_write",
    "place_of",
    "plugin_for",
    "prepare_booking",
    "quote_all",
    "record_cancel",
    "require_pickup_point",
    "route_destination",
    "with_host",
]


class Unread(enum.Enum):
    """What a caller passes for a row it has not read (`prepare_booking`'s `stored`)."""

    UNREAD = "unread"


UNREAD = Unread.UNREAD


@dataclass(frozen=True, slots=True)
class Route:
    origin: Place
    destination: Place
    weight_g: int
    pickup_point_id: str | None = None
    host: str | None = None


def place_of(code: str, what: str) -> Place:
    """The place of an area code, or ``invalid_area_code`` / ``unknown_region`` (422)."""
    try:
        return Place.from_code(code)
    except UnknownRegion as exc:
        raise ValidationError(f"{what}: {exc}", code="unknown_region") from None
    except ValueError:
        raise ValidationError(
            f"{what} must be a six-digit area code such as 330106", code="invalid_area_code"
        ) from None


async def require_pickup_point(services: Services, pickup_point_id: str) -> Place:
    """Where a declared pickup point is; refused ``unknown_pickup_point`` if none is declared."""
    async with services.db.read() as conn:
        point = await store.declared_point(conn, pickup_point_id)
    if point is None:
        raise ValidationError(f"no pickup point {pickup_point_id}", code="unknown_pickup_point")
    return Place(point.province, point.city)


async def route_destination(
    services: Services, area_code: str, pickup_point_id: str | None
) -> Place:
    """Where a parcel goes: the pickup point's city, else the area code's."""
    if pickup_point_id:
        return await require_pickup_point(services, pickup_point_id)
    return place_of(area_code, "destination")


async def with_host(services: Services, route: Route, merchant: str | None) -> Route:
    """`route` with its host: the one named, else the merchant's home platform (if any)."""
    if route.host or not merchant:
        return route
    async with services.db.read() as conn:
        home = await store.home_platform(conn, merchant)
    return replace(route, host=home) if home else route


async def _require_platform(services: Services, host: str) -> None:
    async with services.db.read() as conn:
        found = await get_participant(conn, host)
    if found is None or not found.has_role(Role.PLATFORM):
        raise ValidationError(f"{host} is not a registered platform", code="invalid_host")


@dataclass(frozen=True, slots=True)
class QuoteBoard:
    quotes: list[Quote]
    #: Carriers that serve the route but may not deliver there, with why.
    refused: list[dict[str, str]]


async def _refusals(
    services: Services, route: Route, carrier: str, record: bool
) -> tuple[str, str] | None:
    """(code, why) when `carrier` may not take this route (pickup point or host policy)."""
    today = services.clock().date()
    async with services.db.read() as conn:
        point = (
            await store.declared_point(conn, route.pickup_point_id)
            if route.pickup_point_id
            else None
        )
        pickup = await store.pickup_policy(conn, point.network) if point else None
        host = await store.host_policy(conn, route.host) if route.host else None
    reason: str | None = None
    kind = by = ""
    if route.pickup_point_id and point is None:
        raise ValidationError(
            f"no pickup point {route.pickup_point_id}", code="unknown_pickup_point"
        )
    if point is not None and pickup is not None:
        allowed, rule = pickup.allows(carrier, today)
        if not allowed:
            kind, by = "pickup_point", point.network
            reason = f"{point.network} does not let {carrier} deliver to its points" + (
                f" (policy v{rule.version} since {rule.valid_from}: {rule.reason})" if rule else ""
            )
    if reason is None and host is not None:
        allowed, rule = host.allows(carrier, today)
        if not allowed:
            kind, by = "host_carrier", route.host or ""
            reason = f"{route.host} does not let its orders ship with {carrier}" + (
                f" (policy v{rule.version} since {rule.valid_from}: {rule.reason})" if rule else ""
            )
    if reason is None:
        return None
    if record:
        async with services.db.transaction() as conn:
            await store.record_refusal(
                conn,
                kind=kind,
                by=by,
                against=carrier,
                subject=route.pickup_point_id or route.host or "",
                reason=reason,
                now=services.clock(),
            )
    return ("pickup_point_refused" if kind == "pickup_point" else "carrier_not_allowed"), reason


async def quote_all(services: Services, route: Route, merchant: str | None = None) -> QuoteBoard:
    """Quotes from every carrier whose declared services serve the route, cheapest first.

    `merchant` (who asks) gives a route without a host its home platform.
    """
    if route.weight_g <= 0:
        raise ValidationError("weight_g must be a positive number of grams", code="invalid_weight")
    if route.host:
        await _require_platform(services, route.host)
    route = await with_host(services, route, merchant)
    async with services.db.read() as conn:
        declared = await store.all_services(conn)
    _require_a_taker(declared.values(), route)
    quotes: list[Quote] = []
    refused: list[dict[str, str]] = []
    for carrier, declarations in declared.items():
        offers = [
            q
            for d in declarations
            if (q := quote(carrier, d, route.origin, route.destination, route.weight_g)) is not None
        ]
        if not offers:
            continue
        refusal = await _refusals(services, route, carrier, record=False)
        if refusal is not None:
            refused.append({"carrier": carrier, "reason": refusal[1]})
            continue
        quotes.extend(offers)
    return QuoteBoard(cheapest_first(quotes), refused)


def _require_a_taker(declared: Iterable[list[ServiceDeclaration]], route: Route) -> None:
    """``no_carrier_for_weight`` when services serve the route but none takes the weight."""
    serving = [d for ds in declared for d in ds if d.serves(route.origin, route.destination)]
    if serving and all(d.band(route.weight_g) is None for d in serving):
        heaviest = max(d.max_weight_g for d in serving)
        raise ValidationError(
            f"no carrier takes a parcel of {route.weight_g} g on this route: "
            f"the heaviest any takes is {heaviest} g",
            code="no_carrier_for_weight",
        )


async def book(
    services: Services,
    http: CallTransport,
    *,
    merchant: str,
    carrier: str,
    service: str,
    route: Route,
    destination: dict[str, Any],
    shipment_id: str,
) -> store.Shipment:
    """Book with the chosen carrier and store the shipment in a write of its own."""
    booking = await prepare_booking(
        services,
        http,
        merchant=merchant,
        carrier=carrier,
        service=service,
        route=route,
        destination=destination,
        shipment_id=shipment_id,
    )
    return await booking.kept(services)


async def prepare_booking(
    services: Services,
    http: CallTransport,
    *,
    merchant: str,
    carrier: str,
    service: str,
    route: Route,
    destination: dict[str, Any],
    shipment_id: str,
    host_has_an_order: bool = False,
    stored: store.Shipment | Unread | None = UNREAD,
) -> Booking:
    """Book with the chosen carrier (the merchant's free choice, unless a policy refuses it).

    The shipment's host (who hears its news) must be a platform the merchant
    sells on: its home platform, one with an order from it or one that
    approved a storefront of it (``not_your_host`` otherwise). With no host
    named it is the merchant's home platform (`with_host`), whose carrier
    exclusion then applies.

    `shipment_id` is the idempotency key: booking it again finds the
    shipment already booked, and the carrier sees the same message id. The
    booking is not stored here: the caller stores it (`Booking`).
    `host_has_an_order`: the caller books for an order of `merchant` on
    `route.host`, itself a proof of the host (not read again). `stored`: the
    shipment `shipment_id` as the caller read it (None: not stored), else read here.
    """
    if route.weight_g <= 0:
        raise ValidationError("weight_g must be a positive number of grams", code="invalid_weight")
    route = await with_host(services, route, merchant)
    async with services.db.read() as conn:
        if isinstance(stored, Unread):
            stored = await store.find_shipment(conn, shipment_id)
        if stored is not None:
            return Booking(stored, stored=True, at=services.clock())
        if (
            route.host
            and not host_has_an_order
            and not await store.hosts_merchant(conn, route.host, merchant)
        ):
            raise ForbiddenError(
                f"{route.host} is not a platform {merchant} sells on (not its home, no order,"
                " no approved storefront): it cannot be this shipment's host",
                code="not_your_host",
            )
        declared = (await store.all_services(conn)).get(carrier, [])
    declaration = next((d for d in declared if d.name == service), None)
    if declaration is None:
        # The body names carrier and service: one never declared is its mistake (422).
        raise ValidationError(f"{carrier} declares no service {service!r}", code="unknown_service")
    priced = quote(carrier, declaration, route.origin, route.destination, route.weight_g)
    if priced is None:
        raise ConflictError(
            f"{carrier} {service} does not serve this route", code="not_serviceable"
        )
    refusal = await _refusals(services, route, carrier, record=True)
    if refusal is not None:
        code, reason = refusal
        raise ConflictError(reason, code=code)
    now = services.clock()
    if route.pickup_point_id:
        async with services.db.transaction() as conn:
            taken = await store.change_held(conn, route.pickup_point_id, +1)
            if not taken:
                await store.record_refusal(
                    conn,
                    kind="pickup_full",
                    by=route.pickup_point_id,
                    against=carrier,
                    subject=shipment_id,
                    reason="pickup point at capacity",
                    now=now,
                )
        if not taken:  # raised after the commit, so the refusal stays recorded
            raise ConflictError(
                f"pickup point {route.pickup_point_id} is full", code="pickup_point_full"
            )
    try:
        answer = await call(
            services,
            http,
            carrier,
            "book",
            {
                "shipment_id": shipment_id,
                "service": service,
                "merchant": merchant,
                "origin": {"province": route.origin.province, "city": route.origin.city},
                "destination": destination,
                "pickup_point_id": route.pickup_point_id,
                "weight_g": route.weight_g,
            },
            message_id=shipment_id,
            on_behalf_of=route.host or "",
        )
        tracking_number = str(answer["tracking_number"])
        label_ref = str(answer.get("label_ref") or "")
    except BaseException:
        if route.pickup_point_id:  # give the slot back: nothing was booked
            async with services.db.transaction() as conn:
                await store.change_held(conn, route.pickup_point_id, -1)
        raise
    shipment = store.Shipment(
        id=shipment_id,
        merchant=merchant,
        host=route.host,
        carrier=carrier,
        service=service,
        tracking_number=tracking_number,
        label_ref=label_ref,
        pickup_point_id=route.pickup_point_id,
        destination=destination,
        weight_g=route.weight_g,
        price=priced.price,
        status=Status.INFO_RECEIVED,
        sub_status="booked",
        status_at=now,
    )

    return Booking(shipment, stored=False, at=now)


async def cancel(
    services: Services, http: CallTransport, shipment_id: str, caller: str
) -> store.Shipment:
    shipment = await ask_to_cancel(services, http, shipment_id, caller)
    async with services.db.transaction() as conn:
        return await record_cancel(conn, shipment, services.clock())


async def ask_to_cancel(
    services: Services, http: CallTransport, shipment_id: str, caller: str
) -> store.Shipment:
    """Check the caller may cancel, and have the carrier cancel; nothing written yet."""
    async with services.db.read() as conn:
        shipment = await store.get_shipment(conn, shipment_id)
    if caller != shipment.merchant:
        raise ForbiddenError("only the merchant cancels its shipment", code="not_your_shipment")
    _check_cancellable(shipment)
    await call(
        services,
        http,
        shipment.carrier,
        "cancel",
        {"shipment_id": shipment.id, "tracking_number": shipment.tracking_number},
        message_id=f"{shipment.id}:cancel",
        on_behalf_of=shipment.host or "",
    )
    return shipment


async def record_cancel(
    conn: AsyncConnection, shipment: store.Shipment, now: Any
) -> store.Shipment:
    """The write of a cancel the carrier agreed to, in the caller's transaction."""
    # A pick-up reported while the carrier was being asked wins: look again,
    # under the row lock, before cancelling.
    current = await store.shipment_by_tracking(
        conn, shipment.carrier, shipment.tracking_number or "", lock=True
    )
    _check_cancellable(current or shipment)
    await store.set_status(conn, shipment.id, Status.CANCELLED, "cancelled_by_merchant", now, now)
    if shipment.pickup_point_id:
        await store.change_held(conn, shipment.pickup_point_id, -1)
    shipment = await store.get_shipment(conn, shipment.id)
    await tell(conn, shipment, "cancelled", now)
    return shipment


def _check_cancellable(shipment: store.Shipment) -> None:
    if shipment.status is Status.CANCELLED:
        raise ConflictError(
            f"shipment {shipment.id} is already cancelled", code="already_cancelled"
        )
    if shipment.status not in (Status.INFO_RECEIVED, Status.UNKNOWN):
        raise ConflictError(
            f"shipment {shipment.id} is {shipment.status.value}; only one not yet picked up "
            "can be cancelled",
            code="too_late_to_cancel",
        )
