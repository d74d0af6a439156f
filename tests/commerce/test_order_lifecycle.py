"""An order's life after it is reserved: cancellations, timeouts, refunds, retries, who hears.

Over real HTTP with the reference participants (`tests.commerce.shop`).
"""

from __future__ import annotations

from typing import Any

import pytest

from hutong.commerce.commissions import (
    carrier_fees_account,
    creator_commission_account,
    host_commission_account,
)
from hutong.payments.legs import merchant_receivable, wallet_fees
from hutong.workers.deadlines import sweep_once
from tests.harness.assertions import assert_nack, refused_keeping_only_its_answer
from tests.harness.cast import (
    ALIPAY,
    AUDITOR,
    DOUYIN,
    JD,
    JD_BEAUTY,
    JDL,
    KUAISHOU,
    STREAMER,
    TAOBAO,
    TEA_HOUSE,
    WECHATPAY,
)
from tests.harness.shop import CREAM, SERUM, TEA, Shop, tea_order
from tests.harness.switch import Clock, row_counts

TOTAL = 19_900 + 2 * 9_900


async def on_order(shop: Shop, recipient: str, order_id: str) -> list[tuple[str, str]]:
    """(event, state) of each on_order event `recipient` received about `order_id`."""
    await shop.deliver_events()
    return [
        (e["message"]["event"], e["message"]["order"]["state"])
        for e in shop.world.inbox(recipient).events
        if e["context"]["action"] == "on_order" and e["message"]["order"]["id"] == order_id
    ]


# -- cancelling ---------------------------------------------------------------------------------


async def test_cancelling_a_reserved_order_voids_its_payment_and_gives_the_stock_back(
    shop: Shop,
) -> None:
    order = await shop.placed()
    cancelled = await shop.act(DOUYIN, order["id"], "cancel", reason="buyer_changed_mind")

    assert (cancelled["state"], cancelled["reason"]) == ("cancelled", "buyer_changed_mind")
    payment = (await shop.get(DOUYIN, f"/v1/payments/{order['payment_id']}")).json()["payment"]
    assert payment["state"] == "voided"
    assert await on_order(shop, JD, order["id"]) == [
        ("reserve", "reserved"),
        ("cancel", "cancelled"),
    ]
    assert (shop.stock(JD, JD_BEAUTY, SERUM), shop.stock(JD, JD_BEAUTY, CREAM)) == (10, 5)
    assert await on_order(shop, ALIPAY, order["id"]) == [("cancel", "cancelled")]


async def test_cancelling_a_paid_order_refunds_everything(shop: Shop) -> None:
    order = await shop.paid()
    cancelled = await shop.act(JD_BEAUTY, order["id"], "cancel")

    assert (cancelled["state"], cancelled["refunded"]) == ("cancelled", TOTAL)
    assert cancelled["reason"] == "cancelled_by_merchant"
    assert shop.wallet(ALIPAY).balance("u-alice") == 500_000
    assert await shop.balance(merchant_receivable(JD_BEAUTY)) == 0
    assert await shop.balance(wallet_fees(ALIPAY)) == 0


async def test_cancelling_a_booked_parcel_cancels_it_with_the_carrier(shop: Shop) -> None:
    order = await shop.paid()
    booked = await shop.act(JD_BEAUTY, order["id"], "ship", origin="330106", weight_g=500)

    await shop.act(DOUYIN, order["id"], "cancel")

    shipment = (await shop.get(JD_BEAUTY, f"/v1/shipments/{booked['shipment_id']}")).json()
    assert shipment["status"] == "cancelled"
    assert shop.world.carriers[JDL].cancelled == {shipment["tracking_number"]}
    assert ("cancel", "cancelled") in await on_order(shop, JDL, order["id"])


async def test_an_order_cannot_be_cancelled_once_shipped(shop: Shop, clock: Clock) -> None:
    order = await shop.shipped(clock.now)
    response = await shop.post(DOUYIN, f"/v1/orders/{order['id']}/cancel", {})
    assert_nack(response, 409, "cannot_cancel_after_shipping")
    assert (await shop.show(order["id"]))["state"] == "shipped"


# -- deadlines ----------------------------------------------------------------------------------


async def test_an_unpaid_order_expires_and_releases_its_stock(shop: Shop, clock: Clock) -> None:
    late = await shop.placed(pay_within=600)
    on_time = await shop.placed(
        pay_within=3_600, lines=[{"sku_id": SERUM, "quantity": 1, "unit_price": 19_900}]
    )
    assert shop.stock(JD, JD_BEAUTY, SERUM) == 8

    clock.advance(599)
    assert (await sweep_once(shop.switch.services))["orders"] == 0
    clock.advance(1)
    assert (await sweep_once(shop.switch.services))["orders"] == 1

    expired = await shop.show(late["id"])
    assert (expired["state"], expired["reason"]) == ("cancelled", "unpaid")
    assert (await shop.show(on_time["id"]))["state"] == "reserved"
    await shop.deliver_events()
    assert (shop.stock(JD, JD_BEAUTY, SERUM), shop.stock(JD, JD_BEAUTY, CREAM)) == (9, 5)
    assert_nack(await shop.post(DOUYIN, f"/v1/orders/{late['id']}/pay", {}), 409, "order_cancelled")


async def test_paying_at_the_deadline_is_refused(shop: Shop, clock: Clock) -> None:
    order = await shop.placed(pay_within=600)
    clock.advance(600)
    assert_nack(
        await shop.post(DOUYIN, f"/v1/orders/{order['id']}/pay", {}), 409, "reservation_expired"
    )
    assert shop.wallet(ALIPAY).balance("u-alice") == 500_000


async def test_a_delivered_order_nobody_confirms_completes_by_itself(
    shop: Shop, clock: Clock
) -> None:
    order = await shop.delivered(clock.now)
    clock.advance(7 * 86_400 - 1)
    assert (await sweep_once(shop.switch.services))["orders"] == 0
    clock.advance(1)
    assert (await sweep_once(shop.switch.services))["orders"] == 1

    done = await shop.show(order["id"])
    assert done["state"] == "completed" and sum(done["split"].values()) == TOTAL
    assert await shop.balance(host_commission_account(DOUYIN)) == done["split"]["host_commission"]


# -- paying -------------------------------------------------------------------------------------


async def test_a_retried_payment_charges_once(shop: Shop) -> None:
    order = await shop.placed()
    first = await shop.post(DOUYIN, f"/v1/orders/{order['id']}/pay", {}, message_id="pay-1")
    assert first.status_code == 200, first.text
    again = await shop.post(DOUYIN, f"/v1/orders/{order['id']}/pay", {}, message_id="pay-2")

    assert_nack(again, 409, "already_paid")
    assert shop.wallet(ALIPAY).balance("u-alice") == 500_000 - TOTAL


async def test_a_pay_its_wallet_did_not_answer_is_sent_again_and_charges_once(
    shop: Shop,
) -> None:
    """The usual pay records its wallet's ask with its claim of the message id. A wallet
    that did not answer gives the message id back, not the ask: the same message again
    asks the wallet under the same attempt (it dedupes) and the order is paid once."""
    order = await shop.placed()
    alipay = shop.wallet(ALIPAY)
    alipay.fail["authorize"] = "down"

    failed = await shop.post(DOUYIN, f"/v1/orders/{order['id']}/pay", {}, message_id="pay-1")

    assert failed.status_code >= 500, failed.text
    assert (await shop.show(order["id"]))["state"] == "reserved"
    assert (await row_counts(shop.switch.services))["payment_attempts"] == 1
    del alipay.fail["authorize"]
    again = await shop.post(DOUYIN, f"/v1/orders/{order['id']}/pay", {}, message_id="pay-1")

    assert again.status_code == 200, again.text
    assert again.json()["order"]["state"] == "paid"
    asked = {m for action, m in alipay.calls if action == "authorize"}
    assert len(asked) == 1  # asked again under the same id (the wallet dedupes)
    assert alipay.balance("u-alice") == 500_000 - TOTAL
    assert (await row_counts(shop.switch.services))["payment_attempts"] == 1


async def test_a_pay_refused_before_the_wallet_is_asked_keeps_only_its_answer(
    shop: Shop,
) -> None:
    """Checked before the claim and again after it: the refusal is the recorded answer,
    and no ask of the wallet is recorded."""
    order = await shop.placed()
    path = f"/v1/orders/{order['id']}/pay"

    await refused_keeping_only_its_answer(
        shop.switch, shop.post(JD_BEAUTY, path, {}), 403, "not_a_party"
    )
    await shop.act(DOUYIN, order["id"], "pay")
    await refused_keeping_only_its_answer(
        shop.switch, shop.post(DOUYIN, path, {}), 409, "already_paid"
    )
    assert [action for action, _ in shop.wallet(ALIPAY).calls].count("authorize") == 1


async def test_a_buyer_without_the_money_keeps_the_order_reserved(shop: Shop) -> None:
    order = await shop.placed(payer="u-poor")
    assert_nack(
        await shop.post(DOUYIN, f"/v1/orders/{order['id']}/pay", {}), 409, "insufficient_funds"
    )
    assert (await shop.show(order["id"]))["state"] == "reserved"
    assert await shop.balance(merchant_receivable(JD_BEAUTY)) == 0


async def test_only_the_host_pays_and_confirms_and_only_the_merchant_ships(shop: Shop) -> None:
    order = await shop.placed()
    assert_nack(await shop.post(JD_BEAUTY, f"/v1/orders/{order['id']}/pay", {}), 403, "not_a_party")
    await shop.act(DOUYIN, order["id"], "pay")
    ship = {"origin": "330106", "weight_g": 500}
    assert_nack(await shop.post(DOUYIN, f"/v1/orders/{order['id']}/ship", ship), 403, "not_a_party")
    assert_nack(
        await shop.post(JD_BEAUTY, f"/v1/orders/{order['id']}/confirm", {}), 403, "not_a_party"
    )
    assert_nack(
        await shop.post(DOUYIN, f"/v1/orders/{order['id']}/confirm", {}), 409, "not_shipped"
    )


@pytest.mark.parametrize("reader", [DOUYIN, JD, JD_BEAUTY, ALIPAY, JDL, AUDITOR])
async def test_an_order_is_read_by_those_it_involves_and_auditors(shop: Shop, reader: str) -> None:
    order = await shop.placed()
    assert (await shop.show(order["id"], reader))["id"] == order["id"]


async def test_others_cannot_read_an_order(shop: Shop) -> None:
    order = await shop.placed()
    for outsider in (KUAISHOU, TAOBAO, WECHATPAY, TEA_HOUSE):
        assert_nack(await shop.get(outsider, f"/v1/orders/{order['id']}"), 403, "not_a_party")


# -- who hears ----------------------------------------------------------------------------------


async def test_each_move_reaches_the_parties_it_concerns_and_the_wallet_never_sees_the_address(
    shop: Shop, clock: Clock
) -> None:
    order = await shop.completed(clock.now)

    everyone = ["reserve", "pay", "book_carrier", "ship", "deliver", "confirm"]
    for party in (DOUYIN, JD, JD_BEAUTY):
        assert [e for e, _ in await on_order(shop, party, order["id"])] == everyone, party
    assert [e for e, _ in await on_order(shop, ALIPAY, order["id"])] == ["pay"]
    assert [e for e, _ in await on_order(shop, JDL, order["id"])] == [
        "book_carrier",
        "ship",
        "deliver",
    ]
    for event in shop.world.inbox(ALIPAY).events:
        if event["context"]["action"] == "on_order":
            assert event["message"]["order"]["destination"] is None


# -- refunds ------------------------------------------------------------------------------------


async def test_a_partial_refund_before_completion_returns_to_where_the_order_was(
    shop: Shop, clock: Clock
) -> None:
    order = await shop.shipped(clock.now)
    asked = await shop.act(DOUYIN, order["id"], "refund-request", quantities={CREAM: 1})
    assert (asked["state"], asked["refund_requested"]) == ("refund_requested", {CREAM: 9_900})

    given = await shop.act(JD_BEAUTY, order["id"], "refunds", refund_id="r-1")

    assert (given["state"], given["refunded"]) == ("shipped", 9_900)
    assert shop.wallet(ALIPAY).balance("u-alice") == 500_000 - TOTAL + 9_900
    await shop.track(given, "60", "", clock.now)
    done = await shop.act(DOUYIN, order["id"], "confirm")
    assert sum(done["split"].values()) == TOTAL - 9_900
    assert done["split"]["host_commission"] == (TOTAL - 9_900) * 500 // 10_000


async def test_refunds_after_completion_reverse_the_split_to_the_fen(
    shop: Shop, clock: Clock
) -> None:
    order = await shop.completed(clock.now)
    split = order["split"]

    await shop.act(DOUYIN, order["id"], "refund-request", amounts={SERUM: 7_001})
    first = await shop.act(JD_BEAUTY, order["id"], "refunds", refund_id="r-1")
    assert (first["state"], first["refunded"]) == ("partially_refunded", 7_001)
    await shop.act(DOUYIN, order["id"], "refund-request", amounts={SERUM: 12_899, CREAM: 19_800})
    last = await shop.act(JD_BEAUTY, order["id"], "refunds", refund_id="r-2")

    assert (last["state"], last["refunded"]) == ("refunded", TOTAL)
    assert shop.wallet(ALIPAY).balance("u-alice") == 500_000
    for account in (
        host_commission_account(DOUYIN),
        carrier_fees_account(JDL),
        wallet_fees(ALIPAY),
        merchant_receivable(JD_BEAUTY),
    ):
        assert await shop.balance(account) == 0, account
    assert split["host_commission"] > 0


async def test_a_refund_asked_again_under_its_id_pays_once(shop: Shop, clock: Clock) -> None:
    order = await shop.completed(clock.now)
    await shop.act(DOUYIN, order["id"], "refund-request", amounts={CREAM: 500})
    path = f"/v1/orders/{order['id']}/refunds"
    first = await shop.post(JD_BEAUTY, path, {"refund_id": "r-1"})
    again = await shop.post(JD_BEAUTY, path, {"refund_id": "r-1"})

    assert first.status_code == again.status_code == 200, again.text
    assert first.json()["refund"] == again.json()["refund"]
    assert (await shop.show(order["id"]))["refunded"] == 500
    assert shop.wallet(ALIPAY).balance("u-alice") == 500_000 - TOTAL + 500


async def test_a_merchant_cannot_name_a_refund_after_the_cancellation_that_may_follow_it(
    shop: Shop,
) -> None:
    # A cancellation refunds what is left under the payment's refund id "cancel": a merchant's
    # partial refund under that name would make the later cancellation's refund a reuse of the
    # id for another amount, and the order could never be cancelled.
    order = await shop.paid()
    await shop.act(DOUYIN, order["id"], "refund-request", quantities={CREAM: 1})
    path = f"/v1/orders/{order['id']}/refunds"
    assert_nack(await shop.post(JD_BEAUTY, path, {"refund_id": "cancel"}), 422, "invalid_refund_id")
    assert (await shop.show(order["id"]))["refunded"] == 0

    await shop.act(JD_BEAUTY, order["id"], "refunds", refund_id="r-1")
    cancelled = await shop.act(JD_BEAUTY, order["id"], "cancel")

    assert (cancelled["state"], cancelled["refunded"]) == ("cancelled", TOTAL)
    assert shop.wallet(ALIPAY).balance("u-alice") == 500_000


async def test_refusing_a_refund_request_lets_the_order_go_on(shop: Shop, clock: Clock) -> None:
    order = await shop.delivered(clock.now)
    await shop.act(DOUYIN, order["id"], "refund-request", amounts={SERUM: 100})
    clock.advance(3_600)
    closed = await shop.act(JD_BEAUTY, order["id"], "refund-request/close")

    assert closed["state"] == "delivered" and closed["refunded"] == 0
    # The confirmation clock stopped while the request was open.
    assert closed["confirm_by"] > order["confirm_by"]


async def test_refunds_are_refused_beyond_what_was_paid_and_without_a_request(
    shop: Shop, clock: Clock
) -> None:
    order = await shop.completed(clock.now)
    path = f"/v1/orders/{order['id']}"
    assert_nack(await shop.post(JD_BEAUTY, f"{path}/refunds", {}), 409, "no_refund_requested")
    too_much = {"amounts": {SERUM: 19_901}}
    assert_nack(
        await shop.post(DOUYIN, f"{path}/refund-request", too_much), 409, "refund_exceeds_paid"
    )
    assert_nack(
        await shop.post(DOUYIN, f"{path}/refund-request", {"amounts": {"x-9": 1}}),
        422,
        "unknown_line",
    )
    assert_nack(
        await shop.post(DOUYIN, f"{path}/refund-request", {"quantities": {CREAM: 3}}),
        422,
        "invalid_quantity",
    )
    assert (await shop.show(order["id"]))["state"] == "completed"


# -- a creator's placement ----------------------------------------------------------------------


async def test_a_creators_live_cart_order_pays_the_creator_its_commission(
    shop: Shop, clock: Clock
) -> None:
    changes: dict[str, Any] = tea_order(shop.placement)
    order = await shop.completed(clock.now, **changes)

    total = 3 * 5_000
    assert (order["channel"], order["creator"]) == ("creator_placement", STREAMER)
    assert order["split"]["creator_commission"] == total * 1_000 // 10_000
    assert order["split"]["host_commission"] == total * 500 // 10_000
    assert await shop.balance(creator_commission_account(STREAMER)) == total * 1_000 // 10_000
    assert shop.stock(TAOBAO, TEA_HOUSE, TEA) == 17


async def test_an_order_through_a_placement_the_host_now_blocks_is_refused_naming_the_rule(
    shop: Shop, clock: Clock
) -> None:
    # The streamer's live-cart placement was made while Kuaishou let Taobao
    # links through; Kuaishou has since declared it blocks them in live carts.
    today = clock.now.date().isoformat()
    rule = {"source": "taobao", "surfaces": ["live_cart"], "treatment": "blocked"}
    declared = await shop.post(KUAISHOU, "/v1/link-policies", rule | {"valid_from": today})
    assert declared.status_code == 200, declared.text
    before = await row_counts(shop.switch.services)

    refused = await shop.order(**tea_order(shop.placement))

    sentence = assert_nack(refused, 409, "blocked_by_host_policy")["error"]["message"]
    assert f"blocked by kuaishou since {today}" in sentence and shop.placement in sentence
    after = await row_counts(shop.switch.services)
    assert {t: n for t, n in after.items() if n != before[t]} == {
        "messages": before["messages"] + 1
    }
    assert shop.stock(TAOBAO, TEA_HOUSE, TEA) == 20  # nothing was reserved


async def test_the_recorded_reversal_is_what_the_ledger_moved_after_refunds_on_both_sides(
    shop: Shop, clock: Clock
) -> None:
    order = await shop.delivered(clock.now)
    await shop.act(DOUYIN, order["id"], "refund-request", amounts={SERUM: 100})
    await shop.act(JD_BEAUTY, order["id"], "refunds", refund_id="before")
    done = await shop.act(DOUYIN, order["id"], "confirm")
    await shop.act(DOUYIN, order["id"], "refund-request", amounts={SERUM: 100})
    response = await shop.post(
        JD_BEAUTY, f"/v1/orders/{order['id']}/refunds", {"refund_id": "after"}
    )
    assert response.status_code == 200, response.text

    reversal = response.json()["refund"]["reversal"]
    assert sum(reversal.values()) == 100
    assert await shop.balance(merchant_receivable(JD_BEAUTY)) == (
        done["split"]["merchant"] - reversal["merchant"]
    )
    assert (
        await shop.balance(wallet_fees(ALIPAY))
        == done["split"]["wallet_fee"] - reversal["wallet_fee"]
    )


async def test_a_storefront_sells_only_its_catalog_at_its_prices(shop: Shop) -> None:
    tea = {"sku_id": TEA, "quantity": 1, "unit_price": 5_000}
    assert_nack(await shop.order(lines=[tea]), 422, "not_in_storefront")
    cheaper = {"sku_id": SERUM, "quantity": 1, "unit_price": 19_000}
    assert_nack(await shop.order(lines=[cheaper]), 409, "price_changed")
    assert shop.world.stores[JD].reservations == {}


async def test_a_parcel_delivered_while_a_refund_is_requested_moves_the_order_when_it_ends(
    shop: Shop, clock: Clock
) -> None:
    order = await shop.shipped(clock.now)
    await shop.act(DOUYIN, order["id"], "refund-request", amounts={CREAM: 9_900})
    await shop.track(order, "60", "", clock.now)
    assert (await shop.show(order["id"]))["state"] == "refund_requested"

    refunded = await shop.act(JD_BEAUTY, order["id"], "refunds", refund_id="r-1")

    assert (refunded["state"], refunded["refunded"]) == ("delivered", 9_900)
    done = await shop.act(DOUYIN, order["id"], "confirm")
    assert sum(done["split"].values()) == TOTAL - 9_900


async def test_a_parcel_picked_up_while_a_refund_is_requested_ships_the_order_once_refused(
    shop: Shop, clock: Clock
) -> None:
    order = await shop.paid()
    booked = await shop.act(JD_BEAUTY, order["id"], "ship", origin="330106", weight_g=500)
    await shop.act(DOUYIN, order["id"], "refund-request", amounts={SERUM: 100})
    await shop.track(booked, "20", "", clock.now)

    closed = await shop.act(JD_BEAUTY, order["id"], "refund-request/close")

    assert closed["state"] == "shipped"
    assert_nack(
        await shop.post(DOUYIN, f"/v1/orders/{order['id']}/cancel", {}),
        409,
        "cannot_cancel_after_shipping",
    )


# -- an order's payment is moved through its order -------------------------------------------


@pytest.mark.parametrize(
    ("sender", "step", "message"),
    [
        (JD_BEAUTY, "refunds", {"amount": 500, "refund_id": "r-side"}),
        (DOUYIN, "void", {}),
        (DOUYIN, "capture", {}),
    ],
)
async def test_an_orders_payment_is_not_moved_behind_the_orders_back(
    shop: Shop, clock: Clock, sender: str, step: str, message: dict[str, Any]
) -> None:
    # Refunded, voided or captured through /v1/payments, the buyer's money would move while
    # the order still says it is paid: its refunds, cancellation and split would be wrong.
    order = await shop.paid()
    before = shop.wallet(ALIPAY).balance("u-alice")
    path = f"/v1/payments/{order['payment_id']}/{step}"

    refused = await shop.post(sender, path, message)

    assert_nack(refused, 409, "payment_of_an_order")
    assert order["id"] in refused.json()["error"]["message"]
    assert shop.wallet(ALIPAY).balance("u-alice") == before
    assert (await shop.show(order["id"]))["refunded"] == 0
    cancelled = await shop.act(JD_BEAUTY, order["id"], "cancel")
    assert (cancelled["state"], cancelled["refunded"]) == ("cancelled", TOTAL)
    assert shop.wallet(ALIPAY).balance("u-alice") == 500_000
