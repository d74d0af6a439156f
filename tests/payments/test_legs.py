"""The fee given back with refunds: proportional, never more than charged, exact in total."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from hutong.payments.legs import fee_returned_after


@st.composite
def refund_sequences(draw: st.DrawFn) -> tuple[int, int, list[int]]:
    """A fee, what was captured, and refunds that add up to all of it."""
    captured = draw(st.integers(min_value=1, max_value=10**12))
    fee = draw(st.integers(min_value=0, max_value=captured))
    cuts = draw(st.lists(st.integers(min_value=1, max_value=captured), max_size=12))
    points = sorted({0, captured, *cuts})
    return fee, captured, [b - a for a, b in pairwise(points)]


@given(refund_sequences())
def test_the_parts_returned_by_refunds_sum_to_the_whole_fee(
    case: tuple[int, int, list[int]],
) -> None:
    fee, captured, refunds = case
    refunded = returned = 0
    parts = []
    for refund in refunds:
        refunded += refund
        now_returned = fee_returned_after(fee, captured, refunded)
        parts.append(now_returned - returned)
        returned = now_returned
    assert refunded == captured
    assert all(0 <= part <= fee for part in parts)
    assert sum(parts) == fee  # every fen of the fee comes back, none twice


@given(
    st.integers(min_value=1, max_value=10**12),
    st.data(),
)
def test_the_fee_returned_grows_with_the_refunds_and_never_passes_the_fee(
    captured: int, data: st.DataObject
) -> None:
    fee = data.draw(st.integers(min_value=0, max_value=captured))
    smaller = data.draw(st.integers(min_value=0, max_value=captured))
    larger = data.draw(st.integers(min_value=smaller, max_value=captured))
    assert (
        0
        <= fee_returned_after(fee, captured, smaller)
        <= fee_returned_after(fee, captured, larger)
        <= fee
    )


def test_nothing_captured_returns_no_fee() -> None:
    assert fee_returned_after(60, 0, 0) == 0
