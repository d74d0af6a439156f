"""The demo's orders chapter: buying across platforms, from the host's order to the split.

Douyin and Kuaishou declare what they take; JD and Taobao run the stock desks
that answer the switch before an order is taken. A Douyin buyer buys JD
Beauty's lipstick in JD Beauty's storefront inside Douyin, pays with Alipay,
and collects it at a Cainiao station from JD Logistics; a Kuaishou creator's
live cart sells a Taobao tea house's Longjing, shipped by J&T. One box of tea
arrives crushed: Kuaishou asks for its refund, the tea house gives it, and
every part of the split gives back its share to the fen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from hutong.commerce.commissions import (
    OrderSplit,
    creator_commission_account,
    host_commission_account,
    reverse_split,
)
from hutong.ledger.models import yuan
from hutong.ledger.store import get_account
from hutong.protocol.ids import new_id
from hutong.world.carriers import tracking_payload
from hutong.world.demo_links import LIPSTICK, LONGJING
from hutong.world.demo_logistics import BEIJING_CHAOYANG, HANGZHOU_XIHU, STATION
from hutong.world.stock import StockDesk
from hutong.world.story import Stage, StepFailed, expect, expect_status

DOUYIN, KUAISHOU = "douyin.example", "kuaishou.example"
JD_BEAUTY, TEA_HOUSE, CREATOR = "jd-beauty.example", "tea-house.example", "ks-creator.example"
JDL, JT = "jd-logistics.example", "jtexpress.example"

#: Douyin's fees as reported (2020-08-20): 5% through Douyin stores (a merchant of
#: another platform selling in its Douyin storefront included), 20% through
#: third-party links.
DOUYIN_SCHEDULE: dict[str, Any] = {
    "valid_from": "2020-08-20",
    "channel_rates": {"own_store": 500, "storefront": 500, "link_placement": 2000},
    "note": "5% through Douyin stores, 20% through third-party links (reported 2020-08-20)",
}
#: The sources give no Kuaishou figures: these rates are illustrative.
KUAISHOU_SCHEDULE: dict[str, Any] = {
    "valid_from": "2022-10-28",
    "channel_rates": {"creator_placement": 500},
    "default_creator_bps": 2000,
    "note": "illustrative rates (not from the sources): 5% take, 20% to the creator",
}
#: Each merchant platform's stock desk, and what it offers (the prices the hosts show).
STOCK: dict[str, tuple[str, dict[str, Any]]] = {
    "jd.example": (JD_BEAUTY, LIPSTICK),
    "taobao.example": (TEA_HOUSE, LONGJING),
}
TEA_BOXES = 3
LIPSTICK_SKU, TEA_SKU = str(LIPSTICK["sku_id"]), str(LONGJING["sku_id"])
LIPSTICK_PRICE, TEA_PRICE = int(str(LIPSTICK["price"])), int(str(LONGJING["price"]))


async def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    expect_status(response, status)
    body: dict[str, Any] = response.json()
    return body


async def _until(check: Callable[[], bool], what: str, timeout: float = 15) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise StepFailed(f"timed out waiting until {what}")
        await asyncio.sleep(0.05)


async def _order_act(
    stage: Stage, sender: str, order_id: str, action: str, message: dict[str, Any] | None = None
) -> dict[str, Any]:
    return await _ok(
        await stage.client(sender).post(f"/v1/orders/{order_id}/{action}", message or {})
    )


async def _show(stage: Stage, reader: str, order_id: str) -> dict[str, Any]:
    order: dict[str, Any] = (await _ok(await stage.client(reader).get(f"/v1/orders/{order_id}")))[
        "order"
    ]
    return order


async def _scans(
    stage: Stage, carrier: str, number: str, scans: list[tuple[str, str]]
) -> list[str]:
    """Push `scans` (code, sub code) in the carrier's own format, a minute apart, ending now."""
    start = stage.services.clock() - timedelta(minutes=len(scans) - 1)
    statuses = []
    for n, (code, sub) in enumerate(scans):
        when = start + timedelta(minutes=n)
        payload = tracking_payload(carrier, number, code, sub, when, new_id("ev"))
        statuses.append(
            str((await _ok(await stage.client(carrier).post("/v1/tracking", payload)))["status"])
        )
    return statuses


async def _balance(stage: Stage, account_id: str) -> int:
    """A ledger account's posted balance, credits less debits (an untouched one: 0)."""
    async with stage.services.db.read() as conn:
        found = await get_account(conn, account_id)
    return 0 if found is None else found.credits_posted - found.debits_posted


def _check_split(
    order: dict[str, Any], take_bps: int, creator_bps: int, fee_bps: int
) -> OrderSplit:
    split = OrderSplit(**order["split"])
    total = order["paid"]
    expect(split.total == total, f"the split adds up to {split.total}, not {total}")
    expect(split.host_commission == total * take_bps // 10_000, f"host part {split}")
    expect(split.creator_commission == total * creator_bps // 10_000, f"creator part {split}")
    expect(split.wallet_fee == total * fee_bps // 10_000, f"wallet part {split}")
    return split


def _parts(split: OrderSplit, names: dict[str, str]) -> str:
    return ", ".join(f"{names[part]} {yuan(fen)}" for part, fen in split if fen and part in names)


async def schedules_and_stock_desks(stage: Stage) -> str:
    """Hosts declare their commission schedules; merchant platforms open their stock desks."""
    for platform, (merchant, offer) in STOCK.items():
        desk = StockDesk(signer=stage.client(platform).signer)
        desk.offer(merchant, offer["sku_id"], offer["price"], offer["stock"])
        stage.world.stores[platform] = desk
    for host, schedule in ((DOUYIN, DOUYIN_SCHEDULE), (KUAISHOU, KUAISHOU_SCHEDULE)):
        declared = stage.as_history(schedule)
        await _ok(await stage.client(host).post("/v1/commission-schedules", declared), 201)
    history = await _ok(await stage.client(KUAISHOU).get(f"/v1/commission-schedules/{DOUYIN}"))
    rates = history["versions"][-1]["channel_rates"]
    expect(rates.get("link_placement") == 2000, f"Douyin's schedule reads {rates}")
    return (
        "Douyin: 5% on its stores and storefronts, 20% on external links (from 2020-08-20); "
        "Kuaishou: 5% + 20% to the creator on creator placements (illustrative); "
        "JD and Taobao stock desks open"
    )


async def douyin_buyer_buys_jd_beauty(stage: Stage) -> str:
    """In JD Beauty's Douyin storefront, paid with Alipay, collected at a Cainiao station."""
    douyin = stage.client(DOUYIN)
    listed = await douyin.get("/v1/storefronts?status=approved")
    expect_status(listed, 200)
    found = [s["id"] for s in listed.json() if s["merchant"] == JD_BEAUTY]
    expect(bool(found), "JD Beauty has no approved storefront in Douyin")
    desk, sku = stage.world.stores["jd.example"], LIPSTICK_SKU
    stock_before = desk.stock(JD_BEAUTY, sku)
    alipay = stage.world.wallets["alipay.example"]
    balance_before = alipay.balance("ali-buyer-1")
    created = await _ok(
        await douyin.post(
            "/v1/orders",
            {
                "buyer": "dy-buyer-88",
                "merchant": JD_BEAUTY,
                "lines": [{"sku_id": sku, "quantity": 1, "unit_price": LIPSTICK_PRICE}],
                "wallet": "alipay.example",
                "payer": "ali-buyer-1",
                "carrier": JDL,
                "destination": {"pickup_point_id": STATION["id"]},
                "storefront_id": found[0],
            },
        ),
        201,
    )
    order = created["order"]
    expect((order["state"], order["channel"]) == ("reserved", "storefront"), f"{order}")
    expect(desk.stock(JD_BEAUTY, sku) == stock_before - 1, "JD's stock desk reserved nothing")
    order_id, total = order["id"], order["total"]
    paid = (await _order_act(stage, DOUYIN, order_id, "pay"))["order"]
    expect(paid["state"] == "paid", f"order is {paid['state']}")
    expect(balance_before - alipay.balance("ali-buyer-1") == total, "Alipay took another sum")
    shipped = await _order_act(
        stage, JD_BEAUTY, order_id, "ship", {"origin": BEIJING_CHAOYANG, "weight_g": 300}
    )
    number = shipped["shipment"]["tracking_number"]
    statuses = await _scans(stage, JDL, number, [("20", ""), ("50", ""), ("50", "5001")])
    expect(statuses[-1] == "available_for_pickup", f"JD 50/5001 read as {statuses[-1]}")
    expect((await _show(stage, DOUYIN, order_id))["state"] == "shipped", "the order did not ship")
    await _until(lambda: order_id in desk.finished, "JD's desk heard the order shipped")
    statuses += await _scans(stage, JDL, number, [("60", "6002")])
    delivered = await _show(stage, DOUYIN, order_id)
    expect(delivered["state"] == "delivered" and delivered["confirm_by"], f"{delivered}")
    done = (await _order_act(stage, DOUYIN, order_id, "confirm"))["order"]
    expect(done["state"] == "completed", f"order is {done['state']}")
    split = _check_split(done, 500, 0, 60)
    expect(split.carrier_fee == shipped["shipment"]["price"], "the carrier got another price")
    earned = await _balance(stage, host_commission_account(DOUYIN))
    expect(earned == split.host_commission, f"Douyin's commission account holds {earned}")
    names = {"host_commission": "Douyin", "wallet_fee": "Alipay", "carrier_fee": "JD Logistics"}
    return (
        f"{yuan(total)} lipstick from JD Beauty's Douyin storefront, paid with Alipay; "
        f"JD Logistics: {' → '.join(statuses)} at the Cainiao station; confirmed: "
        f"{_parts(split, names)}, JD Beauty {yuan(split.merchant)}"
    )


async def kuaishou_creator_sells_taobao_tea(stage: Stage) -> str:
    """A creator's live cart in Kuaishou sells a Taobao tea house's Longjing; J&T delivers."""
    placed = await _ok(
        await stage.client(CREATOR).post(
            "/v1/placements",
            {
                "host": KUAISHOU,
                "surface": "live_cart",
                "merchant": TEA_HOUSE,
                "sku_id": TEA_SKU,
            },
        )
    )
    placement = placed["message"]["placement"]["id"]
    kuaishou = stage.client(KUAISHOU)
    created = await _ok(
        await kuaishou.post(
            "/v1/orders",
            {
                "buyer": "ks-buyer-7",
                "merchant": TEA_HOUSE,
                "lines": [
                    {
                        "sku_id": TEA_SKU,
                        "quantity": TEA_BOXES,
                        "unit_price": TEA_PRICE,
                    }
                ],
                "wallet": "wechatpay.example",
                "payer": "wx-buyer-3",
                "carrier": JT,
                "destination": {"area_code": "310104", "address": {"recipient": "ks-buyer-7"}},
                "placement_id": placement,
            },
        ),
        201,
    )
    order = created["order"]
    expect(order["channel"] == "creator_placement", f"channel {order['channel']}")
    expect(order["creator"] == CREATOR, "the creator is not credited")
    order_id = order["id"]
    await _order_act(stage, KUAISHOU, order_id, "pay")
    shipped = await _order_act(
        stage, TEA_HOUSE, order_id, "ship", {"origin": HANGZHOU_XIHU, "weight_g": 800}
    )
    number = shipped["shipment"]["tracking_number"]
    statuses = await _scans(stage, JT, number, [("1", ""), ("0", ""), ("5", "501"), ("3", "")])
    expect(statuses[-1] == "delivered", f"J&T 3 read as {statuses[-1]}")
    done = (await _order_act(stage, KUAISHOU, order_id, "confirm"))["order"]
    expect(done["state"] == "completed", f"order is {done['state']}")
    split = _check_split(done, 500, 2000, 60)
    earned = await _balance(stage, creator_commission_account(CREATOR))
    expect(earned == split.creator_commission, f"the creator's account holds {earned}")
    names = {
        "host_commission": "Kuaishou",
        "creator_commission": "the creator",
        "wallet_fee": "WeChat Pay",
        "carrier_fee": "J&T",
    }
    return (
        f"{TEA_BOXES} × Longjing {yuan(done['total'])} from the creator's live cart, paid with "
        f"WeChat Pay; J&T: {' → '.join(statuses)}; confirmed: {_parts(split, names)}, "
        f"Tea House {yuan(split.merchant)}"
    )


async def crushed_box_refunded(stage: Stage) -> str:
    """One box arrived crushed: Kuaishou asks, the tea house refunds, the split gives back."""
    listed = await _ok(await stage.client(KUAISHOU).get("/v1/orders?status=completed"))
    teas = [o for o in listed["orders"] if o["merchant"] == TEA_HOUSE and o["creator"]]
    expect(bool(teas), "no completed creator order of Tea House")
    order = teas[0]
    order_id, split = order["id"], OrderSplit(**order["split"])
    asked = await _order_act(
        stage, KUAISHOU, order_id, "refund-request", {"quantities": {TEA_SKU: 1}}
    )
    expect(asked["order"]["state"] == "refund_requested", f"{asked['order']['state']}")
    wechatpay = stage.world.wallets["wechatpay.example"]
    before = wechatpay.balance("wx-buyer-3")
    creator_before = await _balance(stage, creator_commission_account(CREATOR))
    host_before = await _balance(stage, host_commission_account(KUAISHOU))
    given = await _order_act(stage, TEA_HOUSE, order_id, "refunds", {"refund_id": "crushed-box"})
    refund = given["refund"]
    amount = TEA_PRICE
    expect(refund["amount"] == amount, f"refunded {refund['amount']}")
    reversal = OrderSplit(**refund["reversal"])
    expect(reversal.total == amount, f"the reversal adds up to {reversal.total}")
    expect(reversal == reverse_split(split, 0, amount), f"reversal {reversal}")
    expect(given["order"]["state"] == "partially_refunded", f"{given['order']['state']}")
    back = wechatpay.balance("wx-buyer-3") - before
    expect(back == amount, f"the buyer got {back} back")
    creator_back = creator_before - await _balance(stage, creator_commission_account(CREATOR))
    host_back = host_before - await _balance(stage, host_commission_account(KUAISHOU))
    expect(creator_back == reversal.creator_commission, f"creator gave back {creator_back}")
    expect(host_back == reversal.host_commission, f"Kuaishou gave back {host_back}")
    again = await _order_act(stage, TEA_HOUSE, order_id, "refunds", {"refund_id": "crushed-box"})
    expect(again["refund"] == refund, "a repeated refund id answered differently")
    expect(wechatpay.balance("wx-buyer-3") - before == amount, "a repeated refund paid twice")
    names = {
        "host_commission": "Kuaishou",
        "creator_commission": "creator",
        "wallet_fee": "WeChat Pay",
        "carrier_fee": "J&T",
        "merchant": "Tea House",
    }
    return (
        f"1 of {TEA_BOXES} boxes: {yuan(amount)} back to the buyer's WeChat Pay; given back: "
        f"{_parts(reversal, names)} (= {yuan(reversal.total)}); a repeated refund id paid once"
    )
