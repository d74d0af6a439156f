"""Property: a host's search finds exactly the offers its declared policy lets it show.

Over a real database (SQLite and PostgreSQL): random merchants at home on
random platforms (or none), random offers (titles with LIKE's own ``%`` and
``_``), storefronts inside the host (approved or only requested) and random
link rules of the host. Whatever the page size and however small the
service's read batches, following the cursor yields, in (merchant, sku)
order and once each, exactly the offers the model allows: an approved
storefront's listing, a merchant of the host itself, or a link the host's
policy on that surface and day does not decide ``blocked``.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert

from hutong.commerce.discovery import Search
from hutong.commerce.discovery import service as discovery
from hutong.links.hosts import alias
from hutong.links.policy import LinkRule, PolicyHistory, Surface, Treatment
from hutong.links.store import declare_rule, policy_history
from hutong.store.db import Database
from hutong.store.tables import (
    link_rules,
    merchant_profiles,
    offers,
    policy_corrections,
    storefronts,
)

HOST = "taobao.example"
PLATFORMS = (HOST, "jd.example", "douyin.example")
MERCHANTS = ("m-a.example", "m-b.example", "jd-shop.example", "m_c.example")
TITLES = ("JD serum", "tea", "Serum 100%", "cream_x", "green tea")
NOW = datetime(2024, 10, 29, 12, 0, tzinfo=UTC)
TODAY = NOW.date()

merchant = st.tuples(
    st.sampled_from(MERCHANTS),
    st.one_of(st.none(), st.sampled_from(PLATFORMS)),  # home platform
    st.booleans(),  # self-operated
    st.lists(  # offers: (sku, title, category, price)
        st.tuples(
            st.sampled_from(("s1", "s2", "s3")),
            st.sampled_from(TITLES),
            st.sampled_from(("beauty", "tea")),
            st.integers(1, 500),
        ),
        max_size=3,
        unique_by=lambda offer: offer[0],
    ),
    st.one_of(st.none(), st.tuples(st.booleans(), st.integers(1, 500))),  # storefront
)
rule = st.fixed_dictionaries(
    {
        "source": st.sampled_from(("jd", "douyin", "m-a", "jd-shop")),
        "treatment": st.one_of(st.just("blocked"), st.sampled_from([t.value for t in Treatment])),
        "surfaces": st.one_of(st.none(), st.sampled_from((["search"], ["chat"]))),
        "scope": st.one_of(
            st.just({"kind": "all"}),
            st.just({"kind": "self_operated"}),
            st.sampled_from(MERCHANTS).map(lambda m: {"kind": "merchants", "merchant_ids": [m]}),
        ),
    }
)
question = st.fixed_dictionaries(
    {
        "q": st.one_of(st.just(""), st.sampled_from(("jd", "SERUM", "%", "_", "tea", "douyin"))),
        "category": st.one_of(st.none(), st.just("tea")),
        "min_price": st.one_of(st.none(), st.just(100)),
        "max_price": st.one_of(st.none(), st.just(300)),
        "surface": st.sampled_from(("search", "chat")),
        "limit": st.integers(1, 4),
    }
)


def allowed(
    world: list[Any], history: PolicyHistory, asked: dict[str, Any]
) -> list[tuple[str, str]]:
    """The model: what the host may show and the question asks, in (merchant, sku) order."""
    out = []
    for name, home, self_operated, items, storefront in world:
        for sku, title, category, price in items:
            listed = storefront is not None and storefront[0]
            shown_price = storefront[1] if listed else price
            q = asked["q"].lower()
            if q and not any(q in f.lower() for f in (title, name, home or "")):
                continue
            if asked["category"] and category != asked["category"]:
                continue
            if asked["min_price"] is not None and shown_price < asked["min_price"]:
                continue
            if asked["max_price"] is not None and shown_price > asked["max_price"]:
                continue
            source = alias(home or name)
            if not listed and source != alias(HOST):
                decision = history.decide(
                    source,
                    Surface(asked["surface"]),
                    TODAY,
                    # Only a merchant with a profile (a home platform) is known to be self-operated.
                    merchant_is_self_operated=self_operated and home is not None,
                    merchant_id=name,
                )
                if decision.treatment is Treatment.BLOCKED:
                    continue
            out.append((name, sku))
    return sorted(out)


async def _scenario(
    url: str, world: list[Any], rules: list[dict[str, Any]], asked: dict[str, Any]
) -> None:
    db = Database(url)
    try:
        async with db.transaction() as conn:
            for table in (offers, merchant_profiles, storefronts, link_rules, policy_corrections):
                await conn.execute(delete(table))
            for n, (name, home, self_operated, items, storefront) in enumerate(world):
                if home is not None:
                    await conn.execute(
                        insert(merchant_profiles).values(
                            subscriber_id=name,
                            home_platform=home,
                            self_operated=self_operated,
                            updated_at=NOW,
                        )
                    )
                for sku, title, category, price in items:
                    await conn.execute(
                        insert(offers).values(
                            merchant=name,
                            sku_id=sku,
                            title=title,
                            price=price,
                            stock=1,
                            category=category,
                            h5_url="https://shop.example/x",
                            created_at=NOW,
                            updated_at=NOW,
                        )
                    )
                if storefront is not None and items:
                    approved, price = storefront
                    await conn.execute(
                        insert(storefronts).values(
                            id=f"sf{n}",
                            merchant=name,
                            host=HOST,
                            status="approved" if approved else "requested",
                            catalog=json.dumps([{"sku_id": i[0], "price": price} for i in items]),
                            commission_bps=0,
                            reason="",
                            decided_by="host",
                            requested_at=NOW,
                        )
                    )
            for given_rule in rules:
                dated = given_rule | {"host": alias(HOST), "valid_from": TODAY.isoformat()}
                await declare_rule(conn, LinkRule.from_dict(dated), NOW)
        async with db.read() as conn:
            history = await policy_history(conn, HOST)
            pages: list[tuple[str, str]] = []
            cursor: str | None = None
            while True:
                search = Search.checked(**asked, cursor=cursor)
                page = await discovery.search(conn, HOST, search, TODAY)
                assert len(page.results) <= asked["limit"]
                pages += [(r.candidate.merchant, r.candidate.sku_id) for r in page.results]
                if page.next_cursor is None:
                    break
                cursor = page.next_cursor
        assert pages == allowed(world, history, asked)
    finally:
        await db.dispose()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    world=st.lists(merchant, max_size=4, unique_by=lambda m: m[0]),
    rules=st.lists(rule, max_size=4),
    asked=question,
)
def test_a_search_finds_exactly_what_the_hosts_declared_policy_lets_it_show(
    database_url: str, world: list[Any], rules: list[dict[str, Any]], asked: dict[str, Any]
) -> None:
    batch, discovery.BATCH = discovery.BATCH, 2  # pages fill across several reads
    try:
        asyncio.run(_scenario(url=database_url, world=world, rules=rules, asked=asked))
    finally:
        discovery.BATCH = batch
