"""What every step of a payment shares: the pure payment of a row, the checked step, who may act.

`step` runs the transition of `hutong.payments.checkout.states` on the
stored payment; its refusal is the `PaymentError` (its kind decides how it is
answered). `readable` and `party` say who may see and who may act on a payment.
"""

from __future__ import annotations

from datetime import datetime

from hutong.payments.checkout import store
from hutong.payments.checkout.states import Payment, PaymentEvent
from hutong.protocol.errors import ConflictError, ForbiddenError
from hutong.registry.models import Role
from hutong.registry.service import require_participant
from hutong.runtime.services import Services


def model(payment: store.PaymentRow) -> Payment:
    return Payment(
        amount=payment.amount,
        state=payment.state,
        captured=payment.captured,
        refunded=payment.refunded,
        expires_at=payment.expires_at,
    )


def step(
    payment: store.PaymentRow,
    event: PaymentEvent,
    value: int = 0,
    *,
    now: datetime,
    hold_until: datetime | None = None,
) -> Payment:
    """The payment after `event`, or the `PaymentError` refusing it (its kind decides)."""
    return model(payment).apply(event, value, now=now, hold_until=hold_until)


async def readable(services: Services, reader: str, payment_id: str) -> store.PaymentRow:
    """The payment, for its parties, its wallet and auditors."""
    async with services.db.read() as conn:
        payment = await store.require_payment(conn, payment_id)
        participant = await require_participant(conn, reader)
    if reader in payment.parties or reader == payment.wallet or participant.has_role(Role.AUDITOR):
        return payment
    raise ForbiddenError(f"{reader} is not a party of payment {payment_id}", code="not_a_party")


async def party(
    services: Services, sender: str, payment_id: str, known: store.PaymentRow | None = None
) -> store.PaymentRow:
    """The payment, refused unless `sender` is a party of it.

    `known` is the payment as the caller just read or wrote it (not read again).
    """
    if known is not None and known.id == payment_id:
        payment = known
    else:
        async with services.db.read() as conn:
            payment = await store.require_payment(conn, payment_id)
    if sender not in payment.parties:
        raise ForbiddenError(f"{sender} is not a party of payment {payment_id}", code="not_a_party")
    return payment


async def not_an_orders(services: Services, payment: store.PaymentRow) -> None:
    """Refused (409 ``payment_of_an_order``) if an order owns the payment.

    An order's payment is captured, voided and refunded by the order's own
    steps (pay, cancel, refunds), which move the order and its split with it;
    moved on its own, the money would say refunded where the order says paid.
    """
    async with services.db.read() as conn:
        order_id = await store.order_of_payment(conn, payment)
    if order_id is not None:
        raise ConflictError(
            f"payment {payment.id} belongs to order {order_id}: it is captured, voided and "
            f"refunded through the order (/v1/orders/{order_id})",
            code="payment_of_an_order",
        )
