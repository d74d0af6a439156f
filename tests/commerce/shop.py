"""A cross-platform shop over real HTTP: everyone an order involves, as reference participants.

Douyin and Kuaishou are hosts; JD and Taobao are merchants' platforms whose
stock desks (`hutong.world.stock`) answer ``reserve_stock``; JD Beauty (a JD
merchant) has an approved storefront inside Douyin; a Kuaishou streamer
places Tea House's (a Taobao merchant) tea in its live cart. Alipay and WeChat
Pay are wallets (60 bp on orders), JD Logistics and Cainiao carriers with
their booking desks and tracking plugins. Douyin takes 5% on storefront
orders and 20% on external links; Kuaishou takes 5% on creator placements and
pays creators 10% (beauty 15%).

After each test the ledger must pass its check.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import pytest

from hutong.client import Client, encode_json
from hutong.ledger.check import check_ledger
from hutong.ledger.store import get_account
from hutong.net.delivery import DeliveryWorker
from hutong.protocol.envelope import request_envelope
from hutong.protocol.ids import new_id
from hutong.world.carriers import tracking_payload
from hutong.world.demo_logistics import CARRIERS, STATION
from hutong.world.reference import CarrierDesk, ReferenceWorld
from hutong.world.stock import StockDesk
from hutong.world.wallets import WalletDesk
from tests.conftest import Clock, Switch

DOUYIN, KUAISHOU, JD, TAOBAO = "douyin.example", "kuaishou.example", "jd.example", "taobao.example"
JD_BEAUTY, TEA_HOUSE = "jd-beauty.example", "tea-house.example"
ALIPAY, WECHATPAY = "alipay.example", "wechatpay.example"
JDL, CAINIAO = "jd-logistics.example", "cainiao.example"
STREAMER, AUDITOR = "streamer.example", "regulator.example"
SERUM, CREAM, TEA = "serum-1", "cream-2", "tea-1"
PRICES = {SERUM: 19_900, CREAM: 9_900, TEA: 5_000}
BEIJING = "110105"
HANGZHOU = "330106"


@dataclass
class Shop:
    switch: Switch
    world: ReferenceWorld
    clients: dict[str, Client] = field(default_factory=dict)
    clock: Clock | None = None
    storefront: str = ""
    placement: str = ""

    def __getitem__(self, subscriber_id: str) -> Client:
        return self.clients[subscriber_id]

    def stock(self, platform: str, merchant: str, sku_id: str) -> int:
        return self.world.stores[platform].stock(merchant, sku_id)

    def wallet(self, subscriber_id: str) -> WalletDesk:
        return self.world.wallets[subscriber_id]

    async def post(
        self, sender: str, path: str, message: dict[str, Any], *, message_id: str | None = None
    ) -> httpx.Response:
        """A signed POST, signed at the switch's clock (which tests move)."""
        body = encode_json(request_envelope(message, message_id=message_id or new_id("msg")))
        return await self.send(sender, "POST", path, body)

    async def send(self, sender: str, method: str, path: str, body: bytes = b"") -> httpx.Response:
        client = self.clients[sender]
        created = self.clock.unix if self.clock is not None else None
        return await client.send(method, path, body, created=created)

    async def get(self, reader: str, path: str) -> httpx.Response:
        return await self.send(reader, "GET", path)

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
        shipment = (
            await self.clients[order["merchant"]].get(f"/v1/shipments/{order['shipment_id']}")
        ).json()
        carrier = order["carrier"]
        payload = tracking_payload(
            carrier, shipment["tracking_number"], code, sub_code, when, new_id("ev")
        )
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


async def _ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
async def shop(
    switch: Switch, world: tuple[ReferenceWorld, str], clock: Clock
) -> AsyncIterator[Shop]:
    reference, url = world
    http = httpx.AsyncClient(timeout=30)
    net = Shop(switch, reference, clock=clock)

    async def join(subscriber_id: str, role: str) -> Client:
        callback = f"{url}/cb/{subscriber_id}"
        client = await switch.register(subscriber_id, [role], callback, http=http)
        net.clients[subscriber_id] = client
        return client

    for platform in (DOUYIN, KUAISHOU, JD, TAOBAO):
        client = await join(platform, "platform")
        if platform in (JD, TAOBAO):
            reference.stores[platform] = StockDesk(signer=client.signer)
    for merchant, home in ((JD_BEAUTY, JD), (TEA_HOUSE, TAOBAO)):
        await join(merchant, "merchant")
        await _ok(
            await switch.operator.put(
                f"/operator/merchants/{merchant}/profile", json={"home_platform": home}
            )
        )
    for wallet in (ALIPAY, WECHATPAY):
        client = await join(wallet, "wallet")
        reference.wallets[wallet] = WalletDesk(
            signer=client.signer, balances={"u-alice": 500_000, "u-bob": 200_000, "u-poor": 100}
        )
        await _ok(await client.post("/v1/wallet/profile", {"fees": [{"kind": "order", "bps": 60}]}))
    for carrier in (JDL, CAINIAO):
        client = await join(carrier, "carrier")
        reference.carriers[carrier] = CarrierDesk(
            signer=client.signer, tracking_prefix=CARRIERS[carrier]
        )
        await _ok(await client.post("/v1/carrier/services", {"services": []}))
    await _ok(await net[CAINIAO].post("/v1/pickup-points", {"points": [STATION]}))
    await join(STREAMER, "creator")
    await join(AUDITOR, "auditor")

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
        await _ok(await net[merchant].post("/v1/offers", {"offers": offers}))
        home = JD if merchant == JD_BEAUTY else TAOBAO
        for sku, _, stock in items:
            reference.stores[home].offer(merchant, sku, PRICES[sku], stock)
    storefront = await _ok(
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
    await _ok(await net[DOUYIN].post(f"/v1/storefronts/{net.storefront}/approve", {}))
    placement = await _ok(
        await net[STREAMER].post(
            "/v1/placements",
            {"host": KUAISHOU, "surface": "live_cart", "merchant": TEA_HOUSE, "sku_id": TEA},
        )
    )
    net.placement = placement["message"]["placement"]["id"]
    await _ok(
        await net[DOUYIN].post(
            "/v1/commission-schedules",
            {
                "valid_from": "2024-01-01",
                "channel_rates": {"storefront": 500, "link_placement": 2000},
            },
        ),
        201,
    )
    await _ok(
        await net[KUAISHOU].post(
            "/v1/commission-schedules",
            {
                "valid_from": "2024-01-01",
                "channel_rates": {"creator_placement": 500},
                "default_creator_bps": 1000,
                "creator_rates": {"beauty": 1500},
            },
        ),
        201,
    )
    yield net
    async with switch.services.db.read() as conn:
        report = await check_ledger(conn)
    assert report.ok, report.problems
    await http.aclose()
