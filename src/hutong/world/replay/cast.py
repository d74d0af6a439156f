"""Who takes part in the replay and where their links travel.

The seed world's participants, plus one store of each host's own
(a Douyin shop, a Kuaishou shop, a WeChat mini-shop): the auditor measures a
host's treatment of rivals' links against its own links on the same surface.
A lane is (host, surface, merchant); its links are placed the day before it
starts and visited from then on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from hutong.world.participants import MERCHANT_PROFILES, SEED_PARTICIPANTS, SeedParticipant

__all__ = [
    "HOME",
    "LANES",
    "OFFERS",
    "PARTICIPANTS",
    "STOREFRONTS",
    "Lane",
    "Storefront",
    "offer_of",
]

OWN_STORES: tuple[SeedParticipant, ...] = (
    SeedParticipant("douyin-shop.example", "A Douyin store 抖音小店", ("merchant",)),
    SeedParticipant("ks-shop.example", "A Kuaishou store 快手小店", ("merchant",)),
    SeedParticipant("wx-shop.example", "A WeChat mini-shop 微信小商店", ("merchant",)),
    SeedParticipant("jd-services.example", "京东服务+ official flagship store", ("merchant",)),
    SeedParticipant("eleme.example", "Ele.me 饿了么", ("platform",)),
    SeedParticipant("eleme-grocer.example", "A grocer delivering through Ele.me", ("merchant",)),
)
PARTICIPANTS: tuple[SeedParticipant, ...] = (*SEED_PARTICIPANTS, *OWN_STORES)

#: Each merchant's home platform and whether the platform itself runs it.
HOME: dict[str, tuple[str, bool]] = MERCHANT_PROFILES | {
    "douyin-shop.example": ("douyin.example", False),
    "ks-shop.example": ("kuaishou.example", False),
    "wx-shop.example": ("wechat.example", False),
    "jd-services.example": ("jd.example", True),
    "eleme-grocer.example": ("eleme.example", False),
}

#: One offer per merchant: (sku, title, price in fen, category).
OFFERS: dict[str, tuple[str, str, int, str]] = {
    "jd-beauty.example": ("jdb-lipstick-01", "JD Beauty lipstick 口红", 19900, "beauty"),
    "tea-house.example": ("longjing-250g", "Longjing tea 西湖龙井 250g", 12800, "food"),
    "tmall-flagship.example": ("tm-kettle-01", "Electric kettle 电水壶", 15900, "home"),
    "douyin-shop.example": ("dy-snack-01", "Spicy snacks 辣条礼包", 3900, "food"),
    "ks-shop.example": ("ks-honey-01", "Mountain honey 土蜂蜜", 6800, "food"),
    "wx-shop.example": ("wx-mooncake-01", "Mooncakes 月饼礼盒", 16800, "food"),
    "jd-services.example": ("jds-laundry-01", "Laundry service 洗衣服务", 4900, "services"),
    "eleme-grocer.example": ("elm-fruit-01", "Fruit box delivered 鲜果切", 2900, "food"),
}


def offer_of(merchant: str) -> dict[str, Any]:
    """`merchant`'s one offer as it publishes it (`/v1/offers`)."""
    sku, title, price, category = OFFERS[merchant]
    return {
        "sku_id": sku,
        "title": title,
        "price": price,
        "stock": 10**6,
        "category": category,
        "h5_url": f"https://{merchant.removesuffix('.example')}.shop.example/{sku}",
    }


@dataclass(frozen=True, slots=True)
class Lane:
    host: str
    surface: str
    merchant: str
    start: date


def _lanes(host: str, surfaces: tuple[str, ...], merchants: str, start: date) -> list[Lane]:
    return [
        Lane(f"{host}.example", surface, f"{m}.example", start)
        for surface in surfaces
        for m in merchants.split()
    ]


LANES: tuple[Lane, ...] = (
    *_lanes("wechat", ("chat", "group_chat"), "tea-house wx-shop", date(2013, 1, 1)),
    *_lanes(
        "douyin",
        ("live_cart", "video_cart"),
        "tea-house jd-beauty douyin-shop",
        date(2018, 12, 1),
    ),
    *_lanes(
        "kuaishou",
        ("live_cart", "video_cart", "product_page"),
        "tea-house jd-beauty ks-shop",
        date(2019, 1, 1),
    ),
)


@dataclass(frozen=True, slots=True)
class Storefront:
    """A merchant's store inside a host, requested and approved on `day`."""

    merchant: str
    host: str
    day: date
    commission_bps: int


STOREFRONTS: tuple[Storefront, ...] = (
    Storefront("jd-beauty.example", "kuaishou.example", date(2020, 1, 1), 500),
    Storefront("jd-beauty.example", "douyin.example", date(2021, 1, 1), 500),
    Storefront("jd-services.example", "tmall.example", date(2025, 3, 8), 500),
)
