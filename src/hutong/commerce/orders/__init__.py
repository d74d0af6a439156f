"""Cross-platform orders: the state machine here, the steps in their modules.

This face is the pure state machine (`states`): `Order`, its `OrderState`s
and `OrderEvent`s, and the refusal `OrderError`; and who hears of each move
(`audience`). The steps each have a module, imported by name: `intake` (take
an order: prices checked, stock reserved, the payment created), `service`
(read, pay, cancel, confirm, deadlines), `shipping` (book the carrier;
tracking moves the order), `refunds`, `completion` (the split at
completion); `moves` (one recorded move), `lines` (lines, totals, the price
check), `outcome` (what a step answers) and `store` (the rows).
"""

from hutong.commerce.orders.audience import (
    AUDIENCE,
    Parties,
    Party,
    StateChange,
    audience,
    recipients,
)
from hutong.commerce.orders.states import (
    FINAL,
    REFUSALS,
    TRANSITIONS,
    Order,
    OrderEvent,
    OrderState,
)

__all__ = [
    "AUDIENCE",
    "FINAL",
    "REFUSALS",
    "TRANSITIONS",
    "Order",
    "OrderEvent",
    "OrderState",
    "Parties",
    "Party",
    "StateChange",
    "audience",
    "recipients",
]
