"""The demo's livestream chapter: Tmall's official account live in Douyin.

On the evening of 2022-10-24, the opening of Tmall's Double 11 presale,
Tmall's official account went live on Douyin for about two hours and was
watched 1.3 million times (人次). Douyin had cut third-party links from
live-room carts since 2020-10 (its declared policy in the seed world), so a
Tmall link in the session's cart is refused, naming the rule; the Tmall
flagship store's storefront inside Douyin (sold in Douyin, its own link)
goes into the cart instead, a Douyin buyer orders from it while the session
is on air, and the session's report sums what it sold, by the merchant's
home platform. The concurrent viewer figure is illustrative (the sources
give only the cumulative views); the cart's item is the demo's own.

A second step asks discovery what Taobao may show when its user searches
"JD": the answer follows only Taobao's declared policy.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hutong.ledger.models import yuan
from hutong.world.demo_logistics import STATION
from hutong.world.stock import StockDesk
from hutong.world.story import Stage, expect, expect_status

DOUYIN, TMALL, FLAGSHIP = "douyin.example", "tmall.example", "tmall-flagship.example"
#: The sources: about two hours, 1.3 million views (人次).
DURATION = timedelta(hours=2)
VIEWS = 1_300_000
#: Illustrative: the sources give no concurrent viewer count.
PEAK_VIEWERS = 86_000
GIFT_BOX: dict[str, Any] = {
    "sku_id": "d11-presale-box",
    "title": "Double 11 presale gift box 双11预售礼盒",
    "price": 29_900,
    "stock": 1_000,
    "category": "food",
    "h5_url": "https://detail.tmall.example/d11-presale-box.htm",
}


async def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    expect_status(response, status)
    body: dict[str, Any] = response.json()
    return body


async def tmall_live_on_douyin(stage: Stage) -> str:
    """A session in Douyin by Tmall's official account: cart, an order, viewers, the report."""
    douyin, flagship = stage.client(DOUYIN), stage.client(FLAGSHIP)
    await _ok(await flagship.post("/v1/offers", {"offers": [GIFT_BOX]}))
    desk = StockDesk(signer=stage.client(TMALL).signer)
    desk.offer(FLAGSHIP, GIFT_BOX["sku_id"], GIFT_BOX["price"], GIFT_BOX["stock"])
    stage.world.stores[TMALL] = desk
    storefront = await _ok(
        await flagship.post(
            "/v1/storefronts",
            {
                "host": DOUYIN,
                "catalog": [{"sku_id": GIFT_BOX["sku_id"], "price": GIFT_BOX["price"]}],
                "commission_bps": 500,
            },
        ),
        201,
    )
    storefront = storefront.get("message", {}).get("storefront", storefront)
    if storefront["status"] != "approved":
        await _ok(await douyin.post(f"/v1/storefronts/{storefront['id']}/approve", {}))
    now = stage.services.clock()
    session = (
        await _ok(
            await douyin.post(
                "/v1/livestreams",
                {
                    "broadcaster": TMALL,
                    "title": "Tmall Double 11: how the presale works",
                    "starts_at": now.isoformat(),
                    "ends_at": (now + DURATION).isoformat(),
                },
            ),
            201,
        )
    )["session"]
    expect(session["broadcaster_kind"] == "official_account", f"{session}")
    sid = session["id"]
    cart = f"/v1/livestreams/{sid}/cart"
    link = await douyin.post(cart, {"merchant": FLAGSHIP, "sku_id": GIFT_BOX["sku_id"]})
    expect_status(link, 409)
    refusal = link.json()["error"]
    expect(refusal["code"] == "blocked_by_host_policy", f"{refusal}")
    expect("since 2020-10-09" in refusal["message"], refusal["message"])
    placed = await _ok(
        await douyin.post(
            cart,
            {
                "merchant": FLAGSHIP,
                "sku_id": GIFT_BOX["sku_id"],
                "storefront_id": storefront["id"],
            },
        )
    )
    placement = placed["placement"]["id"]
    await _ok(await douyin.post(f"/v1/livestreams/{sid}/start", {}))
    await _ok(
        await douyin.post(
            f"/v1/livestreams/{sid}/viewers", {"viewers": PEAK_VIEWERS, "views": VIEWS}
        )
    )
    order = (
        await _ok(
            await douyin.post(
                "/v1/orders",
                {
                    "buyer": "dy-buyer-1024",
                    "merchant": FLAGSHIP,
                    "lines": [{"sku_id": GIFT_BOX["sku_id"], "quantity": 1, "unit_price": 29_900}],
                    "wallet": "alipay.example",
                    "payer": "ali-buyer-1",
                    "carrier": "jd-logistics.example",
                    "destination": {"pickup_point_id": STATION["id"]},
                    "placement_id": placement,
                },
            ),
            201,
        )
    )["order"]
    paid = (await _ok(await douyin.post(f"/v1/orders/{order['id']}/pay", {})))["order"]
    expect(paid["state"] == "paid", f"order is {paid['state']}")
    await _ok(await douyin.post(f"/v1/livestreams/{sid}/end", {}))
    report = await _ok(await stage.client(TMALL).get(f"/v1/livestreams/{sid}/report"))
    line = report["by_home_platform"].get(TMALL, {})
    expect(line.get("orders") == 1 and line.get("gmv") == paid["total"], f"{report}")
    expect(report["viewers"] == {"peak": PEAK_VIEWERS, "views": VIEWS}, f"{report}")
    late = await douyin.post(
        "/v1/orders",
        {
            "buyer": "dy-buyer-1025",
            "merchant": FLAGSHIP,
            "lines": [{"sku_id": GIFT_BOX["sku_id"], "quantity": 1, "unit_price": 29_900}],
            "wallet": "alipay.example",
            "payer": "ali-buyer-1",
            "carrier": "jd-logistics.example",
            "destination": {"pickup_point_id": STATION["id"]},
            "placement_id": placement,
        },
    )
    expect_status(late, 409)
    expect(late.json()["error"]["code"] == "session_ended", late.text)
    return (
        f"Tmall's official account live in Douyin ({VIEWS:,} views); a Tmall link in the cart: "
        f"blocked by douyin since 2020-10-09; the flagship's Douyin storefront instead; "
        f"report: {TMALL} {line['orders']} order, GMV {yuan(line['gmv'])}, refunds "
        f"{yuan(line['refunds'])}; an order after the end: session_ended"
    )


async def searching_jd_inside_taobao(stage: Stage) -> str:
    """What Taobao may show for "JD": exactly what its declared policy lets through."""
    page = await _ok(await stage.client("taobao.example").get("/v1/discovery/offers?q=JD"))
    found = [(r["merchant"], r["basis"], r["treatment"]) for r in page["results"]]
    homes = {r["home_platform"] for r in page["results"]}
    expect(homes <= {"jd.example"}, f"{found}")
    if not found:
        return 'Taobao searching "JD": nothing, as its declared policy blocks JD on search'
    merchant, basis, treatment = found[0]
    why = "no rule declared: open by default" if basis == "undeclared" else f"by its {basis}"
    return (
        f'Taobao searching "JD": {len(found)} offer(s) of {merchant} (home jd), {treatment}, {why}'
    )
