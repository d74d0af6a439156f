"""An order's columns: what `Order` is written as, and the `OrderRow` a read row makes.

Lines, per-line refunds and a requested refund are JSON lists in line order;
states are their enum values.
"""

from __future__ import annotations

import json
from typing import Any

from hutong.commerce.commissions import Channel, OrderSplit
from hutong.commerce.orders import Order, OrderState
from hutong.commerce.orders.lines import OrderLine
from hutong.commerce.orders.store.row import OrderRow

__all__ = [
    "order_of_row",
    "order_values",
]


def _lines_json(lines: tuple[OrderLine, ...]) -> str:
    return json.dumps(
        [
            {"sku_id": line.sku_id, "quantity": line.quantity, "unit_price": line.unit_price_shown}
            for line in lines
        ]
    )


def order_values(order: Order) -> dict[str, Any]:
    return {
        "lines": _lines_json(order.lines),
        "state": order.state.value,
        "total": order.total,
        "paid": order.paid,
        "refunded": json.dumps(list(order.refunded)),
        "pay_by": order.pay_by,
        "confirm_by": order.confirm_by,
        "carrier_booked": order.carrier_booked,
        "requested": None if order.requested is None else json.dumps(list(order.requested)),
        "resume": None if order.resume is None else order.resume.value,
        "requested_at": order.requested_at,
    }


def order_of_row(row: Any) -> OrderRow:
    lines = tuple(
        OrderLine(item["sku_id"], item["quantity"], item["unit_price"])
        for item in json.loads(row.lines)
    )
    order = Order(
        lines=lines,
        state=OrderState(row.state),
        paid=row.paid,
        refunded=tuple(json.loads(row.refunded)),
        pay_by=row.pay_by,
        confirm_by=row.confirm_by,
        carrier_booked=bool(row.carrier_booked),
        requested=None if row.requested is None else tuple(json.loads(row.requested)),
        resume=None if row.resume is None else OrderState(row.resume),
        requested_at=row.requested_at,
    )
    return OrderRow(
        id=row.id,
        host=row.host,
        buyer=row.buyer,
        merchant=row.merchant,
        merchant_platform=row.merchant_platform,
        wallet=row.wallet,
        carrier=row.carrier,
        carrier_service=row.carrier_service,
        creator=row.creator,
        channel=Channel(row.channel),
        placement_id=row.placement_id,
        storefront_id=row.storefront_id,
        category=row.category,
        destination=json.loads(row.destination),
        order=order,
        payment_id=row.payment_id,
        shipment_id=row.shipment_id,
        reservation=row.reservation,
        schedule_version=row.schedule_version,
        split=None if row.split is None else OrderSplit(**json.loads(row.split)),
        refunded_after_split=row.refunded_after_split,
        reason=row.reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
