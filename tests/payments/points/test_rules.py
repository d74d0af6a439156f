"""Points exchange: offers between programs, daily caps, the money one program owes the other."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hutong.payments.points.rules import ExchangeOffer, ExchangeQuote, check_exchange
from hutong.payments.rules import MAX_AMOUNT, PaymentError
from tests.harness.assertions import rule_refuses

#: 88VIP points for a month of Tencent Video membership (the figures are illustrative).
VIDEO_MONTH = ExchangeOffer(
    program_from="88vip",
    program_to="tencent-video",
    points_price=1_500,
    benefit="tencent-video-vip-1-month",
    daily_cap_per_user=1,
    money_rate_fen=1_200,
)


def offer(**changes: object) -> ExchangeOffer:
    fields: dict[str, object] = {
        "program_from": "88vip",
        "program_to": "tencent-video",
        "points_price": 1_500,
        "benefit": "month",
        "daily_cap_per_user": 3,
        "money_rate_fen": 1_200,
    } | changes
    return ExchangeOffer(**fields)  # type: ignore[arg-type]


def test_an_exchange_debits_points_in_a_and_owes_money_to_b() -> None:
    quote = check_exchange(VIDEO_MONTH, user_used_today=0, quantity=1)
    assert quote == ExchangeQuote(
        offer=VIDEO_MONTH,
        quantity=1,
        points_debit=1_500,
        money_owed_fen=1_200,
        used_after=1,
        remaining_today=0,
    )
    assert VIDEO_MONTH.points_asset == "points:88vip"


def test_the_daily_cap_per_user_is_enforced() -> None:
    with rule_refuses(PaymentError, "daily_cap_exceeded"):
        check_exchange(VIDEO_MONTH, user_used_today=1, quantity=1)
    with rule_refuses(PaymentError, "daily_cap_exceeded"):
        check_exchange(offer(daily_cap_per_user=3), user_used_today=1, quantity=3)
    assert check_exchange(offer(daily_cap_per_user=3), 1, 2).remaining_today == 0


def test_an_offer_without_a_cap_has_no_daily_limit() -> None:
    quote = check_exchange(offer(daily_cap_per_user=None), user_used_today=500, quantity=10)
    assert (quote.points_debit, quote.money_owed_fen, quote.remaining_today) == (
        15_000,
        12_000,
        None,
    )


def test_a_member_without_enough_points_is_refused_when_the_balance_is_known() -> None:
    with rule_refuses(PaymentError, "insufficient_points"):
        check_exchange(VIDEO_MONTH, 0, 1, points_balance=1_499)
    assert check_exchange(VIDEO_MONTH, 0, 1, points_balance=1_500).points_debit == 1_500


@pytest.mark.parametrize(("used", "quantity"), [(0, 0), (0, -1), (0, True), (-1, 1), (0, 1.0)])
def test_quantities_are_positive_whole_units(used: object, quantity: object) -> None:
    with rule_refuses(PaymentError, "invalid_quantity"):
        check_exchange(offer(), used, quantity)  # type: ignore[arg-type]


def test_a_total_beyond_the_ledger_is_refused() -> None:
    with rule_refuses(PaymentError, "invalid_amount"):
        check_exchange(offer(points_price=MAX_AMOUNT, daily_cap_per_user=None), 0, 2)


@pytest.mark.parametrize(
    "changes",
    [
        {"program_to": "88vip"},
        {"program_from": "88 VIP"},
        {"program_from": ""},
        {"points_price": 0},
        {"points_price": True},
        {"benefit": " "},
        {"daily_cap_per_user": 0},
        {"money_rate_fen": -1},
        {"money_rate_fen": 12.5},
    ],
)
def test_an_invalid_offer_is_refused(changes: dict[str, object]) -> None:
    with rule_refuses(PaymentError, "invalid_offer"):
        offer(**changes)


def test_a_free_benefit_owes_no_money() -> None:
    assert check_exchange(offer(money_rate_fen=0), 0, 2).money_owed_fen == 0


@given(
    price=st.integers(1, 10**9),
    rate=st.integers(0, 10**9),
    cap=st.none() | st.integers(1, 50),
    used=st.integers(0, 60),
    quantity=st.integers(1, 60),
)
def test_quotes_are_exact_and_never_pass_the_cap(
    price: int, rate: int, cap: int | None, used: int, quantity: int
) -> None:
    deal = offer(points_price=price, money_rate_fen=rate, daily_cap_per_user=cap)
    try:
        quote = check_exchange(deal, used, quantity)
    except PaymentError as error:
        assert error.code == "daily_cap_exceeded"
        assert cap is not None and used + quantity > cap
        return
    assert quote.points_debit == price * quantity
    assert quote.money_owed_fen == rate * quantity
    assert quote.used_after == used + quantity
    assert cap is None or quote.used_after <= cap
