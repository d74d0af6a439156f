"""The mini-program facts of the timeline: whose mini-program opens inside which host, from when.

Carried over from the campaign's dated events (the ``mini_program`` events of
the shared timeline); the project never reads the shared files at run time.
A mini-program fact is two things a participant does:

* the merchant whose goods the mini-program serves publishes its offer with
  the mini-program target (``mini_program_app_id`` and ``mini_program_path``);
* the host declares that links of the mini-program's platform open as the
  mini-program on the named surfaces (a `LinkRule` with treatment
  ``mini_program``), unless the seed link rules already declare it.

A buyer who then opens such a link in the host gets the mini-program's target
(JSON for an app, a page for a browser) instead of the H5 page. The app ids
are illustrative (the sources name the programs, not their ids). Where a
source gives only the month the day is the 1st and `precision` says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from hutong.links.policy import LinkRule, Surface, Treatment

__all__ = ["MINI_PROGRAMS", "MiniProgram"]


@dataclass(frozen=True, slots=True)
class MiniProgram:
    """`owner`'s mini-program inside `host`, serving `merchant`'s offer, from `valid_from`."""

    host: str
    owner: str
    merchant: str
    app_id: str
    path: str
    valid_from: date
    #: The surface the replay's buyers open its link on.
    surface: Surface
    what: str
    source: str
    precision: Literal["day", "month"] = "day"
    #: The host's rule, when the seed link rules do not already declare it.
    rule: LinkRule | None = None


MINI_PROGRAMS: tuple[MiniProgram, ...] = (
    MiniProgram(
        host="douyin.example",
        owner="eleme.example",
        merchant="eleme-grocer.example",
        app_id="tt-eleme-local",
        path="pages/store/index",
        valid_from=date(2022, 8, 19),
        surface=Surface.VIDEO_CART,
        what="Ele.me reaches Douyin users through a mini-program for local services, "
        "from content to instant delivery (the rule is Douyin's seed link rule).",
        source="seed article 002",
    ),
    MiniProgram(
        host="wechat.example",
        owner="tmall.example",
        merchant="tmall-flagship.example",
        app_id="wx-tmall-supermarket",
        path="pages/index/index",
        valid_from=date(2022, 10, 1),
        surface=Surface.GROUP_CHAT,
        what="The Tmall Supermarket mini-program (天猫超市小铛家) appears on WeChat for brand "
        "promotion and coupons; buying stays in Tmall's own channels.",
        source="seed articles 001, 002",
        precision="month",
        rule=LinkRule(
            host="wechat",
            source="tmall",
            surfaces=frozenset({Surface.CHAT, Surface.GROUP_CHAT}),
            treatment=Treatment.MINI_PROGRAM,
            valid_from=date(2022, 10, 1),
            declared_at=date(2022, 10, 1),
            note="Tmall links shared in WeChat chats open the Tmall Supermarket mini-program "
            "(month known, not the day)",
        ),
    ),
)
