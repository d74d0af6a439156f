"""Orders and their refunds in the database.

`OrderRow` is a stored order: the pure `Order` (`model`) plus who it involves,
how it came and what it is tied to (its payment, its shipment). Updates go
through `save`, which writes what `Order.apply` returned.

The modules: `row` (the `OrderRow`), `columns` (an order as columns and
back), `reads`, `writes`, `refunds`; this face re-exports their names, so
callers import them from `hutong.commerce.orders.store`.
"""

from hutong.commerce.orders.store.reads import (
    SHIPMENT_OF_ORDER,
    due_orders,
    find_order,
    list_orders,
    order_and_booking,
    order_and_payment,
    order_in,
    order_to_complete,
    require_order,
)
from hutong.commerce.orders.store.refunds import OrderRefund, find_refund, insert_refund
from hutong.commerce.orders.store.row import OrderRow
from hutong.commerce.orders.store.writes import insert_order, save, save_if_still, save_if_unchanged

__all__ = [
    "SHIPMENT_OF_ORDER",
    "OrderRefund",
    "OrderRow",
    "due_orders",
    "find_order",
    "find_refund",
    "insert_order",
    "insert_refund",
    "list_orders",
    "order_and_booking",
    "order_and_payment",
    "order_in",
    "order_to_complete",
    "require_order",
    "save",
    "save_if_still",
    "save_if_unchanged",
]
