"""Ranking impressions: a host reports the ranked lists it showed.

The switch fills each item's owner and home platform from its own records
(a placement it issued, or a merchant's published offer, and the merchant's
profile) and refuses the whole batch when any item is unknown or malformed:
nothing is written. Only a platform reports; a batch is exactly once by
message id; up to 1,000 lists go in one call.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hutong.client import encode_json
from hutong.protocol.envelope import request_envelope
from hutong.store.tables import impression_items, impression_lists
from tests.harness.assertions import assert_nack
from tests.harness.cast import AUDITOR, DOUYIN, JD, JD_BEAUTY, TAOBAO, TEA_HOUSE, ok
from tests.harness.commerce import offer, publish
from tests.harness.networks import Evidence

SHOWN_AT = "2024-05-01T08:00:00+00:00"


def shown(*items: dict[str, Any], surface: str = "search", query: str = "tea") -> dict[str, Any]:
    return {"surface": surface, "query": query, "shown_at": SHOWN_AT, "items": list(items)}


def item(position: int, **ref: Any) -> dict[str, Any]:
    return {"position": position, "sponsored": False, "labelled_ad": False} | ref


@pytest.fixture
async def catalog(evidence: Evidence) -> Evidence:
    await publish(evidence[TEA_HOUSE], offer("longjing", category="tea"))
    await publish(evidence[JD_BEAUTY], offer("serum"))
    return evidence


async def stored_items(evidence: Evidence) -> list[tuple[Any, ...]]:
    async with evidence.switch.services.db.read() as conn:
        rows = await conn.execute(
            select(
                impression_lists.c.host,
                impression_lists.c.surface,
                impression_items.c.position,
                impression_items.c.placement_id,
                impression_items.c.merchant,
                impression_items.c.sku_id,
                impression_items.c.home_platform,
                impression_items.c.sponsored,
                impression_items.c.rating,
                impression_items.c.reviews,
            )
            .join(impression_items, impression_items.c.list_id == impression_lists.c.id)
            .order_by(impression_items.c.position)
        )
        return [tuple(r) for r in rows.all()]


async def test_items_get_their_owner_and_home_platform_from_the_switch(catalog: Evidence) -> None:
    placement = await catalog.placement(TAOBAO, JD_BEAUTY, "serum")
    answer = await ok(
        await catalog.post(
            TAOBAO,
            "/v1/impressions",
            {
                "lists": [
                    shown(
                        item(1, merchant=TEA_HOUSE, sku_id="longjing", rating=4.8, reviews=1200),
                        item(2, placement_id=placement) | {"sponsored": True, "labelled_ad": True},
                    )
                ]
            },
        )
    )
    assert (answer["lists"], answer["items"], len(answer["list_ids"])) == (1, 2, 1)
    assert await stored_items(catalog) == [
        (TAOBAO, "search", 1, None, TEA_HOUSE, "longjing", TAOBAO, False, 4.8, 1200),
        (TAOBAO, "search", 2, placement, JD_BEAUTY, "serum", JD, True, None, None),
    ]


async def test_a_batch_of_a_thousand_lists_is_taken_in_one_call(catalog: Evidence) -> None:
    lists = [
        shown(*(item(p, merchant=TEA_HOUSE, sku_id="longjing") for p in (1, 2, 3)), query=f"q{n}")
        for n in range(1000)
    ]
    answer = await ok(await catalog.post(DOUYIN, "/v1/impressions", {"lists": lists}))
    assert (answer["lists"], answer["items"]) == (1000, 3000)
    assert (await catalog.evidence_rows())["impression_items"] == 3000


def _bad_batches(placement: str) -> list[tuple[dict[str, Any], str]]:
    good = item(1, merchant=TEA_HOUSE, sku_id="longjing")
    return [
        ({"lists": []}, "empty_batch"),
        ({"lists": [shown(good)] * 1001}, "batch_too_large"),
        (
            {"lists": [shown(good), shown(item(1, merchant=TEA_HOUSE, sku_id="oolong"))]},
            "unknown_item",
        ),
        ({"lists": [shown(item(1, placement_id="pl_nope"))]}, "unknown_item"),
        ({"lists": [shown(item(1, placement_id=placement))]}, "placement_of_another_host"),
        ({"lists": [shown(item(1, merchant=TEA_HOUSE))]}, "item_unidentified"),
        (
            {"lists": [shown(item(1, placement_id=placement, merchant=TEA_HOUSE, sku_id="x"))]},
            "item_unidentified",
        ),
        ({"lists": [shown(good, good)]}, "duplicate_position"),
        ({"lists": [shown(item(0, merchant=TEA_HOUSE, sku_id="longjing"))]}, "invalid_position"),
        ({"lists": [shown(good | {"rating": 5.5})]}, "invalid_rating"),
        ({"lists": [shown(good | {"reviews": -1})]}, "invalid_reviews"),
        ({"lists": [shown(good, surface="Search Page")]}, "invalid_surface"),
        ({"lists": [shown(good, query="q" * 513)]}, "query_too_long"),
        ({"lists": [shown()]}, "empty_list"),
        ({"lists": [shown(good) | {"shown_at": "2024-05-01T08:00:00"}]}, "invalid_shown_at"),
        ({"lists": [shown(good) | {"shown_at": "2999-01-01T00:00:00+00:00"}]}, "invalid_shown_at"),
        ({"lists": [shown(good | {"sponsored": "yes"})]}, "invalid_request"),
        ({"lists": [shown(good | {"colour": "red"})]}, "invalid_request"),
    ]


async def test_a_bad_batch_is_refused_whole_and_nothing_is_written(catalog: Evidence) -> None:
    elsewhere = await catalog.placement(JD, JD_BEAUTY, "serum")
    for batch, code in _bad_batches(elsewhere):
        before = await catalog.evidence_rows()
        response = await catalog.post(TAOBAO, "/v1/impressions", batch)
        assert_nack(response, 422, code, code)
        assert await catalog.evidence_rows() == before, code


async def test_only_a_platform_reports_impressions(catalog: Evidence) -> None:
    batch = {"lists": [shown(item(1, merchant=TEA_HOUSE, sku_id="longjing"))]}
    before = await catalog.evidence_rows()
    for sender in (TEA_HOUSE, AUDITOR):
        assert_nack(await catalog.post(sender, "/v1/impressions", batch), 403, "wrong_role")
    assert await catalog.evidence_rows() == before


async def test_a_resent_batch_is_recorded_once(catalog: Evidence) -> None:
    batch = {"lists": [shown(item(1, merchant=TEA_HOUSE, sku_id="longjing"))]}
    body = encode_json(request_envelope(batch, message_id="shown-1"))
    first = await catalog.send(TAOBAO, "POST", "/v1/impressions", body)
    again = await catalog.send(TAOBAO, "POST", "/v1/impressions", body)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and again.headers["x-hutong-replay"] == "true"
    assert (await catalog.evidence_rows())["impression_lists"] == 1
    other = await catalog.post(
        TAOBAO,
        "/v1/impressions",
        {"lists": [shown(item(1, merchant=TEA_HOUSE, sku_id="longjing"), query="green tea")]},
        message_id="shown-1",
    )
    assert_nack(other, 409, "message_id_conflict")
    assert (await catalog.evidence_rows())["impression_lists"] == 1
