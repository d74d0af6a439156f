"""A small market over real HTTP: one merchant, three host platforms, a creator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from hutong.client import Client
from tests.commerce.helpers import MERCHANT
from tests.conftest import Switch


@dataclass
class Market:
    switch: Switch
    merchant: Client
    douyin: Client
    kuaishou: Client
    wechat: Client
    creator: Client


@pytest.fixture
async def market(switch: Switch) -> AsyncIterator[Market]:
    clients = [
        await switch.register(MERCHANT, ["merchant"]),
        await switch.register("douyin.example", ["platform"]),
        await switch.register("kuaishou.example", ["platform"]),
        await switch.register("wechat.example", ["platform"]),
        await switch.register("streamer.example", ["creator"]),
    ]
    for home in ("jd.example", "taobao.example"):
        await (await switch.register(home, ["platform"])).aclose()
    yield Market(switch, *clients)
    for client in clients:
        await client.aclose()


from tests.commerce.shop import shop  # noqa: E402, F401  (the orders tests' fixture)
