"""A small payments network over real HTTP: platforms, merchants, wallets, programs, an auditor.

Wallets and programs answer the switch's decision calls from the reference
world (each desk signs with its participant's own key). Every wallet
declares its fees; Taobao declares it refuses WeChat Pay so that the
acceptance path has something to refuse.

After each test the ledger must pass its check: every test that moves money
proves that the money balances.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from hutong.client import Client
from hutong.ledger.check import check_ledger
from hutong.world.reference import ReferenceWorld
from hutong.world.wallets import ProgramDesk, WalletDesk
from tests.conftest import Switch

TAOBAO, JD, DOUYIN, WECHAT = "taobao.example", "jd.example", "douyin.example", "wechat.example"
TEA_HOUSE, JD_BEAUTY = "tea-house.example", "jd-beauty.example"
ALIPAY, WECHATPAY = "alipay.example", "wechatpay.example"
VIP, VIDEO = "88vip.example", "tencent-video.example"
AUDITOR = "regulator.example"

#: Fees each wallet declares: (bps, fixed fen) per kind.
FEES: dict[str, dict[str, tuple[int, int]]] = {
    ALIPAY: {"order": (60, 0), "pay_for_me": (60, 0), "transfer": (10, 0)},
    WECHATPAY: {"order": (60, 0), "pay_for_me": (60, 0), "transfer": (0, 100)},
}


@dataclass
class PayNet:
    switch: Switch
    world: ReferenceWorld
    clients: dict[str, Client] = field(default_factory=dict)

    def __getitem__(self, subscriber_id: str) -> Client:
        return self.clients[subscriber_id]

    def wallet(self, subscriber_id: str) -> WalletDesk:
        return self.world.wallets[subscriber_id]

    def program(self, subscriber_id: str) -> ProgramDesk:
        return self.world.programs[subscriber_id]

    async def post(
        self, sender: str, path: str, message: dict[str, Any], *, message_id: str | None = None
    ) -> httpx.Response:
        return await self.clients[sender].post(path, message, message_id=message_id)

    async def payment(self, sender: str, **message: Any) -> dict[str, Any]:
        """Create a payment and return it (fails the test when refused)."""
        response = await self.post(sender, "/v1/payments", message)
        assert response.status_code == 201, response.text
        payment: dict[str, Any] = response.json()["payment"]
        return payment


@pytest.fixture
async def paynet(switch: Switch, world: tuple[ReferenceWorld, str]) -> AsyncIterator[PayNet]:
    reference, url = world
    http = httpx.AsyncClient(timeout=30)
    net = PayNet(switch, reference)

    async def join(subscriber_id: str, role: str) -> Client:
        callback = f"{url}/cb/{subscriber_id}"
        client = await switch.register(subscriber_id, [role], callback, http=http)
        net.clients[subscriber_id] = client
        return client

    for platform in (TAOBAO, JD, DOUYIN, WECHAT):
        await join(platform, "platform")
    for merchant, home in ((TEA_HOUSE, TAOBAO), (JD_BEAUTY, JD)):
        await join(merchant, "merchant")
        profile = await switch.operator.put(
            f"/operator/merchants/{merchant}/profile", json={"home_platform": home}
        )
        assert profile.status_code == 200, profile.text
    for wallet, fees in FEES.items():
        client = await join(wallet, "wallet")
        reference.wallets[wallet] = WalletDesk(
            signer=client.signer, balances={"u-alice": 100_000, "u-bob": 50_000, "u-poor": 100}
        )
        declared = await client.post(
            "/v1/wallet/profile",
            {"fees": [{"kind": k, "bps": b, "fixed": f} for k, (b, f) in fees.items()]},
        )
        assert declared.status_code == 200, declared.text
    for program in (VIP, VIDEO):
        client = await join(program, "program")
        reference.programs[program] = ProgramDesk(signer=client.signer, members={"m-alice"})
    await join(AUDITOR, "auditor")
    refused = await net.post(
        TAOBAO,
        "/v1/acceptance-policy",
        {"valid_from": "2021-10-01", "refused": {WECHATPAY: "Taobao does not offer WeChat Pay"}},
    )
    assert refused.status_code == 201, refused.text
    yield net
    async with switch.services.db.read() as conn:
        report = await check_ledger(conn)
    assert report.ok, report.problems
    await http.aclose()
