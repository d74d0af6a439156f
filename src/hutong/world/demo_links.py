"""The demo's links chapter: offers shown and opened inside other platforms' apps."""

from __future__ import annotations

from typing import Any

from hutong.world.link_policies import SEED_LINK_RULES
from hutong.world.participants import MERCHANT_PROFILES
from hutong.world.story import Stage, expect, expect_status

LIPSTICK = {
    "sku_id": "jdb-lipstick-01",
    "title": "JD Beauty lipstick 口红",
    "price": 19900,
    "stock": 500,
    "category": "beauty",
    "h5_url": "https://item.jd.example/jdb-lipstick-01.html",
}
LONGJING = {
    "sku_id": "longjing-250g",
    "title": "Longjing tea 西湖龙井 250g",
    "price": 12800,
    "stock": 80,
    "category": "food",
    "h5_url": "https://item.taobao.example/longjing-250g.htm",
}


async def catalog_and_policies(stage: Stage) -> str:
    """Merchants publish offers, platforms declare their link-policy history."""

    for merchant, (home, self_operated) in MERCHANT_PROFILES.items():
        response = await stage.operator.put(
            f"{stage.switch_url}/operator/merchants/{merchant}/profile",
            json={"home_platform": home, "self_operated": self_operated},
        )
        expect_status(response, 200)
    for merchant, offer in (("jd-beauty.example", LIPSTICK), ("tea-house.example", LONGJING)):
        response = await stage.client(merchant).post("/v1/offers", {"offers": [offer]})
        expect_status(response, 200)
        expect(response.json()["ok"], f"offer refused: {response.text}")
    declared = 0
    for rule in SEED_LINK_RULES:
        host = f"{rule.host}.example"
        if host not in stage.clients:
            continue
        body = {k: v for k, v in rule.to_dict().items() if k not in ("host", "version")}
        response = await stage.client(host).post("/v1/link-policies", stage.as_history(body))
        expect_status(response, 200)
        declared += 1
    return f"2 offers published; {declared} dated link rules declared by the platforms"


async def _place(stage: Stage, placer: str, body: dict[str, Any]) -> dict[str, Any]:

    response = await stage.client(placer).post("/v1/placements", body)
    expect_status(response, 200)
    placement: dict[str, Any] = response.json()["message"]["placement"]
    return placement


async def _open(stage: Stage, code: str, host: str, surface: str, at: str) -> Any:
    return await stage.operator.get(
        f"{stage.switch_url}/l/{code}",
        params={"host": host, "surface": surface, "at": at},
        follow_redirects=False,
    )


async def jd_beauty_inside_douyin(stage: Stage) -> str:

    jd_beauty = stage.client("jd-beauty.example")
    response = await jd_beauty.post(
        "/v1/storefronts",
        {
            "host": "douyin.example",
            "catalog": [{"sku_id": LIPSTICK["sku_id"], "price": LIPSTICK["price"]}],
            "commission_bps": 500,
        },
    )
    expect_status(response, 201)
    storefront = (
        response.json()["message"]["storefront"]
        if "message" in response.json()
        else (response.json())
    )
    storefront_id = storefront["id"]
    if storefront["status"] != "approved":
        decision = await stage.client("douyin.example").post(
            f"/v1/storefronts/{storefront_id}/approve", {}
        )
        expect_status(decision, 200)
    placement = await _place(
        stage,
        "douyin.example",
        {
            "host": "douyin.example",
            "surface": "live_cart",
            "merchant": "jd-beauty.example",
            "sku_id": LIPSTICK["sku_id"],
            "storefront_id": storefront_id,
        },
    )
    opened = await _open(stage, placement["code"], "douyin", "live_cart", "2021-06-01")
    expect(opened.status_code == 302, f"expected a redirect, got {opened.status_code}")
    expect(opened.headers["location"] == LIPSTICK["h5_url"], "wrong target")
    expect(opened.headers.get("cache-control") == "no-store", "a redirect must not be cached")
    return (
        "storefront approved by douyin; live-cart link opens inside Douyin (its own store), "
        "although Douyin blocks JD links in live carts since 2020-10-09"
    )


async def taobao_link_in_wechat(stage: Stage) -> str:

    placement = await _place(
        stage,
        "wechat.example",
        {
            "host": "wechat.example",
            "surface": "group_chat",
            "merchant": "tea-house.example",
            "sku_id": LONGJING["sku_id"],
        },
    )
    in_2013 = await _open(stage, placement["code"], "wechat", "group_chat", "2013-06-01")
    expect(
        in_2013.status_code == 200 and placement["share_text"] in in_2013.text,
        "2013: expected the share-code page",
    )
    pasted = f"【好物推荐】看看这个👉{placement['share_text']}\n快去淘宝"
    parsed = await stage.operator.post(
        f"{stage.switch_url}/share/parse", json={"text": pasted, "host": "taobao"}
    )
    expect(parsed.status_code == 200, f"share code not found: {parsed.text}")
    expect(parsed.json()["placement"]["id"] == placement["id"], "wrong placement")
    in_2021 = await _open(stage, placement["code"], "wechat", "group_chat", "2021-11-29")
    expect(
        in_2021.status_code == 302, f"2021-11-29: expected a redirect, got {in_2021.status_code}"
    )
    return (
        "group chat 2013-06-01: share code only (pasted into Taobao, found and opened); "
        "2021-11-29: opens in WeChat"
    )


async def kuaishou_live_cart(stage: Stage) -> str:

    placement = await _place(
        stage,
        "ks-creator.example",
        {
            "host": "kuaishou.example",
            "surface": "live_cart",
            "merchant": "tea-house.example",
            "sku_id": LONGJING["sku_id"],
        },
    )
    expect(placement["placed_by"] == "ks-creator.example", "the creator is not credited")
    blocked = await _open(stage, placement["code"], "kuaishou", "live_cart", "2022-05-01")
    expect(
        blocked.status_code == 403 and "since 2022-03-01" in blocked.text,
        "2022-05-01: expected a page naming the block and its date",
    )
    reopened = await _open(stage, placement["code"], "kuaishou", "live_cart", "2022-11-01")
    expect(
        reopened.status_code == 302, f"2022-11-01: expected a redirect, got {reopened.status_code}"
    )
    return (
        "creator's Taobao link: 2022-05-01 blocked by kuaishou since 2022-03-01; 2022-11-01 opens"
    )
