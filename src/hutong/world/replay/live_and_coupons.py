"""The replay's livestream and coupon facts, acted through the signed API on their days.

From the sources (facts only; the rest is marked illustrative):

* 2022-10-24: Tmall's official account livestreamed on Douyin for about two
  hours (a Double 11 guide, not selling), 1.3 million views. Douyin, the
  host, schedules the session with Tmall as its broadcaster, starts it,
  reports the views and ends it; its cart stays empty (nothing was sold).
  The hour is illustrative (20:00 Beijing time), as is the viewer count of
  the last report (the sources give the views only; 0 watching at the end).
* 2025-03-08: the 京东服务+ store on Tmall released coupons at 0, 10, 14
  and 20 o'clock (Beijing time), bringing laundry to ¥9.9. JD Services
  declares the campaign for its Tmall storefront with those releases; the
  amounts and stock are illustrative, as in the demo (`demo_coupons`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from hutong.world.replay.cast import OFFERS
from hutong.world.synth.network import Network

__all__ = ["COUPON_DAY", "LIVE_DAY", "LIVE_VIEWS", "jd_services_coupons", "tmall_live_on_douyin"]

LIVE_DAY = date(2022, 10, 24)
LIVE_VIEWS = 1_300_000
COUPON_DAY = date(2025, 3, 8)
RELEASE_HOURS = (0, 10, 14, 20)
BEIJING = timezone(timedelta(hours=8))
#: Illustrative: the sources give the price after the coupon only (¥9.9 for laundry).
COUPON_OFF = 3_000
PER_RELEASE = 100


async def tmall_live_on_douyin(net: Network, _: dict[str, Any]) -> None:
    """Douyin hosts Tmall's official account live for two hours; 1.3 million views."""
    starts = datetime.combine(LIVE_DAY, time(20), BEIJING).astimezone(UTC)
    session = {
        "broadcaster": "tmall.example",
        "title": "天猫双11 guide on Douyin",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
    }
    answer = await net.act("douyin.example", "livestream", "/v1/livestreams", session)
    if answer is None:
        return
    sid = answer["session"]["id"]
    await net.act("douyin.example", "livestream_start", f"/v1/livestreams/{sid}/start", {})
    viewers = {"viewers": 0, "views": LIVE_VIEWS}
    await net.act("douyin.example", "livestream_viewers", f"/v1/livestreams/{sid}/viewers", viewers)
    await net.act("douyin.example", "livestream_end", f"/v1/livestreams/{sid}/end", {})


async def jd_services_coupons(net: Network, state: dict[str, Any]) -> None:
    """JD Services' Tmall store releases laundry coupons at 0, 10, 14 and 20 o'clock."""
    merchant = "jd-services.example"
    storefront = state.get("storefronts", {}).get((merchant, "tmall.example"))
    if storefront is None:
        return
    midnight = datetime.combine(COUPON_DAY, time(0), BEIJING)
    releases = [
        {"at": (midnight + timedelta(hours=h)).astimezone(UTC).isoformat(), "quantity": PER_RELEASE}
        for h in RELEASE_HOURS
    ]
    price = OFFERS[merchant][2]
    campaign = {
        "merchant": merchant,
        "title": "京东服务+ 38 laundry coupon",
        "funding": {merchant: 10_000},
        "value_kind": "fixed",
        "value": COUPON_OFF,
        "min_spend": price,
        "per_buyer": 1,
        "releases": releases,
        "valid_from": releases[0]["at"],
        "valid_until": (midnight + timedelta(days=7)).astimezone(UTC).isoformat(),
        "hosts": ["tmall.example"],
        "storefronts": [storefront],
    }
    await net.act(merchant, "coupon_campaign", "/v1/coupons/campaigns", campaign)
