"""How many SQL statements each step of a cross-platform order costs the switch.

The order path's speed is mostly round trips to the database, so its
statement count is held to a budget per step: a change that adds statements
to a step fails here and has to say why (and raise the budget) or find them
back. Counted on SQLite, on an order after the first (the first of a
merchant and host also opens their split accounts), over real HTTP with the
reference participants (`tests.harness.shop`); statements the reference
participants' own stores run are not the switch's and are not counted.
Declarations the switch caches (participants, keys, profiles, policies:
`hutong.store.cache`) are read by the first order and found by the second,
as they are under load, where one read serves every order of its second.

The aim (the speed issue) is 40 statements for a whole order; the budgets
below are what the steps cost today (66: 69 with the ship step's order
locked by a read before its UPDATE and its pickup slot taken apart from its
claim, and the pay step's wallet's ask recorded apart from its claim; 83
with the ledger reading its fresh postings' ids, the capture locking its
order and the hold's state written apart, the tracking pushes reading their
parcel before the write, confirm reading its order before the write and its
fee and price apart, the storefront read at each order and the wallet's ask
recorded after a locked read; 89 with the ship step's host check read, its
shipment stored apart, the order and its payment read apart before paying
and the payment locked by a read before its hold and its capture, 102 with
net debit caps read apart, 92 before them, 162 at first) and only go up with
a reason written beside them.
What is left is writes and the reads that decide them: every step that asks
a participant commits its claim of the message id first (BEGIN, INSERT, with
pay's record of the wallet's ask and ship's pickup slot) and its answer
last; each ledger posting reads its accounts (with caps and recorded
failures) and inserts its transfers, and each transaction adds to the hot
totals (accounts, positions) once; `BEGIN IMMEDIATE` is one statement per
transaction on SQLite. Under load the group commit shares a BEGIN and the
INSERTs of many writes (`bench.orders` prints statements per order both
ways, and by kind under load: 38 on PostgreSQL with two workers, against 56
for an order alone). A tracking push's duplicate check reads past the events
the group commit holds (the unique key on them backs it), so the events of a
batch's pushes are one INSERT (each check used to send the events held before
it: an INSERT per push under load).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import event

from hutong.commerce.orders.shipping import track_write
from hutong.logistics.store import Applied
from hutong.store.db import statement_kind
from hutong.world.carriers import tracking_payload
from tests.harness.cast import DOUYIN, JD_BEAUTY
from tests.harness.shop import HANGZHOU, SERUM, Shop
from tests.harness.statements import StatementCount, counting, lasting_declarations
from tests.harness.switch import Clock

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

#: Statements per step of one order, at most (SQLite). Each decision call the
#: step makes (reserve; authorize and capture; book) adds its journal row for
#: the auditor (one INSERT, in the step's own batch: no commit of its own).
#: Inside a group commit, single-row INSERTs are held and sent together, one
#: statement per table, before the first statement that names their table
#: (`hutong.store.batch`): a step's events to several parties are one INSERT.
#: Each ledger posting reads its accounts with their owners' net debit caps and
#: its ids' recorded failures (one UNION); the order path's postings are fresh
#: (`hutong.ledger.loading`): their ids are not read, a hold to capture is
#: claimed by the UPDATE that marks it posted.
BUDGET = {
    # Claim (2); earlier attempts (1); the write: payment, outbox, order, answer,
    # journal (5 with its BEGIN). The storefront is a cached declaration (was 10
    # with its read).
    "create": 9,
    # Order and payment (1, one read, before the claim); the claim with the
    # wallet's ask recorded in its transaction, before the wallet is asked (3:
    # BEGIN, the claim, one INSERT of the attempt selected from the payment
    # while it may authorize: `hutong.commerce.orders.paying`); the hold:
    # payment moved only if still created and no other wallet was asked (one
    # conditional UPDATE, as at capture; an ask of another wallet is written on
    # the payment's row, so PostgreSQL, whose UPDATE waiting for the row's lock
    # sees only its newest version, no longer reads the wallets asked after it),
    # ledger (3), outbox, journal (8 with BEGIN); capture and the order: order
    # moved only if still reserved (one conditional UPDATE: every move leaves
    # reserved, so the order as read decides), payment moved only if still
    # authorized (one conditional UPDATE: nothing capture decides on changes
    # while authorized, so the payment as read decides), ledger (4), outbox (the
    # payment's and the order's events), answer, journal (11 with BEGIN). Net
    # debit caps: before the wallet is asked, nothing is read unless the payer
    # has a cap (cached: an early refusal only; the ledger decides on the cap it
    # reads with the accounts); each posting adds to positions (one UPDATE per
    # transaction). Was 24 with the ask recorded in a transaction of its own
    # after the claim; 29 with the payment read under its lock to record the ask
    # (3), the wallets asked read after the hold's UPDATE, the order locked by a
    # read before its capture's UPDATE, the hold's and the capture's ids read
    # (locked) and the hold's state written by an UPDATE of its own; 32 with the
    # order and the payment read apart and the payment locked by a read before
    # its UPDATE at the hold and at capture; 41 with caps read alone (3),
    # transfers and failures apart (2), the check before asking read even
    # without a cap (4 less 2), two outbox INSERTs.
    "pay": 23,
    # The order with its shipment if booked already (1, one read, before the
    # claim: was 2); the claim with the pickup point's slot taken in its
    # transaction, before the carrier is asked (3: BEGIN, the claim, the slot's
    # conditional UPDATE: `hutong.commerce.orders.shipping`); the write: order
    # moved only if still as read (one conditional UPDATE on every column of the
    # pure order: a paid order can leave and come back, with a refund given
    # meanwhile), answer, shipment, news of both (one outbox INSERT), journal (6
    # with BEGIN). Was 11 with the slot taken in a transaction of its own; 12
    # with the order locked by a read before its UPDATE; 16: the host's right to
    # the shipment was read again, though the order being shipped is itself the
    # proof; the shipment was stored in a transaction of its own (BEGIN, its own
    # outbox INSERT).
    "ship": 10,
    # The write: the parcel's shipment locked, with the order shipped in it
    # (one SELECT), shipment, order, event, news (one outbox INSERT), answer (7
    # with BEGIN); delivered gives the point's slot back (1). Was 9 and 10: the
    # parcel was read before the write (so that a push about an unknown one is
    # refused without using its message id: now the write's refusal, returned,
    # not recorded) and the order apart from its shipment in it.
    "picked_up": 7,
    "delivered": 8,
    # The write: order locked with its payment, fee and price (1), ledger (3),
    # order, outbox, answer (7 with BEGIN); the host and the state are checked
    # there. Net debit caps: the position's UPDATE (1; the caps come with the
    # accounts, was 14 with the caps and failures apart; 12 with the order read
    # before the write and fee and price read apart; 10 with the split's ids read).
    "confirm": 9,
}


async def counted(shop: Shop, action: Callable[[], Awaitable[Any]]) -> StatementCount:
    with counting(shop.switch.services.db) as count:
        await action()
    return count


async def order_steps(shop: Shop, clock: Clock) -> dict[str, StatementCount]:
    """Each step of one whole order, with the statements it ran."""
    steps: dict[str, StatementCount] = {}
    order: dict[str, Any] = {}

    async def create() -> None:
        order.update(await shop.placed())

    steps["create"] = await counted(shop, create)
    oid = order["id"]
    steps["pay"] = await counted(shop, lambda: shop.act(DOUYIN, oid, "pay"))
    steps["ship"] = await counted(
        shop, lambda: shop.act(JD_BEAUTY, oid, "ship", origin=HANGZHOU, weight_g=500)
    )
    shipped = await shop.show(oid)
    # The carrier knows its parcel's number: only its pushes are the steps.
    number = await shop.tracking_number(shipped)
    steps["picked_up"] = await counted(
        shop, lambda: shop.push_tracking(shipped, number, "20", "", clock.now)
    )
    steps["delivered"] = await counted(
        shop, lambda: shop.push_tracking(shipped, number, "60", "", clock.now)
    )
    steps["confirm"] = await counted(shop, lambda: shop.act(DOUYIN, oid, "confirm"))
    assert (await shop.show(oid))["state"] == "completed"
    return steps


async def test_each_order_step_stays_within_its_statement_budget(shop: Shop, clock: Clock) -> None:
    with lasting_declarations(shop.switch.services.db):
        await order_steps(shop, clock)  # the first order opens the split accounts
        steps = await order_steps(shop, clock)

    spent = {name: count.total for name, count in steps.items()}
    over = {
        name: (spent[name], BUDGET[name], steps[name].kinds)
        for name in spent
        if spent[name] > BUDGET[name]
    }
    assert not over, f"steps over their statement budget (spent, budget, by kind): {over}"


async def test_the_events_of_pushes_sharing_a_group_commit_go_as_one_insert(
    shop: Shop, clock: Clock
) -> None:
    """Under load pushes share a group commit: each one's duplicate check reads past the
    tracking events the batch holds (the unique key on them backs it), so their events are
    one INSERT, not one per push (each check flushed the events held before it)."""
    parcels = []
    for _ in range(3):
        order = await shop.paid(lines=[{"sku_id": SERUM, "quantity": 1, "unit_price": 19_900}])
        await shop.act(JD_BEAUTY, order["id"], "ship", origin=HANGZHOU, weight_g=500)
        shipped = await shop.show(order["id"])
        parcels.append((shipped["carrier"], await shop.tracking_number(shipped)))
    services = shop.switch.services
    writes = [
        track_write(
            services, carrier, tracking_payload(carrier, number, "20", "", clock.now, number)
        )
        for carrier, number in parcels
    ]
    sent: Counter[str] = Counter()

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent[statement_kind(statement)] += 1

    for engine in services.db.sync_engines:
        event.listen(engine, "before_cursor_execute", seen)
    try:
        applied = await asyncio.gather(*(services.batcher().run(write) for write in writes))
    finally:
        for engine in services.db.sync_engines:
            event.remove(engine, "before_cursor_execute", seen)

    assert all(isinstance(a, Applied) and a.changed for a in applied), applied
    assert (sent["SELECT tracking_events"], sent["INSERT tracking_events"]) == (3, 1), sent
