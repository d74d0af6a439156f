"""Beckn's post-order actions on a Hutong order: track, cancel, update, support.

Each names the order by `message.order_id` (`update`: `message.order.id`;
`support`: `message.support.ref_id`, optional) and is the BAP's only if the
BAP is the order's host (`commerce.orders.service.readable`: `not_a_party`).

- `track` → the order's shipment: `tracking.id` its tracking number,
  `tracking.status` active until the parcel reaches a terminal status
  (delivered, returned, cancelled), `hutong_status` the normalized status;
  `tracking.url` the shipment on the switch's API (`GET /v1/shipments/{id}`,
  read signed by the host) when `HUTONG_PUBLIC_URL` is set. Not shipped:
  inactive, `hutong_status: not_shipped`.
- `cancel` → `commerce.orders.service.cancel` (before shipping; the payment
  voided or refunded, the stock given back); `cancellation_reason_id` kept
  as the reason `beckn:<id>`.
- `update` → only `update_target: "item"`: the buyer asks to return units
  (`order.items[].quantity.selected.count`), a refund request
  (`commerce.orders.refunds.request`) the merchant then grants or refuses.
  Any other target (billing, fulfillment, payment, …) is refused
  `update_target_not_supported`: a Hutong order's lines, address and payment
  are fixed once it is taken.
- `support` → the switch's support contact (`HUTONG_SUPPORT_URL`,
  `HUTONG_SUPPORT_EMAIL`; by default the switch's public URL): the switch
  holds no merchant phone or email.
"""

from __future__ import annotations

from typing import Any

from hutong.beckn import mapping
from hutong.beckn.calls import BecknCall, dig
from hutong.commerce.orders import refunds
from hutong.commerce.orders import service as order_service
from hutong.commerce.orders.outcome import OrderOutcome
from hutong.logistics import store as logistics_store
from hutong.net.transport import CallTransport
from hutong.protocol.envelope import named_uri
from hutong.protocol.errors import ValidationError
from hutong.runtime.exactly_once import Write
from hutong.runtime.services import Services

__all__ = [
    "UPDATE_TARGETS",
    "cancel",
    "order_answer",
    "order_id_of",
    "support",
    "track",
    "update",
    "update_of",
]

#: The `update_target`s the gateway takes.
UPDATE_TARGETS = ("item",)


def order_id_of(call: BecknCall) -> str:
    """`message.order_id` (or `message.order.id`); refused `invalid_order`."""
    order_id = call.message.get("order_id") or dig(call.message, "order", "id")
    if not isinstance(order_id, str) or not order_id:
        raise ValidationError("message.order_id: name the order", code="invalid_order")
    return order_id


def update_of(call: BecknCall) -> tuple[str, dict[str, int]]:
    """(order id, {sku: units to return}) of an update; refused when Hutong cannot take it."""
    target = call.message.get("update_target")
    if not isinstance(target, str) or not target:
        raise ValidationError("message.update_target is required", code="invalid_order")
    others = sorted({t.strip() for t in target.split(",")} - set(UPDATE_TARGETS))
    if others:
        raise ValidationError(
            f"update_target {', '.join(others)} is not supported: a Hutong order's lines,"
            " address and payment are fixed once taken; only item (a return) is",
            code="update_target_not_supported",
        )
    order_id = dig(call.message, "order", "id")
    items = dig(call.message, "order", "items")
    if not isinstance(order_id, str) or not order_id or not isinstance(items, list) or not items:
        raise ValidationError("message.order needs id and items", code="invalid_order")
    returned: dict[str, int] = {}
    for index, item in enumerate(items):
        sku, count = dig(item, "id"), dig(item, "quantity", "selected", "count")
        if not isinstance(sku, str) or not sku or not isinstance(count, int) or count < 1:
            raise ValidationError(
                f"message.order.items[{index}] needs id and a positive quantity.selected.count",
                code="invalid_order",
            )
        returned[sku] = returned.get(sku, 0) + count
    return order_id, returned


def order_answer(outcome: OrderOutcome) -> dict[str, Any]:
    payment = outcome.payment.to_dict() if outcome.payment is not None else None
    return {"message": {"order": mapping.order_out(outcome.order.to_dict(), payment)}}


async def track(services: Services, call: BecknCall) -> dict[str, Any]:
    order = (await order_service.readable(services, call.bap, order_id_of(call))).row
    if not order.shipment_id:
        return {"message": {"tracking": {"status": "inactive", "hutong_status": "not_shipped"}}}
    async with services.db.read() as conn:
        shipment = await logistics_store.get_shipment(conn, order.shipment_id)
    tracking: dict[str, Any] = {
        "id": shipment.tracking_number or shipment.id,
        "status": "inactive" if shipment.status.terminal else "active",
        "hutong_status": shipment.status.value,
    }
    if services.settings.public_url:
        tracking["url"] = f"{services.settings.public_url.rstrip('/')}/v1/shipments/{shipment.id}"
    return {"message": {"tracking": tracking}}


async def cancel(services: Services, http: CallTransport, call: BecknCall) -> Write[OrderOutcome]:
    reason = call.message.get("cancellation_reason_id")
    why = f"beckn:{reason}" if isinstance(reason, str) and reason else "cancelled_by_buyer"
    return await order_service.cancel(services, http, call.bap, order_id_of(call), why)


async def update(services: Services, call: BecknCall) -> Write[OrderOutcome]:
    order_id, returned = update_of(call)
    return await refunds.request(services, call.bap, order_id, None, returned)


async def support(services: Services, call: BecknCall) -> dict[str, Any]:
    ref_id = dig(call.message, "support", "ref_id")
    if isinstance(ref_id, str) and ref_id:
        await order_service.readable(services, call.bap, ref_id)  # the BAP's own order
    settings = services.settings
    found: dict[str, Any] = {
        "url": settings.support_url or settings.public_url or named_uri(settings.switch_id)
    }
    if settings.support_email:
        found["email"] = settings.support_email
    if isinstance(ref_id, str) and ref_id:
        found["ref_id"] = ref_id
    return {"message": {"support": found}}
