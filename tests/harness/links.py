"""The links tests' network: hosts, creators and merchants over real HTTP, on a catalog.

`Net` registers `<name>.example` as a platform (or with the roles given) the
first time a test asks for its client; `seed_catalog` writes, with SQL (the
commerce API is not what the links tests test), Taobao's tea merchant
`TB_TEA` with a plain offer `tea-1` and a full one `tea-full` (H5, deep link
and mini program), and JD's self-operated `JD_BEAUTY` with `serum-1` and two
storefronts: approved inside Douyin, requested inside Kuaishou.

The helpers speak the links API as its callers do: `declare` a host's link
rule (signed `POST /v1/link-policies`, back-dated as a correction), `place`
and `placed` an offer (signed `POST /v1/placements`), `resolve` a code
(`GET /l/{code}` with `?host=&surface=&at=`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
from sqlalchemy import insert

from hutong.client import Client
from hutong.links.policy import LinkRule, Treatment
from hutong.store.tables import merchant_profiles, offers, storefronts
from tests.harness.history import as_declared_on
from tests.harness.switch import Clock, Switch

# Merchants (data only: the SQL below is their catalog).
TB_TEA = "tb-tea.example"  # a Taobao merchant
JD_BEAUTY = "jd-beauty.example"  # JD's self-operated beauty store
TEA_H5 = "https://h5.taobao.example/item/tea-1"
FULL_H5 = "https://h5.taobao.example/item/tea-full"
FULL_DEEP = "taobao://item/tea-full"
MP_APP_ID = "wx00tbtea0000001"
MP_PATH = "pages/item/index?sku=tea-full"
SERUM_H5 = "https://h5.jd.example/item/serum-1"
APPROVED_STOREFRONT = "sf-jdbeauty-douyin"
REQUESTED_STOREFRONT = "sf-jdbeauty-kuaishou"


@dataclass
class Net:
    switch: Switch
    http: httpx.AsyncClient
    clients: dict[str, Client] = field(default_factory=dict)

    async def client(self, name: str, roles: tuple[str, ...] = ("platform",)) -> Client:
        """The signed client of `<name>.example` (or `name` with a dot), registered on first use."""
        subscriber = name if "." in name else f"{name}.example"
        if subscriber not in self.clients:
            self.clients[subscriber] = await self.switch.register(subscriber, list(roles))
        return self.clients[subscriber]

    @property
    def clock(self) -> Clock:
        clock = self.switch.services.clock
        assert isinstance(clock, Clock)
        return clock


async def seed_catalog(switch: Switch) -> None:
    now = switch.services.clock()

    def offer(merchant: str, sku: str, h5: str, **targets: str) -> dict[str, Any]:
        return {
            "merchant": merchant,
            "sku_id": sku,
            "title": f"{merchant} {sku}",
            "price": 4_900,
            "stock": 100,
            "category": "food",
            "h5_url": h5,
            "deep_link": targets.get("deep_link"),
            "mini_program_app_id": targets.get("app_id"),
            "mini_program_path": targets.get("path"),
            "created_at": now,
            "updated_at": now,
        }

    def storefront(sf_id: str, host: str, status: str) -> dict[str, Any]:
        return {
            "id": sf_id,
            "merchant": JD_BEAUTY,
            "host": host,
            "status": status,
            "catalog": json.dumps([{"sku_id": "serum-1", "price": 9_900}]),
            "commission_bps": 500,
            "reason": "",
            "decided_by": host if status == "approved" else "",
            "requested_at": now,
            "decided_at": now if status == "approved" else None,
        }

    async with switch.services.db.transaction() as conn:
        await conn.execute(
            insert(merchant_profiles),
            [
                {
                    "subscriber_id": TB_TEA,
                    "home_platform": "taobao.example",
                    "self_operated": False,
                    "updated_at": now,
                },
                {
                    "subscriber_id": JD_BEAUTY,
                    "home_platform": "jd.example",
                    "self_operated": True,
                    "updated_at": now,
                },
            ],
        )
        await conn.execute(
            insert(offers),
            [
                offer(TB_TEA, "tea-1", TEA_H5),
                offer(
                    TB_TEA, "tea-full", FULL_H5, deep_link=FULL_DEEP, app_id=MP_APP_ID, path=MP_PATH
                ),
                offer(JD_BEAUTY, "serum-1", SERUM_H5),
            ],
        )
        await conn.execute(
            insert(storefronts),
            [
                storefront(APPROVED_STOREFRONT, "douyin.example", "approved"),
                storefront(REQUESTED_STOREFRONT, "kuaishou.example", "requested"),
            ],
        )


def rule_message(rule: LinkRule) -> dict[str, Any]:
    """A rule as the host sends it: to_dict() without the host and version the switch sets."""
    message = rule.to_dict()
    del message["host"], message["version"]
    return message


def declared_message(net: Net, rule: LinkRule) -> dict[str, Any]:
    """`rule_message`, as a correction when it is back-dated (`as_declared_on`)."""
    return as_declared_on(net.clock().date(), rule_message(rule))


async def declare(net: Net, rule: LinkRule) -> dict[str, Any]:
    response = await (await net.client(rule.host)).post(
        "/v1/link-policies", declared_message(net, rule)
    )
    assert response.status_code == 200, response.text
    stored: dict[str, Any] = response.json()["message"]["rule"]
    return stored


def link_rule(
    host: str, source: str, treatment: Treatment, valid_from: date, **more: Any
) -> LinkRule:
    surfaces = more.pop("surfaces", None)
    return LinkRule(
        host=host,
        source=source,
        treatment=treatment,
        valid_from=valid_from,
        surfaces=None if surfaces is None else frozenset(surfaces),
        **more,
    )


async def place(
    net: Net, by: str, host: str, surface: str, merchant: str, sku: str, **more: Any
) -> httpx.Response:
    client = await net.client(by)
    message = {"host": host, "surface": surface, "merchant": merchant, "sku_id": sku} | more
    return await client.post("/v1/placements", message)


async def placed(
    net: Net, host: str, surface: str, merchant: str, sku: str, **more: Any
) -> dict[str, Any]:
    """A placement made by the host platform itself."""
    response = await place(net, host, f"{host}.example", surface, merchant, sku, **more)
    assert response.status_code == 200, response.text
    placement: dict[str, Any] = response.json()["message"]["placement"]
    return placement


async def resolve(
    net: Net,
    code: str,
    *,
    host: str | None = None,
    surface: str | None = None,
    at: date | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    params = {
        name: value
        for name, value in (
            ("host", host),
            ("surface", surface),
            ("at", at.isoformat() if at else None),
        )
        if value is not None
    }
    return await net.http.get(f"/l/{code}", params=params, headers=headers or {})
