"""What a resolution reads is cached, and a change still takes effect in time.

`GET /l/{code}` reads its placement and its host's link policies from the
declaration cache (`hutong.links.cached`). The promise shown here, over real
HTTP on SQLite and PostgreSQL: the switch process that writes a change (an
offer's targets, a merchant's home platform, a host's rules) answers with it
at once; a change written by another process shows within the cache's TTL
(0.8 s); and the placements in use are read again together, in one statement,
before they expire, instead of one statement per placement and TTL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, update

from hutong.commerce.store import set_profile, upsert_offers
from hutong.links import cached
from hutong.links.policy import Surface, Treatment
from hutong.store.cache import EVERYTHING, Declarations, declarations_at
from hutong.store.db import sync_url
from hutong.store.tables import offers
from tests.harness.links import TB_TEA, TEA_H5, Net, declare, link_rule, placed, resolve
from tests.harness.statements import recording_reads
from tests.harness.switch import Seconds

JSON = {"accept": "application/json"}
NEW_H5 = "https://h5.taobao.example/item/tea-1-v2"


@pytest.fixture
def cache(links_net: Net) -> Iterator[Declarations]:
    """The switch's declaration cache, on a hand-set clock (emptied before and after)."""
    found = declarations_at(links_net.switch.services.db.url)
    real = found.clock
    found.forget(EVERYTHING)  # entries stamped by the real clock
    found.clock = Seconds()
    yield found
    found.clock = real
    found.forget(EVERYTHING)


def at(cache: Declarations, seconds: float) -> None:
    clock = cache.clock
    assert isinstance(clock, Seconds)
    clock.now = seconds


def tea(h5_url: str) -> dict[str, Any]:
    return {
        "sku_id": "tea-1",
        "title": f"{TB_TEA} tea-1",
        "price": 4_900,
        "stock": 100,
        "category": "food",
        "h5_url": h5_url,
    }


async def location(net: Net, code: str) -> str:
    response = await resolve(net, code, host="wechat")
    assert response.status_code == 302, response.text
    return str(response.headers["location"])


async def test_the_switch_that_changes_an_offer_answers_with_it_at_once(
    links_net: Net, cache: Declarations
) -> None:
    code = (await placed(links_net, "wechat", "group_chat", TB_TEA, "tea-1"))["code"]
    assert await location(links_net, code) == TEA_H5

    services = links_net.switch.services
    async with services.db.transaction() as conn:
        stored = await upsert_offers(conn, TB_TEA, [tea(NEW_H5)], services.clock())
    assert [item.result for item in stored] == ["ok"]

    assert await location(links_net, code) == NEW_H5  # the clock has not moved


async def test_a_stock_push_keeps_the_placements_cached(
    links_net: Net, cache: Declarations
) -> None:
    # A placement shows its offer's title, price and targets, never its stock:
    # the merchant's most frequent change must not empty the resolver's cache.
    code = (await placed(links_net, "wechat", "group_chat", TB_TEA, "tea-1"))["code"]
    assert await location(links_net, code) == TEA_H5
    services = links_net.switch.services

    with recording_reads(services.db) as reads:
        async with services.db.transaction() as conn:
            restocked = tea(TEA_H5) | {"stock": 7}
            stored = await upsert_offers(conn, TB_TEA, [restocked], services.clock())
        assert [item.result for item in stored] == ["ok"]
        assert await location(links_net, code) == TEA_H5

    assert [r for r in reads if "FROM placements" in r.statement] == []


async def test_the_switch_that_moves_a_merchant_answers_with_its_new_home_at_once(
    links_net: Net, cache: Declarations
) -> None:
    await links_net.client(TB_TEA, ("merchant",))
    await links_net.client("jd")
    code = (await placed(links_net, "wechat", "group_chat", TB_TEA, "tea-1"))["code"]
    before = await resolve(links_net, code, host="wechat", headers=JSON)
    assert before.json()["source"] == "taobao"

    services = links_net.switch.services
    async with services.db.transaction() as conn:
        await set_profile(
            conn, TB_TEA, home_platform="jd.example", self_operated=False, now=services.clock()
        )

    after = await resolve(links_net, code, host="wechat", headers=JSON)
    assert after.json()["source"] == "jd"


async def test_a_host_s_rule_decides_its_links_as_soon_as_it_is_declared(
    links_net: Net, cache: Declarations
) -> None:
    code = (await placed(links_net, "wechat", "group_chat", TB_TEA, "tea-1"))["code"]
    assert await location(links_net, code) == TEA_H5
    today = links_net.clock().date()
    await declare(
        links_net,
        link_rule("wechat", "taobao", Treatment.BLOCKED, today, surfaces={Surface.GROUP_CHAT}),
    )

    blocked = await resolve(links_net, code, host="wechat", headers=JSON)
    assert (blocked.status_code, blocked.json()["error"]["code"]) == (403, "link_blocked")


async def test_an_offer_changed_by_another_process_shows_within_the_ttl(
    links_net: Net, cache: Declarations
) -> None:
    code = (await placed(links_net, "wechat", "group_chat", TB_TEA, "tea-1"))["code"]
    assert await location(links_net, code) == TEA_H5  # read at 0.0
    engine = create_engine(sync_url(links_net.switch.services.db.url))
    try:
        with engine.begin() as conn:  # another process: nothing here hears of it
            conn.execute(
                update(offers)
                .where(offers.c.merchant == TB_TEA, offers.c.sku_id == "tea-1")
                .values(h5_url=NEW_H5)
            )
    finally:
        engine.dispose()

    at(cache, 0.79)
    assert await location(links_net, code) == TEA_H5  # the cached view, still in its TTL
    await asyncio.sleep(0.05)  # a read ahead of expiry, if one was started, runs
    at(cache, 0.8)
    assert await location(links_net, code) == NEW_H5


async def test_placements_in_use_are_read_again_together_before_they_expire(
    links_net: Net, cache: Declarations, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Long enough for the four requests of a moment to join one read on a busy machine.
    monkeypatch.setattr(cached, "GATHER_SECONDS", 0.3)
    codes = [
        (await placed(links_net, "wechat", surface, TB_TEA, "tea-1"))["code"]
        for surface in ("group_chat", "chat", "search", "live_cart")
    ]
    for code in codes:  # each read on its own, at 0.0
        assert await location(links_net, code) == TEA_H5

    with recording_reads(links_net.switch.services.db) as reads:
        for moment in (0.3, 0.6, 0.9, 1.2, 1.5, 1.8):
            at(cache, moment)
            for code in codes:
                assert await location(links_net, code) == TEA_H5
            await asyncio.sleep(0.4)  # the read ahead the requests listed them for runs

    placement_reads = [r for r in reads if "FROM placements" in r.statement]
    # Read again at 0.6, 1.2 and 1.8 (each time half a TTL old), all four in one
    # statement: never one statement per placement as each expires (0.9, 1.7).
    assert len(placement_reads) == 3
    for read in placement_reads:
        assert all(code in str(read.parameters) for code in codes), read


async def test_a_read_of_many_keys_is_not_kept_if_a_drop_came_while_it_ran() -> None:
    cache = Declarations(ttl=0.8, clock=Seconds())
    mark = cache.read_begins()
    cache.forget(("link_placement", "a"))  # a write commits while the read runs

    assert not cache.keep(mark, {("link_placement", "a"): "old"})
    assert cache.age(("link_placement", "a")) is None


async def test_a_read_of_many_keys_serves_from_its_start_and_never_replaces_a_newer_one() -> None:
    clock = Seconds()
    cache = Declarations(ttl=0.8, clock=clock)
    mark = cache.read_begins()  # at 0.0
    clock.now = 0.3
    assert cache.keep(cache.read_begins(), {("k", "b"): "newer"})

    assert cache.keep(mark, {("k", "a"): "a", ("k", "b"): "older"})

    async def unread() -> str:
        raise AssertionError("served from the cache")

    assert await cache.get(("k", "b"), unread) == "newer"
    clock.now = 0.79
    assert await cache.get(("k", "a"), unread) == "a"
    clock.now = 0.8  # the TTL counts from the read's start, not from when it was kept

    async def again() -> str:
        return "read again"

    assert await cache.get(("k", "a"), again) == "read again"


async def test_a_code_no_one_could_have_been_given_is_read_nowhere_and_kept_nowhere(
    links_net: Net, cache: Declarations
) -> None:
    # Codes are 8 letters of the share-code alphabet; a scanner's long or odd
    # codes must not fill the cache the signed path shares (participants, keys).
    odd = ["x" * 200, "abc", "0000oooo", "tea-1-v2"]
    with recording_reads(links_net.switch.services.db) as reads:
        for code in odd:
            response = await resolve(links_net, code, host="wechat")
            assert response.status_code == 404, response.text
    assert [r for r in reads if "FROM placements" in r.statement] == []
    assert len(cache) == 0

    # One of the right shape that names nothing is read once, then known absent.
    with recording_reads(links_net.switch.services.db) as reads:
        for _ in range(3):
            assert (await resolve(links_net, "2345679a", host="wechat")).status_code == 404
    assert len([r for r in reads if "FROM placements" in r.statement]) == 1
