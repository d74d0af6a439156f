"""A stored order: the pure `Order` (`model`) plus who it involves, how it came and
what it is tied to (its payment, its shipment), and its JSON face (`to_dict`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hutong.commerce.commissions import Channel, OrderSplit
from hutong.commerce.orders import Order, OrderState, Parties

__all__ = [
    "OrderRow",
]


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
