"""The seed world's link policies (DESIGN.md §1) as dated `LinkRule` versions.

Carried over from the campaign's dated events (the link_policy events of the
shared timeline plus two related events that say how a host treated a
platform's links); the project never reads the shared files at run time.
Platforms are named by their short ids (``wechat``, ``douyin``...); the
registry's subscriber id of each is ``<id>.example``. Where a source only
gives the month or the year, the rule starts on the 1st and its note says so.
An event that names several sources becomes one rule per source, all declared
the same day. Rules are listed in declaration order per host, which is the
order of their versions.

What the facts do not say is left undeclared rather than guessed: which links
Kuaishou carried before 2022-03-01, JD links in Douyin short-video carts, JD
links in Kuaishou after the 2022-10-28 restoration (only Taobao Alliance
links were reported restored), WeChat timeline links after 2013. WeChat's
in-app H5 order and pay flow for Taobao links (2024-09-27) is a payment
milestone; its link treatment is already the 2021-11-29 version's `open`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from hutong.links.policy import ExtraStep, LinkRule, PolicyHistory, Surface, Treatment


def _rules(
    host: str,
    sources: Iterable[str],
    surfaces: Iterable[Surface] | None,
    treatment: Treatment,
    valid_from: date,
    note: str,
    *,
    extra_steps: tuple[ExtraStep, ...] = (),
    declared_at: date | None = None,
) -> tuple[LinkRule, ...]:
    return tuple(
        LinkRule(
            host=host,
            source=source,
            surfaces=None if surfaces is None else frozenset(surfaces),
            treatment=treatment,
            extra_steps=extra_steps,
            valid_from=valid_from,
            declared_at=declared_at or valid_from,
            note=note,
        )
        for source in sources
    )


WECHAT_LINK_RULES: tuple[LinkRule, ...] = (
    *_rules(
        "wechat",
        ["taobao"],
        [Surface.CHAT, Surface.GROUP_CHAT, Surface.TIMELINE],
        Treatment.SHARE_CODE_ONLY,
        date(2013, 1, 1),
        "WeChat shut the link path to Taobao; Taobao items only travel as 淘口令 "
        "share codes (year known, not the day)",
    ),
    *_rules(
        "wechat",
        ["taobao"],
        [Surface.CHAT],
        Treatment.OPEN,
        date(2021, 9, 17),
        "after MIIT's guidance on blocked links, one-to-one chats open Taobao links "
        "behind a warning page",
        extra_steps=(ExtraStep.WARNING_PAGE,),
    ),
    *_rules(
        "wechat",
        ["taobao"],
        [Surface.CHAT, Surface.GROUP_CHAT],
        Treatment.OPEN,
        date(2021, 11, 29),
        "e-commerce links open directly in group chats too; a Taobao page opened in "
        "WeChat can take the order and the payment",
    ),
)

DOUYIN_LINK_RULES: tuple[LinkRule, ...] = (
    *_rules(
        "douyin",
        ["taobao", "tmall"],
        [Surface.LIVE_CART, Surface.VIDEO_CART],
        Treatment.OPEN,
        date(2018, 12, 1),
        "Douyin's shopping cart opens to third-party platforms and sends traffic to "
        "Taobao and Tmall (month known, not the day)",
    ),
    *_rules(
        "douyin",
        ["taobao", "tmall", "jd"],
        [Surface.LIVE_CART],
        Treatment.BLOCKED,
        date(2020, 10, 9),
        "third-party links leave live-room carts; short-video carts keep them",
    ),
    *_rules(
        "douyin",
        ["eleme"],
        None,
        Treatment.MINI_PROGRAM,
        date(2022, 8, 19),
        "Ele.me reaches Douyin users through a mini-program on Douyin's open platform "
        "(surfaces not reported: recorded for every surface)",
    ),
)

KUAISHOU_LINK_RULES: tuple[LinkRule, ...] = (
    *_rules(
        "kuaishou",
        ["youzan", "mokuai"],
        None,
        Treatment.BLOCKED,
        date(2021, 10, 1),
        "before Double 11 Kuaishou cuts the links of third-party store services "
        "(month known, not the day; surfaces not reported: recorded for every surface)",
    ),
    *_rules(
        "kuaishou",
        ["taobao", "tmall", "jd"],
        [Surface.LIVE_CART, Surface.VIDEO_CART, Surface.PRODUCT_PAGE],
        Treatment.BLOCKED,
        date(2022, 3, 1),
        "Taobao Alliance and JD Alliance product links can no longer be published in "
        "live-room carts, short-video carts or product pages (announced in February)",
        declared_at=date(2022, 2, 1),
    ),
    *_rules(
        "kuaishou",
        ["taobao", "tmall"],
        [Surface.LIVE_CART, Surface.VIDEO_CART, Surface.PRODUCT_PAGE],
        Treatment.OPEN,
        date(2022, 10, 28),
        "Taobao Alliance links come back to live-room carts, short-video carts and "
        "product pages, fully restored by the end of the month; JD was not reported",
    ),
)

#: Every seed rule, in declaration order per host.
SEED_LINK_RULES: tuple[LinkRule, ...] = (
    *WECHAT_LINK_RULES,
    *DOUYIN_LINK_RULES,
    *KUAISHOU_LINK_RULES,
)


def seed_policies() -> dict[str, PolicyHistory]:
    """A fresh history per host with the seed rules declared as its versions."""
    histories: dict[str, PolicyHistory] = {}
    for rule in SEED_LINK_RULES:
        history = histories.get(rule.host)
        if history is None:
            history = histories[rule.host] = PolicyHistory(rule.host)
        history.declare(rule)
    return histories
