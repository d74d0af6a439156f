"""Every refund of an order, by its id (a retry of the same refund changes nothing)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.commerce.commissions import OrderSplit
from hutong.store.tables import order_refunds

__all__ = [
    "OrderRefund",
    "find_refund",
    "insert_refund",
]


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
