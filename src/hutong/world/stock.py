"""A reference merchant platform's stock desk: prices and stock, reserved per order.

The switch asks the merchant's platform before it takes an order (a signed
decision call, see `hutong.commerce.orders.service`):

* ``reserve_stock {order_id, merchant, lines: [{sku_id, quantity, unit_price}]}``
  -> ``{reserved, reservation, offers: {sku_id: {price, stock}}}``

The desk answers with what it offers now for every SKU the order names (a
SKU it does not offer is left out) and reserves the lines only when every
one is offered at the price shown and in stock; otherwise ``reserved`` is
false and nothing is held. The switch compares the answer with what the buyer
was shown (`hutong.commerce.orders.lines.check_prices`) and refuses the order
with the first problem.

Events applied (``on_order``, once verified and first seen): an order that
ends ``cancelled`` gives its reserved stock back; one that ships consumes its
reservation (the stock left the warehouse). A retry of a call (the same
message id) gets the same answer and never reserves twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hutong.protocol.errors import ack
from hutong.protocol.signing import Signer
from hutong.world.wallets import Answer, Refusal, _text, answered

#: The decision calls a merchant platform answers.
STOCK_ACTIONS = ("reserve_stock",)


@dataclass(slots=True)
class Offer:
    price: int
    stock: int


@dataclass(slots=True)
class StockDesk:
    """One merchant platform's offers (by merchant, then SKU) and its reservations."""

    signer: Signer
    offers: dict[str, dict[str, Offer]] = field(default_factory=dict)
    #: Reserved lines by order id: (merchant, {sku_id: quantity}).
    reservations: dict[str, tuple[str, dict[str, int]]] = field(default_factory=dict)
    #: Orders whose reservation was consumed (shipped) or given back (cancelled).
    finished: set[str] = field(default_factory=set)
    fail: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    calls: list[tuple[str, str]] = field(default_factory=list)
    answers: dict[str, Answer] = field(default_factory=dict)
    #: Put before the order id to make the platform's own reservation reference.
    reference_prefix: str = ""

    def offer(self, merchant: str, sku_id: str, price: int, stock: int) -> None:
        """Set (or change) what `merchant` offers for `sku_id`."""
        self.offers.setdefault(merchant, {})[sku_id] = Offer(price, stock)

    def stock(self, merchant: str, sku_id: str) -> int:
        return self.offers[merchant][sku_id].stock

    def answer(self, action: str, message_id: str, message: dict[str, Any]) -> Answer:
        """The answer to one call; a repeated message id gets the first answer again."""
        if message_id not in self.answers:
            self.answers[message_id] = answered(self._act, action, message)
        return self.answers[message_id]

    def _act(self, action: str, message: dict[str, Any]) -> dict[str, Any]:
        if action != "reserve_stock":
            raise Refusal(404, "unknown_action", f"a merchant platform does not {action}")
        order_id = _text(message, "order_id")
        merchant = _text(message, "merchant")
        lines = message.get("lines")
        if not isinstance(lines, list) or not lines:
            raise Refusal(422, "invalid_request", "lines must be a non-empty list")
        shelf = self.offers.get(merchant, {})
        wanted: dict[str, int] = {}
        shown: dict[str, int] = {}
        for line in lines:
            if not isinstance(line, dict):
                raise Refusal(422, "invalid_request", "each line is an object")
            sku_id = _text(line, "sku_id")
            wanted[sku_id] = int(line.get("quantity") or 0)
            shown[sku_id] = int(line.get("unit_price") or 0)
        current = {
            sku: {"price": shelf[sku].price, "stock": shelf[sku].stock}
            for sku in wanted
            if sku in shelf
        }
        if order_id in self.reservations or order_id in self.finished:
            held = order_id in self.reservations
            return ack(reserved=held, reservation=self.reference_prefix + order_id, offers=current)
        fits = all(
            sku in shelf and shelf[sku].price == shown[sku] and 0 < wanted[sku] <= shelf[sku].stock
            for sku in wanted
        )
        if not fits:
            return ack(reserved=False, reservation="", offers=current)
        for sku, quantity in wanted.items():
            shelf[sku].stock -= quantity
        self.reservations[order_id] = (merchant, wanted)
        return ack(reserved=True, reservation=self.reference_prefix + order_id, offers=current)

    def on_event(self, envelope: dict[str, Any]) -> None:
        """``on_order``: cancelled gives the stock back; shipped consumes the reservation."""
        if envelope.get("context", {}).get("action") != "on_order":
            return
        order = (envelope.get("message") or {}).get("order") or {}
        order_id, state = str(order.get("id")), order.get("state")
        if state == "cancelled":
            reserved = self.reservations.pop(order_id, None)
            if reserved is not None:
                merchant, lines = reserved
                for sku, quantity in lines.items():
                    self.offers[merchant][sku].stock += quantity
            self.finished.add(order_id)
        elif state == "shipped":
            self.reservations.pop(order_id, None)
            self.finished.add(order_id)
