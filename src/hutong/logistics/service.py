"""Quoting, booking, cancelling shipments, and ingesting carriers' tracking events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.events.outbox import enqueue
from hutong.logistics import store
from hutong.logistics.plugins import CarrierPlugin, load_plugins
from hutong.logistics.quotes import Place, Quote, cheapest_first, quote
from hutong.logistics.statuses import Status
from hutong.net.calls import call
from hutong.net.transport import CallTransport
from hutong.protocol.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from hutong.runtime.exactly_once import Write
from hutong.runtime.services import Services


@dataclass(frozen=True, slots=True)
class Route:
    origin: Place
    destination: Place
    weight_g: int
    pickup_point_id: str | None = None
    host: str | None = None


async def route_destination(
    services: Services, area_code: str, pickup_point_id: str | None
) -> Place:
    """Where a parcel goes: the pickup point's city, else the area code's."""
    if pickup_point_id:
        async with services.db.read() as conn:
            point = await store.get_point(conn, pickup_point_id)
        if point is None:
            raise ValidationError(f"no pickup point {pickup_point_id}", code="unknown_pickup_point")
        return Place(point.province, point.city)
    try:
        return Place.from_code(area_code)
    except ValueError:
        raise ValidationError(
            "destination must be a six-digit area code such as 330106", code="invalid_area_code"
        ) from None


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
            await store.get_point(conn, route.pickup_point_id) if route.pickup_point_id else None
        )
        pickup = await store.pickup_policy(conn, point.network) if point else None
        host = await store.host_policy(conn, route.host) if route.host else None
    reason: str | None = None
    kind = by = ""
    if route.pickup_point_id and point is None:
        raise NotFoundError(f"no pickup point {route.pickup_point_id}", code="unknown_pickup_point")
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


async def quote_all(services: Services, route: Route) -> QuoteBoard:
    """Quotes from every carrier whose declared services serve the route, cheapest first."""
    if route.weight_g <= 0:
        raise ValidationError("weight_g must be a positive number of grams", code="invalid_weight")
    async with services.db.read() as conn:
        declared = await store.all_services(conn)
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
    """Book with the chosen carrier (the merchant's free choice, unless a policy refuses it).

    The shipment's host (who hears its news) must be a platform the merchant
    sells on: its home platform, one with an order from it or one that
    approved a storefront of it (``not_your_host`` otherwise).

    `shipment_id` is the idempotency key: booking it again returns the
    shipment already booked, and the carrier sees the same message id.
    """
    if route.weight_g <= 0:
        raise ValidationError("weight_g must be a positive number of grams", code="invalid_weight")
    async with services.db.read() as conn:
        existing = await store.find_shipment(conn, shipment_id)
        if existing is not None:
            return existing
        if route.host and not await store.hosts_merchant(conn, route.host, merchant):
            raise ForbiddenError(
                f"{route.host} is not a platform {merchant} sells on (not its home, no order,"
                " no approved storefront): it cannot be this shipment's host",
                code="not_your_host",
            )
        declared = (await store.all_services(conn)).get(carrier, [])
    declaration = next((d for d in declared if d.name == service), None)
    if declaration is None:
        raise NotFoundError(f"{carrier} declares no service {service!r}", code="unknown_service")
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
    try:
        async with services.db.transaction() as conn:
            await store.insert_shipment(conn, shipment, now)
            await _tell(conn, shipment, "booked", now)
    except IntegrityError:
        # A retry of this booking raced it and stored it first (the carrier saw the same
        # message id and booked once): give back the slot this attempt took, same answer.
        async with services.db.read() as conn:
            existing = await store.find_shipment(conn, shipment_id)
        if existing is None:
            raise
        if route.pickup_point_id:
            async with services.db.transaction() as conn:
                await store.change_held(conn, route.pickup_point_id, -1)
        return existing
    return shipment


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
    await _tell(conn, shipment, "cancelled", now)
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


def plugin_for(carrier: str) -> CarrierPlugin:
    plugin = load_plugins().get(carrier)
    if plugin is None:
        raise ForbiddenError(
            f"{carrier} has no tracking integration installed on this switch",
            code="no_carrier_plugin",
        )
    return plugin


#: What moves with a shipment's tracking, in the event's transaction (the order
#: shipped in it: `hutong.commerce.orders.shipping.follow`): the connection, the
#: shipment id, its new status, now.
TrackingFollower = Callable[[AsyncConnection, str, Status, datetime], Awaitable[None]]


async def ingest(
    services: Services, carrier: str, payload: dict[str, Any], *, follow: TrackingFollower
) -> store.Applied:
    """One tracking event in the carrier's own vocabulary: store, map, maybe advance."""
    # Group commit: concurrent carriers' events share one durable commit.
    return await services.batcher().run(ingest_write(services, carrier, payload, follow=follow))


def ingest_write(
    services: Services, carrier: str, payload: dict[str, Any], *, follow: TrackingFollower
) -> Write[store.Applied]:
    """The write of one tracking event (parsed now, refused now if not understood).

    A status change is told to the merchant and the host and passed to
    `follow` in the same transaction, so what depends on the parcel moves with it.
    """
    plugin = plugin_for(carrier)
    try:
        event = plugin.parse_event(payload)
    except ValueError as exc:
        raise ValidationError(f"{carrier} event not understood: {exc}", code="bad_event") from None
    mapped = plugin.mapping.map(event.code, event.sub_code)
    dedupe_key = plugin.dedupe_key(event)

    async def write(conn: AsyncConnection) -> store.Applied:
        now = services.clock()
        # The row lock orders concurrent events of one shipment (PostgreSQL).
        shipment = await store.shipment_by_tracking(conn, carrier, event.tracking_number, lock=True)
        if shipment is None:
            raise NotFoundError(
                f"{carrier} has no shipment with tracking number {event.tracking_number}",
                code="unknown_tracking_number",
            )
        applied = await store.record_event(
            conn,
            shipment=shipment,
            dedupe_key=dedupe_key,
            mapped=mapped,
            raw=dict(event.raw),
            occurred_at=event.occurred_at,
            now=now,
        )
        if applied.changed:
            await _tell(conn, applied.shipment, "status", now)
            await follow(conn, shipment.id, applied.shipment.status, now)
            # The parcel leaves the point (or never comes) once: the first terminal state
            # gives the slot back, not delivered -> returned, nor a cancelled booking
            # delivered after all.
            if (
                applied.shipment.pickup_point_id
                and applied.shipment.status.terminal
                and not shipment.status.terminal
            ):
                await store.change_held(conn, applied.shipment.pickup_point_id, -1)
        return applied

    return write


async def _tell(conn: Any, shipment: store.Shipment, what: str, now: Any) -> None:
    """Shipment news goes to the merchant and the host (when there is one)."""
    for recipient in {shipment.merchant, *([shipment.host] if shipment.host else [])}:
        await enqueue(
            conn,
            recipient=recipient,
            action="on_shipment",
            message={"change": what, "shipment": shipment.as_dict()},
            now=now,
            transaction_id=shipment.id,
        )
