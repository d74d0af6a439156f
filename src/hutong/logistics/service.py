"""Quoting shipments and the rules of their routes (booking: `hutong.logistics.booking`;
tracking events: `hutong.logistics.tracking`; cancelling: `hutong.logistics.cancelling`, its
names re-exported here).

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

from hutong.logistics import store
from hutong.logistics.cancelling import ask_to_cancel, cancel, record_cancel
from hutong.logistics.quotes import (
    Place,
    Quote,
    ServiceDeclaration,
    UnknownRegion,
    cheapest_first,
    quote,
)
from hutong.logistics.tracking import (
    TrackingFollower,
    ingest,
    ingest_write,
    plugin_for,
)
from hutong.protocol.errors import ValidationError
from hutong.registry.models import Role
from hutong.registry.service import get_participant
from hutong.runtime.services import Services

__all__ = [
    "QuoteBoard",
    "Route",
    "TrackingFollower",
    "ask_to_cancel",
    "cancel",
    "ingest",
    "ingest_write",
    "place_of",
    "plugin_for",
    "policy_refusal",
    "quote_all",
    "record_cancel",
    "require_pickup_point",
    "route_destination",
    "with_host",
]


class Unread(enum.Enum):
    """What a caller passes for a row it has not read (`booking.plan_booking`'s `stored`)."""

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


async def policy_refusal(
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
        refusal = await policy_refusal(services, route, carrier, record=False)
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
