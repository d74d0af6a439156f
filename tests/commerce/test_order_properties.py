"""Properties of orders: whatever happens, totals stay exact and money adds up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import event as note
from hypothesis import given, settings
from hypothesis import strategies as st

from hutong.commerce.offers import MAX_AMOUNT
from hutong.commerce.orders import (
    FINAL,
    REFUSALS,
    TRANSITIONS,
    Order,
    OrderEvent,
    OrderState,
)
from hutong.commerce.orders.lines import OrderError, OrderLine, line_total, order_total

S, E = OrderState, OrderEvent
NOON = datetime(2024, 10, 29, 12, 0, tzinfo=UTC)

#: Every code an order's event may be refused with.
CODES = set(REFUSALS.values()) | {
    "invalid_deadline",
    "invalid_amount",
    "amount_mismatch",
    "reservation_expired",
    "not_expired",
    "already_booked",
    "invalid_refund",
    "unknown_line",
    "refund_exceeds_paid",
}

lines = st.lists(
    st.builds(
        OrderLine,
        sku_id=st.sampled_from(["serum", "mask", "toner", "cream"]),
        quantity=st.integers(1, 5),
        unit_price_shown=st.integers(1, 50_000),
    ),
    min_size=1,
    max_size=4,
    unique_by=lambda line: line.sku_id,
)


def arguments(
    data: st.DataObject, order: Order, event: OrderEvent, now: datetime
) -> dict[str, Any]:
    """Arguments for `event`, mostly sensible, often exactly at a limit."""
    if event in (E.RESERVE, E.DELIVER):
        return {"deadline": now + timedelta(minutes=data.draw(st.integers(0, 60)))}
    if event is E.PAY:
        return {"amount": data.draw(st.sampled_from([order.total, order.total - 1, 0]))}
    if event not in (E.REQUEST_REFUND, E.REFUND) or (
        event is E.REFUND and data.draw(st.booleans())
    ):
        return {}  # a refund without `refund` gives back what was requested
    left = {line.sku_id: fen for line, fen in zip(order.lines, order.refundable, strict=True)}
    if data.draw(st.integers(0, 3)) == 0:
        return {"refund": {sku: fen for sku, fen in left.items() if fen}}  # all that is left
    skus = st.sampled_from(list(left)) | st.just("unknown")
    refund: dict[str, int] = {}
    for sku in data.draw(st.lists(skus, min_size=1, max_size=3, unique=True)):
        most = left.get(sku, 0)
        near = st.sampled_from([1, most - 1, most, most + 1])
        refund[sku] = data.draw(near | st.integers(1, max(1, most)))
    return {"refund": refund}


HAPPY_PATH = (E.RESERVE, E.PAY, E.SHIP, E.DELIVER, E.CONFIRM)


def arguments_on_the_happy_path(order: Order, event: OrderEvent, now: datetime) -> dict[str, Any]:
    if event in (E.RESERVE, E.DELIVER):
        return {"deadline": now + timedelta(hours=1)}
    return {"amount": order.total} if event is E.PAY else {}


def check_invariants(order: Order) -> None:
    paid_per_line = tuple(line_total(line) for line in order.lines) if order.paid else None
    assert order.paid in (0, order.total)
    assert (order.paid > 0) == (
        order.state not in (S.CREATED, S.RESERVED, S.CANCELLED) or order.refunded_total > 0
    )
    for i, refunded in enumerate(order.refunded):
        assert 0 <= refunded <= (paid_per_line[i] if paid_per_line else 0)
    assert order.refunded_total <= order.paid
    if order.state is S.REFUNDED:
        assert order.refunded_total == order.paid > 0
    elif order.state is not S.CANCELLED and order.paid:
        assert order.refunded_total < order.paid  # something paid is still the buyer's
    pending = order.state is S.REFUND_REQUESTED
    assert (order.requested is not None) == (order.resume is not None) == pending


@settings(max_examples=400, deadline=None)
@given(st.data(), lines)
def test_any_sequence_of_events_moves_only_per_the_table_and_keeps_money_consistent(
    data: st.DataObject, order_lines: list[OrderLine]
) -> None:
    order, now = Order(tuple(order_lines)), NOON
    for event in HAPPY_PATH[: data.draw(st.integers(0, len(HAPPY_PATH)))]:
        order = order.apply(event, now=now, **arguments_on_the_happy_path(order, event, now))
    for _ in range(data.draw(st.integers(0, 14))):
        allowed = sorted(e for s, e in TRANSITIONS if s is order.state)
        event = data.draw(st.sampled_from(list(E)) | st.sampled_from(allowed or list(E)))
        now += timedelta(minutes=data.draw(st.integers(0, 90)))
        kwargs = arguments(data, order, event, now)
        before = order
        try:
            order = order.apply(event, now=now, **kwargs)
        except OrderError as error:
            assert error.code in CODES and error.message
            assert order == before
        else:
            note(f"{before.state} -{event}-> {order.state}")  # --hypothesis-show-statistics
            assert order.state in TRANSITIONS[before.state, event]
            assert before.state not in FINAL
        check_invariants(order)


@settings(max_examples=300)
@given(st.lists(st.tuples(st.integers(1, 2**40), st.integers(1, 2**40)), min_size=1, max_size=6))
def test_totals_are_exact_or_refused_never_rounded(pairs: list[tuple[int, int]]) -> None:
    exact = sum(quantity * price for quantity, price in pairs)
    try:
        order_lines = [OrderLine(f"sku-{i}", q, p) for i, (q, p) in enumerate(pairs)]
        assert order_total(order_lines) == exact
    except OrderError as error:
        assert error.code == "total_too_large"
        assert max(q * p for q, p in pairs) > MAX_AMOUNT or exact > MAX_AMOUNT
    else:
        assert exact <= MAX_AMOUNT


@settings(max_examples=200)
@given(lines, st.data())
def test_refunding_line_by_line_in_any_order_ends_refunded_with_every_fen_back(
    order_lines: list[OrderLine], data: st.DataObject
) -> None:
    order = (
        Order(tuple(order_lines))
        .apply(E.RESERVE, now=NOON, deadline=NOON + timedelta(hours=1))
        .apply(E.PAY, now=NOON, amount=order_total(order_lines))
    )
    shuffled = data.draw(st.permutations(order_lines))
    for line in shuffled:
        for fen in (1, line_total(line) - 1):
            if fen:
                refund = {line.sku_id: fen}
                order = order.apply(E.REQUEST_REFUND, now=NOON, refund=refund)
                order = order.apply(E.REFUND, now=NOON)
    assert order.state is S.REFUNDED
    assert order.refunded == tuple(line_total(line) for line in order_lines)
