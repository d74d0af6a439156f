"""Paying an order: the host pays for its buyer, the wallet holds and captures the total.

A pay asks the order's wallet twice: to hold (authorize), then to capture.
The wallet's ask is recorded before it is asked (`payment_attempts`), the
hold is written before the capture is asked, and the capture's write pays
the order. The usual pay records its ask with its claim of the message id
(`start_pay`, `Paying`): one transaction less before the wallet is asked.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.commerce.coupons import Redemption
from hutong.commerce.coupons import redeem as coupons
from hutong.commerce.orders import OrderEvent, OrderState
from hutong.commerce.orders import store as order_store
from hutong.commerce.orders.moves import require_party, step, tell
from hutong.commerce.orders.outcome import OrderOutcome
from hutong.commerce.orders.store import OrderRow
from hutong.ledger.liquidity.service import check_before_asking
from hutong.net.transport import CallTransport
from hutong.payments import checkout as payments
from hutong.payments.checkout import PaymentState
from hutong.payments.checkout.store import PaymentRow
from hutong.payments.legs import merchant_accounts
from hutong.payments.posting import ensure_accounts
from hutong.protocol.errors import HutongError
from hutong.runtime.exactly_once import Write
from hutong.runtime.services import Services

__all__ = ["Paying", "pay", "start_pay"]


async def pay(
    services: Services, http: CallTransport, sender: str, order_id: str, attempt: str
) -> Write[OrderOutcome]:
    """The host pays for its buyer: the wallet holds and captures exactly the total.

    Of an order that redeemed a coupon the wallet pays the total less the
    discount and the coupon's funders the discount: their legs are checked
    against their net debit caps before the wallet is asked (refused
    ``net_debit_cap_exceeded``, nothing held, the order waits) and posted in
    the write that holds the wallet's money (`hutong.commerce.coupons.redeem`).
    """
    row, payment, coupon = await _payable(services, sender, order_id)
    if coupon is not None:
        # The accounts the funding posts to exist first, so the check reads them as they are.
        await ensure_accounts(services.db, merchant_accounts(row.merchant), services.clock())
        await check_before_asking(services, coupons.funding_of(coupon, row.merchant))
    return await _paid(services, http, row, payment, coupon, attempt)


async def _payable(
    services: Services, sender: str, order_id: str
) -> tuple[OrderRow, PaymentRow, Redemption | None]:
    """The order, its payment and its coupon to fund, once `sender` (its host) may pay it."""
    async with services.db.read() as conn:
        row, payment = await order_store.order_and_payment(conn, order_id)
        require_party(row, sender, "host")
        step(row.order, OrderEvent.PAY, services.clock(), amount=row.order.total)
        # Only an order paying less than its total redeemed a coupon: no read for others.
        coupon = await coupons.to_fund(conn, order_id) if payment.amount < row.order.total else None
    return row, payment, coupon


@dataclass(slots=True)
class Paying:
    """One pay, read and checked before its message id is claimed (`start_pay`).

    The usual pay (its host's, of a reserved order without a coupon, its
    payment created, its wallet within its net debit cap) records the wallet's
    ask in its claim's transaction (`along`: `attempt_record`, the INSERT
    conditional on the payment still created), before the wallet is asked: a
    twin rolls back with its claim and never asks, and a claim given back
    (the wallet did not answer) leaves the ask recorded, as an ask recorded
    on its own would be. Everything else is read and checked again after the
    claim (`pay`), where a refusal is recorded as the answer.
    """

    services: Services
    http: CallTransport
    sender: str
    order_id: str
    attempt: str
    #: The order and its payment as read before the claim, when the claim may record the ask.
    seen: tuple[OrderRow, PaymentRow] | None = None
    #: Whether the claim recorded the ask (the last run of its write: the one that commits).
    recorded: bool = False

    @property
    def along(self) -> Write[None] | None:
        """What commits with the claim: the wallet's ask, when this pay may record it."""
        return None if self.seen is None else self._record

    async def _record(self, conn: AsyncConnection) -> None:
        assert self.seen is not None
        payment = self.seen[1]
        record = payments.attempt_record(
            payment.id, payment.wallet, self.attempt, self.services.clock()
        )
        self.recorded = (await conn.execute(record)).rowcount == 1

    async def decide(self) -> Write[OrderOutcome]:
        """After the claim: ask the wallet (recorded) or check it all again (`pay`)."""
        if self.seen is not None and self.recorded:
            row, payment = self.seen
            return await _paid(
                self.services, self.http, row, payment, None, self.attempt, recorded=True
            )
        return await pay(self.services, self.http, self.sender, self.order_id, self.attempt)


async def start_pay(
    services: Services, http: CallTransport, sender: str, order_id: str, attempt: str
) -> Paying:
    """What a pay reads before its claim: the order and its payment, and whether the claim records.

    Only reads (and the ledger accounts the hold posts to, created once): a
    twin's are harmless. Refusals are left to `Paying.decide`, after the
    claim, so that they are recorded as the answer.
    """
    paying = Paying(services, http, sender, order_id, attempt)
    try:
        row, payment, coupon = await _payable(services, sender, order_id)
        if coupon is not None or payment.state is not PaymentState.CREATED:
            return paying
        await payments.authorizable(services, row.host, payment.id, known=payment)
    except HutongError as refusal:
        if refusal.kind.transient:
            raise
        return paying  # refused after the claim (checked again there)
    paying.seen = (row, payment)
    return paying


async def _paid(
    services: Services,
    http: CallTransport,
    row: OrderRow,
    payment: PaymentRow,
    coupon: Redemption | None,
    attempt: str,
    *,
    recorded: bool = False,
) -> Write[OrderOutcome]:
    """Hold (unless held already) and capture with the wallet; the write that pays the order.

    `recorded`: the payment was checked and the wallet's ask recorded before
    (`Paying`).
    """
    order_id = row.id
    if payment.state is PaymentState.CREATED:
        authorized = await payments.authorize(
            services,
            http,
            row.host,
            row.payment_id,
            attempt=attempt,
            known=payment,
            recorded=recorded,
        )
        # Through the group commit, which runs a deadlock victim again (the hold locks
        # ledger accounts that other orders' writes lock too).
        payment = await services.batcher().run(_held_and_funded(services, row, authorized, coupon))
    elif coupon is not None:  # held already, by the payment's own route: funded before capture
        await services.batcher().run(_fund(services, row))
    capture = await payments.capture(
        services, http, row.host, row.payment_id, None, known=payment, through_order=True
    )

    async def write(conn: AsyncConnection) -> OrderOutcome:
        # Every move of a reserved order (pay, cancel, expire) leaves reserved and none
        # comes back: still reserved, the order is as read, and one conditional UPDATE
        # locks it (before the payment, as every step locks them); if not, it is read
        # under the lock and refused for what it is now. (Its wallet changes while reserved
        # only with its payment leaving created, paid through pay-for-me with another
        # wallet: in one transaction, so the one read above saw both or neither.)
        now = services.clock()
        after = step(row.order, OrderEvent.PAY, now, amount=row.order.total)
        paid = await order_store.save_if_still(conn, row, after, now, OrderState.RESERVED)
        if paid is None:
            current = await order_store.require_order(conn, order_id, lock=True)
            step(current.order, OrderEvent.PAY, now, amount=current.order.total)
            raise AssertionError(f"order {order_id} left reserved yet may be paid")
        captured = await capture(conn)
        await tell(conn, row.order, OrderEvent.PAY, paid, now)
        return OrderOutcome(paid, payment=captured)

    return write


def _held_and_funded(
    services: Services, row: OrderRow, authorized: Write[PaymentRow], coupon: Redemption | None
) -> Write[PaymentRow]:
    """The wallet's hold and the coupon's funding (if any), in one write."""

    async def write(conn: AsyncConnection) -> PaymentRow:
        held = await authorized(conn)
        if coupon is not None:
            await coupons.fund(conn, row.id, row.merchant, services.clock())
        return held

    return write


def _fund(services: Services, row: OrderRow) -> Write[int]:
    async def write(conn: AsyncConnection) -> int:
        return await coupons.fund(conn, row.id, row.merchant, services.clock())

    return write
