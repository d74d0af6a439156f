"""What a payment's step tells others: its parties and wallet, and the wallets asked before."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Update, and_, case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.events.outbox import enqueue
from hutong.payments.checkout import store
from hutong.store.tables import payment_attempts, payments

__all__ = ["asked_besides", "note_other_wallet_asked", "notify", "tell_asked_wallets"]


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


def asked_besides(wallet: str) -> ColumnElement[bool]:
    """Whether a wallet other than `wallet` was asked to authorize the payment (for its WHERE).

    Read off the payment's own row (`payments.other_wallet_asked`, written by
    every ask of a wallet other than the payment's: `note_other_wallet_asked`),
    not `payment_attempts`: after waiting for the row's lock, PostgreSQL checks
    a WHERE on the row's newest version, while a subquery sees only what had
    committed when the statement began. No other wallet was asked when the
    payment's wallet is `wallet` and none besides it was, or when the payment
    has no wallet yet and at most `wallet` was.
    """
    other = payments.c.other_wallet_asked
    return ~or_(
        and_(payments.c.wallet == wallet, other == ""),
        and_(payments.c.wallet == "", other.in_(["", wallet])),
    )


def note_other_wallet_asked(payment_id: str, wallet: str) -> Update:
    """The UPDATE writing on the payment's row that `wallet`, not its own, was asked.

    The one other wallet asked, or ``*`` once two were. Nothing for the
    payment's own wallet: `asked_besides` knows it may have been asked.
    """
    other = payments.c.other_wallet_asked
    return (
        update(payments)
        .where(payments.c.id == payment_id, payments.c.wallet != wallet)
        .values(other_wallet_asked=case((other.in_(["", wallet]), wallet), else_="*"))
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
