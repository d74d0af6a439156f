"""Attempts of one order message: its order ids, and an attempt nobody answered.

An order's id is derived from (host, message id), so a retry names the same
order. A merchant's platform that did not answer is not an answer: that
attempt is kept as a cancelled order, the message id stays free, and the
next attempt of the same message takes the next derived id (see
`hutong.commerce.orders.intake`).
"""

from __future__ import annotations

import hashlib
from typing import Any

from hutong.commerce.orders import OrderEvent
from hutong.commerce.orders import store as order_store
from hutong.commerce.orders.lines import OrderError
from hutong.commerce.orders.moves import moved
from hutong.commerce.orders.store import OrderRow
from hutong.runtime.services import Services

__all__ = ["MAX_ATTEMPTS", "AttemptCancelled", "attempt_id", "cancelled_attempt", "order_id_for"]

#: Attempts of one message cancelled because the merchant's platform did not answer,
#: after which a new message id is wanted.
MAX_ATTEMPTS = 100


def order_id_for(host: str, message_id: str, attempt: int = 0) -> str:
    """The order's id, derived from the request (a retry names the same order).

    `attempt` counts the earlier attempts of this message cancelled because the
    merchant's platform did not answer (see the module docstring).
    """
    key = message_id if attempt == 0 else f"{message_id}#{attempt}"
    digest = hashlib.blake2b(f"{host}|{key}".encode(), digest_size=12).hexdigest()
    return f"ord_{digest}"


async def attempt_id(services: Services, host: str, message_id: str) -> str:
    """The id of this attempt: the first derived id no earlier attempt has taken.

    The message id is claimed while this runs and has no answer yet, so an
    order under a derived id is an attempt the platform did not answer.
    """
    async with services.db.read() as conn:
        for attempt in range(MAX_ATTEMPTS):
            candidate = order_id_for(host, message_id, attempt)
            if await order_store.find_order(conn, candidate) is None:
                return candidate
    raise OrderError(
        "too_many_attempts",
        f"message {message_id} was tried {MAX_ATTEMPTS} times; send the order as a new message",
    )


class AttemptCancelled(OrderError):
    """The merchant's platform did not answer: the attempt is cancelled, not the message.

    Transient (not recorded as the message's answer); its body names the
    cancelled attempt.
    """

    def __init__(self, problem: OrderError, order: dict[str, Any]) -> None:
        super().__init__(problem.code, problem.message, kind=problem.kind)
        self.order = order

    def body(self) -> dict[str, Any]:
        return super().body() | {"order": self.order}


async def cancelled_attempt(
    services: Services, row: OrderRow, problem: OrderError
) -> AttemptCancelled:
    """Keep an attempt the platform did not answer as cancelled (its parties told), now."""
    async with services.db.transaction() as conn:
        await order_store.insert_order(conn, row)
        cancelled = await moved(conn, row, OrderEvent.CANCEL, services.clock(), reason=problem.code)
    return AttemptCancelled(problem, cancelled.to_dict())
