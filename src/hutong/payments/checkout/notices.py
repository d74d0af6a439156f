"""What a payment's step tells others: its parties and wallet, and the wallets asked before."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.events.outbox import enqueue
from hutong.payments.checkout import store
from hutong.store.tables import payment_attempts


async def notify(conn: AsyncConnection, payment: store.PaymentRow, now: datetime) -> None:
    """Tell every party of the payment (and its wallet) its new state.

    The message names the payment as ``payment_id`` (as the wallet's own calls
    do) besides ``id``: a wallet releases its hold on ``voided`` or ``expired``.
    """
    message = {"payment_id": payment.id} | payment.to_dict()
    for recipient in sorted({*payment.parties, payment.wallet} - {""}):
        await enqueue(
            conn,
            recipient=recipient,
            action="on_payment",
            message=message,
            now=now,
            transaction_id=payment.id,
        )


def asked_besides(payment_id: str, wallet: str) -> ColumnElement[bool]:
    """Whether a wallet other than `wallet` was asked to authorize the payment (for a WHERE)."""
    return exists().where(
        payment_attempts.c.payment_id == payment_id, payment_attempts.c.wallet != wallet
    )


async def tell_asked_wallets(
    conn: AsyncConnection, payment: store.PaymentRow, reason: str, now: datetime
) -> None:
    """Tell each wallet asked to authorize `payment`, other than its own, to release its hold.

    Only the payment's id and why: a wallet that is not the payment's learns
    nothing else of it.
    """
    asked = await conn.execute(
        select(payment_attempts.c.wallet).where(payment_attempts.c.payment_id == payment.id)
    )
    for wallet in sorted(set(asked.scalars()) - {payment.wallet}):
        await enqueue(
            conn,
            recipient=wallet,
            action="on_payment_released",
            message={"payment_id": payment.id, "reason": reason},
            now=now,
            transaction_id=payment.id,
        )
