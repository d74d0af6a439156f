"""Cancelling an exchange: the points hold voided, both programs told; the deadline sweep.

An exchange is cancelled when program B refuses or does not answer, when its
commit finds the hold lapsed, and by `expire_due` when a crash left it held
past its window.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.events.outbox import enqueue
from hutong.ledger.models import Result
from hutong.ledger.store import apply_batches
from hutong.payments import legs
from hutong.payments.points.programs import held_window
from hutong.payments.points.store import (
    ExchangeRow,
    ExchangeState,
    held_since,
    mark_cancelled,
    require_exchange,
)
from hutong.protocol.errors import ConflictError
from hutong.runtime.services import Services

#: Ledger results that mean "the points hold is already gone" when voiding it.
_ALREADY_RELEASED = frozenset(
    {Result.PENDING_TRANSFER_EXPIRED, Result.PENDING_TRANSFER_ALREADY_VOIDED}
)


async def notify(conn: AsyncConnection, exchange: ExchangeRow, now: datetime) -> None:
    for recipient in (exchange.program_from, exchange.program_to):
        await enqueue(
            conn,
            recipient=recipient,
            action="on_exchange",
            message=exchange.event(),
            now=now,
            transaction_id=exchange.id,
        )


async def cancel_in(
    conn: AsyncConnection, exchange: ExchangeRow, reason: str, now: datetime
) -> ExchangeRow:
    """In `conn` (the row locked): void the points, mark it cancelled, tell both programs."""
    if exchange.state is not ExchangeState.HELD:
        return exchange
    release = legs.settle_exchange(
        exchange.id, exchange.program_from, exchange.program_to, 0, commit=False
    )
    (results,) = await apply_batches(conn, [release], now)
    if not all(r.succeeded or r in _ALREADY_RELEASED for r in results):
        raise ConflictError(f"the ledger refused to release the points: {results[0].value}")
    reason = reason[:2000]
    await mark_cancelled(conn, exchange.id, reason, now)
    cancelled = ExchangeRow(
        **{
            **{n: getattr(exchange, n) for n in ExchangeRow.__dataclass_fields__},
            "state": ExchangeState.CANCELLED,
            "reason": reason,
            "updated_at": now,
        }
    )
    await notify(conn, cancelled, now)
    return cancelled


async def cancel(services: Services, exchange_id: str, reason: str) -> ExchangeRow:
    async with services.db.transaction() as conn:
        exchange = await require_exchange(conn, exchange_id, lock=True)
        return await cancel_in(conn, exchange, reason, services.clock())


def cancelled_refusal(exchange: ExchangeRow) -> ConflictError:
    return ConflictError(
        f"exchange {exchange.id} was cancelled ({exchange.reason or 'no reason given'});"
        " a new message id makes a new exchange",
        code="exchange_cancelled",
    )


async def expire_due(services: Services, limit: int = 200) -> int:
    """Cancel exchanges left held past their deadline (points back, both programs told)."""
    now = services.clock()
    cutoff = now - timedelta(seconds=held_window(services.settings))
    async with services.db.read() as conn:
        due = await held_since(conn, cutoff, limit)
    cancelled = 0
    for exchange_id in due:
        async with services.db.transaction() as conn:
            current = await require_exchange(conn, exchange_id, lock=True)
            if current.state is not ExchangeState.HELD:
                continue  # committed or cancelled meanwhile
            await cancel_in(
                conn, current, "not finished in time: the switch cancelled it", services.clock()
            )
            cancelled += 1
    return cancelled
