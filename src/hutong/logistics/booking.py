"""Booking a shipment: checked and priced, its pickup point's slot taken, the carrier asked.

`book` does the three in turn and stores the shipment; a step that takes the
slot in a transaction it commits anyway (an order's ship, with its claim of the
message id: `hutong.commerce.orders.shipping`) calls them apart
(`plan_booking`, `slot_taken`, `ask_carrier`) and stores the booking in a
write of its own (`Booking`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.logistics import store
from hutong.logistics.booked import Booking
from hutong.logistics.quotes import quote
from hutong.logistics.service import UNREAD, Route, Unread, policy_refusal, with_host
from hutong.logistics.statuses import Status
from hutong.net.calls import call
from hutong.net.transport import CallTransport
from hutong.protocol.errors import ConflictError, ForbiddenError, ValidationError
from hutong.runtime.services import Services

__all__ = [
    "Booking",
    "BookingPlan",
    "ask_carrier",
    "book",
    "plan_booking",
    "slot_taken",
    "take_slot",
]


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
    """Book with the chosen carrier (the merchant's free choice, unless a policy refuses it)
    and store the shipment in a write of its own.

    Checked and priced (`plan_booking`), the pickup point's slot taken in a
    transaction of its own (`take_slot`), the carrier asked (`ask_carrier`),
    the shipment kept (`Booking.kept`). `shipment_id` is the idempotency key:
    booking it again finds the shipment already booked, and the carrier sees
    the same message id.
    """
    planned = await plan_booking(
        services,
        merchant=merchant,
        carrier=carrier,
        service=service,
        route=route,
        destination=destination,
        shipment_id=shipment_id,
    )
    if not isinstance(planned, Booking):
        await take_slot(services, planned)
        planned = await ask_carrier(services, http, planned)
    return await planned.kept(services)


@dataclass(frozen=True, slots=True)
class BookingPlan:
    """A booking checked and priced: what the carrier is asked, once the slot is taken."""

    merchant: str
    carrier: str
    service: str
    route: Route
    destination: dict[str, Any]
    shipment_id: str
    price: int


async def plan_booking(
    services: Services,
    *,
    merchant: str,
    carrier: str,
    service: str,
    route: Route,
    destination: dict[str, Any],
    shipment_id: str,
    host_has_an_order: bool = False,
    stored: store.Shipment | Unread | None = UNREAD,
    record: bool = True,
) -> Booking | BookingPlan:
    """The booking checked and priced, or the shipment `shipment_id` already stored.

    The shipment's host (who hears its news) must be a platform the merchant
    sells on: its home platform, one with an order from it or one that
    approved a storefront of it (``not_your_host`` otherwise). With no host
    named it is the merchant's home platform (`with_host`), whose carrier
    exclusion then applies. `host_has_an_order`: the caller books for an
    order of `merchant` on `route.host`, itself a proof of the host (not read
    again). `stored`: the shipment `shipment_id` as the caller read it (None:
    not stored), else read here. `record`: a policy's refusal is recorded
    (False: only raised, for a check made again later).
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
    refusal = await policy_refusal(services, route, carrier, record=record)
    if refusal is not None:
        code, reason = refusal
        raise ConflictError(reason, code=code)
    return BookingPlan(merchant, carrier, service, route, destination, shipment_id, priced.price)


async def take_slot(services: Services, plan: BookingPlan) -> None:
    """Take the pickup point's slot (if any) in a transaction of its own, or refuse it full.

    A full point's refusal is recorded (committed) before it is raised.
    """
    if not plan.route.pickup_point_id:
        return
    async with services.db.transaction() as conn:
        taken = await slot_taken(conn, plan)
        if not taken:
            await store.record_refusal(
                conn,
                kind="pickup_full",
                by=plan.route.pickup_point_id,
                against=plan.carrier,
                subject=plan.shipment_id,
                reason="pickup point at capacity",
                now=services.clock(),
            )
    if not taken:  # raised after the commit, so the refusal stays recorded
        raise ConflictError(
            f"pickup point {plan.route.pickup_point_id} is full", code="pickup_point_full"
        )


async def slot_taken(conn: AsyncConnection, plan: BookingPlan) -> bool:
    """In `conn`: take the pickup point's slot (one conditional UPDATE); False if it is full."""
    if not plan.route.pickup_point_id:
        return True
    return await store.change_held(conn, plan.route.pickup_point_id, +1)


async def ask_carrier(services: Services, http: CallTransport, plan: BookingPlan) -> Booking:
    """Ask the carrier to book (its slot taken); the slot goes back if nothing was booked."""
    route = plan.route
    now = services.clock()
    try:
        answer = await call(
            services,
            http,
            plan.carrier,
            "book",
            {
                "shipment_id": plan.shipment_id,
                "service": plan.service,
                "merchant": plan.merchant,
                "origin": {"province": route.origin.province, "city": route.origin.city},
                "destination": plan.destination,
                "pickup_point_id": route.pickup_point_id,
                "weight_g": route.weight_g,
            },
            message_id=plan.shipment_id,
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
        id=plan.shipment_id,
        merchant=plan.merchant,
        host=route.host,
        carrier=plan.carrier,
        service=plan.service,
        tracking_number=tracking_number,
        label_ref=label_ref,
        pickup_point_id=route.pickup_point_id,
        destination=plan.destination,
        weight_g=route.weight_g,
        price=plan.price,
        status=Status.INFO_RECEIVED,
        sub_status="booked",
        status_at=now,
    )
    return Booking(shipment, stored=False, at=now)
