"""What a step of an order answers: the order as it now stands, and what it moved.

Every order step (take, pay, ship, confirm, cancel, ask for or make a
refund) returns a write whose result is an `OrderOutcome`: the order after
the step and, where the step moved one, the payment, the shipment or the
refund. The API and the CLI present it (`to_dict`), the same body in both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hutong.commerce.orders.store import OrderRefund, OrderRow
from hutong.commerce.orders.visibility import view
from hutong.logistics.store import Shipment
from hutong.payments.checkout import PaymentRow

__all__ = ["OrderOutcome", "refund_out"]


@dataclass(frozen=True, slots=True)
class OrderOutcome:
    """The order after a step, and the payment, shipment or refund the step moved."""

    order: OrderRow
    payment: PaymentRow | None = None
    shipment: Shipment | None = None
    refund: OrderRefund | None = None

    def to_dict(self, reader: str | None = None) -> dict[str, Any]:
        """The whole answer; for `reader`, the order as it sees it (`visibility`)."""
        order = self.order.to_dict() if reader is None else view(self.order, reader).to_dict()
        body: dict[str, Any] = {"order": order}
        if self.payment is not None:
            body["payment"] = self.payment.to_dict()
        if self.shipment is not None:
            body["shipment"] = self.shipment.as_dict()
        if self.refund is not None:
            body["refund"] = refund_out(self.refund)
        return body


def refund_out(record: OrderRefund) -> dict[str, Any]:
    """One refund of an order: its id, amount, lines and the split it reversed."""
    return {
        "refund_id": record.refund_id,
        "amount": record.amount,
        "lines": record.lines,
        "reversal": None if record.reversal is None else record.reversal.as_dict(),
    }
