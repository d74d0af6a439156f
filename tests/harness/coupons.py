"""Coupon campaigns in the shop (`tests.harness.shop`): declared, claimed, redeemed over HTTP.

JD (JD Beauty's home platform) issues a campaign for JD Beauty's goods,
handed out by Douyin in its live cart; JD funds 60% of each discount and
Douyin 40%. The shop's order (one serum, two creams: 39 700 fen) meets its
minimum spend.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from hutong.commerce.coupons.legs import funder_account
from hutong.store.tables import coupon_refusals
from tests.harness.cast import ALIPAY, DOUYIN, JD, JD_BEAUTY, ok
from tests.harness.shop import CREAM, SERUM, Shop
from tests.harness.switch import row_counts

DISCOUNT = 5_000
FUNDING = {JD: 6_000, DOUYIN: 4_000}


def campaign_message(now: datetime, **changes: Any) -> dict[str, Any]:
    """¥50 off JD Beauty orders of ¥300 or more, 10 coupons now, valid a week."""
    message: dict[str, Any] = {
        "merchant": JD_BEAUTY,
        "title": "¥50 off ¥300",
        "funding": FUNDING,
        "value_kind": "fixed",
        "value": DISCOUNT,
        "min_spend": 30_000,
        "per_buyer": 1,
        "releases": [{"at": now.isoformat(), "quantity": 10}],
        "valid_from": now.isoformat(),
        "valid_until": (now + timedelta(days=7)).isoformat(),
        "hosts": [DOUYIN],
        "surfaces": ["live_cart"],
    }
    return message | changes


async def declared(shop: Shop, sender: str = JD, **changes: Any) -> dict[str, Any]:
    assert shop.clock is not None
    body = await ok(
        await shop.post(
            sender, "/v1/coupons/campaigns", campaign_message(shop.clock.now, **changes)
        ),
        201,
    )
    campaign: dict[str, Any] = body["campaign"]
    return campaign


async def claim(
    shop: Shop,
    campaign_id: str,
    buyer: str = "b-1",
    host: str = DOUYIN,
    surface: str = "live_cart",
    message_id: str | None = None,
) -> httpx.Response:
    return await shop.post(
        host,
        f"/v1/coupons/campaigns/{campaign_id}/claims",
        {"buyer": buyer, "surface": surface},
        message_id=message_id,
    )


async def claimed(shop: Shop, campaign_id: str, buyer: str = "b-1") -> str:
    coupon_id: str = (await ok(await claim(shop, campaign_id, buyer), 201))["coupon"]["id"]
    return coupon_id


class Held:
    """What a refusal must leave as it was: rows (but the refusal and its answer), money, stock."""

    def __init__(self, shop: Shop) -> None:
        self.shop = shop
        self.before: dict[str, int] = {}
        self.stock = (0, 0)
        self.holds: dict[str, object] = {}

    async def __aenter__(self) -> Held:
        self.before = await row_counts(self.shop.switch.services)
        self.stock = self._stock()
        self.holds = dict(self.shop.wallet(ALIPAY).holds)
        return self

    def _stock(self) -> tuple[int, int]:
        return self.shop.stock(JD, JD_BEAUTY, SERUM), self.shop.stock(JD, JD_BEAUTY, CREAM)

    async def __aexit__(self, *exc: object) -> None:
        if exc[0] is not None:
            return
        after = await row_counts(self.shop.switch.services)
        grew = {t: after[t] - self.before[t] for t in after if after[t] != self.before[t]}
        assert grew == {coupon_refusals.name: 1, "messages": 1}, grew
        assert self.shop.wallet(ALIPAY).holds == self.holds
        assert self._stock() == self.stock


async def funder_balance(shop: Shop, funder: str) -> int:
    return await shop.balance(funder_account(funder))
