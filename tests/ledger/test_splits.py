"""Splitting an amount into legs by basis points, exactly to the fen."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hutong.ledger.splits import BPS_WHOLE, Leg, SplitError, split
from hutong.protocol.errors import Kind, RuleBroken

# -- examples ------------------------------------------------------------------------


def test_an_order_split_gives_the_merchant_the_rest() -> None:
    legs = [
        Leg("merchant"),
        Leg("host_commission", bps=500),
        Leg("creator_commission", bps=300),
        Leg("wallet_fee", bps=60, fixed=10),
    ]
    assert split(12_345, legs) == {
        "merchant": 11_274,
        "host_commission": 617,  # 617.25
        "creator_commission": 370,  # 370.35
        "wallet_fee": 84,  # 74.07 + 10
    }


def test_one_leg_with_every_basis_point_takes_everything() -> None:
    assert split(999, [Leg("all", bps=BPS_WHOLE)]) == {"all": 999}


def test_leftover_fen_go_one_each_to_the_legs_in_order() -> None:
    thirds = [Leg("a", bps=3_334), Leg("b", bps=3_333), Leg("c", bps=3_333)]
    assert split(2, thirds) == {"a": 1, "b": 1, "c": 0}


def test_leftover_fen_follow_the_declared_remainder_order() -> None:
    thirds = [Leg("a", bps=3_334), Leg("b", bps=3_333), Leg("c", bps=3_333)]
    assert split(2, thirds, remainder_order=["c", "b", "a"]) == {"a": 0, "b": 1, "c": 1}


def test_legs_the_remainder_order_leaves_out_come_after_it() -> None:
    """Naming one leg first never gives it more than one leftover fen."""
    thirds = [Leg("a", bps=3_334), Leg("b", bps=3_333), Leg("c", bps=3_333)]
    assert split(2, thirds, remainder_order=["c"]) == {"a": 1, "b": 0, "c": 1}


def test_the_result_keeps_the_order_of_the_legs() -> None:
    legs = [Leg("z", bps=5_000), Leg("a", bps=5_000)]
    assert list(split(10, legs, remainder_order=["a", "z"])) == ["z", "a"]


def test_nothing_splits_into_zeros() -> None:
    assert split(0, [Leg("merchant"), Leg("host", bps=500)]) == {"merchant": 0, "host": 0}


def test_fixed_amounts_come_before_the_remainder() -> None:
    assert split(100, [Leg("merchant"), Leg("carrier", bps=0, fixed=100)]) == {
        "merchant": 0,
        "carrier": 100,
    }


@pytest.mark.parametrize(
    ("amount", "legs", "order", "message"),
    [
        pytest.param(-1, [Leg("a", bps=BPS_WHOLE)], None, "negative", id="negative amount"),
        pytest.param(1, [Leg("a", bps=5_000), Leg("a", bps=5_000)], None, "unique", id="twice"),
        pytest.param(1, [Leg("a"), Leg("b")], None, "at most one", id="two remainder legs"),
        pytest.param(1, [Leg("a", bps=9_999)], None, "10000", id="short of 10000"),
        pytest.param(1, [Leg("a"), Leg("b", bps=10_001)], None, "10000", id="over 10000"),
        pytest.param(1, [Leg("a"), Leg("b", bps=-1)], None, "negative", id="negative bps"),
        pytest.param(1, [Leg("a"), Leg("b", bps=1, fixed=-1)], None, "negative", id="neg fixed"),
        pytest.param(5, [Leg("a"), Leg("b", bps=0, fixed=6)], None, "exceed", id="fixed > amount"),
        pytest.param(1, [], None, "10000", id="no legs"),
        pytest.param(1, [Leg("a", bps=BPS_WHOLE)], ["b"], "unknown", id="unknown in order"),
        pytest.param(
            1, [Leg("a", bps=5_000), Leg("b", bps=5_000)], ["a", "a"], "more than once", id="dup"
        ),
    ],
)
def test_a_split_that_cannot_be_made_is_refused(
    amount: int, legs: list[Leg], order: list[str] | None, message: str
) -> None:
    with pytest.raises(SplitError, match=message):
        split(amount, legs, remainder_order=order)


@pytest.mark.parametrize(
    ("amount", "legs", "order", "code"),
    [
        pytest.param(-1, [Leg("a", bps=BPS_WHOLE)], None, "invalid_amount", id="amount"),
        pytest.param(1, [Leg("a"), Leg("b")], None, "invalid_legs", id="legs"),
        pytest.param(
            5, [Leg("a"), Leg("b", bps=0, fixed=6)], None, "fees_exceed_amount", id="fees"
        ),
        pytest.param(1, [Leg("a", bps=BPS_WHOLE)], ["b"], "invalid_remainder_order", id="order"),
    ],
)
def test_a_refused_split_is_a_broken_rule_with_a_stable_code(
    amount: int, legs: list[Leg], order: list[str] | None, code: str
) -> None:
    with pytest.raises(SplitError) as refused:
        split(amount, legs, remainder_order=order)
    assert isinstance(refused.value, RuleBroken)
    assert isinstance(refused.value, ValueError)
    assert (refused.value.code, refused.value.kind) == (code, Kind.INVALID)


# -- properties --------------------------------------------------------------------------


@st.composite
def shares(draw: st.DrawFn, *, remainder: bool) -> list[Leg]:
    """Legs whose basis points add up to 10000 (or less, with a remainder leg)."""
    count = draw(st.integers(1, 6))
    cuts = sorted(draw(st.lists(st.integers(0, BPS_WHOLE), min_size=count, max_size=count)))
    if not remainder:
        cuts[-1] = BPS_WHOLE
    bps = [high - low for low, high in zip([0, *cuts], cuts, strict=False)]
    fixed = draw(st.lists(st.integers(0, 50), min_size=count, max_size=count))
    legs = [
        Leg(f"leg-{n}", bps=b, fixed=f) for n, (b, f) in enumerate(zip(bps, fixed, strict=True))
    ]
    if remainder:
        position = draw(st.integers(0, count))
        legs.insert(position, Leg("rest"))
    return legs


amounts = st.one_of(st.integers(0, 1_000), st.integers(0, 10**15))


def rounded_down(amount: int, leg: Leg) -> int:
    """The leg's share of `amount`, rounded down, plus its fixed amount."""
    assert leg.bps is not None
    return amount * leg.bps // BPS_WHOLE + leg.fixed


@settings(max_examples=300, deadline=None)
@given(amount=amounts, legs=shares(remainder=False), data=st.data())
def test_legs_add_up_and_each_is_within_a_fen_of_its_share(
    amount: int, legs: list[Leg], data: st.DataObject
) -> None:
    names = [leg.name for leg in legs]
    order = data.draw(
        st.none() | st.permutations(names) | st.lists(st.sampled_from(names), unique=True)
    )
    try:
        result = split(amount, legs, remainder_order=order)
    except SplitError:
        # Only when the fixed amounts and the rounded shares do not fit.
        assert sum(rounded_down(amount, leg) for leg in legs) > amount
        return
    assert list(result) == names
    assert sum(result.values()) == amount
    extra = {}
    for leg in legs:
        extra[leg.name] = result[leg.name] - rounded_down(amount, leg)
        assert extra[leg.name] in (0, 1)
    # Leftover fen go to the first legs of the declared order, then the rest in order.
    declared = list(order or []) + [name for name in names if name not in (order or [])]
    leftover = sum(extra.values())
    assert [extra[name] for name in declared] == [1] * leftover + [0] * (len(names) - leftover)


@settings(max_examples=300, deadline=None)
@given(amount=amounts, legs=shares(remainder=True))
def test_the_remainder_leg_takes_exactly_what_the_others_leave(
    amount: int, legs: list[Leg]
) -> None:
    others = [leg for leg in legs if leg.bps is not None]
    allotted = sum(rounded_down(amount, leg) for leg in others)
    if allotted > amount:
        with pytest.raises(SplitError):
            split(amount, legs)
        return
    result = split(amount, legs)
    assert sum(result.values()) == amount
    assert result["rest"] == amount - allotted >= 0
    for leg in others:
        assert result[leg.name] == rounded_down(amount, leg)  # rounded down, never up


@given(amount=st.integers(0, 10**12), bps=st.integers(0, BPS_WHOLE))
def test_two_legs_split_like_a_percentage(amount: int, bps: int) -> None:
    result = split(amount, [Leg("fee", bps=bps), Leg("merchant")])
    assert result["fee"] == amount * bps // BPS_WHOLE
    assert result["merchant"] == amount - result["fee"]
