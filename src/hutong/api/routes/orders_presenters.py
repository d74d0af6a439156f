"""How the orders API shows what the domain answers: the status and the body.

One presenter per answer and reader (`hutong.runtime.exactly_once.Present`); the CLI
shows the same bodies (`OrderOutcome.to_dict`).
"""

from __future__ import annotations

from hutong.api.idempotency import Reply, refusal_reply
from hutong.commerce.orders.outcome import OrderOutcome
from hutong.runtime.exactly_once import Present, Refused

__all__ = ["order_moved_out", "order_taken_out"]


def _refused(outcome: Refused) -> Reply:
    status, body = refusal_reply(outcome.error)
    return status, body | dict(outcome.extra)


def order_taken_out(reader: str) -> Present[OrderOutcome | Refused]:
    """A new order (stock reserved) and its payment; or refused, the order kept as cancelled."""

    def present(outcome: OrderOutcome | Refused) -> Reply:
        if isinstance(outcome, Refused):
            return _refused(outcome)
        return 201, outcome.to_dict(reader)

    return present


def order_moved_out(reader: str) -> Present[OrderOutcome | Refused]:
    """An order a step moved, as `reader` sees it, with what the step moved; or refused,
    what the step did kept (a shipment the carrier booked while the order moved)."""

    def present(outcome: OrderOutcome | Refused) -> Reply:
        if isinstance(outcome, Refused):
            return _refused(outcome)
        return 200, outcome.to_dict(reader)

    return present
