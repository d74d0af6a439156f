"""Completing an order: the captured money split between everyone, in one linked group.

At completion (the buyer confirmed, or the confirmation window ran out) what
the order kept (paid less refunds before completion) is split
(`hutong.commerce.commissions.split_order`) by the host's commission schedule
in force that day: the host's take rate for the order's category and channel,
the creator's rate when a creator's placement brought it, the wallet's fee
(already charged at capture: what is left of it after refunds) and the
carrier's price for the shipment. The merchant keeps the rest in its
receivable; the other parts move out of it in one linked chain of ledger
transfers (all or nothing), and the split is stored with the order so that
refunds after completion can reverse it exactly. An order that redeemed a
coupon is split on its whole total: its funders paid what the buyer did not
into the same receivable when the order was paid
(`hutong.commerce.coupons.redeem.fund`), so completion asks them for nothing
and no funder's net debit cap can refuse it.

The accounts a split credits (the host's and the creator's commissions, the
carrier's fees) are opened in a short transaction of their own before the
write that posts it (`ensure_accounts`). A confirmation reads nothing before
its write: its write asks which of them this process has not seen (no
statement) and, if any, is undone (`SplitAccountsUnseen`, nothing recorded)
so that `opening_split_accounts` opens them and runs it once more; each
process pays that once per host, creator and carrier.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.commerce import commission_store
from hutong.commerce.commissions import (
    OrderSplit,
    SplitAccounts,
    commission_accounts,
    split_legs,
    split_order,
)
from hutong.commerce.orders import OrderEvent
from hutong.commerce.orders.moves import moved, step
from hutong.commerce.orders.store import OrderRow
from hutong.ledger.store import NewAccount
from hutong.payments.posting import ensure_accounts, post, unseen_accounts
from hutong.protocol.errors import NotFoundError
from hutong.runtime.services import Services
from hutong.store.db import Database

T = TypeVar("T")

#: The part the capture already charged (`hutong.payments.legs.capture`).
CHARGED_AT_CAPTURE = ("wallet_fee",)


def accounts_for(row: OrderRow) -> SplitAccounts:
    return SplitAccounts.for_order(
        merchant=row.merchant,
        host=row.host,
        wallet=row.wallet,
        carrier=row.carrier,
        creator=row.creator,
    )


async def split_of(
    conn: AsyncConnection, row: OrderRow, costs: tuple[int, int] | None, now: datetime
) -> tuple[OrderSplit, int | None]:
    """The split of `row` at `now` and the schedule version it used (None: no schedule).

    `costs` is (the wallet's fee net of what it returned, the parcel's price), as
    `order_store.order_to_complete` read them with the order.
    """
    if costs is None:
        raise NotFoundError(f"no payment {row.payment_id}", code="unknown_payment")
    wallet_fee, price = costs
    history = await commission_store.commission_history(conn, row.host)
    schedule = history.in_force(now.date())
    kept = row.order.paid - row.order.refunded_total
    before_carrier = split_order(
        kept, schedule, row.category, row.channel, wallet_fee, 0, bool(row.creator)
    )
    # The carrier's price comes out of the merchant's part; a parcel dearer than that
    # part gets what is left, never money the order did not bring.
    carrier_fee = min(price, before_carrier.merchant)
    split = replace(
        before_carrier, merchant=before_carrier.merchant - carrier_fee, carrier_fee=carrier_fee
    )
    return split, None if schedule is None else schedule.version


def split_accounts(row: OrderRow) -> list[NewAccount]:
    """The commission and fee accounts `row`'s split may credit."""
    return commission_accounts(host=row.host, creator=row.creator, carrier=row.carrier)


async def ensure_split_accounts(db: Database, row: OrderRow, now: datetime) -> None:
    """Create the commission and fee accounts `row`'s split may credit (before the write)."""
    await ensure_accounts(db, split_accounts(row), now)


class SplitAccountsUnseen(Exception):
    """Raised in a write: the split's accounts this process has not seen exist.

    Not a refusal (nothing is recorded): `opening_split_accounts` opens them
    and runs the write again.
    """

    def __init__(self, accounts: list[NewAccount]) -> None:
        super().__init__(", ".join(account.id for account in accounts))
        self.accounts = accounts


def require_seen_split_accounts(db: Database, row: OrderRow) -> None:
    """In a write: `SplitAccountsUnseen` unless this process has seen `row`'s split accounts."""
    unseen = unseen_accounts(db, split_accounts(row))
    if unseen:
        raise SplitAccountsUnseen(unseen)


async def opening_split_accounts(services: Services, run: Callable[[], Awaitable[T]]) -> T:
    """`run()` (a write that completes an order, run exactly once), again after opening
    the split accounts it found unseen (`SplitAccountsUnseen`)."""
    try:
        return await run()
    except SplitAccountsUnseen as unseen:
        await ensure_accounts(services.db, unseen.accounts, services.clock())
    return await run()


async def complete(
    conn: AsyncConnection,
    row: OrderRow,
    costs: tuple[int, int] | None,
    event: OrderEvent,
    now: datetime,
) -> OrderRow:
    """In `conn`: confirm or expire the delivered `row` (locked, with its `costs`:
    `order_store.order_to_complete`), posting its split.

    The accounts must exist (`ensure_split_accounts`, `require_seen_split_accounts`).
    The split's legs are fresh (`hutong.payments.posting.post`): the order,
    locked, may still complete (checked first), and it completes once.
    """
    step(row.order, event, now)
    split, version = await split_of(conn, row, costs, now)
    accounts = accounts_for(row)
    legs = split_legs(row.id, split, accounts, already_posted=CHARGED_AT_CAPTURE)
    await post(conn, legs, now, fresh=True)
    return await moved(conn, row, event, now, split=split, schedule_version=version)
