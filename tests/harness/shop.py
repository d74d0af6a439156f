"""A cross-platform shop over real HTTP: everyone an order involves, as reference participants.

Douyin and Kuaishou are hosts; JD and Taobao are merchants' platforms whose
stock desks (`hutong.world.stock`) answer ``reserve_stock``; JD Beauty (a JD
merchant) has an approved storefront inside Douyin; a Kuaishou streamer
places Tea House's (a Taobao merchant) tea in its live cart. Alipay and WeChat
Pay are wallets (60 bp on orders), JD Logistics and Cainiao carriers with
their booking desks and tracking plugins. Douyin takes 5% on storefront
orders and 20% on external links; Kuaishou takes 5% on creator placements and
pays creators 10% (beauty 15%).

Its cast is `tests.harness.cast.SHOP`; `open_shop` brings it up for the orders
tests. After each test the ledger must pass its check.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from hutong.client import encode_json
from hutong.ledger.store import get_account
from hutong.net.delivery import DeliveryWorker
from hutong.protocol.envelope import request_envelope
from hutong.protocol.ids import new_id
from hutong.world.carriers import tracking_payload
from hutong.world.demo_logistics import STATION
from tests.harness.cast import (
    ALIPAY,
    DOUYIN,
    JD,
    JD_BEAUTY,
    JDL,
    KUAISHOU,
    SHOP,
    STREAMER,
    TAOBAO,
    TEA_HOUSE,
    ok,
)
from tests.harness.history import AS_HISTORY
from tests.harness.network import Network

SERUM, CREAM, TEA = "serum-1", "cream-2", "tea-1"
PRICES = {SERUM: 19_900, CREAM: 9_900, TEA: 5_000}
BEIJING = "110105"
HANGZHOU = "330106"


class Shop(Network):
    """The shop's network: orders, their steps and the money they move."""

    storefront: str = ""
    placement: str = ""

    def stock(self, platform: str, merchant: str, sku_id: str) -> int:
        return self.world.stores[platform].stock(merchant, sku_id)

    async def order(self, **changes: Any) -> httpx.Response:
        """Douyin orders 1 serum and 2 creams from JD Beauty's storefront for buyer b-1."""
        message = order_message(storefront_id=self.storefront) | changes
        host = message.pop("host", DOUYIN)
        return await self.post(host, "/v1/orders", message)

    def order_body(self, message_id: str, **changes: Any) -> tuple[str, bytes]:
        """The host and the exact bytes of an order request, to send (and resend) as they are."""
        message = order_message(storefront_id=self.storefront) | changes
        host = message.pop("host", DOUYIN)
        return host, encode_json(request_envelope(message, message_id=message_id))

    async def placed(self, **changes: Any) -> dict[str, Any]:
        response = await self.order(**changes)
        assert response.status_code == 201, response.text
        order: dict[str, Any] = response.json()["order"]
        return order

    async def act(self, sender: str, order_id: str, action: str, **message: Any) -> dict[str, Any]:
        response = await self.post(sender, f"/v1/orders/{order_id}/{action}", message)
        assert response.status_code == 200, response.text
        order: dict[str, Any] = response.json()["order"]
        return order

    async def show(self, order_id: str, reader: str = DOUYIN) -> dict[str, Any]:
        response = await self.get(reader, f"/v1/orders/{order_id}")
        assert response.status_code == 200, response.text
        order: dict[str, Any] = response.json()["order"]
        return order

    async def track(self, order: dict[str, Any], code: str, sub_code: str, when: datetime) -> None:
        await self.push_tracking(order, await self.tracking_number(order), code, sub_code, when)

    async def tracking_number(self, order: dict[str, Any]) -> str:
        """The parcel's tracking number, as its merchant reads it (the carrier knows it)."""
        shipment = (
            await self.clients[order["merchant"]].get(f"/v1/shipments/{order['shipment_id']}")
        ).json()
        return str(shipment["tracking_number"])

    async def push_tracking(
        self, order: dict[str, Any], number: str, code: str, sub_code: str, when: datetime
    ) -> None:
        """The order's carrier pushes one tracking event about parcel `number`."""
        carrier = order["carrier"]
        payload = tracking_payload(carrier, number, code, sub_code, when, new_id("ev"))
        response = await self.post(carrier, "/v1/tracking", payload)
        assert response.status_code == 200, response.text

    async def paid(self, **changes: Any) -> dict[str, Any]:
        order = await self.placed(**changes)
        return await self.act(order["host"], order["id"], "pay")

    async def shipped(self, when: datetime, **changes: Any) -> dict[str, Any]:
        order = await self.paid(**changes)
        await self.act(order["merchant"], order["id"], "ship", origin=HANGZHOU, weight_g=500)
        order = await self.show(order["id"], order["host"])
        await self.track(order, "20", "", when)
        return await self.show(order["id"], order["host"])

    async def delivered(self, when: datetime, **changes: Any) -> dict[str, Any]:
        order = await self.shipped(when, **changes)
        await self.track(order, "60", "", when)
        return await self.show(order["id"], order["host"])

    async def completed(self, when: datetime, **changes: Any) -> dict[str, Any]:
        order = await self.delivered(when, **changes)
        return await self.act(order["host"], order["id"], "confirm")

    async def balance(self, account_id: str) -> int:
        """An account's posted balance, credits less debits (an untouched one: 0)."""
        async with self.switch.services.db.read() as conn:
            found = await get_account(conn, account_id)
        return 0 if found is None else found.credits_posted - found.debits_posted

    async def deliver_events(self) -> None:
        worker = DeliveryWorker(self.switch.services)
        try:
            await worker.drain()
        finally:
            await worker.close()


def order_message(**changes: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "buyer": "b-1",
        "merchant": JD_BEAUTY,
        "lines": [
            {"sku_id": SERUM, "quantity": 1, "unit_price": PRICES[SERUM]},
            {"sku_id": CREAM, "quantity": 2, "unit_price": PRICES[CREAM]},
        ],
        "wallet": ALIPAY,
        "payer": "u-alice",
        "carrier": JDL,
        "destination": {"pickup_point_id": STATION["id"]},
    }
    return message | changes


def tea_order(placement_id: str, **changes: Any) -> dict[str, Any]:
    """Kuaishou orders 3 teas from Tea House through the streamer's live-cart placement."""
    return {
        "host": KUAISHOU,
        "merchant": TEA_HOUSE,
        "lines": [{"sku_id": TEA, "quantity": 3, "unit_price": PRICES[TEA]}],
        "placement_id": placement_id,
        "storefront_id": "",
        "destination": {"area_code": BEIJING, "address": {"name": "b-2", "street": "-"}},
        "buyer": "b-2",
        "payer": "u-bob",
    } | changes


async def open_shop(net: Shop) -> None:
    """Everyone joins; the catalogs, the storefront, the placement and the schedules are set."""
    await net.join(*SHOP)
    catalog = {
        JD_BEAUTY: [(SERUM, "beauty", 10), (CREAM, "beauty", 5)],
        TEA_HOUSE: [(TEA, "tea", 20)],
    }
    for merchant, items in catalog.items():
        offers = [
            {
                "sku_id": sku,
                "title": sku,
                "price": PRICES[sku],
                "stock": stock,
                "category": category,
                "h5_url": f"https://shop.example/{sku}",
            }
            for sku, category, stock in items
        ]
        await ok(await net[merchant].post("/v1/offers", {"offers": offers}))
        home = JD if merchant == JD_BEAUTY else TAOBAO
        for sku, _, stock in items:
            net.store(home).offer(merchant, sku, PRICES[sku], stock)
    storefront = await ok(
        await net[JD_BEAUTY].post(
            "/v1/storefronts",
            {
                "host": DOUYIN,
                "catalog": [{"sku_id": s, "price": PRICES[s]} for s in (SERUM, CREAM)],
                "commission_bps": 500,
            },
        ),
        201,
    )
    net.storefront = storefront["id"]
    await ok(await net[DOUYIN].post(f"/v1/storefronts/{net.storefront}/approve", {}))
    placement = await ok(
        await net[STREAMER].post(
            "/v1/placements",
            {"host": KUAISHOU, "surface": "live_cart", "merchant": TEA_HOUSE, "sku_id": TEA},
        )
    )
    net.placement = placement["message"]["placement"]["id"]
    await ok(
        await net[DOUYIN].post(
            "/v1/commission-schedules",
            {
                "valid_from": "2024-01-01",
                "channel_rates": {"storefront": 500, "link_placement": 2000},
            }
            | AS_HISTORY,
        ),
        201,
    )
    await ok(
        await net[KUAISHOU].post(
            "/v1/commission-schedules",
            {
                "valid_from": "2024-01-01",
                "channel_rates": {"creator_placement": 500},
                "default_creator_bps": 1000,
                "creator_rates": {"beauty": 1500},
            }
            | AS_HISTORY,
        ),
        201,
    )
