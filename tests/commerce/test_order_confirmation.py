"""Confirming an order: everything is read and decided in its one write.

A confirmation reads nothing before its write (`hutong.commerce.orders.service.confirm`):
the order, what the wallet kept of its fee and the parcel's price are read in
one statement that locks the order and its payment
(`hutong.commerce.orders.store.order_to_complete`), and the sender being the
order's host and the order's state are checked there. A refusal is the
message's answer, recorded; a resend meets it again. The first confirmation in
a process of an order whose split accounts it has not seen opens them and runs
again, and is answered once.

On PostgreSQL a statement that waited for a row lock sees the newest version
only of the rows it locks; the rest comes from the snapshot it took before the
wait. A refund through the order holds the order's lock while it lowers the
wallet's fee (its payment's ``fee_returned``), so a fee read unlocked beside
the waiting order would be the one from before that refund, and the split
would charge the wallet's fee twice.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from hutong.client import encode_json
from hutong.commerce.commissions import host_commission_account
from hutong.protocol.envelope import request_envelope
from tests.harness.assertions import assert_nack
from tests.harness.cast import DOUYIN, JD_BEAUTY
from tests.harness.shop import Shop
from tests.harness.switch import Clock


async def test_the_first_confirmation_opens_the_split_accounts_and_posts_the_split_once(
    shop: Shop, clock: Clock
) -> None:
    order = await shop.delivered(clock.now)
    body = encode_json(request_envelope({}, message_id="confirm-1"))
    path = f"/v1/orders/{order['id']}/confirm"

    first = await shop.send(DOUYIN, "POST", path, body)
    again = await shop.send(DOUYIN, "POST", path, body)

    assert first.status_code == 200, first.text
    done = first.json()["order"]
    assert done["state"] == "completed"
    assert (again.status_code, again.headers.get("x-hutong-replay")) == (200, "true")
    assert await shop.balance(host_commission_account(DOUYIN)) == done["split"]["host_commission"]


async def test_a_confirmation_by_another_than_the_host_is_refused_and_answered_so_again(
    shop: Shop, clock: Clock
) -> None:
    order = await shop.delivered(clock.now)
    body = encode_json(request_envelope({}, message_id="confirm-1"))
    path = f"/v1/orders/{order['id']}/confirm"

    assert_nack(await shop.send(JD_BEAUTY, "POST", path, body), 403, "not_a_party")
    again = await shop.send(JD_BEAUTY, "POST", path, body)
    assert_nack(again, 403, "not_a_party")
    assert again.headers.get("x-hutong-replay") == "true"
    assert_nack(await shop.post(DOUYIN, "/v1/orders/ord_none/confirm", {}), 404, "unknown_order")
    assert (await shop.show(order["id"]))["state"] == "delivered"


async def test_a_fee_returned_while_confirm_waits_for_the_order_is_not_split_again(
    shop: Shop, clock: Clock
) -> None:
    if shop.switch.services.db.is_sqlite:
        pytest.skip("SQLite has one writer: no statement waits for another's row lock")
    # A first order opens the split accounts, so the second's confirmation runs once.
    first = await shop.completed(clock.now)
    order = await shop.delivered(clock.now)
    engine = create_async_engine(shop.switch.services.db.sync_engine.url)
    try:
        async with engine.connect() as refund:
            committing = await refund.begin()
            # What a refund through the order does: the order locked, the payment's fee back.
            await refund.execute(
                text("SELECT id FROM orders WHERE id = :order FOR UPDATE"), {"order": order["id"]}
            )
            await refund.execute(
                text("UPDATE payments SET fee_returned = fee WHERE id = :payment"),
                {"payment": order["payment_id"]},
            )
            confirming = asyncio.create_task(shop.act(DOUYIN, order["id"], "confirm"))
            await asyncio.sleep(0.5)  # the confirmation now waits for the order's lock
            assert not confirming.done()
            await committing.commit()
        done = await confirming
    finally:
        await engine.dispose()

    assert done["state"] == "completed"
    assert first["split"]["wallet_fee"] > 0  # the wallet charges a fee on these orders
    assert done["split"]["wallet_fee"] == 0  # all of it went back before the split
