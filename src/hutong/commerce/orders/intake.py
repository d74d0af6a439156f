"""Taking an order: who may order what, how it came, the price check and the stock reserved.

A host platform orders for its buyer from a merchant of any platform. Before
anything is held the switch asks the merchant's platform (a signed decision
call, ``reserve_stock``, see `hutong.world.stock` for the reference desk)
what it offers now; a price that changed or stock short since the buyer saw
it is a refusal with that code (409, `price_problems`), a SKU it does not
offer is 422 ``no_such_offer`` (the body names it, as a placement's), and so is a
platform that does not answer (``merchant_platform_unavailable``, 503) or
answers a reservation reference the order cannot keep (``bad_reservation``,
502: not a string of at most `MAX_RESERVATION` characters).
A refusal is the message's answer: the order is kept as ``cancelled`` with
the reason and the same message answers the same again. A platform that did
not answer is not an answer: that attempt is kept as a cancelled order (its
parties are told, so a reservation the platform made late is given back),
but the message id stays free, so the same message sent again once the
platform is back creates the order. Each attempt has its own order id, and
so its own reservation: the first is derived from (host, message id) as
always, the n-th retry's from (host, ``<message id>#<n>``); the 503 names
the cancelled attempt. An order through a placement its host's own link policy now blocks is
refused (``blocked_by_host_policy``, `hutong.links.host_policy`), and so is an order
from a livestream's cart while its session is not on air (``session_not_live``,
``session_ended``, `hutong.commerce.livestreams.cart`). A reserved order has a payment
(`hutong.payments.service`) for exactly its total (less a coupon's
discount), to be paid before ``pay_by``.

An order may redeem a coupon its buyer holds (``coupon``, a claimed coupon's
id): the price check knows it (`hutong.commerce.coupons.redeem.quote`, before
the merchant's platform is asked), the order keeps its lines at the prices
shown and the payment is for the total less the discount, which the coupon's
funders pay when the order is paid. A refused coupon (``coupon_*``) is the
message's answer, kept for the auditor; nothing is held. A coupon another order
redeemed after the check is refused in the write (``coupon_already_used``)
and the order kept as cancelled, so the stock reserved for it is given back.

How the order came decides the host's take rate (`hutong.commerce.orders.origin`).

A party, merchant, placement, pickup point or coupon the body names that does
not exist is the body's mistake, 422: ``unknown_wallet``, ``unknown_carrier``,
``unknown_pickup_point``, ``no_such_merchant``, ``no_such_placement``,
``no_such_coupon`` (``unknown_merchant``, ``unknown_placement`` and
``unknown_coupon`` stay the 404s of the routes whose path or query names one).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.commerce import store as commerce_store
from hutong.commerce.coupons import CouponError, Where
from hutong.commerce.coupons import redeem as coupons
from hutong.commerce.livestreams import LivestreamError
from hutong.commerce.livestreams.cart import require_cart_open
from hutong.commerce.orders import Order, OrderEvent
from hutong.commerce.orders import store as order_store
from hutong.commerce.orders.attempts import attempt_id, cancelled_attempt
from hutong.commerce.orders.lines import OrderError, OrderLine, price_problems
from hutong.commerce.orders.moves import moved_new
from hutong.commerce.orders.origin import order_origin
from hutong.commerce.orders.outcome import OrderOutcome
from hutong.commerce.orders.store import OrderRow
from hutong.logistics import service as logistics
from hutong.net.calls import CallFailed, call
from hutong.net.transport import CallTransport
from hutong.payments import checkout as payments
from hutong.payments.checkout import store as payment_store
from hutong.protocol.errors import (
    HutongError,
    ValidationError,
)
from hutong.registry.models import Role
from hutong.registry.service import cached_participant, require_role
from hutong.runtime.exactly_once import Refused, Write
from hutong.runtime.services import Services

#: How long a reserved order waits for payment, by default and at most.
DEFAULT_PAY_WITHIN = 900
MAX_PAY_WITHIN = 86_400
MAX_BUYER_ID = 128
#: The longest reservation reference of a merchant's platform an order keeps
#: (``orders.reservation``); a longer one is a bad answer (``bad_reservation``, 502).
MAX_RESERVATION = 128
DEFAULT_CATEGORY = "general"


@dataclass(frozen=True, slots=True)
class NewOrder:
    """What a host sends to order for its buyer (see the API's schema)."""

    buyer: str
    merchant: str
    lines: list[dict[str, Any]]
    wallet: str
    payer: str
    carrier: str
    destination: dict[str, Any]
    carrier_service: str = ""
    placement_id: str = ""
    storefront_id: str = ""
    pay_within: int = DEFAULT_PAY_WITHIN
    #: A coupon the buyer holds, redeemed in this order ("" when none).
    coupon: str = ""


def _lines(given: list[dict[str, Any]]) -> tuple[OrderLine, ...]:
    lines = tuple(
        OrderLine(item.get("sku_id"), item.get("quantity"), item.get("unit_price"))  # type: ignore[arg-type]
        for item in given
    )
    Order(lines=lines)  # one line per SKU, a total the ledger holds
    return lines


def _destination(given: dict[str, Any]) -> dict[str, Any]:
    point, area = given.get("pickup_point_id"), given.get("area_code")
    if bool(point) == bool(area):
        raise ValidationError(
            "destination is a pickup_point_id, or an area_code with an address",
            code="invalid_destination",
        )
    if point and not isinstance(point, str):
        raise ValidationError("pickup_point_id is a string", code="invalid_destination")
    if area and not (isinstance(area, str) and len(area) == 6 and area.isdigit()):
        raise ValidationError("area_code is six digits such as 110105", code="invalid_destination")
    address = given.get("address", {})
    if not isinstance(address, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in address.items()
    ):
        raise ValidationError("address maps field names to strings", code="invalid_destination")
    return {"pickup_point_id": point} if point else {"area_code": area, "address": address}


async def _category(services: Services, merchant: str, sku_id: str) -> str:
    async with services.db.read() as conn:
        category = await commerce_store.offer_category(conn, merchant, sku_id)
    return category or DEFAULT_CATEGORY


async def _party_with_role(services: Services, subscriber_id: str, role: Role, code: str) -> None:
    """A party the body names: 422 `code` when nobody or no `role` has that id (the body's
    mistake; 404 is kept for what a path names)."""
    participant = await cached_participant(services.db, subscriber_id)
    if participant is None or not participant.has_role(role):
        raise ValidationError(f"{subscriber_id} is not a registered {role.value}", code=code)


async def _merchant_platform(services: Services, merchant: str) -> str:
    """The home platform of the merchant the body names, or 422 ``no_such_merchant`` (as at
    ``POST /v1/payments``; ``unknown_merchant`` stays the 404 of a query naming one)."""
    async with services.db.read() as conn:
        return await payment_store.named_merchant_home(conn, merchant)


async def _ask_stock(
    services: Services, http: CallTransport, row: OrderRow
) -> tuple[str, OrderError | None]:
    """Ask the merchant's platform to reserve; (reservation, None) or ("", the refusal)."""
    order = row.order
    try:
        answer = await call(
            services,
            http,
            row.merchant_platform,
            "reserve_stock",
            {
                "order_id": row.id,
                "merchant": row.merchant,
                "lines": [
                    {"sku_id": x.sku_id, "quantity": x.quantity, "unit_price": x.unit_price_shown}
                    for x in order.lines
                ],
            },
            message_id=f"{row.id}.reserve",
            on_behalf_of=row.host,
            timeout=services.settings.wallet_call_timeout,
            attempts=services.settings.wallet_call_attempts,
        )
    except CallFailed as failure:
        return "", OrderError(
            "merchant_platform_unavailable",
            f"{row.merchant_platform} did not answer the stock request ({failure.message})",
        )
    except HutongError as refusal:  # a signed refusal of the platform
        return "", OrderError(refusal.code, f"{row.merchant_platform}: {refusal.message}")
    current = answer.get("offers")
    problems = price_problems(
        order.lines,
        {
            sku: _Current(int(o.get("price", 0)), int(o.get("stock", 0)))
            for sku, o in (current.items() if isinstance(current, dict) else [])
            if isinstance(o, dict)
        },
    )
    if problems:
        return "", problems[0]
    if answer.get("reserved") is not True:
        return "", OrderError(
            "reservation_refused", f"{row.merchant_platform} did not reserve the stock"
        )
    reservation = answer.get("reservation") or row.id
    if not isinstance(reservation, str) or len(reservation) > MAX_RESERVATION:
        return "", OrderError(
            "bad_reservation",
            f"{row.merchant_platform} answered a reservation reference that is not a string "
            f"of at most {MAX_RESERVATION} characters",
        )
    return reservation, None


@dataclass(frozen=True, slots=True)
class _Current:
    price: int
    stock: int


async def create(
    services: Services, http: CallTransport, sender: str, message_id: str, spec: NewOrder
) -> Write[OrderOutcome | Refused]:
    """An order by host `sender` for its buyer: checked, stock reserved, a payment waiting."""
    await require_role(services.db, sender, Role.PLATFORM)
    if not isinstance(spec.buyer, str) or not 1 <= len(spec.buyer) <= MAX_BUYER_ID:
        raise ValidationError(
            f"buyer is the host's pseudonymous id, 1 to {MAX_BUYER_ID} characters",
            code="invalid_buyer",
        )
    if not 60 <= spec.pay_within <= MAX_PAY_WITHIN:
        raise ValidationError(f"pay_within is 60 to {MAX_PAY_WITHIN} s", code="invalid_deadline")
    lines = _lines(spec.lines)
    destination = _destination(spec.destination)
    if "pickup_point_id" in destination:  # the order could never be shipped to a point not there
        await logistics.require_pickup_point(services, destination["pickup_point_id"])
    merchant_platform = await _merchant_platform(services, spec.merchant)
    origin = await order_origin(services, sender, spec, merchant_platform, lines)
    await _party_with_role(services, spec.carrier, Role.CARRIER, "unknown_carrier")
    order_id = await attempt_id(services, sender, message_id)
    await _party_with_role(services, spec.wallet, Role.WALLET, "unknown_wallet")
    await payments.wallet_profile_for(services, spec.wallet, "order")
    await payments.check_wallet(services, spec.wallet, sender, merchant_platform, order_id)
    if not spec.payer:
        raise ValidationError("payer is the buyer's account at the wallet", code="invalid_payer")
    now = services.clock()
    row = OrderRow(
        id=order_id,
        host=sender,
        buyer=spec.buyer,
        merchant=spec.merchant,
        merchant_platform=merchant_platform,
        wallet=spec.wallet,
        carrier=spec.carrier,
        carrier_service=spec.carrier_service,
        creator=origin.creator,
        channel=origin.channel,
        placement_id=origin.placement_id,
        storefront_id=origin.storefront_id,
        category=await _category(services, spec.merchant, lines[0].sku_id),
        destination=destination,
        order=Order(lines=lines),
        payment_id="",
        shipment_id="",
        reservation="",
        schedule_version=None,
        split=None,
        refunded_after_split=0,
        reason="",
        created_at=now,
        updated_at=now,
    )
    coupon = None
    if spec.coupon:
        try:
            coupon = await _quote(services, spec.coupon, row)
        except CouponError as refusal:
            return _refused_coupon(services, spec.coupon, row, refusal)
    reservation, problem = await _ask_stock(services, http, row)
    if problem is not None:
        if problem.kind.transient:
            raise await cancelled_attempt(services, row, problem)
        return _refused_order(services, row, problem)
    pay_by = now + timedelta(seconds=spec.pay_within)
    payment = await payments.create(
        services,
        sender,
        payments.NewPayment(
            merchant=spec.merchant,
            amount=row.order.total - (coupon.discount if coupon else 0),
            host=sender,
            wallet=spec.wallet,
            payer=spec.payer,
            reference=order_id,
            pay_within=spec.pay_within,
        ),
    )

    async def write(conn: AsyncConnection) -> OrderOutcome | Refused:
        at = services.clock()
        placed = replace(row, reservation=reservation, created_at=at, updated_at=at)
        if row.placement_id:  # the session may have ended while the merchant was asked
            try:
                await require_cart_open(conn, row.placement_id, lock=True)
            except LivestreamError as closed:
                kept = await moved_new(conn, placed, OrderEvent.CANCEL, at, reason=closed.code)
                return Refused(closed, {"order": kept.to_dict()})
        if coupon is not None and not await coupons.redeem(
            conn, coupon, order_id, sender, row.order.total, at
        ):
            return await _lost_coupon(conn, placed, coupon.claim_id, at)
        created = await payment(conn)
        placed = replace(placed, payment_id=created.payment.id)
        reserved = await moved_new(
            conn, placed, OrderEvent.RESERVE, at, arguments={"deadline": pay_by}
        )
        return OrderOutcome(reserved, payment=created.payment)

    return write


def _refused_order(
    services: Services, row: OrderRow, problem: OrderError
) -> Write[OrderOutcome | Refused]:
    """Keep the refused order as cancelled (with why), tell its parties, answer the refusal."""

    async def write(conn: AsyncConnection) -> OrderOutcome | Refused:
        now = services.clock()
        existing = await order_store.find_order(conn, row.id)
        if existing is None:
            existing = await moved_new(conn, row, OrderEvent.CANCEL, now, reason=problem.code)
        return Refused(problem, {"order": existing.to_dict()})

    return write


async def _quote(services: Services, claim_id: str, row: OrderRow) -> coupons.Quote:
    where = Where(row.host, row.merchant, row.storefront_id, row.category)
    async with services.db.read() as conn:
        return await coupons.quote(
            conn, claim_id, where, row.buyer, row.order.total, services.clock()
        )


def _refused_coupon(
    services: Services, claim_id: str, row: OrderRow, refusal: CouponError
) -> Write[OrderOutcome | Refused]:
    """A coupon refused at the door: kept for the auditor, answered; no order, nothing held."""

    async def write(conn: AsyncConnection) -> OrderOutcome | Refused:
        await coupons.refused(
            conn, claim_id, row.host, row.merchant, refusal, row.id, services.clock()
        )
        return Refused(refusal)

    return write


async def _lost_coupon(
    conn: AsyncConnection, row: OrderRow, claim_id: str, now: datetime
) -> Refused:
    """Another order redeemed the coupon since it was checked: this one is refused
    ``coupon_already_used`` and kept as cancelled, so the merchant's platform gives back
    the stock it reserved for it."""
    lost = CouponError("coupon_already_used", f"coupon {claim_id} was used in another order")
    await coupons.refused(conn, claim_id, row.host, row.merchant, lost, row.id, now)
    kept = await moved_new(conn, row, OrderEvent.CANCEL, now, reason=lost.code)
    return Refused(lost, {"order": kept.to_dict()})
