"""A coupon's funders and their net debit caps, over real HTTP on SQLite and PostgreSQL.

JD funds 60% of the ¥50 coupon (3 000 fen), Douyin 40% (see
`tests.harness.coupons`). A funder's share is committed when the order is
paid, in the same write as the buyer's wallet hold: its position rises then,
and its cap is checked before anyone is asked to pay (Mojaloop's rule). A
funder at its cap has the payment refused ``net_debit_cap_exceeded`` with
nothing held, and the order waits; once paid, completion never asks the
funders for anything, so no cap can refuse the completion of a paid order.
After each test the ledger balances (the ``shop`` fixture checks it).
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.harness.assertions import assert_nack
from tests.harness.cast import ALIPAY, DOUYIN, JD, JD_BEAUTY, ok
from tests.harness.coupons import DISCOUNT, claimed, declared, funder_balance
from tests.harness.shop import Shop
from tests.harness.switch import Clock, row_counts

JD_SHARE = DISCOUNT * 6 // 10


async def declare_cap(shop: Shop, participant: str, cap: int) -> None:
    declared_cap = await shop.switch.operator.post(
        f"/operator/liquidity/{participant}",
        json={"net_debit_cap": cap, "prefunded": 100_000, "reason": "test"},
    )
    assert declared_cap.status_code == 200, declared_cap.text


async def position(shop: Shop, participant: str) -> int:
    shown = await shop.switch.operator.get(f"/operator/liquidity/{participant}")
    assert shown.status_code == 200, shown.text
    found: int = shown.json()["position"]
    return found


async def coupon_order(shop: Shop) -> dict[str, Any]:
    """The shop's order (39 700 fen) redeeming a ¥50 coupon Douyin's buyer b-1 claimed."""
    campaign = await declared(shop)
    return await shop.placed(coupon=await claimed(shop, campaign["id"]))


async def buyers_coupons(shop: Shop) -> list[str]:
    held = await ok(await shop.get(DOUYIN, "/v1/coupons/buyers/b-1"))
    return [c["state"] for c in held["coupons"]]


async def test_a_funder_at_its_cap_has_the_payment_refused_before_anyone_is_asked_to_pay(
    shop: Shop,
) -> None:
    order = await coupon_order(shop)
    await declare_cap(shop, JD, JD_SHARE - 1)
    before = await row_counts(shop.switch.services)

    refused = await shop.post(DOUYIN, f"/v1/orders/{order['id']}/pay", {})

    body = assert_nack(refused, 409, "net_debit_cap_exceeded", extra=("liquidity",))
    assert body["liquidity"] == {
        "participant": JD,
        "cap": JD_SHARE - 1,
        "position": 0,
        "amount": JD_SHARE,
    }
    after = await row_counts(shop.switch.services)
    for table in ("payments", "payment_attempts", "ledger_transfers", "outbox"):
        assert after[table] == before[table], table
    assert shop.wallet(ALIPAY).holds == {}  # the buyer's wallet was never asked
    assert await funder_balance(shop, JD) == await funder_balance(shop, DOUYIN) == 0
    assert (await shop.show(order["id"]))["state"] == "reserved"  # the order waits
    await shop.act(DOUYIN, order["id"], "cancel", reason="changed_mind")
    assert await buyers_coupons(shop) == ["claimed"]


async def test_the_funders_share_is_committed_at_payment_so_completion_never_meets_a_cap(
    shop: Shop, clock: Clock
) -> None:
    order = await coupon_order(shop)
    await declare_cap(shop, JD, JD_SHARE)  # exactly room for its share

    await shop.act(DOUYIN, order["id"], "pay")

    assert await position(shop, JD) == JD_SHARE  # counted against its cap from the payment
    assert await funder_balance(shop, JD) == -JD_SHARE
    await declare_cap(shop, JD, 0)  # the operator lowers JD's cap below what it owes
    await shop.act(JD_BEAUTY, order["id"], "ship", origin="330106", weight_g=800)
    shipped = await shop.show(order["id"])
    await shop.track(shipped, "20", "", clock.now)
    await shop.track(shipped, "60", "", clock.now)

    done = await shop.act(DOUYIN, order["id"], "confirm")

    assert done["state"] == "completed"
    assert await position(shop, JD) == JD_SHARE  # completion moved nothing of JD's
    assert await funder_balance(shop, JD) == -JD_SHARE
    assert await funder_balance(shop, DOUYIN) == -(DISCOUNT - JD_SHARE)
    shown = await ok(await shop.get(JD_BEAUTY, f"/v1/coupons/orders/{order['id']}"))
    assert (shown["coupon"]["funded"], shown["coupon"]["returned"]) == (DISCOUNT, 0)


async def test_a_funder_past_its_cap_still_gets_its_share_back_when_the_paid_order_is_cancelled(
    shop: Shop,
) -> None:
    order = await coupon_order(shop)
    await shop.act(DOUYIN, order["id"], "pay")
    await declare_cap(shop, JD, 0)

    await shop.act(DOUYIN, order["id"], "cancel", reason="changed_mind")

    assert await position(shop, JD) == 0  # giving back lowers a position: never refused
    assert await funder_balance(shop, JD) == await funder_balance(shop, DOUYIN) == 0
    assert shop.wallet(ALIPAY).balance("u-alice") == 500_000
    assert await buyers_coupons(shop) == ["claimed"]


async def test_two_orders_paid_at_once_never_take_a_funder_past_its_cap(shop: Shop) -> None:
    """JD has room for one share: of two coupon orders paid together one pays, the other is
    refused ``net_debit_cap_exceeded`` (before its wallet is asked, or at its write under
    the position's lock) and waits; JD's position never passes its cap."""
    campaign = await declared(shop)
    first = await shop.placed(coupon=await claimed(shop, campaign["id"], "b-1"))
    second = await shop.placed(buyer="b-2", coupon=await claimed(shop, campaign["id"], "b-2"))
    await declare_cap(shop, JD, JD_SHARE)

    answers = await asyncio.gather(
        *(shop.post(DOUYIN, f"/v1/orders/{o['id']}/pay", {}) for o in (first, second))
    )

    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    lost = next(a for a in answers if a.status_code == 409)
    assert lost.json()["error"]["code"] == "net_debit_cap_exceeded", lost.text
    assert await position(shop, JD) == JD_SHARE
    assert await funder_balance(shop, JD) == -JD_SHARE
    states = sorted([(await shop.show(o["id"]))["state"] for o in (first, second)])
    assert states == ["paid", "reserved"]
