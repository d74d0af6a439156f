"""Commission schedules, order splits and refunds that reverse them, exact to the fen."""

from __future__ import annotations

from datetime import date, datetime
from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hutong.commerce.commissions import (
    PARTS,
    Channel,
    CommissionError,
    CommissionHistory,
    CommissionSchedule,
    OrderSplit,
    SplitAccounts,
    commission_accounts,
    reversal_legs,
    reverse_split,
    reversed_after,
    split_legs,
    split_order,
)
from hutong.ledger.models import TransferCode, TransferFlags
from hutong.ledger.splits import BPS_WHOLE
from hutong.payments.legs import fee_returned_after

DOUYIN = "douyin.example"

#: Douyin, 2020: 5% on its own store, 20% on external links; creators get 10% (beauty 15%).
DOUYIN_2020 = CommissionSchedule(
    host=DOUYIN,
    valid_from=date(2020, 10, 9),
    take_rates={("beauty", Channel.LINK_PLACEMENT): 2_500},
    channel_rates={Channel.OWN_STORE: 500, Channel.LINK_PLACEMENT: 2_000},
    default_take_bps=800,
    creator_rates={"beauty": 1_500},
    default_creator_bps=1_000,
)


# -- schedules -------------------------------------------------------------------------------


def test_the_take_rate_is_the_most_specific_one_declared() -> None:
    assert DOUYIN_2020.take_bps("beauty", Channel.LINK_PLACEMENT) == 2_500  # category and channel
    assert DOUYIN_2020.take_bps("books", Channel.LINK_PLACEMENT) == 2_000  # channel
    assert DOUYIN_2020.take_bps("books", "own_store") == 500  # channel, named as text
    assert DOUYIN_2020.take_bps("books", Channel.STOREFRONT) == 800  # the default


def test_the_creator_rate_is_by_category_or_the_default() -> None:
    assert DOUYIN_2020.creator_bps("beauty") == 1_500
    assert DOUYIN_2020.creator_bps("books") == 1_000


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        pytest.param({"default_take_bps": -1}, "invalid_rate", id="negative"),
        pytest.param({"default_take_bps": 10_001}, "invalid_rate", id="above 10000"),
        pytest.param({"default_creator_bps": True}, "invalid_rate", id="a bool is no rate"),
        pytest.param({"channel_rates": {Channel.OWN_STORE: 2.5}}, "invalid_rate", id="float"),
        pytest.param({"channel_rates": {"tv_shopping": 100}}, "invalid_channel", id="channel"),
        pytest.param({"creator_rates": {" ": 100}}, "invalid_category", id="blank category"),
        pytest.param(
            {"take_rates": {("beauty", Channel.STOREFRONT): 6_000}, "default_creator_bps": 5_000},
            "rates_exceed_whole",
            id="take plus creator above the whole",
        ),
        pytest.param({"host": ""}, "invalid_schedule", id="no host"),
        pytest.param(
            {"valid_from": datetime(2020, 1, 1)}, "invalid_schedule", id="a datetime, not a day"
        ),
    ],
)
def test_a_schedule_that_makes_no_sense_is_refused_with_a_code(
    changes: dict[str, object], code: str
) -> None:
    fields: dict[str, object] = {"host": DOUYIN, "valid_from": date(2020, 1, 1), **changes}
    with pytest.raises(CommissionError) as refused:
        CommissionSchedule(**fields)  # type: ignore[arg-type]
    assert refused.value.code == code


def test_a_history_numbers_versions_and_answers_by_day() -> None:
    history = CommissionHistory(DOUYIN)
    first = history.declare(DOUYIN_2020)
    second = history.declare(
        CommissionSchedule(host=DOUYIN, valid_from=date(2022, 1, 1), default_take_bps=300)
    )
    assert (first.version, second.version) == (1, 2)
    assert history.in_force(date(2020, 10, 8)) is None  # before anything was declared
    assert history.in_force(date(2021, 6, 1)) == first
    assert history.in_force(date(2022, 1, 1)) == second
    assert history.as_of(1).in_force(date(2023, 1, 1)) == first
    assert DOUYIN_2020.version == 0  # what was declared is not edited; the stored copy is


def test_a_later_version_for_the_same_day_wins() -> None:
    history = CommissionHistory(DOUYIN, [DOUYIN_2020])
    fix = history.declare(
        CommissionSchedule(host=DOUYIN, valid_from=DOUYIN_2020.valid_from, default_take_bps=1)
    )
    assert history.in_force(date(2021, 1, 1)) == fix


def test_a_history_refuses_another_hosts_schedule_and_wrong_versions() -> None:
    history = CommissionHistory(DOUYIN)
    with pytest.raises(CommissionError, match="cannot join"):
        history.declare(CommissionSchedule(host="kuaishou.example", valid_from=date(2022, 3, 1)))
    with pytest.raises(CommissionError, match="expected version 1"):
        history.declare(CommissionSchedule(host=DOUYIN, valid_from=date(2022, 3, 1), version=2))


# -- splitting an order -----------------------------------------------------------------------


def test_an_external_link_order_by_a_creator_splits_into_five_parts() -> None:
    parts = split_order(
        12_345,
        DOUYIN_2020,
        "books",
        Channel.LINK_PLACEMENT,
        wallet_fee=74,
        carrier_fee=800,
        creator=True,
    )
    assert parts == OrderSplit(
        merchant=7_768,  # the rest, rounding fen included
        host_commission=2_469,  # 20% of 12345 = 2469.0
        creator_commission=1_234,  # 10% = 1234.5, rounded down
        wallet_fee=74,
        carrier_fee=800,
    )
    assert parts.total == 12_345


def test_the_same_order_in_the_hosts_own_store_pays_a_quarter_of_the_commission() -> None:
    own = split_order(12_345, DOUYIN_2020, "books", Channel.OWN_STORE, 74, 800, creator=False)
    assert own.host_commission == 617 and own.creator_commission == 0
    assert own.merchant == 12_345 - 617 - 74 - 800


def test_no_schedule_in_force_means_no_commission() -> None:
    parts = split_order(1_000, None, "books", Channel.LINK_PLACEMENT, 6, 0, creator=True)
    assert parts == OrderSplit(merchant=994, wallet_fee=6)


def test_fees_larger_than_what_is_left_are_refused() -> None:
    with pytest.raises(CommissionError) as refused:
        split_order(1_000, DOUYIN_2020, "books", "link_placement", 500, 301, creator=True)
    assert refused.value.code == "fees_exceed_amount"
    # Exactly what is left is fine: the merchant then gets nothing.
    parts = split_order(1_000, DOUYIN_2020, "books", "link_placement", 500, 200, creator=True)
    assert parts.merchant == 0


@pytest.mark.parametrize(
    ("args", "code"),
    [
        pytest.param((-1, "books", "own_store", 0, 0), "invalid_amount", id="negative captured"),
        pytest.param((1.5, "books", "own_store", 0, 0), "invalid_amount", id="a float"),
        pytest.param((100, "books", "own_store", -1, 0), "invalid_amount", id="negative fee"),
        pytest.param((100, "", "own_store", 0, 0), "invalid_category", id="no category"),
        pytest.param((100, "books", "tv", 0, 0), "invalid_channel", id="unknown channel"),
    ],
)
def test_an_order_that_cannot_be_split_is_refused(args: tuple[object, ...], code: str) -> None:
    captured, category, channel, wallet_fee, carrier_fee = args
    with pytest.raises(CommissionError) as refused:
        split_order(captured, DOUYIN_2020, category, channel, wallet_fee, carrier_fee, True)  # type: ignore[arg-type]
    assert refused.value.code == code


# -- refunds -----------------------------------------------------------------------------------

#: The order above: 12345 fen captured through an external link placed by a creator.
ORDER = OrderSplit(
    merchant=7_768, host_commission=2_469, creator_commission=1_234, wallet_fee=74, carrier_fee=800
)


def test_a_half_refund_gives_back_half_of_every_part_to_the_fen() -> None:
    back = reverse_split(ORDER, refunded_so_far=0, refund=6_172)  # 6172 / 12345 = 0.49996
    assert back == OrderSplit(
        merchant=3_885,  # 3883.69: the merchant, last, takes what the others leave
        host_commission=1_234,  # 1234.40
        creator_commission=617,  # 616.95
        wallet_fee=36,  # 36.997, rounded down, as a payment refund returns the fee
        carrier_fee=400,  # 399.97
    )
    assert back.total == 6_172


def test_refunds_in_steps_give_back_what_one_refund_would() -> None:
    steps = [1, 999, 3_000, 5_000, 3_345]
    given_back = [reverse_split(ORDER, sum(steps[:n]), step) for n, step in enumerate(steps)]
    for name in PARTS:
        assert sum(getattr(b, name) for b in given_back) == getattr(ORDER, name)
    assert [b.total for b in given_back] == steps


def test_the_wallet_fee_comes_back_as_the_payment_refund_returns_it() -> None:
    for refunded in (0, 1, 4_321, 12_344, 12_345):
        assert reversed_after(ORDER, refunded).wallet_fee == fee_returned_after(
            ORDER.wallet_fee, ORDER.total, refunded
        )


def test_a_small_merchant_part_is_never_reversed_beyond_itself() -> None:
    """Rounding each fee down and giving the merchant "the rest" would take 3 fen from 1."""
    tiny = OrderSplit(merchant=1, host_commission=1, creator_commission=1, wallet_fee=1)
    refunds = [reverse_split(tiny, n, 1) for n in range(4)]  # four refunds of one fen
    # Each fen comes back from a different part: each part gives back its one fen once.
    assert [[name for name, fen in back if fen] for back in refunds] == [
        ["merchant"],
        ["creator_commission"],
        ["host_commission"],
        ["wallet_fee"],
    ]


def test_a_refund_beyond_the_captured_amount_is_refused() -> None:
    with pytest.raises(CommissionError) as refused:
        reverse_split(ORDER, 12_000, 346)
    assert refused.value.code == "refund_exceeds_captured"


# -- ledger legs ---------------------------------------------------------------------------------

ACCOUNTS = SplitAccounts.for_order(
    merchant="jd.example",
    host=DOUYIN,
    wallet="wechatpay.example",
    carrier="jd-logistics.example",
    creator="streamer.example",
)


def test_the_split_posts_as_one_linked_group_from_the_merchants_receivable() -> None:
    legs = split_legs("order-1", ORDER, ACCOUNTS)
    assert [(leg.id, leg.credit_account_id, leg.amount, leg.code) for leg in legs] == [
        ("order-1/split/host_commission", "h/douyin.example/commission", 2_469, "commission"),
        ("order-1/split/creator_commission", "c/streamer.example/commission", 1_234, "commission"),
        ("order-1/split/wallet_fee", "w/wechatpay.example/fees", 74, "fee"),
        ("order-1/split/carrier_fee", "l/jd-logistics.example/fees", 800, "fee"),
    ]  # the merchant's part stays where the captured money is
    assert {leg.debit_account_id for leg in legs} == {"m/jd.example/receivable"}
    assert [bool(leg.flags & TransferFlags.LINKED) for leg in legs] == [True, True, True, False]
    assert {leg.reference for leg in legs} == {"order-1"}


def test_a_fee_charged_at_capture_and_empty_parts_have_no_leg() -> None:
    parts = OrderSplit(merchant=900, host_commission=100, wallet_fee=6)
    legs = split_legs("order-2", parts, ACCOUNTS, already_posted={"wallet_fee"})
    assert [leg.id for leg in legs] == ["order-2/split/host_commission"]
    assert legs[0].flags == TransferFlags.NONE  # a chain of one is not linked


def test_from_a_clearing_account_the_merchant_gets_a_leg_too() -> None:
    clearing = SplitAccounts(
        merchant="m/jd.example/receivable",
        host_commission="h/douyin.example/commission",
        creator_commission="",
        wallet_fee="w/wechatpay.example/fees",
        carrier_fee="l/sf.example/fees",
        source="w/wechatpay.example/position",
    )
    legs = split_legs("order-3", OrderSplit(merchant=95, host_commission=5), clearing)
    assert [(leg.debit_account_id, leg.credit_account_id, leg.amount) for leg in legs] == [
        ("w/wechatpay.example/position", "m/jd.example/receivable", 95),
        ("w/wechatpay.example/position", "h/douyin.example/commission", 5),
    ]
    with pytest.raises(CommissionError) as refused:  # a creator's part needs a creator account
        split_legs("order-3", OrderSplit(merchant=95, creator_commission=5), clearing)
    assert refused.value.code == "account_missing"


def test_a_refund_brings_the_parts_back_the_other_way() -> None:
    back = reverse_split(ORDER, 0, 100)
    legs = reversal_legs("order-1", "r1", back, ACCOUNTS)
    assert all(leg.credit_account_id == "m/jd.example/receivable" for leg in legs)
    assert all(leg.code == TransferCode.REFUND.value for leg in legs)
    assert sum(leg.amount for leg in legs) == back.total - back.merchant
    assert all(leg.id.startswith("order-1/refund/r1/") for leg in legs)


def test_the_accounts_the_split_needs_can_be_created() -> None:
    kinds = {a.id: a.kind for a in commission_accounts(host=DOUYIN, creator="s", carrier="sf")}
    assert kinds == {
        "h/douyin.example/commission": "commission_income",
        "c/s/commission": "commission_income",
        "l/sf/fees": "fee_income",
    }


# -- properties ----------------------------------------------------------------------------------

rates = st.integers(0, BPS_WHOLE)
amounts = st.one_of(st.integers(0, 10_000), st.integers(0, 10**15))


@st.composite
def schedules(draw: st.DrawFn) -> CommissionSchedule:
    creator = draw(rates)
    take = st.integers(0, BPS_WHOLE - creator)
    return CommissionSchedule(
        host=DOUYIN,
        valid_from=date(2020, 1, 1),
        channel_rates=draw(st.dictionaries(st.sampled_from(list(Channel)), take)),
        default_take_bps=draw(take),
        default_creator_bps=creator,
    )


@st.composite
def order_splits(draw: st.DrawFn) -> OrderSplit:
    captured = draw(amounts)
    schedule = draw(schedules())
    channel = draw(st.sampled_from(list(Channel)))
    creator = draw(st.booleans())
    commissions = (
        captured * schedule.take_bps("books", channel)
        + captured * (schedule.creator_bps("books") if creator else 0)
    ) // BPS_WHOLE
    left = captured - commissions
    wallet_fee = draw(st.integers(0, left))
    carrier_fee = draw(st.integers(0, left - wallet_fee))
    return split_order(captured, schedule, "books", channel, wallet_fee, carrier_fee, creator)


@settings(max_examples=300, deadline=None)
@given(captured=amounts, schedule=schedules(), channel=st.sampled_from(list(Channel)))
def test_an_order_split_adds_up_to_the_captured_amount(
    captured: int, schedule: CommissionSchedule, channel: Channel
) -> None:
    parts = split_order(captured, schedule, "books", channel, 0, 0, creator=True)
    assert parts.total == captured
    assert parts.host_commission == captured * schedule.take_bps("books", channel) // BPS_WHOLE
    assert parts.creator_commission == captured * schedule.creator_bps("books") // BPS_WHOLE
    assert parts.merchant >= 0


@settings(max_examples=300, deadline=None)
@given(parts=order_splits(), data=st.data())
def test_any_sequence_of_refunds_reverses_the_split_exactly(
    parts: OrderSplit, data: st.DataObject
) -> None:
    # Up to eight refunds of any sizes, the last one refunding everything that is left.
    cuts = data.draw(st.lists(st.integers(1, max(parts.total - 1, 1)), max_size=7, unique=True))
    marks = [0, *sorted(c for c in cuts if c < parts.total), parts.total]
    given_back = dict.fromkeys(PARTS, 0)
    for refunded, after in pairwise(marks):
        back = reverse_split(parts, refunded, after - refunded)
        assert back.total == after - refunded  # each refund splits exactly
        for name, amount in back:
            assert amount >= 0  # no refund pays a part
            given_back[name] += amount
            assert given_back[name] <= getattr(parts, name)  # nor takes more than it had
    assert given_back == parts.as_dict()  # refunding everything reverses everything


@settings(max_examples=300, deadline=None)
@given(parts=order_splits(), data=st.data())
def test_each_part_gives_back_within_a_few_fen_of_its_share(
    parts: OrderSplit, data: st.DataObject
) -> None:
    refunded = data.draw(st.integers(0, parts.total))
    back = reversed_after(parts, refunded)
    for name, amount in back:
        share = Fraction(getattr(parts, name) * refunded, parts.total or 1)
        assert abs(amount - share) < len(PARTS)
