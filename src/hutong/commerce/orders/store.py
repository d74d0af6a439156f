"""Orders and their refunds in the database.

`OrderRow` is a stored order: the pure `Order` (`model`) plus who it involves,
how it came and what it is tied to (its payment, its shipment). Updates go
through `save`, which writes what `Order.apply` returned.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.commerce.commissions import (
    Channel,
    OrderSplit,
)
from hutong.commerce.orders import Order, OrderState, Parties
from hutong.commerce.orders.lines import OrderLine
from hutong.logistics.store import Shipment, shipment_beside, shipment_columns
from hutong.payments.checkout.store import PaymentRow, payment_of
from hutong.protocol.errors import NotFoundError
from hutong.store.tables import order_refunds, orders, payments, shipments


@dataclass(frozen=True, slots=True)
class OrderRow:
    id: str
    host: str
    buyer: str
    merchant: str
    merchant_platform: str
    wallet: str
    carrier: str
    carrier_service: str
    creator: str
    channel: Channel
    placement_id: str
    storefront_id: str
    category: str
    destination: dict[str, Any]
    order: Order
    payment_id: str
    shipment_id: str
    reservation: str
    schedule_version: int | None
    split: OrderSplit | None
    refunded_after_split: int
    reason: str
    created_at: datetime
    updated_at: datetime

    @property
    def state(self) -> OrderState:
        return self.order.state

    @property
    def parties(self) -> Parties:
        return Parties(
            host=self.host,
            merchant_platform=self.merchant_platform,
            merchant=self.merchant,
            wallet=self.wallet,
            carrier=self.carrier or None,
        )

    def involves(self, subscriber_id: str) -> bool:
        return subscriber_id in {
            self.host,
            self.merchant,
            self.merchant_platform,
            self.wallet,
            self.carrier,
            self.creator,
        } - {""}

    def to_dict(self) -> dict[str, Any]:
        order = self.order
        return {
            "id": self.id,
            "state": order.state.value,
            "host": self.host,
            "buyer": self.buyer,
            "merchant": self.merchant,
            "merchant_platform": self.merchant_platform,
            "wallet": self.wallet,
            "carrier": self.carrier,
            "carrier_service": self.carrier_service,
            "creator": self.creator or None,
            "channel": self.channel.value,
            "placement_id": self.placement_id or None,
            "storefront_id": self.storefront_id or None,
            "category": self.category,
            "destination": self.destination,
            "lines": [
                {
                    "sku_id": line.sku_id,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price_shown,
                    "refunded": refunded,
                }
                for line, refunded in zip(order.lines, order.refunded, strict=True)
            ],
            "total": order.total,
            "paid": order.paid,
            "refunded": order.refunded_total,
            "pay_by": _iso(order.pay_by),
            "confirm_by": _iso(order.confirm_by),
            "refund_requested": None
            if order.requested is None
            else {
                line.sku_id: fen
                for line, fen in zip(order.lines, order.requested, strict=True)
                if fen
            },
            "payment_id": self.payment_id or None,
            "shipment_id": self.shipment_id or None,
            "split": None if self.split is None else self.split.as_dict(),
            "commission_schedule_version": self.schedule_version,
            "reason": self.reason or None,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _lines_json(lines: tuple[OrderLine, ...]) -> str:
    return json.dumps(
        [
            {"sku_id": line.sku_id, "quantity": line.quantity, "unit_price": line.unit_price_shown}
            for line in lines
        ]
    )


def _order_values(order: Order) -> dict[str, Any]:
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


def _row(row: Any) -> OrderRow:
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


async def insert_order(conn: AsyncConnection, row: OrderRow) -> None:
    await conn.execute(
        insert(orders),
        {
            "id": row.id,
            "host": row.host,
            "buyer": row.buyer,
            "merchant": row.merchant,
            "merchant_platform": row.merchant_platform,
            "wallet": row.wallet,
            "carrier": row.carrier,
            "carrier_service": row.carrier_service,
            "creator": row.creator,
            "channel": row.channel.value,
            "placement_id": row.placement_id,
            "storefront_id": row.storefront_id,
            "category": row.category,
            "destination": json.dumps(row.destination, ensure_ascii=False),
            "payment_id": row.payment_id,
            "shipment_id": row.shipment_id,
            "reservation": row.reservation,
            "schedule_version": row.schedule_version,
            "split": None if row.split is None else json.dumps(row.split.as_dict()),
            "refunded_after_split": row.refunded_after_split,
            "reason": row.reason,
            "created_at": row.created_at,
            "updated_at": row.updated_at,
            **_order_values(row.order),
        },
    )


async def find_order(
    conn: AsyncConnection, order_id: str, *, lock: bool = False
) -> OrderRow | None:
    query = select(orders).where(orders.c.id == order_id)
    if lock:
        query = query.with_for_update()
    found = (await conn.execute(query)).first()
    return None if found is None else _row(found)


async def require_order(conn: AsyncConnection, order_id: str, *, lock: bool = False) -> OrderRow:
    found = await find_order(conn, order_id, lock=lock)
    if found is None:
        raise NotFoundError(f"no order {order_id}", code="unknown_order")
    return found


#: The payment's columns beside the order's, named apart (`order_and_payment`).
_PAYMENT_COLUMNS = [column.label(f"payment__{column.name}") for column in payments.c]


async def order_and_payment(conn: AsyncConnection, order_id: str) -> tuple[OrderRow, PaymentRow]:
    """The order and its payment in one read (a step's check before it asks anyone;
    its write locks and reads again what may have changed)."""
    query = (
        select(orders, *_PAYMENT_COLUMNS)
        .join(payments, payments.c.id == orders.c.payment_id)
        .where(orders.c.id == order_id)
    )
    found = (await conn.execute(query)).first()
    if found is None:
        row = await require_order(conn, order_id)  # unknown_order, else its payment is missing
        raise NotFoundError(f"no payment {row.payment_id}", code="unknown_payment")
    columns = found._mapping
    payment = payment_of({c.name: columns[f"payment__{c.name}"] for c in payments.c})
    return _row(found), payment


async def order_and_booking(
    conn: AsyncConnection, order_id: str, shipment_id: str
) -> tuple[OrderRow, Shipment | None]:
    """The order and shipment `shipment_id` if it is stored already (a booking retried), one read.

    The shipment is looked up by its own id, not the order's `shipment_id`:
    a booking kept while its order moved on is stored without it.
    """
    query = (
        select(orders, *shipment_columns())
        .select_from(orders.outerjoin(shipments, shipments.c.id == shipment_id))
        .where(orders.c.id == order_id)
    )
    found = (await conn.execute(query)).first()
    if found is None:
        raise NotFoundError(f"no order {order_id}", code="unknown_order")
    return _row(found), shipment_beside(found)


async def save(
    conn: AsyncConnection, row: OrderRow, order: Order, now: datetime, **more: Any
) -> OrderRow:
    """Store `order` (what an event made of `row`'s) and any other changed columns."""
    values = _order_values(order) | {"updated_at": now}
    changed = replace(row, order=order, updated_at=now, **more)
    if "split" in more:
        values["split"] = None if changed.split is None else json.dumps(changed.split.as_dict())
    for name in ("shipment_id", "schedule_version", "refunded_after_split", "reason"):
        if name in more:
            values[name] = more[name]
    await conn.execute(update(orders).where(orders.c.id == row.id).values(values))
    return changed


async def save_if_still(
    conn: AsyncConnection, row: OrderRow, order: Order, now: datetime, was: OrderState
) -> OrderRow | None:
    """`save`, only if the row is still in state `was` (the UPDATE locks it); None if not.

    For a step decided on `row` as read, from a state every move leaves and
    none comes back to: still in it, the row is as read (no locked read first).
    """
    values = _order_values(order) | {"updated_at": now}
    done = await conn.execute(
        update(orders).where(orders.c.id == row.id, orders.c.state == was.value).values(values)
    )
    return replace(row, order=order, updated_at=now) if done.rowcount == 1 else None


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
    return _row(found), (int(found.kept_fee), int(found.price or 0))


#: The column by which an order names its parcel's shipment.
SHIPMENT_OF_ORDER = orders.c.shipment_id


def order_in(row: Any) -> OrderRow:
    """The order in a row read with others (its columns under their own names).

    Tracking reads the order shipped in a parcel with the parcel's shipment,
    in one statement (`hutong.logistics.store.shipment_for_event`).
    """
    return _row(row)


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
    return [_row(found) for found in (await conn.execute(query)).all()]


# -- refunds --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderRefund:
    refund_id: str
    amount: int
    lines: dict[str, int]
    reversal: OrderSplit | None


async def find_refund(conn: AsyncConnection, order_id: str, refund_id: str) -> OrderRefund | None:
    found = (
        await conn.execute(
            select(order_refunds).where(
                order_refunds.c.order_id == order_id, order_refunds.c.refund_id == refund_id
            )
        )
    ).first()
    if found is None:
        return None
    return OrderRefund(
        refund_id=found.refund_id,
        amount=found.amount,
        lines=json.loads(found.lines),
        reversal=None if found.reversal is None else OrderSplit(**json.loads(found.reversal)),
    )


async def insert_refund(
    conn: AsyncConnection, order_id: str, refund: OrderRefund, now: datetime
) -> None:
    await conn.execute(
        insert(order_refunds),
        {
            "order_id": order_id,
            "refund_id": refund.refund_id,
            "amount": refund.amount,
            "lines": json.dumps(refund.lines),
            "reversal": None if refund.reversal is None else json.dumps(refund.reversal.as_dict()),
            "created_at": now,
        },
    )
