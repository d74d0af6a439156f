"""Capturing a payment, once, all or part of the hold; the wallet's fee is charged with it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.ledger.models import Result
from hutong.net.transport import CallTransport
from hutong.payments import legs
from hutong.payments.calls import ask_wallet
from hutong.payments.checkout import store
from hutong.payments.checkout.notices import notify
from hutong.payments.checkout.states import PaymentEvent
from hutong.payments.checkout.steps import not_an_orders, party, step
from hutong.payments.checkout.wallets import wallet_profile_for
from hutong.payments.fees import PaymentKind
from hutong.payments.posting import post
from hutong.protocol.errors import ConflictError
from hutong.runtime.exactly_once import Write
from hutong.runtime.services import Services


def agrees(wallet: str, answer: dict[str, Any], field: str, value: int, code: str) -> None:
    """Refuse to book `value` when the wallet says it moved another amount.

    A wallet answers a step again by its message id, so after a call that
    timed out (the wallet acted, late) a new request for another amount gets
    the first answer back: booking the new amount would split the wallet's
    books from the ledger's.
    """
    moved = answer.get(field)
    if moved != value:
        raise ConflictError(
            f"{wallet} already {field} {moved!r} fen for this step, not {value}", code=code
        )


async def capture(
    services: Services,
    http: CallTransport,
    sender: str,
    payment_id: str,
    value: int | None,
    *,
    known: store.PaymentRow | None = None,
    through_order: bool = False,
) -> Write[store.PaymentRow]:
    """Ask the wallet to capture; the write posts it (`known`: the payment as just read).

    An order's payment is captured only by the order's pay step (`through_order`).
    """
    payment = await party(services, sender, payment_id, known)
    if not through_order:
        await not_an_orders(services, payment)
    amount = payment.amount if value is None else value
    step(payment, PaymentEvent.CAPTURE, amount, now=services.clock())
    profile = await wallet_profile_for(services, payment.wallet, payment.kind)
    fee = profile.fees.fee(PaymentKind(payment.kind), amount)
    answer = await ask_wallet(
        services,
        http,
        payment.wallet,
        "capture",
        {"payment_id": payment.id, "amount": amount},
        f"{payment.id}.capture",
        on_behalf_of=payment.host,
    )
    agrees(payment.wallet, answer, "captured", amount, "already_captured")

    async def write(conn: AsyncConnection) -> store.PaymentRow:
        # While authorized nothing capture decides on changes (amount, hold's end, wallet):
        # `payment` decides, if its row is still authorized when the update locks it.
        now = services.clock()
        after = step(payment, PaymentEvent.CAPTURE, amount, now=now)
        moved = await store.move_payment(
            conn,
            payment.id,
            payment.state,
            state=after.state,
            captured=amount,
            fee=fee,
            updated_at=now,
        )
        if not moved:  # voided or expired meanwhile: the refusal for what it is now
            current = await store.require_payment(conn, payment_id, lock=True)
            step(current, PaymentEvent.CAPTURE, amount, now=now)
            raise AssertionError(f"payment {payment_id} left {payment.state} yet may capture")
        await post(
            conn,
            legs.capture(payment.id, payment.wallet, payment.merchant, amount, fee),
            now,
            refusals={
                Result.PENDING_TRANSFER_EXPIRED: ("hold_expired", "the hold lapsed in the ledger")
            },
            fresh=True,  # the payment left `authorized` just above: its capture is new
        )
        changed = replace(payment, state=after.state, captured=amount, fee=fee, updated_at=now)
        await notify(conn, changed, now)
        return changed

    return write
