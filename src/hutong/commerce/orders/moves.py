"""What every order step shares: applying an event, refusing clearly, telling the parties.

An order step reads the order, asks whoever must agree (the merchant's
platform, the wallet, the carrier), then in one transaction locks the order's
row, applies the event again (`hutong.commerce.orders`), moves the money and
stores the order with its events. `moved` is that last part.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.commerce.orders import Order, OrderEvent, StateChange, recipients
from hutong.commerce.orders import store as order_store
from hutong.commerce.orders.store import OrderRow
from hutong.commerce.orders.visibility import view
from hutong.events.outbox import enqueue
from hutong.protocol.errors import ForbiddenError
from hutong.runtime.services import Services


def step(order: Order, event: OrderEvent, now: datetime, **arguments: Any) -> Order:
    """`order` after `event`, or the refusal (an `OrderError`)."""
    return order.apply(event, now=now, **arguments)


async def tell(
    conn: AsyncConnection, before: Order, event: OrderEvent, row: OrderRow, now: datetime
) -> None:
    """``on_order {event, order}`` to each participant the move concerns (`recipients`).

    Each sees the order as `hutong.commerce.orders.visibility` shows it to its
    roles (only the host, the merchant and the carrier see where the parcel
    goes); nobody sees more of the buyer than the host's pseudonymous id.
    """
    change = StateChange(before, event, row.order)
    for recipient in recipients(change, row.parties):
        order = view(row, recipient).to_dict()
        await enqueue(
            conn,
            recipient=recipient,
            action="on_order",
            message={"event": event.value, "order": order},
            now=now,
            transaction_id=row.id,
        )


async def moved(
    conn: AsyncConnection,
    row: OrderRow,
    event: OrderEvent,
    now: datetime,
    *,
    arguments: dict[str, Any] | None = None,
    **columns: Any,
) -> OrderRow:
    """In `conn`: apply `event` to the (locked) `row`, store it and tell the parties."""
    after = step(row.order, event, now, **(arguments or {}))
    changed = await order_store.save(conn, row, after, now, **columns)
    await tell(conn, row.order, event, changed, now)
    return changed


async def moved_new(
    conn: AsyncConnection,
    row: OrderRow,
    event: OrderEvent,
    now: datetime,
    *,
    arguments: dict[str, Any] | None = None,
    **columns: Any,
) -> OrderRow:
    """In `conn`: store the new `row` as its first `event` leaves it, and tell the parties.

    What `moved` does to a stored row, with the row stored once (one INSERT,
    not an INSERT and an UPDATE of the same row).
    """
    after = step(row.order, event, now, **(arguments or {}))
    changed = replace(row, order=after, updated_at=now, **columns)
    await order_store.insert_order(conn, changed)
    await tell(conn, row.order, event, changed, now)
    return changed


async def read_order(services: Services, order_id: str) -> OrderRow:
    """The order as it is now, read before a step asks anyone (the write reads it again, locked)."""
    async with services.db.read() as conn:
        return await order_store.require_order(conn, order_id)


def require_party(row: OrderRow, sender: str, *roles: str) -> None:
    """Refuse `sender` unless it plays one of `roles` (host, merchant, merchant_platform) here."""
    if any(getattr(row, role) == sender for role in roles):
        return
    who = " or ".join(role.replace("_", " ") for role in roles)
    raise ForbiddenError(f"only the order's {who} may do this", code="not_a_party")
