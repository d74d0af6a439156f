"""`hutong order refund-request` and `refund-close` with the parties' own keys.

The host asks for a refund for its buyer; the merchant refuses it (closes
the request) and the order goes on as it was. Closing a request that is no
longer open exits 1 with the order's refusal code.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness.cast import DOUYIN, JD_BEAUTY
from tests.harness.cli import Terminal, answered, refused_with
from tests.harness.shop import SERUM, Shop


@pytest.fixture
def hutong(shop: Shop, tmp_path: Path) -> Terminal:
    return Terminal(shop, tmp_path)


async def test_the_merchant_refuses_a_refund_request_and_the_order_goes_on(
    hutong: Terminal, shop: Shop
) -> None:
    order = await shop.paid(storefront_id=shop.storefront)
    asked = answered(
        await hutong(DOUYIN, "order", "refund-request", order["id"], "--amount", f"{SERUM}=19900")
    )
    assert asked["order"]["state"] == "refund_requested"

    closed = answered(await hutong(JD_BEAUTY, "order", "refund-close", order["id"]))
    assert closed["order"]["state"] == "paid"
    refused_with(
        await hutong(JD_BEAUTY, "order", "refund-close", order["id"]), "no_refund_requested"
    )
