"""Offers: the rules of one item (pure) and the bulk upsert over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from hutong.client import encode_json
from hutong.commerce.offers import OfferIn, is_integer, validate_offer
from hutong.protocol.envelope import request_envelope
from tests.harness.assertions import assert_nack
from tests.harness.cast import MARKET_MERCHANT as MERCHANT
from tests.harness.commerce import ask, events, offer, publish
from tests.harness.networks import Market

# -- one item (pure) ----------------------------------------------------------------


def codes(item: object) -> list[str]:
    return [p.code for p in validate_offer(item)]


def test_a_complete_offer_with_every_target_is_valid() -> None:
    item = offer(
        "sku-1",
        deep_link="openapp.jdmobile://virtual?params=%7B%22sku%22%3A1%7D",
        mini_program_app_id="wx91d27dbf599dff74",
        mini_program_path="pages/item/detail/detail?sku=1",
    )
    assert codes(item) == []
    parsed = OfferIn.from_item(item)
    assert parsed.price == 19900
    assert parsed.mini_program_app_id == "wx91d27dbf599dff74"


def test_optional_targets_may_be_left_out_or_null() -> None:
    assert codes(offer("sku-1", deep_link=None)) == []
    item = offer("sku-1") | {"deep_link": None, "mini_program_app_id": None}
    assert codes(item | {"mini_program_path": None}) == []


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("sku_id", "has space", "invalid_sku_id"),
        ("sku_id", "", "invalid_sku_id"),
        ("sku_id", "-leading-dash", "invalid_sku_id"),
        ("sku_id", "x" * 129, "invalid_sku_id"),
        ("sku_id", 12345, "invalid_sku_id"),
        ("title", "", "invalid_title"),
        ("title", "   ", "invalid_title"),
        ("title", "t" * 513, "invalid_title"),
        ("price", True, "invalid_price"),
        ("price", 100.0, "invalid_price"),
        ("price", "100", "invalid_price"),
        ("price", 0, "invalid_price"),
        ("price", -1, "invalid_price"),
        ("price", 2**63, "invalid_price"),
        ("price", None, "invalid_price"),
        ("stock", -1, "invalid_stock"),
        ("stock", False, "invalid_stock"),
        ("stock", 1.5, "invalid_stock"),
        ("category", "", "invalid_category"),
        ("category", ["beauty"], "invalid_category"),
        ("h5_url", "ftp://item.example/1", "invalid_h5_url"),
        ("h5_url", "/item/1.html", "invalid_h5_url"),
        ("h5_url", "https://", "invalid_h5_url"),
        ("deep_link", "", "invalid_deep_link"),
        ("deep_link", "no-scheme-here", "invalid_deep_link"),
        ("deep_link", "taobao:", "invalid_deep_link"),
        ("deep_link", "javascript:alert(1)", "invalid_deep_link"),
        ("deep_link", "taobao://item?id=1 2", "invalid_deep_link"),
        ("mini_program_app_id", "wx91d27dbf599dff74", "invalid_mini_program"),
        ("mini_program_path", "pages/item/detail", "invalid_mini_program"),
        ("colour", "red", "unknown_field"),
    ],
)
def test_each_rule_has_its_own_code(field: str, value: Any, code: str) -> None:
    item = offer("sku-1") | {field: value}
    assert codes(item) == [code]


def test_a_zero_stock_is_a_valid_sold_out_offer() -> None:
    assert codes(offer("sku-1", stock=0)) == []


def test_a_mini_program_target_needs_a_well_formed_app_id_and_path() -> None:
    bad_id = offer("sku-1", mini_program_app_id="wx 1", mini_program_path="pages/a")
    bad_path = offer("sku-1", mini_program_app_id="wx1", mini_program_path="")
    assert codes(bad_id) == ["invalid_mini_program"]
    assert codes(bad_path) == ["invalid_mini_program"]


def test_every_problem_of_an_item_is_listed() -> None:
    item = {"sku_id": "ok-1", "title": "", "price": "1", "stock": -2, "h5_url": "x"}
    assert codes(item) == [
        "invalid_title",
        "invalid_price",
        "invalid_stock",
        "invalid_category",
        "invalid_h5_url",
    ]
    assert codes(["not", "an", "object"]) == ["invalid_item"]


def test_bool_is_not_an_integer_here() -> None:
    assert is_integer(1) and not is_integer(True) and not is_integer(1.0)
    with pytest.raises(ValueError, match="price"):
        OfferIn.from_item(offer("sku-1", price=True))


# -- bulk upsert over HTTP ----------------------------------------------------------


async def test_good_items_are_stored_and_bad_ones_are_not(market: Market) -> None:
    response = await market.merchant.post(
        "/v1/offers",
        {
            "offers": [
                offer("sku-1"),
                offer("sku-2", price="19900"),
                offer("sku-3", stock=-1, h5_url="taobao://x"),
                offer("sku-4", mini_program_app_id="wx1"),
                offer("sku-1", title="again"),
                offer("sku-5", price=1, stock=0, category="snacks"),
            ]
        },
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is False
    assert [(r["sku_id"], r["result"]) for r in body["results"]] == [
        ("sku-1", "ok"),
        ("sku-2", "invalid_price"),
        ("sku-3", "invalid_stock"),
        ("sku-4", "invalid_mini_program"),
        ("sku-1", "duplicate_sku"),
        ("sku-5", "ok"),
    ]
    assert "h5_url" in body["results"][2]["message"]
    assert "message" not in body["results"][0]
    listed = (await market.merchant.get("/v1/offers")).json()
    assert [(o["sku_id"], o["title"], o["price"], o["stock"]) for o in listed] == [
        ("sku-1", "Serum sku-1", 19900, 10),
        ("sku-5", "Serum sku-5", 1, 0),
    ]


async def test_an_upsert_replaces_an_offer_and_reports_what_did_not_change(
    market: Market,
) -> None:
    await publish(market.merchant, offer("sku-1", deep_link="jd://item/1"), offer("sku-2"))

    again = await publish(
        market.merchant, offer("sku-1", deep_link="jd://item/1"), offer("sku-2", title="New")
    )
    assert again.json() == {
        "results": [
            {"sku_id": "sku-1", "result": "unchanged"},
            {"sku_id": "sku-2", "result": "ok"},
        ],
        "ok": True,
    }
    # Leaving an optional field out of an upsert removes it.
    await publish(market.merchant, offer("sku-1"))
    listed = {o["sku_id"]: o for o in (await market.merchant.get("/v1/offers")).json()}
    assert listed["sku-1"]["deep_link"] is None
    assert listed["sku-2"]["title"] == "New"


async def test_offers_are_listed_a_page_at_a_time(market: Market) -> None:
    await publish(market.merchant, *(offer(f"sku-{n}") for n in range(5)))
    first = (await market.merchant.get("/v1/offers?limit=2")).json()
    rest = (await market.merchant.get(f"/v1/offers?after={first[-1]['sku_id']}")).json()
    assert [o["sku_id"] for o in first + rest] == [f"sku-{n}" for n in range(5)]


async def test_a_stock_change_is_an_event_for_the_merchant_and_hosts_carrying_the_sku(
    market: Market,
) -> None:
    switch = market.switch
    await publish(market.merchant, offer("sku-1"), offer("sku-2"))
    # douyin carries sku-1 (approved); kuaishou carries only sku-2 (approved);
    # wechat was asked for sku-1 but has not decided.
    on_douyin = (await ask(market.merchant, "douyin.example", {"sku-1": 18900})).json()
    on_kuaishou = (await ask(market.merchant, "kuaishou.example", {"sku-2": 100})).json()
    await ask(market.merchant, "wechat.example", {"sku-1": 19900})
    await market.douyin.post(f"/v1/storefronts/{on_douyin['id']}/approve", {})
    await market.kuaishou.post(f"/v1/storefronts/{on_kuaishou['id']}/approve", {})
    first_stock = await events(switch, MERCHANT, "on_stock")
    assert first_stock == [
        {
            "merchant": MERCHANT,
            "items": [
                {"sku_id": "sku-1", "stock": 10, "previous_stock": None},
                {"sku_id": "sku-2", "stock": 10, "previous_stock": None},
            ],
        }
    ]

    await publish(market.merchant, offer("sku-1", stock=3), offer("sku-2"))

    change = {
        "merchant": MERCHANT,
        "items": [{"sku_id": "sku-1", "stock": 3, "previous_stock": 10}],
    }
    assert (await events(switch, MERCHANT, "on_stock"))[1:] == [change]
    assert await events(switch, "douyin.example", "on_stock") == [change]
    assert await events(switch, "kuaishou.example", "on_stock") == []
    assert await events(switch, "wechat.example", "on_stock") == []


async def test_unchanged_stock_emits_nothing(market: Market) -> None:
    await publish(market.merchant, offer("sku-1"))
    before = await events(market.switch, MERCHANT, "on_stock")

    await publish(market.merchant, offer("sku-1"))
    await publish(market.merchant, offer("sku-1", title="Same stock, new title", price=1))

    assert await events(market.switch, MERCHANT, "on_stock") == before
    assert len(before) == 1


async def test_a_retried_upsert_is_answered_again_without_a_second_effect(market: Market) -> None:
    body = encode_json(request_envelope({"offers": [offer("sku-1")]}, message_id="offers-1"))
    first = await market.merchant.send("POST", "/v1/offers", body)
    second = await market.merchant.send("POST", "/v1/offers", body)

    assert (
        first.json()
        == second.json()
        == {"results": [{"sku_id": "sku-1", "result": "ok"}], "ok": True}
    )
    assert second.headers["x-hutong-replay"] == "true"
    assert len(await events(market.switch, MERCHANT, "on_stock")) == 1


async def test_only_a_merchant_publishes_or_lists_offers(market: Market) -> None:
    refused = await market.douyin.post("/v1/offers", {"offers": [offer("sku-1")]})
    assert_nack(refused, 403, "wrong_role")
    assert_nack(await market.creator.get("/v1/offers"), 403, "wrong_role")
    assert (await market.merchant.get("/v1/offers")).json() == []
    assert await events(market.switch, "douyin.example", "on_stock") == []


async def test_a_call_with_too_many_offers_is_refused_whole(market: Market) -> None:
    response = await market.merchant.post(
        "/v1/offers", {"offers": [offer(f"sku-{n}") for n in range(1001)]}
    )
    assert_nack(response, 422, "batch_too_large")
    assert_nack(await market.merchant.post("/v1/offers", {"items": []}), 422, "invalid_request")
