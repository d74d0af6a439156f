"""The networks the packages' tests use, each drawn from its cast in `tests.harness.cast`."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, insert, select

from hutong.client import Client
from hutong.protocol.ids import new_id
from hutong.store.tables import placements, storefronts
from tests.harness.cast import (
    CAINIAO,
    DOUYIN,
    JDL,
    JT,
    KUAISHOU,
    MARKET_MERCHANT,
    STREAMER,
    TEA_HOUSE,
    WECHAT,
)
from tests.harness.network import Network
from tests.harness.switch import row_counts


class PayNet(Network):
    """Payments: platforms, merchants, wallets, programs, an auditor."""

    async def payment(self, sender: str, **message: Any) -> dict[str, Any]:
        """Create a payment and return it (fails the test when refused)."""
        response = await self.post(sender, "/v1/payments", message)
        assert response.status_code == 201, response.text
        payment: dict[str, Any] = response.json()["payment"]
        return payment


class Logistics(Network):
    """Logistics: Tea House books with the three carriers; Taobao is its host."""

    async def sells_on(
        self, host: str, merchant: str = TEA_HOUSE, status: str = "approved"
    ) -> None:
        """`merchant` has a storefront (in `status`) inside `host`: a host it may ship for."""
        now = self.switch.services.clock()
        async with self.switch.services.db.transaction() as conn:
            await conn.execute(
                insert(storefronts),
                {
                    "id": new_id("sf"),
                    "merchant": merchant,
                    "host": host,
                    "status": status,
                    "catalog": "[]",
                    "commission_bps": 0,
                    "reason": "",
                    "decided_by": host,
                    "requested_at": now,
                    "decided_at": now,
                },
            )

    @property
    def merchant(self) -> Client:
        return self[TEA_HOUSE]

    @property
    def carriers(self) -> dict[str, Client]:
        return {carrier: self[carrier] for carrier in (JDL, CAINIAO, JT)}

    async def book(self, body: dict[str, Any], *, message_id: str | None = None) -> httpx.Response:
        return await self.merchant.post("/v1/shipments", body, message_id=message_id)


class Market(Network):
    """Storefronts and offers: one merchant, three hosts, a creator."""

    @property
    def merchant(self) -> Client:
        return self[MARKET_MERCHANT]

    @property
    def douyin(self) -> Client:
        return self[DOUYIN]

    @property
    def kuaishou(self) -> Client:
        return self[KUAISHOU]

    @property
    def wechat(self) -> Client:
        return self[WECHAT]

    @property
    def creator(self) -> Client:
        return self[STREAMER]


class Evidence(Network):
    """The auditor's evidence: platforms of several groups, their merchants, an auditor."""

    async def group(
        self,
        name: str,
        *members: str,
        valid_from: str = "2013-01-01",
        allied: list[str] | None = None,
    ) -> httpx.Response:
        """Declare the next version of group `name` (as the operator)."""
        body: dict[str, Any] = {"name": name, "members": list(members), "valid_from": valid_from}
        if allied is not None:
            body["allied"] = allied
        return await self.switch.operator.post("/operator/groups", json=body)

    async def placement(self, host: str, merchant: str, sku_id: str) -> str:
        """A placement of `merchant`'s `sku_id` on `host`, as the switch keeps it; its id."""
        now = self.switch.services.clock()
        placement_id = new_id("pl")
        async with self.switch.services.db.transaction() as conn:
            serial = int(await conn.scalar(select(func.count()).select_from(placements)) or 0)
            await conn.execute(
                insert(placements),
                {
                    "id": placement_id,
                    "code": placement_id[-12:],
                    "share_serial": serial + 1,
                    "host": host,
                    "surface": "search",
                    "merchant": merchant,
                    "sku_id": sku_id,
                    "placed_by": host,
                    "storefront_id": None,
                    "created_at": now,
                    "share_expires_at": now,
                },
            )
        return placement_id

    async def evidence_rows(self) -> dict[str, int]:
        """Rows in the evidence tables (a refusal must leave them as they were)."""
        counts = await row_counts(self.switch.services)
        return {name: counts[name] for name in EVIDENCE_TABLES}


#: The tables the auditor's evidence routes write.
EVIDENCE_TABLES = (
    "corporate_groups",
    "impression_lists",
    "impression_items",
    "merchant_terms",
    "storefronts",
    "storefront_policies",
)
