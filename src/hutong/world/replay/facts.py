"""The campaign's dated facts, 2011-2025, as the replay walks them.

Carried over from the shared timeline (DESIGN.md §1); the project never
reads the shared files at run time. A fact is the narrative: the day, the
kind, who acted, what the sources say and which source says it. What a fact
makes a participant declare is not repeated here: the link rules, wallet
acceptance and groups already live in `link_policies`, `acceptance` and
`groups` and the replay declares each of those on its own declaration day.
Where a source gives only the month or the year the day is the 1st and
`precision` says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

__all__ = ["FACTS", "Fact"]

Precision = Literal["day", "month", "year"]


@dataclass(frozen=True, slots=True)
class Fact:
    day: date
    kind: str
    actors: tuple[str, ...]
    what: str
    source: str
    precision: Precision = "day"


def _fact(
    day: str, kind: str, actors: str, what: str, source: str, precision: Precision = "day"
) -> Fact:
    return Fact(date.fromisoformat(day), kind, tuple(actors.split()), what, source, precision)


SEEDS = "seed article"
FACTS: tuple[Fact, ...] = (
    _fact(
        "2011-01-01",
        "payment_acceptance",
        "jd alipay",
        "JD stops accepting Alipay.",
        f"{SEEDS} 003",
        "year",
    ),
    _fact(
        "2013-01-01",
        "link_policy",
        "wechat taobao",
        "WeChat closes the link channel to Taobao; Taobao links travel only as 淘口令 codes.",
        f"{SEEDS} 001",
        "year",
    ),
    _fact(
        "2018-12-01",
        "link_policy",
        "douyin taobao tmall",
        "Douyin opens its shopping cart to third-party platforms (Taobao, Tmall).",
        f"{SEEDS} 002",
        "month",
    ),
    _fact(
        "2020-01-01",
        "storefront",
        "jd kuaishou",
        "JD self-operated stores open inside Kuaishou, shipped by JD Logistics.",
        f"{SEEDS} 000",
        "year",
    ),
    _fact(
        "2020-06-01",
        "storefront",
        "douyin",
        "Douyin e-commerce is founded and pushes merchants to open Douyin stores.",
        f"{SEEDS} 002",
        "month",
    ),
    _fact(
        "2020-08-20",
        "fee_policy",
        "douyin",
        "Douyin charges 20% on live sales through third-party links, 5% through its stores.",
        "public report",
    ),
    _fact(
        "2020-10-09",
        "link_policy",
        "douyin taobao jd",
        "Douyin cuts third-party links (Taobao, JD) from live-room carts; video links stay.",
        f"{SEEDS} 002, 004",
    ),
    _fact(
        "2021-01-01",
        "storefront",
        "jd douyin",
        "JD flagship stores open Douyin shops with a closed purchase loop inside Douyin.",
        f"{SEEDS} 000",
        "year",
    ),
    _fact(
        "2021-04-01",
        "service_platform",
        "jd",
        "JD launches its housekeeping services.",
        f"{SEEDS} 003",
        "month",
    ),
    _fact(
        "2021-07-14",
        "regulation",
        "alibaba tencent",
        "Alibaba and Tencent say they are considering opening to each other.",
        f"{SEEDS} 001",
    ),
    _fact(
        "2021-09-09",
        "regulation",
        "miit",
        "MIIT guidance on blocked links; blocking to be lifted from 2021-09-17.",
        f"{SEEDS} 002, 003",
    ),
    _fact(
        "2021-09-17",
        "link_policy",
        "wechat taobao",
        "WeChat one-to-one chats open Taobao links behind a warning page.",
        "public report",
    ),
    _fact(
        "2021-10-01",
        "payment_acceptance",
        "taobao wechatpay",
        "Taobao Special Edition accepts WeChat Pay (Taobao itself does not).",
        f"{SEEDS} 002",
        "month",
    ),
    _fact(
        "2021-10-01",
        "service_platform",
        "kuaishou",
        "Kuaishou cuts links of third-party store services (有赞, 魔筷).",
        f"{SEEDS} 004",
        "month",
    ),
    _fact(
        "2021-10-29",
        "regulation",
        "samr",
        "SAMR drafts platform tiers; super platforms must not self-preference.",
        f"{SEEDS} 004",
    ),
    _fact(
        "2021-11-29",
        "link_policy",
        "wechat taobao",
        "WeChat group chats open e-commerce links directly; Taobao pages take orders.",
        f"{SEEDS} 002",
    ),
    _fact(
        "2022-03-01",
        "link_policy",
        "kuaishou taobao jd",
        "Kuaishou stops Taobao and JD Alliance links in live, video carts and product pages.",
        f"{SEEDS} 004",
    ),
    _fact(
        "2022-08-19",
        "mini_program",
        "eleme douyin",
        "Ele.me reaches Douyin users through a mini-program.",
        f"{SEEDS} 002",
    ),
    _fact(
        "2022-10-01",
        "mini_program",
        "tmall wechat",
        "The Tmall Supermarket mini-program appears on WeChat (buying stays in Tmall).",
        f"{SEEDS} 001, 002",
        "month",
    ),
    _fact(
        "2022-10-01",
        "transfer",
        "alipay wechatpay",
        "Alipay can transfer to a WeChat friend, as a QR code the friend scans.",
        f"{SEEDS} 001, 002",
        "month",
    ),
    _fact(
        "2022-10-01",
        "points",
        "88vip tencent-video",
        "88VIP points announced as exchangeable for Tencent Video membership.",
        f"{SEEDS} 001, 002",
        "month",
    ),
    _fact(
        "2022-10-01",
        "payment_acceptance",
        "taobao wechatpay",
        "Taobao's 找朋友帮忙付 lets a WeChat friend pay a Taobao order.",
        f"{SEEDS} 001",
        "month",
    ),
    _fact(
        "2022-10-01",
        "logistics",
        "jtexpress taobao",
        "J&T Express picks up parcels for Taobao merchants.",
        f"{SEEDS} 004",
        "month",
    ),
    _fact(
        "2022-10-24",
        "livestream",
        "tmall douyin",
        "Tmall's official account livestreams on Douyin for about 2 hours (1.3 million views).",
        f"{SEEDS} 002",
    ),
    _fact(
        "2022-10-28",
        "link_policy",
        "kuaishou taobao",
        "Kuaishou restores Taobao Alliance links in carts and product pages.",
        f"{SEEDS} 004",
    ),
    _fact(
        "2024-09-01",
        "logistics",
        "taobao tmall jd-logistics jd cainiao",
        "Taobao and Tmall connect JD Logistics; JD connects Cainiao stations as pickup points.",
        f"{SEEDS} 003",
        "month",
    ),
    _fact(
        "2024-09-27",
        "payment_acceptance",
        "taobao wechatpay",
        "Taobao officially supports WeChat Pay; WeChat opens Taobao links in-app.",
        f"{SEEDS} 003",
    ),
    _fact(
        "2024-10-29", "payment_acceptance", "jd alipay", "JD Mall accepts Alipay.", f"{SEEDS} 003"
    ),
    _fact(
        "2024-11-11",
        "payment_acceptance",
        "tmall wechatpay",
        "Tmall accepts WeChat Pay for Double 11.",
        f"{SEEDS} 003",
    ),
    _fact(
        "2025-03-08",
        "storefront",
        "jd tmall taobao",
        "The 京东服务+ flagship store opens on Taobao/Tmall, JD Express doing pickups.",
        f"{SEEDS} 003",
    ),
    _fact(
        "2025-03-08",
        "coupon",
        "jd-services tmall",
        "The 京东服务+ store on Tmall releases coupons at 0, 10, 14 and 20 o'clock;"
        " laundry comes to ¥9.9.",
        f"{SEEDS} 003",
    ),
)
