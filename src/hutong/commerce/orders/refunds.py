"""Refunds of an order: the buyer asks (through its host), the merchant refunds or refuses.

A refund is fen per line (or units of a line, at the price paid). The buyer's
host requests it; the merchant (or its platform) gives back what was asked,
part of it or other lines within what was paid, or closes the request (the
host may withdraw it the same way). Giving back asks the wallet to refund
(`hutong.payments.service.refund`, the wallet's fee returned in proportion)
and, after completion, first reverses the order's split
(`hutong.commerce.commissions.reverse_split`): the host's commission, the
creator's and the carrier's fee each give back their share, exactly to the
fen, cumulatively (two refunds of 1 fen reverse what one of 2 fen would). All
of it is one transaction with the order's move; a refund id answers the same
again and never pays twice. Of an order that redeemed a coupon, the wallet
gives back the refund less the coupon's share of it
(`hutong.commerce.coupons.redeem.refund_share`), which goes back to the
coupon's funders; a refund that gives everything back before completion
gives the buyer its coupon back too (`hutong.commerce.coupons.redeem.release`).
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.commerce.commissions import OrderSplit, reversal_legs, reverse_split
from hutong.commerce.coupons import redeem as coupons
from hutong.commerce.orders import OrderEvent
from hutong.commerce.orders import store as order_store
from hutong.commerce.orders.completion import CHARGED_AT_CAPTURE, accounts_for
from hutong.commerce.orders.lines import quantity_refund
from hutong.commerce.orders.moves import moved, read_order, require_party, step
from hutong.commerce.orders.outcome import OrderOutcome
from hutong.commerce.orders.shipping import catch_up
from hutong.commerce.orders.store import OrderRefund
from hutong.net.transport import CallTransport
from hutong.payments import checkout as payments
from hutong.payments.checkout import store as payment_store
from hutong.payments.legs import fee_returned_after
from hutong.payments.posting import post
from hutong.protocol.errors import ConflictError, ValidationError
from hutong.runtime.exactly_once import Write
from hutong.runtime.services import Services

MAX_REFUND_ID = 64

#: The payment's refund id under which a cancellation gives back what is left. A merchant's
#: refund may not take it: the cancellation's refund would then reuse it for another amount.
CANCEL_REFUND_ID = "cancel"


def _asked(
    row: order_store.OrderRow, amounts: dict[str, int] | None, quantities: dict[str, int] | None
) -> dict[str, int] | None:
    """{sku_id: fen}, from fen or from units of each line (not both)."""
    if amounts and quantities:
        raise ValidationError("give amounts or quantities, not both", code="invalid_refund")
    if not quantities:
        return amounts or None
    lines = {line.sku_id: line for line in row.order.lines}
    asked: dict[str, int] = {}
    for sku_id, quantity in quantities.items():
        if sku_id not in lines:
            raise ValidationError(f"{sku_id!r} is not a line of this order", code="unknown_line")
        asked |= quantity_refund(lines[sku_id], quantity)
    return asked


async def request(
    services: Services,
    sender: str,
    order_id: str,
    amounts: dict[str, int] | None,
    quantities: dict[str, int] | None,
) -> Write[OrderOutcome]:
    """The host asks, for its buyer, to have lines (or part of them) refunded."""
    row = await read_order(services, order_id)
    require_party(row, sender, "host")
    asked = _asked(row, amounts, quantities)
    step(row.order, OrderEvent.REQUEST_REFUND, services.clock(), refund=asked)

    async def write(conn: AsyncConnection) -> OrderOutcome:
        current = await order_store.require_order(conn, order_id, lock=True)
        done = await moved(
            conn, current, OrderEvent.REQUEST_REFUND, services.clock(), arguments={"refund": asked}
        )
        return OrderOutcome(done)

    return write


async def close(services: Services, sender: str, order_id: str) -> Write[OrderOutcome]:
    """The merchant refuses the request, or the host withdraws it: the order goes on."""
    row = await read_order(services, order_id)
    require_party(row, sender, "host", "merchant", "merchant_platform")
    step(row.order, OrderEvent.CLOSE_REFUND, services.clock())

    async def write(conn: AsyncConnection) -> OrderOutcome:
        now = services.clock()
        current = await order_store.require_order(conn, order_id, lock=True)
        done = await moved(conn, current, OrderEvent.CLOSE_REFUND, now)
        done = await catch_up(conn, done, now)
        return OrderOutcome(done)

    return write


async def refund(
    services: Services,
    http: CallTransport,
    sender: str,
    order_id: str,
    refund_id: str,
    amounts: dict[str, int] | None,
    quantities: dict[str, int] | None,
) -> Write[OrderOutcome]:
    """The merchant refunds what was asked (or `amounts`); the split reverses first."""
    if not 1 <= len(refund_id) <= MAX_REFUND_ID:
        raise ValidationError(
            f"refund_id is 1 to {MAX_REFUND_ID} characters", code="invalid_refund_id"
        )
    if refund_id == CANCEL_REFUND_ID:
        raise ValidationError(
            f"refund_id {CANCEL_REFUND_ID!r} is kept for the order's cancellation",
            code="invalid_refund_id",
        )
    row = await read_order(services, order_id)
    require_party(row, sender, "merchant", "merchant_platform")
    async with services.db.read() as conn:
        earlier = await order_store.find_refund(conn, order_id, refund_id)
    if earlier is not None:
        return _answered(order_id, earlier)
    given = _asked(row, amounts, quantities)
    after = step(row.order, OrderEvent.REFUND, services.clock(), refund=given)
    lines = {
        line.sku_id: now - before
        for line, before, now in zip(
            row.order.lines, row.order.refunded, after.refunded, strict=True
        )
        if now != before
    }
    amount = sum(lines.values())
    async with services.db.read() as conn:
        coupon = await coupons.find(conn, order_id)
    by_wallet = amount - coupons.refund_share(
        coupon, row.order.refunded_total, after.refunded_total
    )
    wallet_refund = (
        await payments.refund(
            services, http, row.host, row.payment_id, by_wallet, refund_id, through_order=True
        )
        if by_wallet
        else None
    )

    async def write(conn: AsyncConnection) -> OrderOutcome:
        now = services.clock()
        current = await order_store.require_order(conn, order_id, lock=True)
        if await order_store.find_refund(conn, order_id, refund_id) is not None:
            raise ConflictError(f"refund {refund_id} is being made", code="refund_in_progress")
        if current.order.refunded != row.order.refunded:
            raise ConflictError("the order was refunded meanwhile; ask again", code="order_changed")
        reversal = None
        if current.split is not None:
            reversal = await _reversal(conn, current, amount, by_wallet)
            legs = reversal_legs(
                order_id,
                refund_id,
                reversal,
                accounts_for(current),
                already_posted=CHARGED_AT_CAPTURE,
            )
            await post(conn, legs, now)
        if wallet_refund is not None:
            await wallet_refund(conn)
        await coupons.returned(
            conn, order_id, refund_id, current.merchant, after.refunded_total, now
        )
        if current.split is None and after.refunded_total == after.total:
            await coupons.release(conn, order_id, current.merchant, now)  # all back: the coupon
        done = await moved(
            conn,
            current,
            OrderEvent.REFUND,
            now,
            arguments={"refund": given},
            refunded_after_split=current.refunded_after_split + (amount if reversal else 0),
        )
        done = await catch_up(conn, done, now)
        record = OrderRefund(refund_id, amount, lines, reversal)
        await order_store.insert_refund(conn, order_id, record, now)
        return OrderOutcome(done, refund=record)

    return write


async def _reversal(
    conn: AsyncConnection, row: order_store.OrderRow, amount: int, by_wallet: int
) -> OrderSplit:
    """The parts a refund of `amount` after completion gives back, as the ledger will move them.

    The wallet's part is what the payment returns of its fee (computed on the
    whole capture, `fee_returned_after`, of the part `by_wallet` the wallet
    gives back), which can differ by a fen from the
    split's share when part was refunded before completion; the merchant's
    part absorbs the difference (both stay in the merchant's receivable, so
    only this record changes).
    """
    assert row.split is not None
    reversal = reverse_split(row.split, row.refunded_after_split, amount)
    payment = await payment_store.require_payment(conn, row.payment_id)
    returned = fee_returned_after(payment.fee, payment.captured, payment.refunded + by_wallet)
    fee_back = returned - payment.fee_returned
    merchant = reversal.merchant + reversal.wallet_fee - fee_back
    if merchant < 0:
        return reversal
    return replace(reversal, wallet_fee=fee_back, merchant=merchant)


def _answered(order_id: str, record: OrderRefund) -> Write[OrderOutcome]:
    """A refund already made: the order as it is now, and that refund."""

    async def write(conn: AsyncConnection) -> OrderOutcome:
        current = await order_store.require_order(conn, order_id)
        return OrderOutcome(current, refund=record)

    return write
