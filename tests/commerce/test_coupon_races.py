"""Two orders racing for one coupon: one wins it, the other holds nothing.

The coupon is checked before the merchant's platform is asked for stock and
marked used in the order's write, so two orders sent together can both pass
the check and both get stock reserved. The loser is refused
``coupon_already_used`` and, like any order refused after stock was asked, is
kept as cancelled so the merchant's platform hears of it and gives the stock
back.
"""

from __future__ import annotations

import asyncio

from tests.harness.cast import JD, JD_BEAUTY
from tests.harness.coupons import claimed, declared
from tests.harness.shop import CREAM, SERUM, Shop


async def test_the_order_that_loses_a_coupon_race_gives_its_stock_back(shop: Shop) -> None:
    campaign = await declared(shop)
    coupon = await claimed(shop, campaign["id"])
    desk = shop.world.stores[JD]
    desk.fail["reserve_stock"], desk.delay = "slow", 0.3  # both pass the check before either writes

    answers = await asyncio.gather(shop.order(coupon=coupon), shop.order(coupon=coupon))
    desk.fail.pop("reserve_stock")

    assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
    lost = next(a for a in answers if a.status_code == 409)
    assert lost.json()["error"]["code"] == "coupon_already_used", lost.text
    kept = lost.json()["order"]
    assert (kept["state"], kept["reason"]) == ("cancelled", "coupon_already_used")
    await shop.deliver_events()
    assert (shop.stock(JD, JD_BEAUTY, SERUM), shop.stock(JD, JD_BEAUTY, CREAM)) == (9, 3)
