"""A small logistics network over real HTTP: a merchant, a host, three carriers, a station.

The three reference carriers (JD Logistics, Cainiao, J&T) are registered with
their booking desks in the reference world (each desk signs with its carrier's
own key), and declare the services their plugins bring. Cainiao publishes one
station, open to every carrier.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from hutong.client import Client
from hutong.world.demo_logistics import CARRIERS, STATION
from hutong.world.reference import CarrierDesk, ReferenceWorld
from tests.conftest import Switch

MERCHANT = "tea-house.example"  # a Taobao merchant
RIVAL = "jd-beauty.example"  # another merchant
HOST = "taobao.example"  # the platform the orders come from
JD, CAINIAO, JT = "jd-logistics.example", "cainiao.example", "jtexpress.example"


@dataclass
class Network:
    switch: Switch
    world: ReferenceWorld
    merchant: Client
    rival: Client
    host: Client
    carriers: dict[str, Client]

    def desk(self, carrier: str) -> CarrierDesk:
        return self.world.carriers[carrier]

    async def book(self, body: dict[str, Any], *, message_id: str | None = None) -> Any:
        return await self.merchant.post("/v1/shipments", body, message_id=message_id)


@pytest.fixture
async def net(switch: Switch, world: tuple[ReferenceWorld, str]) -> AsyncIterator[Network]:
    reference, url = world
    # One connection pool for every participant (like `switch.register`, which makes one each).
    http = httpx.AsyncClient(timeout=10)

    async def join(subscriber_id: str, role: str) -> Client:
        return await switch.register(subscriber_id, [role], f"{url}/cb/{subscriber_id}", http=http)

    merchant, rival = await join(MERCHANT, "merchant"), await join(RIVAL, "merchant")
    host = await join(HOST, "platform")
    carriers = {}
    for carrier, prefix in CARRIERS.items():
        client = carriers[carrier] = await join(carrier, "carrier")
        reference.carriers[carrier] = CarrierDesk(signer=client.signer, tracking_prefix=prefix)
        declared = await client.post("/v1/carrier/services", {"services": []})
        assert declared.status_code == 200, declared.text
    published = await carriers[CAINIAO].post("/v1/pickup-points", {"points": [STATION]})
    assert published.status_code == 200, published.text
    yield Network(switch, reference, merchant, rival, host, carriers)
    await http.aclose()
