"""An order's payment paid by a friend (pay-for-me, 代付) with another wallet than the order named.

Douyin takes an order for its buyer naming Alipay, then hands the order's
payment to a friend, who opens it in Kuaishou and pays with WeChat Pay (any
wallet the friend's app and JD accept: the design of pay-for-me). From then
on the order is paid with WeChat Pay: the order names it, its capture, fee,
void and refunds go through it, every ledger leg moves its accounts (Alipay's
stay untouched), it hears the order's money moves and may read the order,
and Alipay, which holds nothing, hears nothing and no longer reads it.
After each test the ledger must pass its check (the `shop` fixture).
"""

from __future__ import annotations

import asyncio
from typing import Any

from hutong.payments.legs import merchant_receivable, wallet_fees, wallet_position
from tests.harness.assertions import assert_nack
from tests.harness.cast import ALIPAY, AUDITOR, DOUYIN, JD, JD_BEAUTY, KUAISHOU, WECHATPAY
from tests.harness.shop import CREAM, Shop
from tests.harness.switch import Clock

TOTAL = 19_900 + 2 * 9_900
FEE = TOTAL * 60 // 10_000  # both wallets take 60 bp of an order's payment


async def paid_by_a_friend(shop: Shop, order: dict[str, Any]) -> dict[str, Any]:
    """Douyin hands the order's payment on; a friend in Kuaishou pays it with WeChat Pay."""
    asked = await shop.post(
        DOUYIN, f"/v1/payments/{order['payment_id']}/pay-for-me", {"buyer": order["buyer"]}
    )
    assert asked.status_code == 201, asked.text
    code = asked.json()["request"]["url"].rsplit("/p/", 1)[1]
    paid = await shop.post(
        KUAISHOU, f"/v1/pay-for-me/{code}/pay", {"wallet": WECHATPAY, "payer": "u-bob"}
    )
    assert paid.status_code == 200, paid.text
    payment: dict[str, Any] = paid.json()["payment"]
    return payment


async def on_order(shop: Shop, recipient: str, order_id: str) -> list[str]:
    """The events of `order_id` that `recipient` heard of (``on_order``)."""
    await shop.deliver_events()
    return [
        e["message"]["event"]
        for e in shop.world.inbox(recipient).events
        if e["context"]["action"] == "on_order" and e["message"]["order"]["id"] == order_id
    ]


def calls(shop: Shop, wallet: str) -> list[str]:
    return [action for action, _ in shop.wallet(wallet).calls]


async def untouched(shop: Shop, wallet: str) -> bool:
    """Nothing of `wallet` moved: not asked, no ledger leg, its payer's money where it was."""
    return (
        calls(shop, wallet) == []
        and shop.wallet(wallet).balance("u-alice") == 500_000
        and await shop.balance(wallet_position(wallet)) == 0
        and await shop.balance(wallet_fees(wallet)) == 0
    )


async def test_a_friends_wallet_pays_the_order_through_to_completion(
    shop: Shop, clock: Clock
) -> None:
    order = await shop.placed()
    assert order["wallet"] == ALIPAY
    payment = await paid_by_a_friend(shop, order)
    assert (payment["state"], payment["wallet"]) == ("authorized", WECHATPAY)
    assert (await shop.show(order["id"]))["wallet"] == WECHATPAY  # the order follows at once

    paid = await shop.act(DOUYIN, order["id"], "pay")
    await shop.act(JD_BEAUTY, order["id"], "ship", origin="330106", weight_g=500)
    shipped = await shop.show(order["id"])
    await shop.track(shipped, "20", "", clock.now)
    await shop.track(shipped, "60", "", clock.now)
    done = await shop.act(DOUYIN, order["id"], "confirm")

    assert (paid["state"], paid["paid"], paid["wallet"]) == ("paid", TOTAL, WECHATPAY)
    assert (done["state"], done["wallet"], done["split"]["wallet_fee"]) == (
        "completed",
        WECHATPAY,
        FEE,
    )
    assert shop.wallet(WECHATPAY).balance("u-bob") == 200_000 - TOTAL
    assert await shop.balance(wallet_position(WECHATPAY)) == -TOTAL
    assert await shop.balance(wallet_fees(WECHATPAY)) == FEE
    assert await untouched(shop, ALIPAY)
    parts = sum(v for k, v in done["split"].items() if k != "merchant")
    assert await shop.balance(merchant_receivable(JD_BEAUTY)) == TOTAL - parts
    assert await on_order(shop, WECHATPAY, order["id"]) == ["pay"]
    assert await on_order(shop, ALIPAY, order["id"]) == []
    for reader in (WECHATPAY, AUDITOR):
        assert (await shop.show(order["id"], reader))["wallet"] == WECHATPAY
    assert_nack(await shop.get(ALIPAY, f"/v1/orders/{order['id']}"), 403, "not_a_party")


async def test_cancelling_the_order_before_it_is_paid_releases_the_friends_hold(
    shop: Shop,
) -> None:
    order = await shop.placed()
    await paid_by_a_friend(shop, order)
    assert shop.wallet(WECHATPAY).available("u-bob") == 200_000 - TOTAL

    cancelled = await shop.act(DOUYIN, order["id"], "cancel")

    assert (cancelled["state"], cancelled["wallet"]) == ("cancelled", WECHATPAY)
    payment = (await shop.get(DOUYIN, f"/v1/payments/{order['payment_id']}")).json()["payment"]
    assert (payment["state"], payment["wallet"]) == ("voided", WECHATPAY)
    assert shop.wallet(WECHATPAY).available("u-bob") == 200_000
    assert calls(shop, WECHATPAY) == ["authorize", "void"]
    assert await shop.balance(wallet_position(WECHATPAY)) == 0
    assert await untouched(shop, ALIPAY)
    assert await on_order(shop, WECHATPAY, order["id"]) == ["cancel"]
    assert await on_order(shop, ALIPAY, order["id"]) == []


async def test_cancelling_the_paid_order_refunds_through_the_friends_wallet(shop: Shop) -> None:
    order = await shop.placed()
    await paid_by_a_friend(shop, order)
    await shop.act(DOUYIN, order["id"], "pay")

    cancelled = await shop.act(JD_BEAUTY, order["id"], "cancel")

    assert (cancelled["state"], cancelled["refunded"]) == ("cancelled", TOTAL)
    assert shop.wallet(WECHATPAY).balance("u-bob") == 200_000
    assert calls(shop, WECHATPAY) == ["authorize", "capture", "refund"]
    for account in (
        wallet_position(WECHATPAY),
        wallet_fees(WECHATPAY),
        merchant_receivable(JD_BEAUTY),
    ):
        assert await shop.balance(account) == 0, account
    assert await untouched(shop, ALIPAY)
    assert await on_order(shop, WECHATPAY, order["id"]) == ["pay", "cancel"]
    assert await on_order(shop, ALIPAY, order["id"]) == []


async def test_a_refund_before_completion_goes_back_through_the_friends_wallet(
    shop: Shop, clock: Clock
) -> None:
    order = await shop.placed()
    await paid_by_a_friend(shop, order)
    await shop.act(DOUYIN, order["id"], "pay")
    await shop.act(DOUYIN, order["id"], "refund-request", quantities={CREAM: 1})

    given = await shop.act(JD_BEAUTY, order["id"], "refunds", refund_id="r-1")

    assert (given["refunded"], given["wallet"]) == (9_900, WECHATPAY)
    assert shop.wallet(WECHATPAY).balance("u-bob") == 200_000 - TOTAL + 9_900
    assert await shop.balance(wallet_position(WECHATPAY)) == -(TOTAL - 9_900)
    assert await untouched(shop, ALIPAY)
    assert await on_order(shop, WECHATPAY, order["id"]) == ["pay", "refund"]
    assert await on_order(shop, ALIPAY, order["id"]) == []
    assert (await shop.show(order["id"], JD))["wallet"] == WECHATPAY


async def test_a_friend_paying_while_the_order_is_cancelled_is_refused_and_changes_nothing(
    shop: Shop,
) -> None:
    """The order is cancelled while the friend's wallet is asked: the friend's payment is
    refused, the order keeps the wallet it named, and the friend's wallet releases its hold."""
    order = await shop.placed()
    asked = await shop.post(
        DOUYIN, f"/v1/payments/{order['payment_id']}/pay-for-me", {"buyer": order["buyer"]}
    )
    code = asked.json()["request"]["url"].rsplit("/p/", 1)[1]
    wechatpay = shop.wallet(WECHATPAY)
    wechatpay.fail["authorize"], wechatpay.delay = "slow", 0.5

    async def cancel_meanwhile() -> dict[str, Any]:
        while not calls(shop, WECHATPAY):
            await asyncio.sleep(0.01)
        return await shop.act(DOUYIN, order["id"], "cancel")

    paying, cancelled = await asyncio.gather(
        shop.post(KUAISHOU, f"/v1/pay-for-me/{code}/pay", {"wallet": WECHATPAY, "payer": "u-bob"}),
        cancel_meanwhile(),
    )

    assert_nack(paying, 409, "already_voided")
    assert (cancelled["state"], cancelled["wallet"]) == ("cancelled", ALIPAY)
    assert (await shop.show(order["id"]))["wallet"] == ALIPAY
    await shop.deliver_events()  # on_payment_released: the friend's wallet lets go
    assert wechatpay.holds == {}
    assert wechatpay.available("u-bob") == 200_000
    assert await shop.balance(wallet_position(WECHATPAY)) == 0
    assert await on_order(shop, WECHATPAY, order["id"]) == []
