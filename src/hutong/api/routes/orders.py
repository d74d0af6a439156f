"""Orders API: cross-platform orders, their refunds and shipping, and commission schedules.

Every write is exactly once per message id; the steps that ask a participant
(the merchant's platform, the wallet, the carrier) do so before their write
(`run_decided`), so a retried request never asks twice once answered.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery

from hutong.api.auth import SignedRequestMiddleware, signed_request
from hutong.api.declare import services_of
from hutong.api.idempotency import run_decided, run_once
from hutong.api.routes.ledger import strict_body
from hutong.api.routes.orders_presenters import order_moved_out, order_taken_out
from hutong.api.routes.orders_schemas import (
    SignedCancel,
    SignedOrder,
    SignedRefund,
    SignedSchedule,
    SignedShip,
)
from hutong.api.routes.payments_schemas import SignedEmpty
from hutong.commerce import commission_store
from hutong.commerce.commissions import CommissionSchedule
from hutong.commerce.orders import OrderState
from hutong.commerce.orders import intake as order_intake
from hutong.commerce.orders import refunds as order_refunds
from hutong.commerce.orders import service as order_service
from hutong.commerce.orders import shipping as order_shipping
from hutong.net.transport import call_transport
from hutong.protocol.errors import ValidationError
from hutong.registry.models import Role
from hutong.registry.service import require_role

Req = Request[Any, Any, Any]
MAX_LIST = 200


@post("/orders", status_code=201, summary="Order for your buyer (prices checked, stock reserved)")
async def create_order(state: State, request: Req) -> Response[bytes]:
    services = services_of(state)
    signed = signed_request(request.scope)
    body = (await strict_body(request, SignedOrder)).message
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
    )
    return await run_decided(
        services,
        signed,
        lambda: order_intake.create(
            services, call_transport(), signed.subscriber_id, signed.message_id or "", spec
        ),
        order_taken_out,
    )


@get("/orders", summary="Your orders, newest first (auditors: all)")
async def list_orders(
    state: State, request: Req, status: FromQuery[str | None] = None, limit: FromQuery[int] = 50
) -> dict[str, Any]:
    services = services_of(state)
    reader = signed_request(request.scope).subscriber_id
    if status is not None and status not in {s.value for s in OrderState}:
        raise ValidationError(f"no order state {status!r}", code="invalid_state")
    rows = await order_service.list_for(
        services, reader, state=status, limit=min(max(limit, 1), MAX_LIST)
    )
    return {"orders": [row.to_dict() for row in rows]}


@get("/orders/{order_id:str}", summary="An order (the parties it involves, auditors)")
async def show_order(state: State, request: Req, order_id: FromPath[str]) -> dict[str, Any]:
    services = services_of(state)
    reader = signed_request(request.scope).subscriber_id
    return {"order": (await order_service.readable(services, reader, order_id)).to_dict()}


@post("/orders/{order_id:str}/pay", status_code=200, summary="Pay (the host, for its buyer)")
async def pay_order(state: State, request: Req, order_id: FromPath[str]) -> Response[bytes]:
    services = services_of(state)
    signed = signed_request(request.scope)
    await strict_body(request, SignedEmpty)
    return await run_decided(
        services,
        signed,
        lambda: order_service.pay(
            services, call_transport(), signed.subscriber_id, order_id, signed.message_id or ""
        ),
        order_moved_out,
    )


@post("/orders/{order_id:str}/cancel", status_code=200, summary="Cancel before shipping")
async def cancel_order(state: State, request: Req, order_id: FromPath[str]) -> Response[bytes]:
    services = services_of(state)
    signed = signed_request(request.scope)
    body = (await strict_body(request, SignedCancel)).message
    return await run_decided(
        services,
        signed,
        lambda: order_service.cancel(
            services, call_transport(), signed.subscriber_id, order_id, body.reason
        ),
        order_moved_out,
    )


@post("/orders/{order_id:str}/ship", status_code=200, summary="Book the order's carrier (merchant)")
async def ship_order(state: State, request: Req, order_id: FromPath[str]) -> Response[bytes]:
    services = services_of(state)
    signed = signed_request(request.scope)
    body = (await strict_body(request, SignedShip)).message
    return await run_decided(
        services,
        signed,
        lambda: order_shipping.ship(
            services,
            call_transport(),
            signed.subscriber_id,
            order_id,
            origin=body.origin,
            weight_g=body.weight_g,
            service=body.service,
        ),
        order_moved_out,
    )


@post("/orders/{order_id:str}/confirm", status_code=200, summary="Confirm receipt: complete")
async def confirm_order(state: State, request: Req, order_id: FromPath[str]) -> Response[bytes]:
    services = services_of(state)
    signed = signed_request(request.scope)
    await strict_body(request, SignedEmpty)
    return await run_decided(
        services,
        signed,
        lambda: order_service.confirm(services, signed.subscriber_id, order_id),
        order_moved_out,
    )


@post(
    "/orders/{order_id:str}/refund-request",
    status_code=200,
    summary="Ask for a refund (the host, for its buyer)",
)
async def request_refund(state: State, request: Req, order_id: FromPath[str]) -> Response[bytes]:
    services = services_of(state)
    signed = signed_request(request.scope)
    body = (await strict_body(request, SignedRefund)).message
    return await run_decided(
        services,
        signed,
        lambda: order_refunds.request(
            services, signed.subscriber_id, order_id, body.amounts, body.quantities
        ),
        order_moved_out,
    )


@post(
    "/orders/{order_id:str}/refund-request/close",
    status_code=200,
    summary="Refuse the request (merchant) or withdraw it (host)",
)
async def close_refund(state: State, request: Req, order_id: FromPath[str]) -> Response[bytes]:
    services = services_of(state)
    signed = signed_request(request.scope)
    await strict_body(request, SignedEmpty)
    return await run_decided(
        services,
        signed,
        lambda: order_refunds.close(services, signed.subscriber_id, order_id),
        order_moved_out,
    )


@post("/orders/{order_id:str}/refunds", status_code=200, summary="Refund (the merchant)")
async def refund_order(state: State, request: Req, order_id: FromPath[str]) -> Response[bytes]:
    services = services_of(state)
    signed = signed_request(request.scope)
    body = (await strict_body(request, SignedRefund)).message
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
        order_moved_out,
    )


# -- commission schedules -----------------------------------------------------------------------


@post("/commission-schedules", status_code=201, summary="Declare your commission schedule (hosts)")
async def declare_schedule(state: State, request: Req) -> Response[bytes]:
    services = services_of(state)
    signed = signed_request(request.scope)
    await require_role(services.db, signed.subscriber_id, Role.PLATFORM)
    given = (await strict_body(request, SignedSchedule)).message
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
        stored = await commission_store.declare_schedule(conn, schedule, services.clock())
        return 201, {"schedule": stored.to_dict()}

    return await run_once(services, signed, write)


@get("/commission-schedules/{host:str}", summary="A host's commission schedule, every version")
async def show_schedules(state: State, host: FromPath[str]) -> dict[str, Any]:
    services = services_of(state)
    async with services.db.read() as conn:
        history = await commission_store.commission_history(conn, host)
    return {"host": host, "versions": [s.to_dict() for s in history.versions]}


router = Router(
    path="/v1",
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
