"""`hutong order ...`: the same order steps as the API, at the terminal.

The commands run against the switch's database and call the reference
participants over signed HTTP, as the switch does; a refusal exits 1 with
`<code>: <sentence>`.
"""

from __future__ import annotations

import json
from typing import Any

from typer.testing import Result

from tests.harness.cast import ALIPAY, DOUYIN, JD, JD_BEAUTY, JDL
from tests.harness.cli import on_shop
from tests.harness.shop import CREAM, SERUM, STATION, Shop
from tests.harness.switch import Clock


def body(result: Result) -> dict[str, Any]:
    """The answer printed on stdout (stderr says the message id a command went under)."""
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


async def test_an_order_is_taken_paid_shipped_and_confirmed_from_the_terminal(
    shop: Shop, clock: Clock
) -> None:
    created = body(
        await on_shop(
            shop,
            "order", "create", "--as", DOUYIN, "--merchant", JD_BEAUTY,
            "--line", f"{SERUM}:1:19900", "--line", f"{CREAM}:1:9900",
            "--buyer", "b-9", "--wallet", ALIPAY, "--payer", "u-alice", "--carrier", JDL,
            "--pickup-point", str(STATION["id"]), "--storefront", shop.storefront,
        )
    )  # fmt: skip
    order_id = created["order"]["id"]
    assert created["order"]["state"] == "reserved"
    assert shop.stock(JD, JD_BEAUTY, SERUM) == 9

    assert (
        body(await on_shop(shop, "order", "pay", order_id, "--as", DOUYIN))["order"]["state"]
        == "paid"
    )
    shipped = body(
        await on_shop(
            shop, "order", "ship", order_id, "--as", JD_BEAUTY, "--origin", "330106",
            "--weight-g", "400",
        )
    )  # fmt: skip
    await shop.track(shipped["order"], "20", "", clock.now)
    await shop.track(shipped["order"], "60", "", clock.now)
    done = body(await on_shop(shop, "order", "confirm", order_id, "--as", DOUYIN))["order"]

    assert done["state"] == "completed"
    assert sum(done["split"].values()) == 19_900 + 9_900
    listed = await on_shop(shop, "order", "list", "--party", JD_BEAUTY)
    assert listed.exit_code == 0, listed.output
    assert order_id in listed.output and "¥298.00" in listed.output


async def test_a_refused_order_step_exits_1_with_its_code(shop: Shop) -> None:
    order = await shop.placed()
    refused = await on_shop(shop, "order", "confirm", order["id"], "--as", DOUYIN)
    assert refused.exit_code == 1
    assert "not_paid" in refused.output
    shop.world.stores[JD].offer(JD_BEAUTY, SERUM, 1, 10)
    price = await on_shop(
        shop,
        "order", "create", "--as", DOUYIN, "--merchant", JD_BEAUTY, "--line", f"{SERUM}:1:19900",
        "--buyer", "b-9", "--wallet", ALIPAY, "--payer", "u-alice", "--carrier", JDL,
        "--pickup-point", str(STATION["id"]), "--storefront", shop.storefront,
    )  # fmt: skip
    assert price.exit_code == 1
    assert "price_changed" in price.output and "is cancelled" in price.output
