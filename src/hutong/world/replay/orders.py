"""Orders the replay takes in Douyin: its own store's and rivals' through its external links.

From the day Douyin e-commerce is founded and pushes merchants into Douyin
stores (2020-06, the month the sources give), on the 1st and the 15th of
each month Douyin takes orders and sees each through (pay, ship, deliver,
confirm: the split is the switch's record at confirmation):

* one of the Douyin store's snacks, in its own store (channel ``own_store``);
* ``volume`` of the Taobao tea house's Longjing, through the external link
  Douyin placed in its short-video cart (``link_placement``; the live-room
  cart blocks it from 2020-10-09, the video cart never does).

Both are food, so the auditor compares them in one category. An order is
costly to replay (some 34 signed events to deliver), so a single rival
merchant carries the external-link orders.

Until Douyin declares a schedule (2020-08-20) the switch splits no
commission; from then the schedule's 20% on external links against 5% in its
own store is what each order pays, so the auditor reads a take rate 4x its
own from 2020 on::

    orders(year) = 24 * (1 + volume)       (a full year)

Each merchant pays with a wallet both Douyin and its platform accept (Taobao
refuses WeChat Pay for most of the decade) and ships with its own carrier.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from hutong.protocol.ids import new_id
from hutong.world.carriers import tracking_payload
from hutong.world.demo_logistics import CARRIERS
from hutong.world.reference import CarrierDesk, ReferenceWorld
from hutong.world.replay.cast import HOME, OFFERS
from hutong.world.stock import StockDesk
from hutong.world.synth.network import Network

__all__ = ["ORDER_DAYS", "SALES", "Orders", "Sale"]

HOST = "douyin.example"
START = date(2020, 6, 1)
#: Days of the month the replay takes orders.
ORDER_DAYS = (1, 15)
#: A carrier's delivered scan in its own format.
DELIVERED = {"jtexpress.example": "3"}


@dataclass(frozen=True, slots=True)
class Sale:
    """One merchant's order in Douyin: how it comes in, paid and shipped by whom."""

    merchant: str
    #: The lane whose placement the order comes through (None: Douyin's own store).
    surface: str | None
    wallet: str
    payer: str
    carrier: str


SALES: tuple[Sale, ...] = (
    Sale("douyin-shop.example", None, "wechatpay.example", "wx-buyer-3", "jtexpress.example"),
    Sale("tea-house.example", "video_cart", "alipay.example", "ali-buyer-1", "jtexpress.example"),
)


class Orders:
    """Douyin's orders of a replayed day; `counts` says how many were taken and completed."""

    def __init__(
        self, net: Network, world: ReferenceWorld, volume: int, now: Callable[[], datetime]
    ) -> None:
        self.net, self.world, self.volume, self.now = net, world, volume, now
        self.counts = {"orders": 0, "completed": 0}
        for merchant, (platform, _) in HOME.items():
            if not any(s.merchant == merchant for s in SALES):
                continue
            desk = world.stores.get(platform)
            if desk is None:
                desk = StockDesk(signer=net.clients[platform].signer)
                world.stores[platform] = desk
            sku, _, price, _ = OFFERS[merchant]
            desk.offer(merchant, sku, price, 10**9)

    async def open(self) -> None:
        """The sales' carriers open their booking desks and declare their services."""
        for carrier in sorted({s.carrier for s in SALES}):
            signer = self.net.clients[carrier].signer
            self.world.carriers[carrier] = CarrierDesk(signer, tracking_prefix=CARRIERS[carrier])
            await self.net.act(
                carrier, "carrier_services", "/v1/carrier/services", {"services": []}
            )

    async def day(self, today: date, placements: dict[tuple[str, str, str], str]) -> bool:
        """Take and complete the day's orders; True when there were any."""
        if today < START or today.day not in ORDER_DAYS:
            return False
        for n in range(self.volume):
            for sale in SALES:
                origin: dict[str, str] = {}
                if sale.surface is None and n > 0:
                    continue  # the own store's one order of the day: the baseline
                if sale.surface is not None:
                    placement = placements.get((HOST, sale.surface, sale.merchant))
                    if placement is None:
                        continue
                    origin = {"placement_id": placement}
                await self._sell(sale, origin)
        return True

    async def _sell(self, sale: Sale, origin: dict[str, str]) -> None:
        sku, _, price, _ = OFFERS[sale.merchant]
        body: dict[str, Any] = {
            "buyer": f"dy-buyer-{self.counts['orders'] % 97}",
            "merchant": sale.merchant,
            "lines": [{"sku_id": sku, "quantity": 1, "unit_price": price}],
            "wallet": sale.wallet,
            "payer": sale.payer,
            "carrier": sale.carrier,
            "destination": {"area_code": "310104", "address": {"recipient": "replay buyer"}},
            **origin,
        }
        answer = await self.net.act(HOST, "order", "/v1/orders", body)
        if answer is None:
            return
        self.counts["orders"] += 1
        oid = answer["order"]["id"]
        if await self.net.act(HOST, "order_pay", f"/v1/orders/{oid}/pay", {}) is None:
            return
        shipped = await self.net.act(
            sale.merchant,
            "order_ship",
            f"/v1/orders/{oid}/ship",
            {"origin": "330106", "weight_g": 500},
        )
        if shipped is None:
            return
        number = shipped["shipment"]["tracking_number"]
        scan = tracking_payload(
            sale.carrier, number, DELIVERED[sale.carrier], "", self.now(), new_id("ev")
        )
        await self.net.act(sale.carrier, "tracking", "/v1/tracking", scan)
        if await self.net.act(HOST, "order_confirm", f"/v1/orders/{oid}/confirm", {}) is not None:
            self.counts["completed"] += 1
