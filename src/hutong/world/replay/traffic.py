"""A simulated day's traffic between the facts, through the same API at the simulated date.

Per day, `volume` buyers open links, taking the placed links in turn (so
every host, surface and merchant gets its share)::

    visits(day) = volume,  link(k) = links[(cursor + k) mod len(links)]

On the 1st of each quarter (January, April, July, October), ``ceil(volume / 2)``
checkouts per (platform, wallet) pair the sources talk about: JD with Alipay
and JD Pay, Taobao with WeChat Pay and Alipay. One refused checkout already
shows an exclusion to the auditor, and a paid one costs the replay a dozen
signed events to deliver. A
checkout the platform's acceptance policy refuses is recorded by the switch
(`wallet_not_accepted`); an accepted one is authorized by the wallet's desk
and captured by the platform.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from hutong.world.replay.cast import OFFERS
from hutong.world.synth.network import Network

__all__ = ["CHECKOUTS", "CHECKOUT_MONTHS", "Traffic"]

#: (platform, merchant, wallet, payer)
CHECKOUTS: tuple[tuple[str, str, str, str], ...] = (
    ("jd.example", "jd-beauty.example", "alipay.example", "ali-buyer-1"),
    ("jd.example", "jd-beauty.example", "jdpay.example", "jdp-user-1"),
    ("taobao.example", "tea-house.example", "wechatpay.example", "wx-buyer-3"),
    ("taobao.example", "tea-house.example", "alipay.example", "ali-buyer-1"),
)
REFUSED = frozenset({"wallet_not_accepted"})
#: The months whose 1st has checkouts.
CHECKOUT_MONTHS = (1, 4, 7, 10)


def short(subscriber_id: str) -> str:
    return subscriber_id.split(".", 1)[0]


@dataclass(slots=True)
class Traffic:
    net: Network
    volume: int
    cursor: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {"visits": 0, "checkouts": 0, "paid": 0})

    async def day(self, today: date, links: dict[tuple[str, str, str], str]) -> bool:
        """The day's visits and checkouts; True when there were checkouts."""
        keys = sorted(links)
        if keys:
            for _ in range(self.volume):
                host, surface, _merchant = keys[self.cursor % len(keys)]
                self.cursor += 1
                code = links[(host, surface, _merchant)]
                params = {"host": short(host), "surface": surface}
                await self.net.visit("link_visit", f"/l/{code}", params)
                self.counts["visits"] += 1
        if today.day != 1 or today.month not in CHECKOUT_MONTHS:
            return False
        for checkout in CHECKOUTS:
            for _ in range(-(-self.volume // 2)):
                await self._checkout(*checkout)
        return True

    async def _checkout(self, platform: str, merchant: str, wallet: str, payer: str) -> None:
        body: dict[str, Any] = {
            "merchant": merchant,
            "amount": OFFERS[merchant][2],
            "wallet": wallet,
            "payer": payer,
        }
        self.counts["checkouts"] += 1
        created = await self.net.act(platform, "payment", "/v1/payments", body, refusals=REFUSED)
        if created is None:
            return
        payment = created["payment"]["id"]
        for step in ("authorize", "capture"):
            if await self.net.act(platform, step, f"/v1/payments/{payment}/{step}", {}) is None:
                return
        self.counts["paid"] += 1
