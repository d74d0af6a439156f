"""Cross-platform orders over real HTTP, from the host's order to the split of the money.

Every participant is a reference one: the merchant's platform answers the stock
request, the wallet holds and captures, the carrier books and pushes tracking.
"""

from __future__ import annotations

from typing import Any

import httpx

from hutong.commerce.commissions import carrier_fees_account, host_commission_account
from hutong.payments.legs import merchant_receivable, wallet_fees
from tests.commerce.shop import (
    ALIPAY,
    CREAM,
    DOUYIN,
    JD,
    JD_BEAUTY,
    JDL,
    SERUM,
    Shop,
)
from tests.conftest import Clock, row_counts

TOTAL = 19_900 + 2 * 9_900  # one serum, two creams


def refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"]["code"] == code, response.text
    return body


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
