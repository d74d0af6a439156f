"""Livestream sessions across platforms over real HTTP (issue 18 §2).

A Kuaishou streamer goes live in Kuaishou's live room with Tea House's tea
(a Taobao merchant) and JD Beauty's serum (a JD merchant) in the cart. Orders
from the cart carry the session through their placement; the report sums
them by the merchant's home platform, exactly, refunds included.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest

from hutong.commerce.commissions import creator_commission_account
from hutong.commerce.livestreams import REFUSALS, SessionEvent, SessionState
from hutong.events.outbox import list_events
from tests.harness.assertions import assert_nack
from tests.harness.cast import (
    AUDITOR,
    JD,
    JD_BEAUTY,
    KUAISHOU,
    STREAMER,
    TAOBAO,
    TEA_HOUSE,
    WECHATPAY,
)
from tests.harness.shop import PRICES, SERUM, TEA, Shop, tea_order
from tests.harness.switch import Clock, row_counts


async def only_the_answer_is_kept(shop: Shop, response: Any, status: int, code: str) -> None:
    """`response` (awaited here) is this NACK, and only its message's answer was written."""
    before = await row_counts(shop.switch.services)
    assert_nack(await response, status, code)
    after = await row_counts(shop.switch.services)
    changed = {t: n - before[t] for t, n in after.items() if n != before[t]}
    assert changed in ({}, {"messages": 1}), changed


async def scheduled(shop: Shop, clock: Clock, **changes: Any) -> dict[str, Any]:
    message = {
        "broadcaster": STREAMER,
        "title": "Double 11 tea night",
        "starts_at": (clock.now + timedelta(minutes=5)).isoformat(),
        "ends_at": (clock.now + timedelta(hours=2)).isoformat(),
    } | changes
    response = await shop.post(KUAISHOU, "/v1/livestreams", message)
    assert response.status_code == 201, response.text
    session: dict[str, Any] = response.json()["session"]
    return session


async def in_cart(shop: Shop, session_id: str, merchant: str, sku_id: str) -> str:
    response = await shop.post(
        KUAISHOU, f"/v1/livestreams/{session_id}/cart", {"merchant": merchant, "sku_id": sku_id}
    )
    assert response.status_code == 200, response.text
    placement: dict[str, Any] = response.json()["placement"]
    assert (placement["surface"], placement["host"]) == ("live_cart", KUAISHOU)
    return str(placement["id"])


async def step(shop: Shop, session_id: str, action: str, **message: Any) -> httpx.Response:
    return await shop.post(KUAISHOU, f"/v1/livestreams/{session_id}/{action}", message)


def serum_order(placement_id: str) -> dict[str, Any]:
    return tea_order(
        placement_id,
        merchant=JD_BEAUTY,
        lines=[{"sku_id": SERUM, "quantity": 1, "unit_price": PRICES[SERUM]}],
        wallet=WECHATPAY,
    )


async def report(shop: Shop, session_id: str, reader: str = KUAISHOU) -> dict[str, Any]:
    response = await shop.get(reader, f"/v1/livestreams/{session_id}/report")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# -- the state table ----------------------------------------------------------------------------


def test_every_move_the_state_table_does_not_allow_has_its_refusal_code() -> None:
    assert REFUSALS[(SessionState.SCHEDULED, SessionEvent.TAKE_ORDER)] == "session_not_live"
    assert REFUSALS[(SessionState.SCHEDULED, SessionEvent.REPORT_VIEWERS)] == "session_not_live"
    assert REFUSALS[(SessionState.LIVE, SessionEvent.START)] == "already_live"
    assert {REFUSALS[(SessionState.ENDED, e)] for e in SessionEvent} == {"session_ended"}
    assert len(REFUSALS) == 3 * len(SessionEvent) - 7


# -- a session end to end -----------------------------------------------------------------------


async def test_a_session_sells_from_its_cart_only_while_live_and_reports_by_home_platform(
    shop: Shop, clock: Clock
) -> None:
    session = await scheduled(shop, clock)
    assert (session["state"], session["broadcaster_kind"]) == ("scheduled", "creator")
    sid = session["id"]
    tea = await in_cart(shop, sid, TEA_HOUSE, TEA)
    serum = await in_cart(shop, sid, JD_BEAUTY, SERUM)

    await only_the_answer_is_kept(shop, shop.order(**tea_order(tea)), 409, "session_not_live")
    assert shop.stock(TAOBAO, TEA_HOUSE, TEA) == 20  # nothing reserved

    assert (await step(shop, sid, "start")).json()["session"]["state"] == "live"
    assert (await step(shop, sid, "viewers", viewers=800, views=1_000)).status_code == 200
    assert (await step(shop, sid, "viewers", viewers=300, views=1_300)).status_code == 200
    tea_sale = await shop.paid(**tea_order(tea))
    serum_sale = await shop.paid(**serum_order(serum))
    assert (tea_sale["creator"], tea_sale["placement_id"]) == (STREAMER, tea)
    # The order's own view names its session: no second call to find it.
    assert (await shop.show(tea_sale["id"], reader=KUAISHOU))["session_id"] == sid
    assert (await shop.show(serum_sale["id"], reader=JD_BEAUTY))["session_id"] == sid
    await shop.act(JD_BEAUTY, serum_sale["id"], "cancel")  # refunds everything paid

    assert (await step(shop, sid, "end")).json()["session"]["state"] == "ended"
    await only_the_answer_is_kept(shop, shop.order(**tea_order(tea)), 409, "session_ended")

    body = await report(shop, sid)
    assert body["viewers"] == {"peak": 800, "views": 1_300}
    assert body["by_home_platform"] == {
        JD: {
            "orders": 1,
            "gmv": PRICES[SERUM],
            "refunds": PRICES[SERUM],
            "net": 0,
            "broadcaster_commission": 0,
        },
        TAOBAO: {
            "orders": 1,
            "gmv": 3 * PRICES[TEA],
            "refunds": 0,
            "net": 3 * PRICES[TEA],
            "broadcaster_commission": 0,  # paid, not yet completed
        },
    }
    assert body["total"]["gmv"] == 3 * PRICES[TEA] + PRICES[SERUM]
    cart = (await shop.get(STREAMER, f"/v1/livestreams/{sid}")).json()["cart"]
    assert [p["id"] for p in cart] == [tea, serum]


async def test_the_broadcasters_commission_in_the_report_is_what_the_ledger_paid_after_refunds(
    shop: Shop, clock: Clock
) -> None:
    sid = (await scheduled(shop, clock))["id"]
    tea = await in_cart(shop, sid, TEA_HOUSE, TEA)
    await step(shop, sid, "start")
    first = await shop.completed(clock.now, **tea_order(tea))
    second = await shop.completed(clock.now, **tea_order(tea, buyer="b-3"))
    await shop.act(KUAISHOU, second["id"], "refund-request", amounts={TEA: 3_333})
    await shop.act(TEA_HOUSE, second["id"], "refunds", refund_id="r-1")
    await step(shop, sid, "end")

    total = (await report(shop, sid))["total"]
    paid_out = await shop.balance(creator_commission_account(STREAMER))
    assert total["broadcaster_commission"] == paid_out
    earned = first["split"]["creator_commission"] + second["split"]["creator_commission"]
    assert 0 < earned - paid_out < second["split"]["creator_commission"]  # a share came back
    assert (total["orders"], total["gmv"], total["refunds"]) == (2, 6 * PRICES[TEA], 3_333)


async def test_an_order_through_a_placement_in_no_session_is_not_concerned(shop: Shop) -> None:
    # The streamer's standing live-cart placement belongs to no session.
    order = await shop.placed(**tea_order(shop.placement))
    assert order["state"] == "reserved"
    shown = await shop.show(order["id"], reader=KUAISHOU)
    assert (shown["session_id"], shown["coupon"]) == (None, None)


# -- refusals -----------------------------------------------------------------------------------


async def test_each_refusal_of_a_session_step_leaves_nothing_held(shop: Shop, clock: Clock) -> None:
    await only_the_answer_is_kept(
        shop,
        shop.post(
            KUAISHOU,
            "/v1/livestreams",
            {
                "broadcaster": STREAMER,
                "title": "x",
                "starts_at": clock.now.isoformat(),
                "ends_at": (clock.now - timedelta(hours=1)).isoformat(),
            },
        ),
        422,
        "invalid_schedule",
    )
    await only_the_answer_is_kept(
        shop,
        shop.post(
            KUAISHOU,
            "/v1/livestreams",
            {
                "broadcaster": "nobody.example",
                "title": "x",
                "starts_at": clock.now.isoformat(),
                "ends_at": (clock.now + timedelta(hours=1)).isoformat(),
            },
        ),
        422,
        "invalid_broadcaster",
    )
    await only_the_answer_is_kept(
        shop,
        shop.post(STREAMER, "/v1/livestreams", {"broadcaster": STREAMER}),
        403,
        "wrong_role",
    )
    sid = (await scheduled(shop, clock))["id"]
    await only_the_answer_is_kept(
        shop, step(shop, sid, "viewers", viewers=1, views=1), 409, "session_not_live"
    )
    await only_the_answer_is_kept(
        shop, shop.post(TAOBAO, f"/v1/livestreams/{sid}/start", {}), 403, "not_your_session"
    )
    await only_the_answer_is_kept(
        shop, step(shop, sid, "cart", merchant=TEA_HOUSE, sku_id="nope"), 422, "no_such_offer"
    )
    await only_the_answer_is_kept(shop, step(shop, "live-none", "start"), 404, "unknown_session")
    await step(shop, sid, "start")
    await only_the_answer_is_kept(shop, step(shop, sid, "start"), 409, "already_live")
    await step(shop, sid, "viewers", viewers=10, views=100)
    await only_the_answer_is_kept(
        shop, step(shop, sid, "viewers", viewers=10, views=99), 422, "views_went_back"
    )
    await only_the_answer_is_kept(
        shop, step(shop, sid, "viewers", viewers=200, views=150), 422, "invalid_viewers"
    )
    await step(shop, sid, "end")
    await only_the_answer_is_kept(
        shop, step(shop, sid, "cart", merchant=TEA_HOUSE, sku_id=TEA), 409, "session_ended"
    )
    await only_the_answer_is_kept(shop, step(shop, sid, "end"), 409, "session_ended")
    assert_nack(await shop.get(TEA_HOUSE, f"/v1/livestreams/{sid}"), 403, "not_your_session")
    assert (await shop.get(AUDITOR, f"/v1/livestreams/{sid}/report")).status_code == 200


async def test_a_cart_place_the_hosts_own_policy_blocks_is_refused_and_not_bound(
    shop: Shop, clock: Clock
) -> None:
    today = clock.now.date().isoformat()
    rule = {"source": "taobao", "surfaces": ["live_cart"], "treatment": "blocked"}
    declared = await shop.post(KUAISHOU, "/v1/link-policies", rule | {"valid_from": today})
    assert declared.status_code == 200, declared.text
    sid = (await scheduled(shop, clock))["id"]

    await only_the_answer_is_kept(
        shop, step(shop, sid, "cart", merchant=TEA_HOUSE, sku_id=TEA), 409, "blocked_by_host_policy"
    )
    cart = (await shop.get(KUAISHOU, f"/v1/livestreams/{sid}")).json()["cart"]
    assert cart == []


@pytest.mark.parametrize("kind", ["official_account", "merchant"])
async def test_who_a_cart_place_is_attributed_to_follows_the_broadcaster(
    shop: Shop, clock: Clock, kind: str
) -> None:
    broadcaster = TAOBAO if kind == "official_account" else TEA_HOUSE
    session = await scheduled(shop, clock, broadcaster=broadcaster)
    assert session["broadcaster_kind"] == kind
    response = await step(shop, session["id"], "cart", merchant=TEA_HOUSE, sku_id=TEA)
    placed_by = response.json()["placement"]["placed_by"]
    # An official account earns the creator commission; a merchant on its own air does not.
    assert placed_by == (TAOBAO if kind == "official_account" else KUAISHOU)


# -- ending a session races its cart's orders ---------------------------------------------------


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_no_order_is_taken_after_the_sessions_end_is_committed(
    shop: Shop, clock: Clock
) -> None:
    """Orders from the cart sent with the session's end: each is taken before the end or refused.

    The order's write checks the session under its row lock (the end takes the
    same lock), so an order whose merchant was still being asked when the end
    committed is refused ``session_ended`` and kept cancelled. The outbox tells
    the order of commits: every taken order's event comes before the end's.
    """
    sid = (await scheduled(shop, clock))["id"]
    tea = await in_cart(shop, sid, TEA_HOUSE, TEA)
    await step(shop, sid, "start")
    # One tea each: all eight fit in the stock (20), so a refusal can only be the end's.
    one_tea = [{"sku_id": TEA, "quantity": 1, "unit_price": PRICES[TEA]}]
    sent = [shop.order(**tea_order(tea, buyer=f"b-race-{i}", lines=one_tea)) for i in range(8)]

    *answers, ended = await asyncio.gather(*sent, step(shop, sid, "end"))

    assert ended.status_code == 200, ended.text
    taken = {r.json()["order"]["id"] for r in answers if r.status_code == 201}
    for refused in (r for r in answers if r.status_code != 201):
        # Refused at the door, or kept cancelled when the end came during its write.
        assert_nack(refused, 409, "session_ended", extra=set(refused.json()) & {"order"})
    async with shop.switch.services.db.read() as conn:
        events = await list_events(conn, limit=10_000)
    end_at = min(
        e.id
        for e in events
        if e.action == "on_livestream" and e.message["session"]["state"] == "ended"
    )
    reserved = {
        e.transaction_id: e.id
        for e in events
        if e.action == "on_order" and e.message["order"]["state"] == "reserved"
    }
    assert set(reserved) == taken
    assert all(at < end_at for at in reserved.values()), (reserved, end_at)
