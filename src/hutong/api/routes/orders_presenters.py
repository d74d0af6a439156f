"""How the orders API shows what the domain answers: the status and the body.

One presenter per answer (`hutong.runtime.exactly_once.Present`); the CLI
shows the same bodies (`OrderOutcome.to_dict`).
"""

from __future__ import annotations

from hutong.api.idempotency import Reply, refusal_reply
from hutong.commerce.orders.outcome import OrderOutcome
from hutong.runtime.exactly_once import Refused

__all__ = ["order_moved_out", "order_taken_out"]


def order_taken_out(outcome: OrderOutcome | Refused) -> Reply:
    """A new order (stock reserved) and its payment; or refused, the order kept as cancelled."""
    if isinstance(outcome, Refused):
        status, body = refusal_reply(outcome.error)
        return status, body | dict(outcome.extra)
    return 201, outcome.to_dict()


def order_moved_out(outcome: OrderOutcome) -> Reply:
    """An order a step moved, with what the step moved (payment, shipment, refund)."""
    return 200, outcome.to_dict()
