"""A session's sales report, by the merchant's home platform. Pure code.

The orders of a session are the orders taken through its cart (each carries
one of the cart's placements, and a cart placement belongs to one session).
Per home platform of the merchant (``merchant_platform``), and in total:

    orders                  the orders of the cart whose buyer paid (an order refused,
                            cancelled or expired before payment sold nothing)
    gmv                     sum of what buyers paid (fen)
    refunds                 sum of what was refunded (fen), cancellations after payment included
    net                     gmv - refunds
    broadcaster_commission  the broadcaster's commission kept: for each completed
                            order it brought as the placement's creator, the split's
                            creator part less what refunds after completion took back
                            (`hutong.commerce.commissions.reversed_after`)

Every figure is a sum of integers over rows: exact, never estimated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from hutong.commerce.commissions import OrderSplit, reversed_after

__all__ = ["SalesLine", "SessionOrder", "sales_report"]


@dataclass(frozen=True, slots=True)
class SessionOrder:
    """What the report reads of one order of the session."""

    merchant_platform: str
    paid: int
    refunded: int
    creator: str
    split: OrderSplit | None = None
    refunded_after_split: int = 0


@dataclass(slots=True)
class SalesLine:
    orders: int = 0
    gmv: int = 0
    refunds: int = 0
    broadcaster_commission: int = 0

    @property
    def net(self) -> int:
        return self.gmv - self.refunds

    def add(self, order: SessionOrder, broadcaster: str) -> None:
        if not order.paid:
            return
        self.orders += 1
        self.gmv += order.paid
        self.refunds += order.refunded
        if order.split is not None and order.creator == broadcaster:
            back = reversed_after(order.split, order.refunded_after_split)
            self.broadcaster_commission += order.split.creator_commission - back.creator_commission

    def to_dict(self) -> dict[str, int]:
        return {
            "orders": self.orders,
            "gmv": self.gmv,
            "refunds": self.refunds,
            "net": self.net,
            "broadcaster_commission": self.broadcaster_commission,
        }


@dataclass(slots=True)
class SalesReport:
    total: SalesLine = field(default_factory=SalesLine)
    by_home_platform: dict[str, SalesLine] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "total": self.total.to_dict(),
            "by_home_platform": {
                platform: line.to_dict() for platform, line in sorted(self.by_home_platform.items())
            },
        }


def sales_report(orders: Iterable[SessionOrder], broadcaster: str) -> SalesReport:
    report = SalesReport()
    for order in orders:
        report.total.add(order, broadcaster)
        report.by_home_platform.setdefault(order.merchant_platform, SalesLine()).add(
            order, broadcaster
        )
    return report
