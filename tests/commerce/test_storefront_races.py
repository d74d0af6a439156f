"""Different messages racing for the same unique thing: one wins, the rest get the rule.

Two requests for a storefront of one merchant on one host, or two versions
of one host's standing policy declared at once, used to pass the code's
check together on PostgreSQL: two open storefronts, or a 500 for the
version that lost its primary key. The database now holds a unique key for
each, and a write that loses it runs again: it meets the code's refusal
(`storefront_exists`) or takes the next version.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from hutong.client import Client
from hutong.store.tables import storefronts
from tests.harness.switch import Switch

MERCHANT = "racer-shop.example"
HOST = "race-host.example"
RACERS = 12


async def _merchant_and_host(switch: Switch) -> tuple[Client, Client]:
    merchant = await switch.register(MERCHANT, ["merchant"])
    host = await switch.register(HOST, ["platform"])
    offer = {
        "sku_id": "tea-1",
        "title": "Tea",
        "price": 1990,
        "stock": 5,
        "category": "food",
        "h5_url": "https://shop.example/tea-1.html",
    }
    published = await merchant.post("/v1/offers", {"offers": [offer]})
    assert published.status_code == 200, published.text
    return merchant, host


async def test_racing_storefront_requests_open_exactly_one(switch: Switch) -> None:
    merchant, host = await _merchant_and_host(switch)
    request = {"host": HOST, "catalog": [{"sku_id": "tea-1", "price": 1990}], "commission_bps": 500}

    answers = await asyncio.gather(
        *(merchant.post("/v1/storefronts", request) for _ in range(RACERS))
    )

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * (RACERS - 1), [a.text for a in answers]
    refused = [a.json()["error"]["code"] for a in answers if a.status_code == 409]
    assert set(refused) == {"storefront_exists"}
    async with switch.services.db.read() as conn:
        rows = (await conn.execute(select(storefronts.c.id))).all()
    assert len(rows) == 1
    await merchant.aclose()
    await host.aclose()


async def test_racing_policy_declarations_each_get_their_own_version(switch: Switch) -> None:
    merchant, host = await _merchant_and_host(switch)
    today = switch.services.clock().date().isoformat()
    rules = [
        {"decision": "approve", "categories": [f"cat-{n}"], "valid_from": today}
        for n in range(RACERS)
    ]

    answers = await asyncio.gather(*(host.post("/v1/storefront-policies", r) for r in rules))

    assert [a.status_code for a in answers] == [201] * RACERS, [a.text for a in answers]
    versions = sorted(a.json()["version"] for a in answers)
    assert versions == list(range(1, RACERS + 1))
    declared = (await host.get("/v1/storefront-policies")).json()
    assert sorted(r["version"] for r in declared) == versions
    await merchant.aclose()
    await host.aclose()


@pytest.mark.parametrize("second_status", ["requested", "approved"])
async def test_the_database_refuses_a_second_open_storefront(
    switch: Switch, second_status: str
) -> None:
    now = datetime.now(UTC)
    row = {
        "merchant": MERCHANT,
        "host": HOST,
        "status": "requested",
        "catalog": "[]",
        "commission_bps": 0,
        "reason": "",
        "decided_by": "",
        "requested_at": now,
    }
    async with switch.services.db.transaction() as conn:
        await conn.execute(insert(storefronts).values(id="sf-first", **row))
        await conn.execute(
            insert(storefronts).values(id="sf-refused", **(row | {"status": "refused"}))
        )
    with pytest.raises(IntegrityError):
        async with switch.services.db.transaction() as conn:
            await conn.execute(
                insert(storefronts).values(id="sf-second", **(row | {"status": second_status}))
            )
