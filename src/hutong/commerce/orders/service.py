"""Orders after they are taken: reading, paying, cancelling, confirming, deadlines.

Paying authorizes and captures with the buyer's wallet
(`hutong.commerce.orders.paying`, its names re-exported here); cancelling (before
shipping) voids or refunds it and gives the stock back (the merchant's
platform hears ``on_order`` cancelled); confirming completes the order and
splits the money (`hutong.commerce.orders.completion`). Unpaid orders past
their deadline are cancelled by the deadlines loop (`expire_due`), which also
completes delivered orders nobody confirmed in time. Taking an order is in
`hutong.commerce.orders.intake`, refunds in `hutong.commerce.orders.refunds`,
shipping in `hutong.commerce.orders.shipping`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.commerce.coupons import redeem as coupons
from hutong.commerce.orders import OrderEvent, OrderState
from hutong.commerce.orders import store as order_store
from hutong.commerce.orders.completion import (
    complete,
    ensure_split_accounts,
    require_seen_split_accounts,
)
from hutong.commerce.orders.details import order_details
from hutong.commerce.orders.moves import moved, read_order, require_party, step
from hutong.commerce.orders.outcome import OrderOutcome
from hutong.commerce.orders.paying import Paying as Paying
from hutong.commerce.orders.paying import pay as pay
from hutong.commerce.orders.paying import start_pay as start_pay
from hutong.commerce.orders.refunds import CANCEL_REFUND_ID
from hutong.commerce.orders.store import OrderRow
from hutong.commerce.orders.visibility import OrderView, view
from hutong.logistics import service as logistics
from hutong.net.transport import CallTransport
from hutong.payments import checkout as payments
from hutong.payments.checkout import PaymentState
from hutong.payments.checkout import store as payment_store
from hutong.protocol.errors import (
    ConflictError,
    ForbiddenError,
    HutongError,
)
from hutong.registry.models import Role
from hutong.registry.service import require_participant
from hutong.runtime.exactly_once import Write
from hutong.runtime.services import Services

# -- reading ----------------------------------------------------------------------------------


async def readable(services: Services, reader: str, order_id: str) -> OrderView:
    """The order as `reader` sees it (`visibility`), for those it involves and for auditors."""
    async with services.db.read() as conn:
        row = await order_store.require_order(conn, order_id)
        participant = await require_participant(conn, reader)
        details = await order_details(conn, row)
    auditor = participant.has_role(Role.AUDITOR)
    if row.involves(reader) or auditor:
        return replace(view(row, reader, auditor=auditor), details=details)
    raise ForbiddenError(f"{reader} is not a party of order {order_id}", code="not_a_party")


# -- paying: `hutong.commerce.orders.paying` ---------------------------------------------------


# -- cancelling -------------------------------------------------------------------------------


async def cancel(
    services: Services, http: CallTransport, sender: str, order_id: str, reason: str
) -> Write[OrderOutcome]:
    """Cancel before shipping (host or merchant): stock back, the payment voided or refunded."""
    row = await read_order(services, order_id)
    require_party(row, sender, "host", "merchant", "merchant_platform")
    step(row.order, OrderEvent.CANCEL, services.clock())
    why = reason or f"cancelled_by_{'host' if sender == row.host else 'merchant'}"
    money = await _undo_payment(services, http, row)
    if row.shipment_id:
        await _cancel_shipment(services, http, row)

    async def write(conn: AsyncConnection) -> OrderOutcome:
        now = services.clock()
        current = await order_store.require_order(conn, order_id, lock=True)
        if money is not None:
            await money(conn)
        await coupons.release(conn, order_id, current.merchant, now)  # the coupon comes back
        done = await moved(conn, current, OrderEvent.CANCEL, now, reason=why[:64])
        return OrderOutcome(done)

    return write


async def _undo_payment(
    services: Services, http: CallTransport, row: OrderRow
) -> Callable[[AsyncConnection], Awaitable[object]] | None:
    """What gives the buyer's money back: a void (held or not), or a refund of the capture."""
    async with services.db.read() as conn:
        payment = await payment_store.require_payment(conn, row.payment_id)
    if payment.state in (PaymentState.CREATED, PaymentState.AUTHORIZED):
        return await payments.void(services, http, row.host, payment.id, through_order=True)
    left = payment.captured - payment.refunded
    if payment.state is PaymentState.CAPTURED or left > 0:
        return await payments.refund(
            services, http, row.host, payment.id, left, CANCEL_REFUND_ID, through_order=True
        )
    return None


async def _cancel_shipment(services: Services, http: CallTransport, row: OrderRow) -> None:
    try:
        await logistics.cancel(services, http, row.shipment_id, row.merchant)
    except ConflictError as error:
        if error.code != "already_cancelled":
            raise


# -- completing -------------------------------------------------------------------------------


async def confirm(services: Services, sender: str, order_id: str) -> Write[OrderOutcome]:
    """The buyer (through its host) confirms receipt: the order completes and the money splits.

    It asks nobody, so it is a plain write (`run_once`) that reads nothing
    before: the order (locked with its payment), the sender being its host and
    its state are checked in the write, where a refusal is recorded and a
    resend of a confirmation meets its recorded answer. Run it through
    `opening_split_accounts`: the first confirmation in a process of an order
    whose split accounts it has not seen opens them and runs again.
    """

    async def write(conn: AsyncConnection) -> OrderOutcome:
        now = services.clock()
        current, costs = await order_store.order_to_complete(conn, order_id)
        require_party(current, sender, "host")
        step(current.order, OrderEvent.CONFIRM, now)  # refused before the split is posted
        require_seen_split_accounts(services.db, current)
        done = await complete(conn, current, costs, OrderEvent.CONFIRM, now)
        return OrderOutcome(done)

    return write


# -- deadlines --------------------------------------------------------------------------------


async def expire_due(services: Services, limit: int = 200) -> int:
    """Cancel unpaid orders past their deadline; complete delivered ones nobody confirmed."""
    from hutong.net.transport import call_transport

    now = services.clock()
    async with services.db.read() as conn:
        due = await order_store.due_orders(conn, now, limit)
    expired = 0
    for order_id in due:
        try:
            row = await read_order(services, order_id)
            if row.state is OrderState.DELIVERED:
                await ensure_split_accounts(services.db, row, now)
                await services.batcher().run(_completes(services, order_id))
            else:
                money = await _undo_payment(services, call_transport(), row)
                await services.batcher().run(_expires(services, order_id, money))
        except HutongError:
            continue  # moved on meanwhile (paid, cancelled), or a wallet that did not answer
        expired += 1
    return expired


def _completes(services: Services, order_id: str) -> Callable[[AsyncConnection], Awaitable[None]]:
    async def write(conn: AsyncConnection) -> None:
        current, costs = await order_store.order_to_complete(conn, order_id)
        await complete(conn, current, costs, OrderEvent.EXPIRE, services.clock())

    return write


def _expires(
    services: Services, order_id: str, money: Callable[[AsyncConnection], Awaitable[object]] | None
) -> Callable[[AsyncConnection], Awaitable[None]]:
    async def write(conn: AsyncConnection) -> None:
        current = await order_store.require_order(conn, order_id, lock=True)
        if money is not None:
            await money(conn)
        now = services.clock()
        await coupons.release(conn, order_id, current.merchant, now)
        await moved(conn, current, OrderEvent.EXPIRE, now, reason="unpaid")

    return write


async def list_for(
    services: Services, reader: str, *, state: str | None, limit: int
) -> list[OrderView]:
    """`reader`'s orders (an auditor's: all), each as it sees it (`visibility`)."""
    async with services.db.read() as conn:
        participant = await require_participant(conn, reader)
        auditor = participant.has_role(Role.AUDITOR)
        rows = await order_store.list_orders(
            conn, None if auditor else reader, state=state, limit=limit
        )
    return [view(row, reader, auditor=auditor) for row in rows]
