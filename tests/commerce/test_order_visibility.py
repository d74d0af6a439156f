"""Who sees what of an order (`hutong.commerce.orders.visibility`): the read routes, the
step answers and the ``on_order`` events follow one rule.

The buyer's destination (address, phone, pickup point) is for the host, the
merchant and the carrier; the merchant's platform, the wallet, the creator
and auditors see the order without it.
"""

from __future__ import annotations

from typing import Any

import pytest

from hutong.commerce.orders.details import OWN_VIEW_FIELDS
from hutong.commerce.orders.visibility import RESTRICTED, Viewer, sees
from tests.harness.cast import ALIPAY, AUDITOR, DOUYIN, JD, JD_BEAUTY, JDL, STREAMER
from tests.harness.shop import HANGZHOU, Shop, tea_order

#: Every role of the shop's order, and whether it sees the destination.
ROLES = [
    (DOUYIN, "host", True),
    (JD, "merchant_platform", False),
    (JD_BEAUTY, "merchant", True),
    (ALIPAY, "wallet", False),
    (JDL, "carrier", True),
    (AUDITOR, "auditor", False),
]


async def listed(shop: Shop, reader: str, order_id: str) -> dict[str, Any]:
    response = await shop.get(reader, "/v1/orders")
    assert response.status_code == 200, response.text
    (order,) = [o for o in response.json()["orders"] if o["id"] == order_id]
    return order


async def events_to(shop: Shop, reader: str, order_id: str) -> list[dict[str, Any]]:
    await shop.deliver_events()
    return [
        e["message"]["order"]
        for e in shop.world.inbox(reader).events
        if e["context"]["action"] == "on_order" and e["message"]["order"]["id"] == order_id
    ]


@pytest.mark.parametrize(
    ("reader", "role", "sees_destination"), ROLES, ids=[r for _, r, _ in ROLES]
)
async def test_each_role_reads_the_order_as_the_rule_says(
    shop: Shop, reader: str, role: str, sees_destination: bool
) -> None:
    placed = await shop.placed()
    destination = placed["destination"]
    assert destination  # the host that placed it sees it

    shown = await shop.show(placed["id"], reader)
    in_list = await listed(shop, reader, placed["id"])
    # The order's own view adds its coupon and session (none here), for every reader alike.
    assert {field: shown.pop(field) for field in OWN_VIEW_FIELDS} == {
        "coupon": None,
        "session_id": None,
    }, role

    for order in (shown, in_list):
        assert order["destination"] == (destination if sees_destination else None), role
        # the rest of the order is the same for everyone
        assert order | {"destination": None} == placed | {"destination": None}, role


@pytest.mark.parametrize(
    ("reader", "role", "sees_destination"), ROLES, ids=[r for _, r, _ in ROLES]
)
async def test_events_show_each_role_what_the_read_route_shows(
    shop: Shop, reader: str, role: str, sees_destination: bool
) -> None:
    paid = await shop.paid()
    await shop.act(JD_BEAUTY, paid["id"], "ship", origin=HANGZHOU, weight_g=500)
    shown = await shop.show(paid["id"], reader)
    for order in await events_to(shop, reader, paid["id"]):
        assert order["destination"] == shown["destination"], role
        assert (order["destination"] is not None) is sees_destination, role


async def test_the_creator_sees_its_placements_orders_without_the_destination(shop: Shop) -> None:
    changes: dict[str, Any] = tea_order(shop.placement)
    placed = await shop.placed(**changes)
    assert placed["destination"]["address"]

    shown = await shop.show(placed["id"], STREAMER)

    assert shown["creator"] == STREAMER
    assert shown["destination"] is None


async def test_a_step_answers_the_merchant_platform_without_the_destination(shop: Shop) -> None:
    paid = await shop.paid()
    cancelled = await shop.act(JD, paid["id"], "cancel")
    assert cancelled["state"] == "cancelled"
    assert cancelled["destination"] is None


def test_the_rule_names_every_role_and_only_three_see_the_destination() -> None:
    assert {r for r in Viewer} >= RESTRICTED["destination"]
    seeing = {r for r in Viewer if sees(frozenset({r}), "destination")}
    assert seeing == {Viewer.HOST, Viewer.MERCHANT, Viewer.CARRIER}
    # a participant in two roles sees what either sees
    assert sees(frozenset({Viewer.WALLET, Viewer.MERCHANT}), "destination")
    assert sees(frozenset(), "state")
