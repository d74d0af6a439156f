"""Writing orders: a new order, and what `Order.apply` returned (`save`, `save_if_still`)."""

from __future__ import annotations

import functools
import json
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Update, bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.commerce.orders import Order, OrderState
from hutong.commerce.orders.store.columns import order_values
from hutong.commerce.orders.store.row import OrderRow
from hutong.store.tables import orders

__all__ = [
    "insert_order",
    "save",
    "save_if_still",
    "save_if_unchanged",
]


_INSERT = insert(orders)


async def insert_order(conn: AsyncConnection, row: OrderRow) -> None:
    await conn.execute(
        _INSERT,
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
            **order_values(row.order),
        },
    )


def _saved(
    row: OrderRow, order: Order, now: datetime, more: dict[str, Any]
) -> tuple[OrderRow, dict[str, Any]]:
    """The row after `order` (and any other changed columns), and the columns to write."""
    values = order_values(order) | {"updated_at": now}
    changed = replace(row, order=order, updated_at=now, **more)
    if "split" in more:
        values["split"] = None if changed.split is None else json.dumps(changed.split.as_dict())
    for name in ("shipment_id", "schedule_version", "refunded_after_split", "reason"):
        if name in more:
            values[name] = more[name]
    return changed, values


# Each kind of order UPDATE is built once per set of columns it writes
# (building a statement costs more CPU than sending it): the row's id is
# `o_id`, each written column's value `v_<column>`, each compared column's
# value as read `w_<column>` (bind names must differ from the columns').


@functools.cache
def _update(columns: tuple[str, ...], compared: tuple[str, ...]) -> Update:
    """UPDATE orders SET `columns` WHERE id = :o_id, and each of `compared` is as read."""
    return (
        update(orders)
        .where(
            orders.c.id == bindparam("o_id"),
            *(orders.c[name].is_not_distinct_from(bindparam(f"w_{name}")) for name in compared),
        )
        .values({name: bindparam(f"v_{name}") for name in columns})
    )


async def _write(
    conn: AsyncConnection, order_id: str, values: dict[str, Any], was: dict[str, Any]
) -> bool:
    """Write `values` to the order, if its columns named in `was` hold those values; done?"""
    statement = _update(tuple(values), tuple(was))
    parameters = {"o_id": order_id}
    parameters.update({f"v_{name}": value for name, value in values.items()})
    parameters.update({f"w_{name}": value for name, value in was.items()})
    done = await conn.execute(statement, parameters)
    return bool(done.rowcount == 1)


async def save(
    conn: AsyncConnection, row: OrderRow, order: Order, now: datetime, **more: Any
) -> OrderRow:
    """Store `order` (what an event made of `row`'s) and any other changed columns."""
    changed, values = _saved(row, order, now, more)
    await _write(conn, row.id, values, {})
    return changed


async def save_if_still(
    conn: AsyncConnection, row: OrderRow, order: Order, now: datetime, was: OrderState
) -> OrderRow | None:
    """`save`, only if the row is still in state `was` (the UPDATE locks it); None if not.

    For a step decided on `row` as read, from a state every move leaves and
    none comes back to: still in it, the row is as read (no locked read first).
    """
    changed, values = _saved(row, order, now, {})
    done = await _write(conn, row.id, values, {"state": was.value})
    return changed if done else None


async def save_if_unchanged(
    conn: AsyncConnection, row: OrderRow, order: Order, now: datetime, **more: Any
) -> OrderRow | None:
    """`save`, only if the row's order is still as `row` read it (the UPDATE locks it); None if not.

    For a step decided on `row` as read before a participant was asked, from a
    state the order can leave and come back to (paid: a refund requested and
    closed): every column of the pure order (`order_values`: state, amounts,
    refund bookkeeping, carrier booked) must be what was read, so the event
    applied to the row now gives what it gave to `row`. A row written
    otherwise (a column's text spelled differently) is only not matched: the
    caller reads it under the lock, as when it moved.
    """
    changed, values = _saved(row, order, now, more)
    done = await _write(conn, row.id, values, order_values(row.order))
    return changed if done else None
