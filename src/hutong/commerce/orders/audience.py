"""Who hears of each move of an order.

Every move is an event; `recipients` names the participants it goes to:
the host, the merchant's platform and the merchant always; the wallet when
money moves or a payment is voided (pay, refund, cancelling or expiring a
reserved or paid order); the carrier for book_carrier, ship and deliver, and
when an order with a booked but unshipped parcel is cancelled or refunded in
full. A participant that plays two roles hears once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from hutong.commerce.orders.states import FINAL, Order, OrderEvent, OrderState

S = OrderState
E = OrderEvent

__all__ = ["AUDIENCE", "Parties", "Party", "StateChange", "audience", "recipients"]


class Party(StrEnum):
    HOST = "host"
    MERCHANT_PLATFORM = "merchant_platform"
    MERCHANT = "merchant"
    WALLET = "wallet"
    CARRIER = "carrier"


@dataclass(frozen=True, slots=True)
class Parties:
    """The participant ids of an order; ``carrier`` is None until one is chosen."""

    host: str
    merchant_platform: str
    merchant: str
    wallet: str
    carrier: str | None = None


@dataclass(frozen=True, slots=True)
class StateChange:
    """One applied event: the order before and after it."""

    before: Order
    event: OrderEvent
    after: Order


_ALWAYS = (Party.HOST, Party.MERCHANT_PLATFORM, Party.MERCHANT)
#: Who hears of each event, besides what `recipients` adds for cancellations and refunds.
AUDIENCE: Mapping[OrderEvent, tuple[Party, ...]] = {
    E.RESERVE: _ALWAYS,
    E.PAY: (*_ALWAYS, Party.WALLET),
    E.BOOK_CARRIER: (*_ALWAYS, Party.CARRIER),
    E.SHIP: (*_ALWAYS, Party.CARRIER),
    E.DELIVER: (*_ALWAYS, Party.CARRIER),
    E.CONFIRM: _ALWAYS,
    E.EXPIRE: _ALWAYS,
    E.CANCEL: _ALWAYS,
    E.REQUEST_REFUND: _ALWAYS,
    E.REFUND: (*_ALWAYS, Party.WALLET),
    E.CLOSE_REFUND: _ALWAYS,
}


def audience(change: StateChange) -> tuple[Party, ...]:
    """The roles that hear of `change` (see the module doc)."""
    roles = list(AUDIENCE[change.event])
    before, after = change.before, change.after
    if after.state is S.CANCELLED and before.state is not S.CREATED:
        roles.append(Party.WALLET)  # a payment to void or to refund
    shipped = before.state in (S.SHIPPED, S.DELIVERED) or before.resume in (
        S.SHIPPED,
        S.DELIVERED,
        S.COMPLETED,
        S.PARTIALLY_REFUNDED,
    )
    if after.state in FINAL and before.carrier_booked and not shipped:
        roles.append(Party.CARRIER)  # a booked parcel that will not ship
    return tuple(dict.fromkeys(roles))


def recipients(change: StateChange, parties: Parties) -> tuple[str, ...]:
    """The participant ids that get the event of `change`, each once."""
    ids = [getattr(parties, role.value) for role in audience(change)]
    return tuple(dict.fromkeys(i for i in ids if i is not None))
