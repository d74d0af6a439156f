"""When the buyer gets its coupon back, over real HTTP on SQLite and PostgreSQL.

The rule, as Taobao and JD apply it: an order that ends before completion
with all its money given back (cancelled, expired unpaid, or refunded in
full) gives the buyer its coupon back, to use again while the campaign is
valid. A partial refund gives back the coupon's share of the money in
proportion (``D * R // T``) but not the coupon; after completion the coupon
stays used whatever is refunded. The funders always get back exactly what
they paid of what was refunded.
"""

from __future__ import annotations

from hutong.workers.deadlines import sweep_once
from tests.harness.cast import ALIPAY, DOUYIN, JD, JD_BEAUTY, ok
from tests.harness.coupons import DISCOUNT, claimed, declared, funder_balance
from tests.harness.shop import CREAM, PRICES, SERUM, Shop
from tests.harness.switch import Clock

TOTAL = PRICES[SERUM] + 2 * PRICES[CREAM]
EVERYTHING = {SERUM: PRICES[SERUM], CREAM: 2 * PRICES[CREAM]}


async def buyers_coupons(shop: Shop) -> list[str]:
    held = await ok(await shop.get(DOUYIN, "/v1/coupons/buyers/b-1"))
    return [c["state"] for c in held["coupons"]]


async def funders_paid(shop: Shop) -> int:
    return -(await funder_balance(shop, JD) + await funder_balance(shop, DOUYIN))


async def refund(shop: Shop, order_id: str, amounts: dict[str, int], refund_id: str) -> str:
    await shop.act(DOUYIN, order_id, "refund-request", amounts=amounts)
    done = await shop.act(JD_BEAUTY, order_id, "refunds", refund_id=refund_id)
    state: str = done["state"]
    return state


async def test_a_partial_refund_returns_the_coupons_share_of_the_money_but_not_the_coupon(
    shop: Shop,
) -> None:
    campaign = await declared(shop)
    coupon = await claimed(shop, campaign["id"])
    order = await shop.paid(coupon=coupon)

    await refund(shop, order["id"], {CREAM: PRICES[CREAM]}, "r-1")

    share = DISCOUNT * PRICES[CREAM] // TOTAL
    assert await funders_paid(shop) == DISCOUNT - share
    assert await buyers_coupons(shop) == ["redeemed"]
    assert (await shop.show(order["id"]))["coupon"]["returned"] == share


async def test_cancelling_after_a_partial_refund_gives_the_coupon_back(shop: Shop) -> None:
    campaign = await declared(shop)
    coupon = await claimed(shop, campaign["id"])
    order = await shop.paid(coupon=coupon)
    await refund(shop, order["id"], {CREAM: PRICES[CREAM]}, "r-1")

    cancelled = await shop.act(DOUYIN, order["id"], "cancel", reason="changed_mind")

    assert cancelled["state"] == "cancelled"
    assert shop.wallet(ALIPAY).balance("u-alice") == 500_000
    assert await funders_paid(shop) == 0
    assert await buyers_coupons(shop) == ["claimed"]
    again = await shop.order(coupon=coupon)
    assert again.status_code == 201, again.text


async def test_a_full_refund_before_completion_gives_the_coupon_back(shop: Shop) -> None:
    campaign = await declared(shop)
    coupon = await claimed(shop, campaign["id"])
    order = await shop.paid(coupon=coupon)
    await refund(shop, order["id"], {CREAM: PRICES[CREAM]}, "r-1")

    state = await refund(shop, order["id"], {SERUM: PRICES[SERUM], CREAM: PRICES[CREAM]}, "r-2")

    assert state == "refunded"
    assert shop.wallet(ALIPAY).balance("u-alice") == 500_000
    assert await funders_paid(shop) == 0
    assert await buyers_coupons(shop) == ["claimed"]


async def test_after_completion_the_coupon_stays_used_whatever_is_refunded(
    shop: Shop, clock: Clock
) -> None:
    campaign = await declared(shop)
    coupon = await claimed(shop, campaign["id"])
    order = await shop.completed(clock.now, coupon=coupon)

    state = await refund(shop, order["id"], EVERYTHING, "r-all")

    assert state == "refunded"
    assert shop.wallet(ALIPAY).balance("u-alice") == 500_000
    assert await funders_paid(shop) == 0  # the funders' share came back in full
    assert await buyers_coupons(shop) == ["redeemed"]
    shown = await ok(await shop.get(JD_BEAUTY, f"/v1/coupons/orders/{order['id']}"))
    assert (shown["coupon"]["funded"], shown["coupon"]["returned"]) == (DISCOUNT, DISCOUNT)


async def test_an_order_left_unpaid_past_its_deadline_gives_the_coupon_back(
    shop: Shop, clock: Clock
) -> None:
    campaign = await declared(shop)
    coupon = await claimed(shop, campaign["id"])
    await shop.placed(coupon=coupon, pay_within=600)

    clock.advance(600)
    assert (await sweep_once(shop.switch.services))["orders"] == 1

    assert await funders_paid(shop) == 0
    assert await buyers_coupons(shop) == ["claimed"]


async def test_an_order_whose_capture_failed_gives_the_funders_and_the_coupon_back_on_cancel(
    shop: Shop,
) -> None:
    """The funders pay in the write that holds the wallet's money; the wallet is down when
    asked to capture, so the order waits, funded and held; cancelling it gives back both."""
    campaign = await declared(shop)
    coupon = await claimed(shop, campaign["id"])
    order = await shop.placed(coupon=coupon)
    shop.wallet(ALIPAY).fail["capture"] = "down"

    failed = await shop.post(DOUYIN, f"/v1/orders/{order['id']}/pay", {})

    assert failed.status_code != 200, failed.text
    assert (await shop.show(order["id"]))["state"] == "reserved"
    assert await funders_paid(shop) == DISCOUNT
    del shop.wallet(ALIPAY).fail["capture"]
    await shop.act(DOUYIN, order["id"], "cancel", reason="changed_mind")
    assert await funders_paid(shop) == 0
    assert shop.wallet(ALIPAY).holds == {}
    assert await buyers_coupons(shop) == ["claimed"]
