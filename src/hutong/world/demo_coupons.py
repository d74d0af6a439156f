"""The demo's coupon chapter: JD Services' store on Tmall and its coupon releases.

From the sources: on Women's Day 2025 the "京东服务+" official flagship store
opened on Taobao/Tmall (laundry, shoe cleaning, appliance repair), and on the
day it released coupons at 0, 10, 14 and 20 o'clock that brought laundry
down to ¥9.9. Here JD Services (a JD merchant) opens its storefront inside
Tmall, which approves it; JD Services declares a campaign that Tmall hands out,
released at those four times (Beijing time, today); a Tmall buyer claims a
coupon (a second claim is refused: one per buyer), orders a laundry service
with it and pays ¥9.9 with Alipay, the coupon's funders paying the
discount into JD Services' receivable. The laundry's list price, the number
of coupons and the funders' split are illustrative (the sources give none).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hutong.client import Client
from hutong.commerce.coupons.legs import funder_account
from hutong.ledger.models import yuan
from hutong.ledger.store import get_account
from hutong.protocol.signing import new_key_pair
from hutong.world.carriers import tracking_payload
from hutong.world.demo_keys import keep_key
from hutong.world.demo_logistics import BEIJING_CHAOYANG, STATION
from hutong.world.story import Stage, expect, expect_status

JD, TMALL, ALIPAY, JDL = "jd.example", "tmall.example", "alipay.example", "jd-logistics.example"
JD_SERVICES = "jd-services.example"
BEIJING = timezone(timedelta(hours=8))
RELEASE_HOURS = (0, 10, 14, 20)
PER_RELEASE = 100
#: Illustrative: the sources give the price after the coupon only (¥9.9).
LAUNDRY: dict[str, Any] = {
    "sku_id": "laundry-3",
    "title": "Laundry, 3 items, JD Express pickup 京东洗衣",
    "price": 3_990,
    "stock": 500,
    "category": "home_services",
    "h5_url": "https://item.jd.example/laundry-3.html",
}
COUPON_OFF = 3_000
#: Illustrative split of who pays the discount.
FUNDING = {JD: 5_000, JD_SERVICES: 5_000}


async def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    expect_status(response, status)
    body: dict[str, Any] = response.json()
    return body


async def _balance(stage: Stage, account_id: str) -> int:
    async with stage.services.db.read() as conn:
        found = await get_account(conn, account_id)
    return 0 if found is None else found.credits_posted - found.debits_posted


async def _jd_services_joins(stage: Stage) -> str:
    """JD Services joins (a JD merchant), publishes its laundry and opens a Tmall storefront."""
    pair = new_key_pair()
    registered = await stage.operator.post(
        f"{stage.switch_url}/operator/participants",
        json={
            "subscriber_id": JD_SERVICES,
            "name": "京东服务+ official flagship store",
            "roles": ["merchant"],
            "callback_url": stage.callback(JD_SERVICES),
            "key_id": "k1",
            "public_key": pair.public_key,
        },
    )
    expect_status(registered, 201)
    stage.clients[JD_SERVICES] = Client(stage.switch_url, JD_SERVICES, "k1", pair.private_key)
    keep_key(stage.services.settings.data_dir, JD_SERVICES, "k1", pair.private_key)
    profile = await stage.operator.put(
        f"{stage.switch_url}/operator/merchants/{JD_SERVICES}/profile",
        json={"home_platform": JD, "self_operated": True},
    )
    expect_status(profile, 200)
    await _ok(await stage.client(JD_SERVICES).post("/v1/offers", {"offers": [LAUNDRY]}))
    stage.world.stores[JD].offer(JD_SERVICES, LAUNDRY["sku_id"], LAUNDRY["price"], 500)
    requested = await _ok(
        await stage.client(JD_SERVICES).post(
            "/v1/storefronts",
            {
                "host": TMALL,
                "catalog": [{"sku_id": LAUNDRY["sku_id"], "price": LAUNDRY["price"]}],
                "commission_bps": 500,
            },
        ),
        201,
    )
    storefront = str(requested["id"])
    if requested["status"] != "approved":
        await _ok(await stage.client(TMALL).post(f"/v1/storefronts/{storefront}/approve", {}))
    return storefront


def _releases(now: datetime) -> list[dict[str, Any]]:
    """Today's releases at 0, 10, 14 and 20 o'clock, Beijing time."""
    today = now.astimezone(BEIJING).replace(hour=0, minute=0, second=0, microsecond=0)
    return [
        {"at": (today + timedelta(hours=h)).astimezone(UTC).isoformat(), "quantity": PER_RELEASE}
        for h in RELEASE_HOURS
    ]


async def jd_services_coupons_on_tmall(stage: Stage) -> str:
    """Coupons released at 0, 10, 14 and 20 o'clock bring laundry on Tmall down to ¥9.9."""
    storefront = await _jd_services_joins(stage)
    now = stage.services.clock()
    releases = _releases(now)
    campaign = (
        await _ok(
            await stage.client(JD_SERVICES).post(
                "/v1/coupons/campaigns",
                {
                    "merchant": JD_SERVICES,
                    "title": "京东服务+ 38 laundry coupon",
                    "funding": FUNDING,
                    "value_kind": "fixed",
                    "value": COUPON_OFF,
                    "min_spend": LAUNDRY["price"],
                    "per_buyer": 1,
                    "releases": releases,
                    "valid_from": releases[0]["at"],
                    "valid_until": (now + timedelta(days=7)).isoformat(),
                    "hosts": [TMALL],
                    "storefronts": [storefront],
                },
            ),
            201,
        )
    )["campaign"]
    tmall = stage.client(TMALL)
    path = f"/v1/coupons/campaigns/{campaign['id']}/claims"
    claim = {"buyer": "tm-buyer-38", "surface": "product_page"}
    coupon = (await _ok(await tmall.post(path, claim), 201))["coupon"]["id"]
    second = await tmall.post(path, claim)
    expect_status(second, 409)
    expect(second.json()["error"]["code"] == "coupon_limit_reached", second.text)
    alipay = stage.world.wallets[ALIPAY]
    before = alipay.balance("ali-buyer-1")
    created = await _ok(
        await tmall.post(
            "/v1/orders",
            {
                "buyer": "tm-buyer-38",
                "merchant": JD_SERVICES,
                "lines": [{"sku_id": LAUNDRY["sku_id"], "quantity": 1, "unit_price": 3_990}],
                "wallet": ALIPAY,
                "payer": "ali-buyer-1",
                "carrier": JDL,
                "destination": {"pickup_point_id": STATION["id"]},
                "storefront_id": storefront,
                "coupon": coupon,
            },
        ),
        201,
    )
    order_id, charged = created["order"]["id"], created["payment"]["amount"]
    expect(charged == 990, f"the buyer is charged {yuan(charged)}, not ¥9.90")
    await _ok(await tmall.post(f"/v1/orders/{order_id}/pay", {}))
    expect(before - alipay.balance("ali-buyer-1") == 990, "Alipay took another sum")
    shipped = await _ok(
        await stage.client(JD_SERVICES).post(
            f"/v1/orders/{order_id}/ship", {"origin": BEIJING_CHAOYANG, "weight_g": 300}
        )
    )
    number = shipped["shipment"]["tracking_number"]
    for code, sub in (("20", ""), ("60", "6002")):
        payload = tracking_payload(JDL, number, code, sub, stage.services.clock(), f"ev-{code}")
        await _ok(await stage.client(JDL).post("/v1/tracking", payload))
    done = (await _ok(await tmall.post(f"/v1/orders/{order_id}/confirm", {})))["order"]
    expect(done["state"] == "completed", f"order is {done['state']}")
    expect(sum(done["split"].values()) == LAUNDRY["price"], f"split {done['split']}")
    jd_paid = -await _balance(stage, funder_account(JD))
    expect(jd_paid == COUPON_OFF // 2, f"JD paid {yuan(jd_paid)} of the coupon")
    shown = await _ok(await tmall.get(f"/v1/coupons/campaigns/{campaign['id']}"))
    hours = ", ".join(f"{h:02d}:00" for h in RELEASE_HOURS)
    return (
        f"京东服务+ storefront on Tmall; coupons released at {hours} Beijing time "
        f"({len(RELEASE_HOURS)} × {PER_RELEASE}, {shown['campaign']['issued']} claimed, "
        f"a second claim refused: coupon_limit_reached); laundry {yuan(LAUNDRY['price'])} "
        f"paid {yuan(charged)} with Alipay; JD and JD Services each fund "
        f"{yuan(COUPON_OFF // 2)} (illustrative split)"
    )
