"""Voiding and expiring a payment: its hold released in the ledger, every wallet asked told.

A payment left ``created`` or ``authorized`` past its deadline is expired by
`expire_due`; the wallets asked to authorize it, other than its own, are told
``on_payment_released`` (reason ``voided`` or ``expired``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.ledger.models import Result
from hutong.ledger.store import apply_batches
from hutong.net.transport import CallTransport
from hutong.payments import legs
from hutong.payments.calls import ask_wallet
from hutong.payments.checkout import store
from hutong.payments.checkout.notices import notify, tell_asked_wallets
from hutong.payments.checkout.states import PaymentEvent, PaymentState
from hutong.payments.checkout.steps import not_an_orders, party, step
from hutong.protocol.errors import (
    ConflictError,
    HutongError,
)
from hutong.runtime.exactly_once import Write
from hutong.runtime.services import Services

#: Ledger results that mean "the hold is already gone" when releasing it.
_ALREADY_RELEASED = frozenset(
    {Result.PENDING_TRANSFER_EXPIRED, Result.PENDING_TRANSFER_ALREADY_VOIDED}
)


async def release_hold(
    services: Services, conn: AsyncConnection, payment: store.PaymentRow, event: PaymentEvent
) -> store.PaymentRow:
    """In `conn`: void or expire the payment, releasing its hold in the ledger if it had one."""
    now = services.clock()
    after = step(payment, event, now=now)
    if payment.state is PaymentState.AUTHORIZED:
        await _post_release(conn, payment.id, now)
    changed = replace(payment, state=after.state, updated_at=now)
    await store.update_payment(conn, payment.id, state=after.state, updated_at=now)
    await notify(conn, changed, now)
    if payment.state is PaymentState.CREATED:  # once authorized, the others were told then
        await tell_asked_wallets(conn, changed, after.state.value, now)
    return changed


async def _post_release(conn: AsyncConnection, payment_id: str, now: datetime) -> list[Result]:
    (results,) = await apply_batches(conn, [legs.release(payment_id)], now)
    if not all(r.succeeded or r in _ALREADY_RELEASED for r in results):
        raise ConflictError(f"the ledger refused to release the hold: {results[0].value}")
    return results


async def void(
    services: Services,
    http: CallTransport,
    sender: str,
    payment_id: str,
    *,
    through_order: bool = False,
) -> Write[store.PaymentRow]:
    """Release the hold. An order's payment is voided only by the order (`through_order`)."""
    payment = await party(services, sender, payment_id)
    if not through_order:
        await not_an_orders(services, payment)
    step(payment, PaymentEvent.VOID, now=services.clock())
    if payment.state is PaymentState.AUTHORIZED:
        await ask_wallet(
            services,
            http,
            payment.wallet,
            "void",
            {"payment_id": payment.id},
            f"{payment.id}.void",
            on_behalf_of=payment.host,
        )

    async def write(conn: AsyncConnection) -> store.PaymentRow:
        current = await store.require_payment(conn, payment_id, lock=True)
        return await release_hold(services, conn, current, PaymentEvent.VOID)

    return write


async def expire_due(services: Services, limit: int = 200) -> int:
    """Expire payments past their deadline (holds released, parties and wallet told)."""
    now = services.clock()
    async with services.db.read() as conn:
        due = await store.due_payments(conn, now, limit)
    expired = 0
    for payment_id in due:
        async with services.db.transaction() as conn:
            payment = await store.require_payment(conn, payment_id, lock=True)
            try:
                await release_hold(services, conn, payment, PaymentEvent.EXPIRE)
            except HutongError:
                continue  # moved on meanwhile (captured, voided)
            expired += 1
    return expired
