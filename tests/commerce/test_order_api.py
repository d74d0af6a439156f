"""Cross-platform orders over real HTTP, from the host's order to the split of the money.

Every participant is a reference one: the merchant's platform answers the stock
request, the wallet holds and captures, the carrier books and pushes tracking.
"""

from __future__ import annotations

from hutong.commerce.commissions import carrier_fees_account, host_commission_account
from hutong.payments.legs import merchant_receivable, wallet_fees
from tests.harness.assertions import assert_nack
from tests.harness.cast import ALIPAY, DOUYIN, JD, JD_BEAUTY, JDL
from tests.harness.shop import CREAM, SERUM, Shop
from tests.harness.switch import Clock, row_counts

TOTAL = 19_900 + 2 * 9_900  # one serum, two creams


async def test_a_storefront_order_goes_from_reserved_to_completed_and_everyone_is_paid(
    shop: Shop, clock: Clock
) -> None:
    created = await shop.order()
    assert created.status_code == 201, created.text
    order = created.json()["order"]
    assert (order["state"], order["total"], order["channel"]) == ("reserved", TOTAL, "storefront")
    assert created.json()["payment"]["amount"] == TOTAL
    assert (shop.stock(JD, JD_BEAUTY, SERUM), shop.stock(JD, JD_BEAUTY, CREAM)) == (9, 3)

    paid = await shop.act(DOUYIN, order["id"], "pay")
    assert (paid["state"], paid["paid"]) == ("paid", TOTAL)
    assert shop.wallet(ALIPAY).balance("u-alice") == 500_000 - TOTAL

    booked = await shop.act(JD_BEAUTY, order["id"], "ship", origin="330106", weight_g=800)
    assert booked["state"] == "paid" and booked["shipment_id"]
    await shop.track(booked, "20", "", clock.now)
    assert (await shop.show(order["id"]))["state"] == "shipped"
    await shop.track(booked, "60", "6002", clock.now)
    delivered = await shop.show(order["id"])
    assert delivered["state"] == "delivered" and delivered["confirm_by"]

    done = await shop.act(DOUYIN, order["id"], "confirm")

    assert done["state"] == "completed"
    split = done["split"]
    assert sum(split.values()) == TOTAL
    assert split["host_commission"] == TOTAL * 500 // 10_000
    assert split["wallet_fee"] == TOTAL * 60 // 10_000
    assert split["creator_commission"] == 0
    assert split["carrier_fee"] > 0
    assert await shop.balance(host_commission_account(DOUYIN)) == split["host_commission"]
    assert await shop.balance(carrier_fees_account(JDL)) == split["carrier_fee"]
    assert await shop.balance(wallet_fees(ALIPAY)) == split["wallet_fee"]
    assert await shop.balance(merchant_receivable(JD_BEAUTY)) == split["merchant"]


# -- refusals at the door: nothing is held ---------------------------------------------------


async def nothing_held(shop: Shop, before: dict[str, int]) -> None:
    after = await row_counts(shop.switch.services)
    for table in ("payments", "ledger_transfers", "order_refunds"):
        assert after[table] == before[table], table
    assert shop.wallet(ALIPAY).holds == {}
    assert (shop.stock(JD, JD_BEAUTY, SERUM), shop.stock(JD, JD_BEAUTY, CREAM)) == (10, 5)


async def test_a_price_changed_since_it_was_shown_is_refused_and_nothing_is_held(
    shop: Shop,
) -> None:
    shop.world.stores[JD].offer(JD_BEAUTY, CREAM, 10_900, 5)
    before = await row_counts(shop.switch.services)

    host, body_bytes = shop.order_body("m-price")
    response = await shop.send(host, "POST", "/v1/orders", body_bytes)

    body = assert_nack(response, 409, "price_changed", extra=["order"])
    assert "shown at 9900 fen, now 10900 fen" in body["error"]["message"]
    assert body["order"]["state"] == "cancelled" and body["order"]["reason"] == "price_changed"
    await nothing_held(shop, before)
    again = await shop.send(host, "POST", "/v1/orders", body_bytes)
    assert (again.status_code, again.json()) == (409, body)
    assert again.headers["x-hutong-replay"] == "true"


async def test_stock_short_or_an_offer_gone_is_refused_with_its_own_code(shop: Shop) -> None:
    before = await row_counts(shop.switch.services)
    shop.world.stores[JD].offer(JD_BEAUTY, CREAM, 9_900, 1)
    assert_nack(await shop.order(), 409, "out_of_stock", extra=["order"])
    del shop.world.stores[JD].offers[JD_BEAUTY][CREAM]
    # The body names an offer the merchant does not have: 422, as a placement naming one.
    gone = assert_nack(await shop.order(), 422, "no_such_offer", extra=["order"])
    assert gone["order"]["state"] == "cancelled" and gone["order"]["reason"] == "no_such_offer"
    after = await row_counts(shop.switch.services)
    for table in ("payments", "ledger_transfers", "order_refunds"):
        assert after[table] == before[table], table
    assert shop.wallet(ALIPAY).holds == {}
    assert shop.stock(JD, JD_BEAUTY, SERUM) == 10


async def test_an_order_the_merchant_platform_did_not_answer_can_be_sent_again(
    shop: Shop,
) -> None:
    shop.world.stores[JD].fail["reserve_stock"] = "down"
    before = await row_counts(shop.switch.services)

    host, body_bytes = shop.order_body("m-down")
    response = await shop.send(host, "POST", "/v1/orders", body_bytes)
    body = assert_nack(response, 503, "merchant_platform_unavailable", extra=["order"])

    assert body["order"]["state"] == "cancelled"
    await nothing_held(shop, before)
    shop.world.stores[JD].fail.clear()
    # Nobody answered, so that was no answer: the same message, sent again once the
    # platform is back, creates the order (under an id of its own: the attempt stays
    # cancelled); then its answer is the message's.
    again = await shop.send(host, "POST", "/v1/orders", body_bytes)
    assert again.status_code == 201, again.text
    assert "x-hutong-replay" not in again.headers
    created = again.json()["order"]
    assert created["state"] == "reserved" and created["id"] != body["order"]["id"]
    replayed = await shop.send(host, "POST", "/v1/orders", body_bytes)
    assert (replayed.status_code, replayed.content) == (201, again.content)
    assert replayed.headers["x-hutong-replay"] == "true"
    assert (await shop.show(body["order"]["id"]))["state"] == "cancelled"
    await shop.deliver_events()
    cancels = [
        e
        for e in shop.world.inbox(JD).events
        if e["context"]["action"] == "on_order" and e["message"]["order"]["state"] == "cancelled"
    ]
    assert [e["message"]["order"]["id"] for e in cancels] == [body["order"]["id"]]


async def test_bad_orders_get_a_clear_error_and_write_nothing(shop: Shop) -> None:
    before = await row_counts(shop.switch.services)
    line = {"sku_id": SERUM, "quantity": 1, "unit_price": 19_900}
    cases = [
        ({"lines": []}, 422, "no_lines"),
        ({"lines": [line | {"quantity": 0}]}, 422, "invalid_quantity"),
        ({"lines": [line, line]}, 422, "duplicate_line"),
        ({"lines": [line | {"unit_price": -5}]}, 422, "invalid_price"),
        ({"buyer": ""}, 422, "invalid_buyer"),
        ({"destination": {}}, 422, "invalid_destination"),
        ({"destination": {"area_code": "11"}}, 422, "invalid_destination"),
        # A point nobody declared: the paid order could never be shipped to it.
        ({"destination": {"pickup_point_id": "nowhere-01"}}, 422, "unknown_pickup_point"),
        ({"storefront_id": ""}, 422, "no_channel"),
        # A party named in the body that does not exist is the body's mistake (422), as is
        # one that exists in another role; 404 is kept for what the path names.
        ({"wallet": "nope.example"}, 422, "unknown_wallet"),
        ({"wallet": JDL}, 422, "unknown_wallet"),
        ({"carrier": "nobody.example"}, 422, "unknown_carrier"),
        ({"carrier": ALIPAY}, 422, "unknown_carrier"),
        ({"payer": ""}, 422, "invalid_payer"),
        ({"pay_within": 10}, 422, "invalid_deadline"),
        # `unknown_merchant` / `unknown_placement` / `unknown_storefront` stay the 404s of the
        # routes whose path or query names one: the body's missing one has its own 422 code.
        ({"merchant": "nobody.example"}, 422, "no_such_merchant"),
        ({"storefront_id": "", "placement_id": "pl_nothing"}, 422, "no_such_placement"),
        ({"storefront_id": "sf_nothing"}, 422, "no_such_storefront"),
    ]
    for changes, status, code in cases:
        assert_nack(await shop.order(**changes), status, code)
    assert_nack(await shop.order(host=JD_BEAUTY), 403, "wrong_role")
    assert_nack(await shop.order(host="kuaishou.example"), 403, "not_your_storefront")
    after = await row_counts(shop.switch.services)
    assert {t: after[t] - before[t] for t in ("orders", "payments", "ledger_transfers")} == {
        "orders": 0,
        "payments": 0,
        "ledger_transfers": 0,
    }
    assert shop.world.stores[JD].reservations == {}


async def test_a_reservation_reference_too_long_to_keep_is_a_bad_answer_and_nothing_is_held(
    shop: Shop,
) -> None:
    """The merchant platform's reservation reference is kept with the order (at most 128
    characters): a longer one is not an answer the switch can keep, so it is refused as a
    bad answer of the platform (502, like a platform that did not answer: the attempt is
    kept cancelled, its parties told, so the platform gives the stock back) and no order is
    reserved, no payment made."""
    shop.world.stores[JD].reference_prefix = "R" * 128
    before = await row_counts(shop.switch.services)

    host, body_bytes = shop.order_body("m-long-reservation")
    response = await shop.send(host, "POST", "/v1/orders", body_bytes)

    body = assert_nack(response, 502, "bad_reservation", extra=["order"])
    assert "128" in body["error"]["message"]
    assert body["order"]["state"] == "cancelled" and body["order"]["reason"] == "bad_reservation"
    await shop.deliver_events()  # the platform is told, and gives the stock back
    await nothing_held(shop, before)
    assert shop.world.stores[JD].reservations == {}
    # Not an answer: once the platform keeps its references short, the same message orders.
    shop.world.stores[JD].reference_prefix = ""
    again = await shop.send(host, "POST", "/v1/orders", body_bytes)
    assert again.status_code == 201, again.text
