"""Reading orders: one by id (maybe locked), with its payment or booking in one read,
the one to complete, the ones due, a party's list.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.commerce.orders import OrderState
from hutong.commerce.orders.store.columns import order_of_row
from hutong.commerce.orders.store.row import OrderRow
from hutong.logistics.store import Shipment, shipment_beside, shipment_columns
from hutong.payments.checkout.store import PaymentRow, payment_of
from hutong.protocol.errors import NotFoundError
from hutong.store.tables import orders, payments, shipments

__all__ = [
    "SHIPMENT_OF_ORDER",
    "due_orders",
    "find_order",
    "list_orders",
    "order_and_booking",
    "order_and_payment",
    "order_in",
    "order_to_complete",
    "require_order",
]


# The reads every step sends, built once (building costs more CPU than sending).
_ORDER = select(orders).where(orders.c.id == bindparam("order_id"))
_ORDER_LOCKED = _ORDER.with_for_update()


async def find_order(
    conn: AsyncConnection, order_id: str, *, lock: bool = False
) -> OrderRow | None:
    query = _ORDER_LOCKED if lock else _ORDER
    found = (await conn.execute(query, {"order_id": order_id})).first()
    return None if found is None else order_of_row(found)


async def require_order(conn: AsyncConnection, order_id: str, *, lock: bool = False) -> OrderRow:
    found = await find_order(conn, order_id, lock=lock)
    if found is None:
        raise NotFoundError(f"no order {order_id}", code="unknown_order")
    return found


#: The payment's columns beside the order's, named apart (`order_and_payment`).
_PAYMENT_COLUMNS = [column.label(f"payment__{column.name}") for column in payments.c]
_ORDER_AND_PAYMENT = (
    select(orders, *_PAYMENT_COLUMNS)
    .join(payments, payments.c.id == orders.c.payment_id)
    .where(orders.c.id == bindparam("order_id"))
)


async def order_and_payment(conn: AsyncConnection, order_id: str) -> tuple[OrderRow, PaymentRow]:
    """The order and its payment in one read (a step's check before it asks anyone;
    its write locks and reads again what may have changed)."""
    found = (await conn.execute(_ORDER_AND_PAYMENT, {"order_id": order_id})).first()
    if found is None:
        row = await require_order(conn, order_id)  # unknown_order, else its payment is missing
        raise NotFoundError(f"no payment {row.payment_id}", code="unknown_payment")
    columns = found._mapping
    payment = payment_of({c.name: columns[f"payment__{c.name}"] for c in payments.c})
    return order_of_row(found), payment


_ORDER_AND_BOOKING = (
    select(orders, *shipment_columns())
    .select_from(orders.outerjoin(shipments, shipments.c.id == bindparam("shipment_id")))
    .where(orders.c.id == bindparam("order_id"))
)


async def order_and_booking(
    conn: AsyncConnection, order_id: str, shipment_id: str
) -> tuple[OrderRow, Shipment | None]:
    """The order and shipment `shipment_id` if it is stored already (a booking retried), one read.

    The shipment is looked up by its own id, not the order's `shipment_id`:
    a booking kept while its order moved on is stored without it.
    """
    found = (
        await conn.execute(_ORDER_AND_BOOKING, {"order_id": order_id, "shipment_id": shipment_id})
    ).first()
    if found is None:
        raise NotFoundError(f"no order {order_id}", code="unknown_order")
    return order_of_row(found), shipment_beside(found)


#: An order to complete, locked with its payment (`order_to_complete`). On PostgreSQL a
#: read that waited for a lock sees the newest version only of the rows it locks, and a
#: refund through the order (under the order's lock) changes the payment's fee; the
#: parcel's price never changes once booked. The order is locked first, as in every step.
_TO_COMPLETE = (
    select(orders, (payments.c.fee - payments.c.fee_returned).label("kept_fee"), shipments.c.price)
    .select_from(
        orders.join(payments, payments.c.id == orders.c.payment_id).outerjoin(
            shipments, shipments.c.id == orders.c.shipment_id
        )
    )
    .where(orders.c.id == bindparam("order_id"))
    .with_for_update(of=[orders, payments])
)


async def order_to_complete(
    conn: AsyncConnection, order_id: str
) -> tuple[OrderRow, tuple[int, int] | None]:
    """The order (locked) and (the wallet's fee net of what it returned, the parcel's price
    or 0) in one read; None for an order without a payment (a cancelled attempt)."""
    found = (await conn.execute(_TO_COMPLETE, {"order_id": order_id})).first()
    if found is None:  # unknown_order, or no payment to join: its state refuses completing it
        return await require_order(conn, order_id, lock=True), None
    return order_of_row(found), (int(found.kept_fee), int(found.price or 0))


#: The column by which an order names its parcel's shipment.
SHIPMENT_OF_ORDER = orders.c.shipment_id


def order_in(row: Any) -> OrderRow:
    """The order in a row read with others (its columns under their own names).

    Tracking reads the order shipped in a parcel with the parcel's shipment,
    in one statement (`hutong.logistics.store.shipment_for_event`).
    """
    return order_of_row(row)


async def due_orders(conn: AsyncConnection, now: datetime, limit: int = 200) -> list[str]:
    """Reserved orders past their pay deadline and delivered ones past the confirmation window."""
    unpaid = select(orders.c.id).where(
        orders.c.state == OrderState.RESERVED.value, orders.c.pay_by <= now
    )
    unconfirmed = select(orders.c.id).where(
        orders.c.state == OrderState.DELIVERED.value, orders.c.confirm_by <= now
    )
    ids = list((await conn.execute(unpaid.limit(limit))).scalars())
    ids += list((await conn.execute(unconfirmed.limit(limit))).scalars())
    return ids[:limit]


async def list_orders(
    conn: AsyncConnection, party: str | None, *, state: str | None = None, limit: int = 100
) -> list[OrderRow]:
    query = select(orders).order_by(orders.c.created_at.desc(), orders.c.id).limit(limit)
    if party is not None:
        query = query.where(
            (orders.c.host == party)
            | (orders.c.merchant == party)
            | (orders.c.merchant_platform == party)
            | (orders.c.wallet == party)
            | (orders.c.carrier == party)
            | (orders.c.creator == party)
        )
    if state is not None:
        query = query.where(orders.c.state == state)
    return [order_of_row(found) for found in (await conn.execute(query)).all()]
