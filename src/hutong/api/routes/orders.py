"""Orders API: cross-platform orders, their refunds and shipping, and commission schedules.

Every write is exactly once per message id; the steps that ask a participant
(the merchant's platform, the wallet, the carrier) do so before their write
(`run_decided`), so a retried request never asks twice once answered.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Response, Router, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from hutong.api.auth import SignedRequestMiddleware
from hutong.api.declare import SenderDep, ServicesDep, SignedDep, StrictBody, requires
from hutong.api.documented import CALLS_PARTICIPANTS, CODES, RESULT
from hutong.api.idempotency import run_decided, run_once
from hutong.api.routes.orders_out import (
    DECLARE_SCHEDULE_OPT,
    SCHEDULES_OPT,
    OrderAnswer,
    OrderList,
    OrderStepOut,
)
from hutong.api.routes.orders_presenters import order_moved_out, order_taken_out
from hutong.api.routes.orders_schemas import (
    SignedCancel,
    SignedOrder,
    SignedRefund,
    SignedSchedule,
    SignedShip,
)
from hutong.api.routes.payments_schemas import SignedEmpty
from hutong.api.schemas import admitted, correction_out
from hutong.commerce import commission_store
from hutong.commerce.commissions import CommissionSchedule
from hutong.commerce.orders import OrderEvent, OrderState
from hutong.commerce.orders import intake as order_intake
from hutong.commerce.orders import refunds as order_refunds
from hutong.commerce.orders import service as order_service
from hutong.commerce.orders import shipping as order_shipping
from hutong.commerce.orders.completion import opening_split_accounts
from hutong.commerce.orders.states import REFUSALS
from hutong.net.transport import call_transport
from hutong.protocol.errors import ValidationError
from hutong.registry.models import Role

MAX_LIST = 200


def _step(event: OrderEvent, **codes: tuple[str, ...]) -> dict[str, object]:
    """`opt` of an order step: its answer's shape and its refusals' codes.

    409: every code the order's state machine refuses `event` with
    (`states.REFUSALS`); 403 `not_a_party`; 404 `unknown_order`; and what
    `codes` adds by status (`s422=(...)`).
    """
    refused = sorted({code for (_, e), code in REFUSALS.items() if e is event})
    by_status: dict[int, tuple[str, ...]] = {
        403: ("not_a_party",),
        404: ("unknown_order",),
        409: (*refused, "message_id_conflict", "message_in_flight"),
    }
    for key, more in codes.items():
        status = int(key.removeprefix("s"))
        by_status[status] = (*by_status.get(status, ()), *more)
    return {RESULT: OrderStepOut, CODES: by_status}


@post(
    "/orders",
    dto=StrictBody[SignedOrder],
    return_dto=None,
    status_code=201,
    summary="Order for your buyer (prices checked, stock reserved)",
    opt={
        RESULT: OrderStepOut,
        CODES: {
            422: (
                "invalid_buyer",
                "invalid_deadline",
                "invalid_destination",
                "invalid_payer",
                "invalid_origin",
                "no_channel",
                "not_in_storefront",
                "placement_not_ordered",
                "unknown_line",
                "no_lines",
                "duplicate_line",
                "total_too_large",
                "invalid_sku_id",
                "invalid_quantity",
                "invalid_price",
                # What the body names and nobody declared (the path's own are 404s).
                "unknown_pickup_point",
                "unknown_wallet",
                "unknown_carrier",
                "no_such_merchant",
                "no_such_storefront",
                "no_such_placement",
                "no_such_coupon",
                "no_such_offer",
                "coupon_min_spend_not_met",
                "coupon_no_discount",
            ),
            403: (
                "wrong_role",
                "not_your_placement",
                "not_your_storefront",
                "coupon_not_valid_here",
                "coupon_not_yours",
            ),
            409: (
                "storefront_not_open",
                "price_changed",
                "out_of_stock",
                "reservation_refused",
                "blocked_by_host_policy",
                "session_not_live",
                "session_ended",
                "wallet_inactive",
                "wallet_does_not_serve",
                "wallet_not_accepted",
                "coupon_expired",
                "coupon_not_yet_valid",
                "coupon_already_used",
                "too_many_attempts",
                "message_id_conflict",
                "message_in_flight",
            ),
            502: ("bad_reservation",),
            503: ("merchant_platform_unavailable",),
        },
    },
)
async def create_order(
    services: ServicesDep, signed: SignedDep, data: JSONBody[SignedOrder]
) -> Response[bytes]:
    body = data.message
    spec = order_intake.NewOrder(
        buyer=body.buyer,
        merchant=body.merchant,
        lines=[msgspec.structs.asdict(line) for line in body.lines],
        wallet=body.wallet,
        payer=body.payer,
        carrier=body.carrier,
        destination=body.destination,
        carrier_service=body.carrier_service,
        placement_id=body.placement_id,
        storefront_id=body.storefront_id,
        pay_within=body.pay_within,
        coupon=body.coupon,
    )
    return await run_decided(
        services,
        signed,
        lambda: order_intake.create(
            services, call_transport(), signed.subscriber_id, signed.message_id or "", spec
        ),
        order_taken_out(signed.subscriber_id),
    )


@get(
    "/orders",
    summary="Your orders, newest first (auditors: all)",
    opt={RESULT: OrderList, CODES: {422: ("invalid_state",)}},
)
async def list_orders(
    services: ServicesDep,
    sender: SenderDep,
    status: FromQuery[str | None] = None,
    limit: FromQuery[int] = 50,
) -> dict[str, Any]:
    if status is not None and status not in {s.value for s in OrderState}:
        raise ValidationError(f"no order state {status!r}", code="invalid_state")
    rows = await order_service.list_for(
        services, sender, state=status, limit=min(max(limit, 1), MAX_LIST)
    )
    return {"orders": [order.to_dict() for order in rows]}


@get(
    "/orders/{order_id:str}",
    summary="An order (the parties it involves, auditors)",
    opt={RESULT: OrderAnswer, CODES: {403: ("not_a_party",), 404: ("unknown_order",)}},
)
async def show_order(
    services: ServicesDep, sender: SenderDep, order_id: FromPath[str]
) -> dict[str, Any]:
    return {"order": (await order_service.readable(services, sender, order_id)).to_dict()}


@post(
    "/orders/{order_id:str}/pay",
    dto=StrictBody[SignedEmpty],
    return_dto=None,
    status_code=200,
    summary="Pay (the host, for its buyer)",
    # The order's wallet was accepted at intake and is not asked about again; it may since
    # have stopped or no longer serve orders (409, as at `POST /v1/payments/{id}/authorize`).
    opt=_step(OrderEvent.PAY, s409=("wallet_inactive", "wallet_does_not_serve")),
)
async def pay_order(
    services: ServicesDep, signed: SignedDep, order_id: FromPath[str], data: JSONBody[SignedEmpty]
) -> Response[bytes]:
    # The body is checked (and documented) as `data`: its message is empty. The usual pay
    # records its wallet's ask with its claim (`order_service.start_pay`).
    paying = await order_service.start_pay(
        services, call_transport(), signed.subscriber_id, order_id, signed.message_id or ""
    )
    return await run_decided(
        services,
        signed,
        paying.decide,
        order_moved_out(signed.subscriber_id),
        along=paying.along,
    )


@post(
    "/orders/{order_id:str}/cancel",
    dto=StrictBody[SignedCancel],
    return_dto=None,
    status_code=200,
    summary="Cancel before shipping",
    opt=_step(OrderEvent.CANCEL),
)
async def cancel_order(
    services: ServicesDep, signed: SignedDep, order_id: FromPath[str], data: JSONBody[SignedCancel]
) -> Response[bytes]:
    body = data.message
    return await run_decided(
        services,
        signed,
        lambda: order_service.cancel(
            services, call_transport(), signed.subscriber_id, order_id, body.reason
        ),
        order_moved_out(signed.subscriber_id),
    )


@post(
    "/orders/{order_id:str}/ship",
    dto=StrictBody[SignedShip],
    return_dto=None,
    status_code=200,
    summary="Book the order's carrier (merchant)",
    opt=_step(OrderEvent.SHIP),
)
async def ship_order(
    services: ServicesDep, signed: SignedDep, order_id: FromPath[str], data: JSONBody[SignedShip]
) -> Response[bytes]:
    body = data.message
    # The usual ship takes its pickup point's slot with its claim (`start_ship`).
    shipping = await order_shipping.start_ship(
        services,
        call_transport(),
        signed.subscriber_id,
        order_id,
        origin=body.origin,
        weight_g=body.weight_g,
        service=body.service,
    )
    return await run_decided(
        services,
        signed,
        shipping.decide,
        order_moved_out(signed.subscriber_id),
        along=shipping.along,
    )


@post(
    "/orders/{order_id:str}/confirm",
    dto=StrictBody[SignedEmpty],
    return_dto=None,
    status_code=200,
    summary="Confirm receipt: complete",
    opt=_step(OrderEvent.CONFIRM),
)
async def confirm_order(
    services: ServicesDep, signed: SignedDep, order_id: FromPath[str], data: JSONBody[SignedEmpty]
) -> Response[bytes]:
    # The body is checked (and documented) as `data`: its message is empty. It asks
    # nobody: the message is recorded with its effects (no claim first).
    write = await order_service.confirm(services, signed.subscriber_id, order_id)
    present = order_moved_out(signed.subscriber_id)
    return await opening_split_accounts(
        services, lambda: run_once(services, signed, write, present)
    )


@post(
    "/orders/{order_id:str}/refund-request",
    dto=StrictBody[SignedRefund],
    return_dto=None,
    status_code=200,
    summary="Ask for a refund (the host, for its buyer)",
    opt=_step(OrderEvent.REQUEST_REFUND, s422=("invalid_refund", "unknown_line")),
)
async def request_refund(
    services: ServicesDep,
    signed: SignedDep,
    order_id: FromPath[str],
    data: JSONBody[SignedRefund],
) -> Response[bytes]:
    body = data.message
    return await run_decided(
        services,
        signed,
        lambda: order_refunds.request(
            services, signed.subscriber_id, order_id, body.amounts, body.quantities
        ),
        order_moved_out(signed.subscriber_id),
    )


@post(
    "/orders/{order_id:str}/refund-request/close",
    dto=StrictBody[SignedEmpty],
    return_dto=None,
    status_code=200,
    summary="Refuse the request (merchant) or withdraw it (host)",
    opt=_step(OrderEvent.CLOSE_REFUND),
)
async def close_refund(
    services: ServicesDep, signed: SignedDep, order_id: FromPath[str], data: JSONBody[SignedEmpty]
) -> Response[bytes]:
    # The body is checked (and documented) as `data`: its message is empty.
    return await run_decided(
        services,
        signed,
        lambda: order_refunds.close(services, signed.subscriber_id, order_id),
        order_moved_out(signed.subscriber_id),
    )


@post(
    "/orders/{order_id:str}/refunds",
    dto=StrictBody[SignedRefund],
    return_dto=None,
    status_code=200,
    summary="Refund (the merchant)",
    opt=_step(
        OrderEvent.REFUND,
        s422=("invalid_refund", "invalid_refund_id", "unknown_line"),
        s409=("order_changed", "refund_in_progress"),
    ),
)
async def refund_order(
    services: ServicesDep, signed: SignedDep, order_id: FromPath[str], data: JSONBody[SignedRefund]
) -> Response[bytes]:
    body = data.message
    return await run_decided(
        services,
        signed,
        lambda: order_refunds.refund(
            services,
            call_transport(),
            signed.subscriber_id,
            order_id,
            body.refund_id or signed.message_id or "",
            body.amounts,
            body.quantities,
        ),
        order_moved_out(signed.subscriber_id),
    )


# -- commission schedules -----------------------------------------------------------------------


@post(
    "/commission-schedules",
    dto=StrictBody[SignedSchedule],
    return_dto=None,
    status_code=201,
    summary="Declare your commission schedule (hosts)",
    opt=DECLARE_SCHEDULE_OPT,
    guards=[requires(Role.PLATFORM)],
)
async def declare_schedule(
    services: ServicesDep, signed: SignedDep, data: JSONBody[SignedSchedule]
) -> Response[bytes]:
    given = data.message
    correction = admitted(given.correction, given.valid_from, services.clock())
    schedule = CommissionSchedule(
        host=signed.subscriber_id,
        valid_from=given.valid_from,
        take_rates={(r.category, r.channel): r.bps for r in given.take_rates},  # type: ignore[misc]
        channel_rates=given.channel_rates,  # type: ignore[arg-type]
        default_take_bps=given.default_take_bps,
        creator_rates=given.creator_rates,
        default_creator_bps=given.default_creator_bps,
        note=given.note,
    )

    async def write(conn: Any) -> tuple[int, dict[str, Any]]:
        stored = await commission_store.declare_schedule(
            conn, schedule, services.clock(), correction=correction
        )
        return 201, {"schedule": stored.to_dict()}

    return await run_once(services, signed, write)


@get(
    "/commission-schedules/{host:str}",
    summary="A host's commission schedule, every version",
    opt=SCHEDULES_OPT,
)
async def show_schedules(services: ServicesDep, host: FromPath[str]) -> dict[str, Any]:
    async with services.db.read() as conn:
        history = await commission_store.commission_history(conn, host)
        corrected = await commission_store.schedule_corrections(conn, host)
    return {
        "host": host,
        "versions": [
            s.to_dict() | {"correction": correction_out(corrected.get(s.version))}
            for s in history.versions
        ],
    }


router = Router(
    path="/v1",
    opt={CALLS_PARTICIPANTS: True},
    route_handlers=[
        create_order,
        list_orders,
        show_order,
        pay_order,
        cancel_order,
        ship_order,
        confirm_order,
        request_refund,
        close_refund,
        refund_order,
        declare_schedule,
        show_schedules,
    ],
    middleware=[SignedRequestMiddleware()],
    tags=["orders"],
    security=[{"beckn": []}],
)
