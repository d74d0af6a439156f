"""Properties of a session's report: the platforms partition the total, to the fen."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hutong.commerce.commissions import OrderSplit, reverse_split
from hutong.commerce.livestreams.report import SessionOrder, sales_report

BROADCASTER = "tmall.example"


@st.composite
def session_orders(draw: st.DrawFn) -> SessionOrder:
    paid = draw(st.sampled_from([0, draw(st.integers(1, 10**9))]))
    creator_part = draw(st.integers(0, paid // 5))
    split = OrderSplit(merchant=paid - creator_part, creator_commission=creator_part)
    completed = paid > 0 and draw(st.booleans())
    refunds = draw(st.lists(st.integers(1, max(paid, 1)), max_size=3))
    refunded = after_split = 0
    for refund in refunds:
        refund = min(refund, paid - refunded)
        refunded += refund
        after_split += refund if completed else 0
    return SessionOrder(
        merchant_platform=draw(st.sampled_from(["tmall.example", "jd.example", "taobao.example"])),
        paid=paid,
        refunded=refunded,
        creator=draw(st.sampled_from([BROADCASTER, "someone.example", ""])),
        split=split if completed else None,
        refunded_after_split=after_split,
    )


@given(st.lists(session_orders(), max_size=12))
def test_the_home_platforms_add_up_to_the_total_and_commission_is_what_refunds_left(
    orders: list[SessionOrder],
) -> None:
    report = sales_report(orders, BROADCASTER).to_dict()
    total = report["total"]
    lines = report["by_home_platform"]
    assert isinstance(total, dict) and isinstance(lines, dict)
    for field in total:
        assert total[field] == sum(line[field] for line in lines.values())
    assert total["net"] == total["gmv"] - total["refunds"]
    kept = 0
    for order in orders:
        if order.split is not None and order.creator == BROADCASTER:
            given_back = reverse_split(order.split, 0, order.refunded_after_split)
            kept += order.split.creator_commission - given_back.creator_commission
    assert total["broadcaster_commission"] == kept
    assert total["orders"] == sum(1 for o in orders if o.paid)
