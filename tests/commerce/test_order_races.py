"""Identical sends racing each other: one effect, the same answer for all.

A host that times out resends the same signed message; under load several
copies can be in flight at once. The message id is claimed before any
wallet is asked, so the copies wait for the first one's answer instead of
tripping over its half-done work.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hutong.client import encode_json
from hutong.commerce.orders import OrderEvent
from hutong.commerce.orders import service as orders_service
from hutong.commerce.orders import store as order_store
from hutong.commerce.orders.moves import moved
from hutong.net.transport import call_transport
from hutong.payments.checkout import PaymentState
from hutong.protocol.envelope import request_envelope
from hutong.protocol.errors import HutongError
from hutong.store.tables import pickup_points
from hutong.world.carriers import tracking_payload
from tests.harness.cast import ALIPAY, DOUYIN, JD_BEAUTY
from tests.harness.shop import CREAM, HANGZHOU, Shop
from tests.harness.switch import Clock

COPIES = 20


async def test_twenty_identical_pays_capture_once_and_all_get_the_same_answer(shop: Shop) -> None:
    order = await shop.placed()
    body = encode_json(request_envelope({}, message_id="msg-pay-race"))
    path = f"/v1/orders/{order['id']}/pay"

    answers = await asyncio.gather(*(shop.send(DOUYIN, "POST", path, body) for _ in range(COPIES)))

    assert [a.status_code for a in answers] == [200] * COPIES, [a.text for a in answers]
    assert len({a.json()["order"]["state"] for a in answers}) == 1
    assert {a.json()["payment"]["state"] for a in answers} == {"captured"}
    assert (await shop.show(order["id"]))["state"] == "paid"
    asked = [action for action, _ in shop.wallet(ALIPAY).calls]
    assert asked.count("authorize") == 1, asked
    assert asked.count("capture") == 1, asked
    assert sum(a.headers.get("x-hutong-replay") == "true" for a in answers) == COPIES - 1


async def test_a_pay_refused_by_the_state_is_recorded_but_a_twin_never_refuses_itself(
    shop: Shop,
) -> None:
    order = await shop.paid()
    body = encode_json(request_envelope({}, message_id="msg-pay-again"))
    path = f"/v1/orders/{order['id']}/pay"

    first, again = [await shop.send(DOUYIN, "POST", path, body) for _ in range(2)]

    assert first.status_code == 409, first.text
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again.headers.get("x-hutong-replay") == "true"


# -- shipping: the shipment and the order are one write ---------------------------------------


def ship_body(message_id: str) -> bytes:
    return encode_json(
        request_envelope({"origin": HANGZHOU, "weight_g": 500}, message_id=message_id)
    )


async def test_two_ship_requests_for_one_order_book_one_shipment_and_the_second_is_refused(
    shop: Shop,
) -> None:
    order = await shop.paid()
    desk = shop.desk(order["carrier"])
    desk.mode, desk.delay = "slow", 0.2  # both are at the carrier's desk at once
    path = f"/v1/orders/{order['id']}/ship"

    answers = await asyncio.gather(
        *(shop.send(JD_BEAUTY, "POST", path, ship_body(f"msg-ship-{n}")) for n in (1, 2))
    )

    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    assert len(desk.bookings) == 1  # the carrier saw one message id: one parcel
    shipped = next(a.json() for a in answers if a.status_code == 200)
    shown = await shop.show(order["id"])
    assert shown["shipment_id"] == shipped["shipment"]["id"]


async def shipping_slowly(shop: Shop, order: dict[str, Any]) -> asyncio.Task[httpx.Response]:
    """The merchant's ship request for `order`, sent and waiting at its carrier's desk.

    The carrier answers after 1 s: long enough for another party's step to be
    written first on a loaded machine (0.3 s was not, once in five runs under load).
    """
    desk = shop.desk(order["carrier"])
    desk.mode, desk.delay = "slow", 1.0
    shipping = asyncio.create_task(
        shop.send(JD_BEAUTY, "POST", f"/v1/orders/{order['id']}/ship", ship_body("msg-ship"))
    )
    await asyncio.sleep(0.1)
    return shipping


async def test_an_order_cancelled_while_its_carrier_books_is_refused_and_the_booking_is_kept(
    shop: Shop,
) -> None:
    """The carrier booked the parcel whatever the order did meanwhile: its shipment is
    stored (its merchant can see and cancel it), and the ship request is refused."""
    order = await shop.paid()
    shipping = await shipping_slowly(shop, order)
    await shop.act(DOUYIN, order["id"], "cancel")
    refused = await shipping

    assert refused.status_code == 409, refused.text
    assert (await shop.show(order["id"]))["state"] == "cancelled"
    [booked] = shop.desk(order["carrier"]).bookings.values()
    shipment = await shop.get(JD_BEAUTY, f"/v1/shipments/{booked['shipment_id']}")
    assert shipment.status_code == 200, shipment.text
    assert shipment.json()["tracking_number"] == booked["tracking_number"]


async def test_an_order_partly_refunded_while_its_carrier_books_ships_with_its_refund_kept(
    shop: Shop,
) -> None:
    """A refund requested and given while the carrier books brings the order back to paid
    with less paid: the ship write books the order as it is then, not as read before the
    carrier was asked (its refund is not written over)."""
    order = await shop.paid()
    shipping = await shipping_slowly(shop, order)
    await shop.act(DOUYIN, order["id"], "refund-request", quantities={CREAM: 1})
    await shop.act(JD_BEAUTY, order["id"], "refunds", refund_id="r-1")
    shipped = await shipping

    assert shipped.status_code == 200, shipped.text
    shown = await shop.show(order["id"])
    assert (shown["state"], shown["refunded"]) == ("paid", 9_900)
    assert shown["shipment_id"] == shipped.json()["shipment"]["id"]


async def test_a_ship_its_carrier_did_not_answer_gives_its_slot_back_and_books_once_again(
    shop: Shop,
) -> None:
    """The usual ship takes its pickup point's slot with its claim of the message id; a
    carrier that did not answer gives the message id and the slot back, and the same
    message again takes one slot and books one parcel."""
    order = await shop.paid()
    desk = shop.desk(order["carrier"])
    point = order["destination"]["pickup_point_id"]
    path = f"/v1/orders/{order['id']}/ship"
    desk.mode = "down"

    failed = await shop.send(JD_BEAUTY, "POST", path, ship_body("msg-ship"))

    assert failed.status_code >= 500, failed.text
    assert await held(shop, point) == 0
    desk.mode = "ok"
    shipped = await shop.send(JD_BEAUTY, "POST", path, ship_body("msg-ship"))

    assert shipped.status_code == 200, shipped.text
    assert len(desk.bookings) == 1
    assert await held(shop, point) == 1


async def held(shop: Shop, point: str) -> int:
    async with shop.switch.services.db.read() as conn:
        found = await conn.scalar(select(pickup_points.c.held).where(pickup_points.c.id == point))
    return int(found)


async def test_copies_of_one_tracking_event_pushed_at_once_move_the_order_once(
    shop: Shop, clock: Clock
) -> None:
    """Each push locks the parcel's shipment, then the order shipped in it (PostgreSQL),
    in its first read: copies of one event under their own message ids are stored
    once, and the one stored delivers the order; the others are duplicates."""
    order = await shop.paid()
    await shop.act(JD_BEAUTY, order["id"], "ship", origin=HANGZHOU, weight_g=500)
    shipped = await shop.show(order["id"])
    number = await shop.tracking_number(shipped)
    carrier = shipped["carrier"]
    event = tracking_payload(carrier, number, "60", "", clock.now, "ev-delivered")

    answers = await asyncio.gather(
        *(shop.post(carrier, "/v1/tracking", event) for _ in range(COPIES // 4))
    )

    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    assert sorted(a.json()["duplicate"] for a in answers) == [False] + [True] * (COPIES // 4 - 1)
    assert all(a.json()["status"] == "delivered" for a in answers)
    assert (await shop.show(order["id"]))["state"] == "delivered"


# -- paying: the order's write decides on the order as read ------------------------------------


async def test_an_order_that_moves_while_its_wallet_captures_is_refused_and_not_paid(
    shop: Shop,
) -> None:
    """The pay write finds the order no longer reserved (here another writer cancelled it
    after the wallet was asked): refused for what it is now, nothing captured in the ledger."""
    order = await shop.placed()
    services = shop.switch.services
    write = await orders_service.pay(services, call_transport(), DOUYIN, order["id"], "a-1")
    async with services.db.transaction() as conn:  # the other writer
        current = await order_store.require_order(conn, order["id"], lock=True)
        await moved(conn, current, OrderEvent.CANCEL, services.clock(), reason="other_writer")

    with pytest.raises(HutongError) as refused:
        await services.batcher().run(write)

    assert refused.value.code == "order_cancelled"
    assert (await shop.show(order["id"]))["state"] == "cancelled"
    async with services.db.read() as conn:
        row, payment = await order_store.order_and_payment(conn, order["id"])
    assert (row.order.paid, payment.state, payment.captured) == (0, PaymentState.AUTHORIZED, 0)
