"""Discovery across platforms over real HTTP (issue 18 §3).

In the shop, JD Beauty (a JD merchant) sells serum and cream, and has an
approved storefront inside Douyin; Tea House (a Taobao merchant) sells tea.
What a host's search finds is decided only by its declared policy.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from tests.harness.assertions import assert_nack
from tests.harness.cast import DOUYIN, JD, JD_BEAUTY, STREAMER, TAOBAO, TEA_HOUSE
from tests.harness.shop import CREAM, PRICES, SERUM, TEA, Shop
from tests.harness.switch import Clock

PATH = "/v1/discovery/offers"


async def search(shop: Shop, host: str, **query: Any) -> dict[str, Any]:
    response = await shop.get(host, f"{PATH}?{urlencode(query)}" if query else PATH)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def found(body: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(r["merchant"], r["sku_id"], r["via"]) for r in body["results"]]


async def declare(shop: Shop, host: str, clock: Clock, **rule: Any) -> None:
    today = clock.now.date().isoformat()
    response = await shop.post(host, "/v1/link-policies", rule | {"valid_from": today})
    assert response.status_code == 200, response.text


async def test_searching_jd_on_taobao_finds_jds_offers_exactly_while_taobaos_policy_shows_them(
    shop: Shop, clock: Clock
) -> None:
    before = await search(shop, TAOBAO, q="JD")
    assert found(before) == [(JD_BEAUTY, CREAM, "link"), (JD_BEAUTY, SERUM, "link")]
    serum = before["results"][1]
    assert (serum["home_platform"], serum["price"]) == (JD, PRICES[SERUM])
    assert (serum["treatment"], serum["basis"], serum["rule"]) == ("open", "undeclared", None)

    await declare(shop, TAOBAO, clock, source="jd", surfaces=["search"], treatment="blocked")
    assert found(await search(shop, TAOBAO, q="JD")) == []
    # The block is on the search surface only: a chat still shows them, as declared.
    assert len(found(await search(shop, TAOBAO, q="JD", surface="chat"))) == 2

    await declare(
        shop, TAOBAO, clock, source="jd", surfaces=["search"], treatment="share_code_only"
    )
    after = await search(shop, TAOBAO, q="jd")
    assert [(r["treatment"], r["basis"], r["rule"]) for r in after["results"]] == [
        ("share_code_only", "rule", "taobao#v2")
    ] * 2


async def test_a_storefront_inside_the_host_is_always_shown_at_its_price_and_own_merchants_too(
    shop: Shop, clock: Clock
) -> None:
    await declare(shop, DOUYIN, clock, source="jd", treatment="blocked")
    await declare(shop, DOUYIN, clock, source="taobao", treatment="blocked")
    assert found(await search(shop, DOUYIN)) == [
        (JD_BEAUTY, CREAM, "storefront"),
        (JD_BEAUTY, SERUM, "storefront"),
    ]
    assert found(await search(shop, TAOBAO, q="tea")) == [(TEA_HOUSE, TEA, "own")]


async def test_category_and_price_narrow_the_results(shop: Shop) -> None:
    assert found(await search(shop, TAOBAO, category="tea")) == [(TEA_HOUSE, TEA, "own")]
    cheap = await search(shop, TAOBAO, max_price=PRICES[CREAM])
    assert found(cheap) == [(JD_BEAUTY, CREAM, "link"), (TEA_HOUSE, TEA, "own")]
    exact = await search(shop, TAOBAO, min_price=PRICES[SERUM], max_price=PRICES[SERUM])
    assert found(exact) == [(JD_BEAUTY, SERUM, "link")]


async def test_pages_follow_the_cursor_and_add_up_to_one_search(shop: Shop) -> None:
    whole = found(await search(shop, TAOBAO))
    assert len(whole) == 3
    pages: list[tuple[str, str, str]] = []
    query: dict[str, Any] = {"limit": 1}
    while True:
        page = await search(shop, TAOBAO, **query)
        pages += found(page)
        if page["next_cursor"] is None:
            break
        query["cursor"] = page["next_cursor"]
    assert pages == whole


async def test_a_result_is_reported_as_an_impression_as_it_came(shop: Shop) -> None:
    page = await search(shop, TAOBAO, q="jd")
    items = [r["impression_item"] | {"position": n} for n, r in enumerate(page["results"], start=1)]
    shown = {
        "surface": page["surface"],
        "query": page["query"],
        "shown_at": page["searched_at"],
        "items": items,
    }
    response = await shop.post(TAOBAO, "/v1/impressions", {"lists": [shown]})
    assert response.status_code == 200, response.text
    assert response.json()["items"] == 2


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"limit": 0}, "invalid_limit"),
        ({"limit": 101}, "invalid_limit"),
        ({"min_price": 10, "max_price": 9}, "invalid_price_range"),
        ({"min_price": -1}, "invalid_price_range"),
        ({"cursor": "not-a-cursor"}, "invalid_cursor"),
        ({"surface": "billboard"}, "invalid_surface"),
        ({"q": "x" * 129}, "query_too_long"),
    ],
)
async def test_a_bad_question_is_refused_with_its_code(
    shop: Shop, query: dict[str, Any], code: str
) -> None:
    assert_nack(await shop.get(TAOBAO, f"{PATH}?{urlencode(query)}"), 422, code)


async def test_only_a_host_searches_and_its_signature_covers_the_question(shop: Shop) -> None:
    assert_nack(await shop.get(STREAMER, PATH), 403, "wrong_role")
    client = await shop.client(TAOBAO)
    headers = client.sign("GET", f"{PATH}?q=tea", b"")
    changed = await client.http.get(f"{shop.switch.url}{PATH}?q=jd", headers=headers)
    assert changed.status_code == 401, changed.text
    same = await client.http.get(f"{shop.switch.url}{PATH}?q=tea", headers=headers)
    assert same.status_code == 200, same.text
