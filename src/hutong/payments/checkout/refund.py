"""Refunding a payment, in as many parts as wanted, once per refund id.

The wallet's fee comes back in proportion (`hutong.payments.legs.fee_returned_after`).
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.net.transport import CallTransport
from hutong.payments import legs
from hutong.payments.calls import ask_wallet
from hutong.payments.checkout import store
from hutong.payments.checkout.capture import agrees
from hutong.payments.checkout.notices import notify
from hutong.payments.checkout.states import PaymentEvent
from hutong.payments.checkout.steps import not_an_orders, party, step
from hutong.payments.posting import post
from hutong.protocol.errors import (
    ConflictError,
    ValidationError,
)
from hutong.runtime.exactly_once import Write
from hutong.runtime.services import Services

MAX_REFUND_ID = 64


async def refund(
    services: Services,
    http: CallTransport,
    sender: str,
    payment_id: str,
    value: int,
    refund_id: str,
    *,
    through_order: bool = False,
) -> Write[store.PaymentRow]:
    """Give `value` fen back, once per `refund_id`; the payment after it (or as it stands).

    An order's payment is refunded only by the order's refunds and cancellation
    (`through_order`), which reverse its split with it.
    """
    if not refund_id or len(refund_id) > MAX_REFUND_ID:
        raise ValidationError(
            f"refund_id is 1 to {MAX_REFUND_ID} characters", code="invalid_refund_id"
        )
    payment = await party(services, sender, payment_id)
    if not through_order:
        await not_an_orders(services, payment)
    async with services.db.read() as conn:
        earlier = await store.find_refund(conn, payment_id, refund_id)
    if earlier is not None and earlier != value:
        raise ConflictError(
            f"refund {refund_id} was for {earlier} fen, not {value}", code="refund_id_reused"
        )
    if earlier is None:
        step(payment, PaymentEvent.REFUND, value, now=services.clock())
        answer = await ask_wallet(
            services,
            http,
            payment.wallet,
            "refund",
            {"payment_id": payment.id, "refund_id": refund_id, "amount": value},
            f"{payment.id}.refund.{refund_id}",
            on_behalf_of=payment.host,
        )
        agrees(payment.wallet, answer, "refunded", value, "refund_id_reused")

    async def write(conn: AsyncConnection) -> store.PaymentRow:
        now = services.clock()
        current = await store.require_payment(conn, payment_id, lock=True)
        done = await store.find_refund(conn, payment_id, refund_id)
        if done is not None:  # the same refund, asked again under another message id
            if done != value:
                raise ConflictError(
                    f"refund {refund_id} was for {done} fen, not {value}", code="refund_id_reused"
                )
            return current
        after = step(current, PaymentEvent.REFUND, value, now=now)
        returned = legs.fee_returned_after(current.fee, current.captured, after.refunded)
        fee_back = returned - current.fee_returned
        await post(
            conn,
            legs.refund(current.id, refund_id, current.wallet, current.merchant, value, fee_back),
            now,
        )
        await store.insert_refund(conn, current.id, refund_id, value, fee_back, now)
        changed = replace(
            current,
            state=after.state,
            refunded=after.refunded,
            fee_returned=returned,
            updated_at=now,
        )
        await store.update_payment(
            conn,
            current.id,
            state=after.state,
            refunded=after.refunded,
            fee_returned=returned,
            updated_at=now,
        )
        await notify(conn, changed, now)
        return changed

    return write
