"""Cross-platform orders: lines and totals, the price check, every move and refusal, who hears."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from hutong.commerce.offers import MAX_AMOUNT
from hutong.commerce.orders import (
    REFUSALS,
    TRANSITIONS,
    Order,
    OrderEvent,
    OrderState,
    Parties,
    StateChange,
    recipients,
)
from hutong.commerce.orders.lines import (
    OrderError,
    OrderLine,
    check_prices,
    line_total,
    order_total,
    price_problems,
    quantity_refund,
    refundable,
)
from hutong.protocol.errors import Kind
from tests.harness.assertions import rule_refuses

S, E = OrderState, OrderEvent

NOON = datetime(2024, 10, 29, 12, 0, tzinfo=UTC)
PAY_BY = NOON + timedelta(minutes=30)
CONFIRM_BY = NOON + timedelta(days=10)
SECOND = timedelta(seconds=1)

SERUM = OrderLine("serum-30ml", 2, 19_900)  # 398.00 yuan
MASK = OrderLine("mask-5pc", 1, 5_990)  # 59.90 yuan
TOTAL = 2 * 19_900 + 5_990


def created() -> Order:
    return Order((SERUM, MASK))


def reserved() -> Order:
    return created().apply(E.RESERVE, now=NOON, deadline=PAY_BY)


def paid() -> Order:
    return reserved().apply(E.PAY, now=NOON, amount=TOTAL)


def shipped() -> Order:
    return paid().apply(E.SHIP, now=NOON)


def delivered() -> Order:
    return shipped().apply(E.DELIVER, now=NOON, deadline=CONFIRM_BY)


def completed() -> Order:
    return delivered().apply(E.CONFIRM, now=NOON)


def requested(order: Order, refund: dict[str, int] | None = None) -> Order:
    return order.apply(E.REQUEST_REFUND, now=NOON, refund=refund or {"mask-5pc": 5_990})


# -- lines and totals --------------------------------------------------------------------


def test_totals_are_exact_integer_fen() -> None:
    assert line_total(SERUM) == 39_800
    assert order_total([SERUM, MASK]) == TOTAL == created().total


@pytest.mark.parametrize(
    ("quantity", "why"),
    [(0, "zero"), (-1, "negative"), (True, "bool"), (2.0, "float"), ("2", "string")],
)
def test_a_quantity_is_a_whole_number_of_at_least_one(quantity: object, why: str) -> None:
    with rule_refuses(OrderError, "invalid_quantity"):
        OrderLine("serum-30ml", quantity, 100)  # type: ignore[arg-type]


@pytest.mark.parametrize("price", [0, -100, True, 199.0, "199"])
def test_a_price_shown_is_a_whole_number_of_fen_of_at_least_one(price: object) -> None:
    with rule_refuses(OrderError, "invalid_price"):
        OrderLine("serum-30ml", 1, price)  # type: ignore[arg-type]


def test_a_line_needs_a_sku_id_as_offers_have_them() -> None:
    with rule_refuses(OrderError, "invalid_sku_id"):
        OrderLine("", 1, 100)
    with rule_refuses(OrderError, "invalid_sku_id"):
        OrderLine("a b", 1, 100)


def test_totals_beyond_what_the_ledger_holds_are_refused() -> None:
    with rule_refuses(OrderError, "total_too_large"):
        OrderLine("serum-30ml", 2, MAX_AMOUNT // 2 + 1)
    half = OrderLine("a", 1, MAX_AMOUNT // 2 + 1)
    with rule_refuses(OrderError, "total_too_large"):
        order_total([half, OrderLine("b", 1, MAX_AMOUNT // 2 + 1)])
    with rule_refuses(OrderError, "total_too_large"):
        Order((half, OrderLine("b", 1, MAX_AMOUNT // 2 + 1)))


def test_an_order_has_lines_and_one_line_per_sku() -> None:
    with rule_refuses(OrderError, "no_lines"):
        Order(())
    with rule_refuses(OrderError, "duplicate_line"):
        Order((SERUM, MASK, OrderLine("serum-30ml", 1, 19_900)))


def test_an_order_rebuilt_from_its_fields_has_one_refunded_amount_per_line() -> None:
    assert Order((SERUM, MASK)).refunded == (0, 0)
    with rule_refuses(OrderError, "invalid_refund"):
        Order((SERUM, MASK), refunded=(0,))


# -- the price and stock check -----------------------------------------------------------


@dataclass
class Now:
    """What the merchant's platform says about an offer now."""

    price: int
    stock: int


def test_prices_and_stock_that_still_hold_pass() -> None:
    check_prices([SERUM, MASK], {"serum-30ml": Now(19_900, 2), "mask-5pc": Now(5_990, 80)})


def test_a_changed_price_names_the_sku_the_price_shown_and_the_price_now() -> None:
    with rule_refuses(OrderError, "price_changed") as error:
        check_prices([SERUM], {"serum-30ml": Now(20_900, 10)})
    assert error.value.message == "serum-30ml: shown at 19900 fen, now 20900 fen"


def test_a_lower_price_now_is_refused_too_shown_and_charged_must_agree() -> None:
    with rule_refuses(OrderError, "price_changed"):
        check_prices([SERUM], {"serum-30ml": Now(9_900, 10)})


def test_too_little_stock_says_how_many_were_requested_and_are_available() -> None:
    with rule_refuses(OrderError, "out_of_stock") as error:
        check_prices([SERUM], {"serum-30ml": Now(19_900, 1)})
    assert error.value.message == "serum-30ml: 2 requested, 1 available"


def test_an_offer_the_merchant_no_longer_has_is_the_bodys_mistake() -> None:
    with rule_refuses(OrderError, "no_such_offer") as error:
        check_prices([SERUM], {})
    assert error.value.kind is Kind.INVALID  # 422, as a placement's offer the merchant lacks


def test_every_line_that_no_longer_holds_is_listed_in_line_order() -> None:
    problems = price_problems(
        [SERUM, MASK, OrderLine("toner", 1, 100)],
        {"serum-30ml": Now(1, 0), "mask-5pc": Now(5_990, 0)},
    )
    assert [(p.code, p.message.split(":")[0]) for p in problems] == [
        ("price_changed", "serum-30ml"),
        ("out_of_stock", "mask-5pc"),
        ("no_such_offer", "toner"),
    ]


# -- refundable amounts ------------------------------------------------------------------


def test_what_a_line_may_still_get_back_is_its_total_less_its_refunds() -> None:
    assert refundable([SERUM, MASK], [19_900, 0]) == (19_900, 5_990)
    with rule_refuses(OrderError, "refund_exceeds_paid"):
        refundable([SERUM, MASK], [0, 6_000])
    with rule_refuses(OrderError, "invalid_refund"):
        refundable([SERUM, MASK], [0])


def test_a_quantity_refund_is_units_at_the_price_paid() -> None:
    assert quantity_refund(SERUM, 1) == {"serum-30ml": 19_900}
    for bad in (0, 3, True):
        with rule_refuses(OrderError, "invalid_quantity"):
            quantity_refund(SERUM, bad)


# -- the happy path ----------------------------------------------------------------------


def test_an_order_is_reserved_paid_shipped_delivered_and_completed() -> None:
    order = reserved()
    assert (order.state, order.pay_by, order.paid) == (S.RESERVED, PAY_BY, 0)
    order = order.apply(E.PAY, now=PAY_BY - SECOND, amount=TOTAL)
    assert (order.state, order.paid) == (S.PAID, TOTAL)
    order = order.apply(E.BOOK_CARRIER, now=NOON)
    assert (order.state, order.carrier_booked) == (S.PAID, True)
    order = order.apply(E.SHIP, now=NOON)
    assert order.state is S.SHIPPED
    order = order.apply(E.DELIVER, now=NOON, deadline=CONFIRM_BY)
    assert (order.state, order.confirm_by) == (S.DELIVERED, CONFIRM_BY)
    order = order.apply(E.CONFIRM, now=NOON)
    assert (order.state, order.paid, order.refunded) == (S.COMPLETED, TOTAL, (0, 0))


def test_events_may_be_given_as_strings() -> None:
    assert reserved().apply("pay", now=NOON, amount=TOTAL).state is S.PAID  # type: ignore[arg-type]


def test_a_carrier_may_pick_up_without_a_separate_booking() -> None:
    assert shipped().carrier_booked


def test_the_table_lists_every_allowed_move() -> None:
    back = {S.PAID, S.SHIPPED, S.DELIVERED, S.COMPLETED, S.PARTIALLY_REFUNDED}
    expected = {
        (S.CREATED, E.RESERVE): {S.RESERVED},
        (S.CREATED, E.CANCEL): {S.CANCELLED},
        (S.RESERVED, E.PAY): {S.PAID},
        (S.RESERVED, E.CANCEL): {S.CANCELLED},
        (S.RESERVED, E.EXPIRE): {S.CANCELLED},
        (S.PAID, E.BOOK_CARRIER): {S.PAID},
        (S.PAID, E.CANCEL): {S.CANCELLED},
        (S.PAID, E.SHIP): {S.SHIPPED},
        (S.SHIPPED, E.DELIVER): {S.DELIVERED},
        (S.DELIVERED, E.CONFIRM): {S.COMPLETED},
        (S.DELIVERED, E.EXPIRE): {S.COMPLETED},
        **{(s, E.REQUEST_REFUND): {S.REFUND_REQUESTED} for s in back},
        (S.REFUND_REQUESTED, E.REFUND): (back - {S.COMPLETED}) | {S.REFUNDED},
        (S.REFUND_REQUESTED, E.CLOSE_REFUND): back,
    }
    assert expected == TRANSITIONS


# -- cancelling and timeouts -------------------------------------------------------------


def test_an_order_whose_reservation_is_refused_is_cancelled_with_nothing_held() -> None:
    assert created().apply(E.CANCEL, now=NOON).state is S.CANCELLED


def test_cancelling_an_unpaid_order_refunds_nothing() -> None:
    order = reserved().apply(E.CANCEL, now=NOON)
    assert (order.state, order.paid, order.refunded) == (S.CANCELLED, 0, (0, 0))


def test_cancelling_a_paid_order_before_shipping_refunds_everything() -> None:
    order = paid().apply(E.CANCEL, now=NOON)
    assert (order.state, order.refunded) == (S.CANCELLED, (39_800, 5_990))


def test_cancelling_is_never_refused_for_lateness() -> None:
    assert reserved().apply(E.CANCEL, now=PAY_BY + timedelta(days=1)).state is S.CANCELLED


@pytest.mark.parametrize("order", [shipped, delivered])
def test_an_order_cannot_be_cancelled_once_shipped(order: Callable[[], Order]) -> None:
    with rule_refuses(OrderError, "cannot_cancel_after_shipping"):
        order().apply(E.CANCEL, now=NOON)


def test_an_unpaid_order_expires_at_its_pay_deadline_and_releases_stock() -> None:
    assert reserved().apply(E.EXPIRE, now=PAY_BY).state is S.CANCELLED
    with rule_refuses(OrderError, "not_expired"):
        reserved().apply(E.EXPIRE, now=PAY_BY - SECOND)


def test_paying_at_or_after_the_pay_deadline_is_refused() -> None:
    assert reserved().apply(E.PAY, now=PAY_BY - SECOND, amount=TOTAL).state is S.PAID
    with rule_refuses(OrderError, "reservation_expired"):
        reserved().apply(E.PAY, now=PAY_BY, amount=TOTAL)


def test_a_delivered_order_completes_by_itself_at_the_end_of_the_window() -> None:
    assert delivered().apply(E.EXPIRE, now=CONFIRM_BY).state is S.COMPLETED
    with rule_refuses(OrderError, "not_expired"):
        delivered().apply(E.EXPIRE, now=CONFIRM_BY - SECOND)


def test_the_buyer_may_confirm_before_the_window_ends() -> None:
    assert delivered().apply(E.CONFIRM, now=NOON + timedelta(hours=1)).state is S.COMPLETED


@pytest.mark.parametrize("event", [E.RESERVE, E.DELIVER])
def test_reserve_and_deliver_need_a_deadline_in_the_future(event: OrderEvent) -> None:
    order = created() if event is E.RESERVE else shipped()
    with rule_refuses(OrderError, "invalid_deadline"):
        order.apply(event, now=NOON)
    with rule_refuses(OrderError, "invalid_deadline"):
        order.apply(event, now=NOON, deadline=NOON)


# -- paying ------------------------------------------------------------------------------


def test_the_amount_paid_must_be_the_total_shown() -> None:
    with rule_refuses(OrderError, "amount_mismatch") as error:
        reserved().apply(E.PAY, now=NOON, amount=TOTAL - 1)
    assert error.value.message == f"the order's total is {TOTAL} fen, not {TOTAL - 1}"


@pytest.mark.parametrize("amount", [None, -1, True, float(TOTAL)])
def test_pay_takes_an_amount_in_fen(amount: object) -> None:
    with rule_refuses(OrderError, "invalid_amount"):
        reserved().apply(E.PAY, now=NOON, amount=amount)  # type: ignore[arg-type]


def test_an_argument_the_event_does_not_take_is_refused() -> None:
    with rule_refuses(OrderError, "invalid_argument"):
        paid().apply(E.SHIP, now=NOON, amount=TOTAL)
    with rule_refuses(OrderError, "invalid_argument"):
        reserved().apply(E.PAY, now=NOON, amount=TOTAL, deadline=PAY_BY)
    with rule_refuses(OrderError, "invalid_argument"):
        requested(paid()).apply(E.CLOSE_REFUND, now=NOON, refund={"mask-5pc": 1})


def test_the_carrier_is_booked_once() -> None:
    with rule_refuses(OrderError, "already_booked"):
        paid().apply(E.BOOK_CARRIER, now=NOON).apply(E.BOOK_CARRIER, now=NOON)


# -- refunds -----------------------------------------------------------------------------


def test_a_refund_request_remembers_what_was_asked_and_where_the_order_was() -> None:
    order = requested(shipped(), quantity_refund(SERUM, 1))
    assert order.state is S.REFUND_REQUESTED
    assert (order.requested, order.resume, order.requested_at) == ((19_900, 0), S.SHIPPED, NOON)


def test_a_partial_refund_before_completion_lets_the_rest_ship() -> None:
    order = requested(paid()).apply(E.REFUND, now=NOON)
    assert (order.state, order.refunded, order.refundable) == (S.PAID, (0, 5_990), (39_800, 0))
    assert order.apply(E.SHIP, now=NOON).state is S.SHIPPED


def test_the_merchant_may_grant_part_of_a_request() -> None:
    order = requested(delivered(), {"serum-30ml": 39_800})
    order = order.apply(E.REFUND, now=NOON, refund={"serum-30ml": 10_000})
    assert (order.state, order.refunded) == (S.DELIVERED, (10_000, 0))


def test_a_partial_refund_after_completion_leaves_it_partially_refunded() -> None:
    order = requested(completed()).apply(E.REFUND, now=NOON)
    assert (order.state, order.refunded) == (S.PARTIALLY_REFUNDED, (0, 5_990))
    order = requested(order, {"serum-30ml": 100}).apply(E.REFUND, now=NOON)
    assert (order.state, order.refunded) == (S.PARTIALLY_REFUNDED, (100, 5_990))


def test_refunds_that_reach_everything_paid_make_it_refunded_for_good() -> None:
    order = requested(completed()).apply(E.REFUND, now=NOON)
    order = requested(order, {"serum-30ml": 39_800}).apply(E.REFUND, now=NOON)
    assert (order.state, order.refunded_total) == (S.REFUNDED, TOTAL)
    everything = {"serum-30ml": 39_800, "mask-5pc": 5_990}
    assert requested(paid(), everything).apply(E.REFUND, now=NOON).state is S.REFUNDED


@pytest.mark.parametrize("before", [paid, shipped, delivered, completed])
def test_a_refused_or_withdrawn_request_returns_the_order_where_it_was(
    before: Callable[[], Order],
) -> None:
    order = requested(before()).apply(E.CLOSE_REFUND, now=NOON)
    assert order == before()


def test_the_confirmation_clock_stops_while_a_refund_is_requested() -> None:
    order = delivered().apply(E.REQUEST_REFUND, now=NOON, refund={"mask-5pc": 1})
    order = order.apply(E.CLOSE_REFUND, now=NOON + timedelta(days=3))
    assert order.confirm_by == CONFIRM_BY + timedelta(days=3)


def test_a_line_never_gets_back_more_than_it_cost() -> None:
    with rule_refuses(OrderError, "refund_exceeds_paid") as error:
        requested(paid(), {"mask-5pc": 5_991})
    assert error.value.message == "mask-5pc: 5990 fen may still be refunded, not 5991"
    order = requested(paid(), {"mask-5pc": 5_000}).apply(E.REFUND, now=NOON)
    with rule_refuses(OrderError, "refund_exceeds_paid"):
        requested(order, {"mask-5pc": 991})


@pytest.mark.parametrize("refund", [{}, {"mask-5pc": 0}, {"mask-5pc": -1}, {"mask-5pc": 1.0}])
def test_a_refund_names_lines_and_positive_fen(refund: dict[str, int]) -> None:
    with rule_refuses(OrderError, "invalid_refund"):
        paid().apply(E.REQUEST_REFUND, now=NOON, refund=refund)


def test_a_refund_of_a_sku_not_in_the_order_is_refused() -> None:
    with rule_refuses(OrderError, "unknown_line"):
        requested(paid(), {"toner": 100})


# -- every refusal -----------------------------------------------------------------------

#: How to reach an order in each state.
IN_STATE: dict[OrderState, Callable[[], Order]] = {
    S.CREATED: created,
    S.RESERVED: reserved,
    S.PAID: paid,
    S.SHIPPED: shipped,
    S.DELIVERED: delivered,
    S.COMPLETED: completed,
    S.REFUND_REQUESTED: lambda: requested(paid()),
    S.PARTIALLY_REFUNDED: lambda: requested(completed()).apply(E.REFUND, now=NOON),
    S.CANCELLED: lambda: reserved().apply(E.CANCEL, now=NOON),
    S.REFUNDED: lambda: requested(paid(), {"serum-30ml": 39_800, "mask-5pc": 5_990}).apply(
        E.REFUND, now=NOON
    ),
}


def every(code: str, but: list[OrderEvent] | None = None) -> dict[OrderEvent, str]:
    """`code` for every event but those in `but`."""
    return {e: code for e in E if e not in (but or [])}


EXPECTED_REFUSALS: dict[OrderState, dict[OrderEvent, str]] = {
    S.CREATED: {
        **{e: "not_reserved" for e in (E.PAY, E.BOOK_CARRIER, E.SHIP, E.DELIVER, E.CONFIRM)},
        E.EXPIRE: "no_deadline",
        **{e: "not_paid" for e in (E.REQUEST_REFUND, E.REFUND, E.CLOSE_REFUND)},
    },
    S.RESERVED: {E.RESERVE: "already_reserved"}
    | {
        e: "not_paid"
        for e in (E.BOOK_CARRIER, E.SHIP, E.DELIVER, E.CONFIRM, E.REQUEST_REFUND, E.REFUND)
    }
    | {E.CLOSE_REFUND: "not_paid"},
    S.PAID: {
        E.RESERVE: "already_paid",
        E.PAY: "already_paid",
        E.DELIVER: "not_shipped",
        E.CONFIRM: "not_shipped",
        E.EXPIRE: "no_deadline",
        E.REFUND: "no_refund_requested",
        E.CLOSE_REFUND: "no_refund_requested",
    },
    S.SHIPPED: {
        **{e: "already_shipped" for e in (E.RESERVE, E.PAY, E.BOOK_CARRIER, E.SHIP)},
        E.CONFIRM: "not_delivered",
        E.EXPIRE: "no_deadline",
        E.CANCEL: "cannot_cancel_after_shipping",
        E.REFUND: "no_refund_requested",
        E.CLOSE_REFUND: "no_refund_requested",
    },
    S.DELIVERED: {
        **{e: "already_delivered" for e in (E.RESERVE, E.PAY, E.BOOK_CARRIER, E.SHIP, E.DELIVER)},
        E.CANCEL: "cannot_cancel_after_shipping",
        E.REFUND: "no_refund_requested",
        E.CLOSE_REFUND: "no_refund_requested",
    },
    S.COMPLETED: every("already_completed", but=[E.REQUEST_REFUND])
    | {E.REFUND: "no_refund_requested", E.CLOSE_REFUND: "no_refund_requested"},
    S.PARTIALLY_REFUNDED: every("already_completed", but=[E.REQUEST_REFUND])
    | {E.REFUND: "no_refund_requested", E.CLOSE_REFUND: "no_refund_requested"},
    S.REFUND_REQUESTED: every("refund_pending", but=[E.REFUND, E.CLOSE_REFUND])
    | {E.EXPIRE: "no_deadline"},
    S.CANCELLED: every("order_cancelled"),
    S.REFUNDED: every("already_refunded"),
}


def test_every_state_event_pair_is_either_a_move_or_a_named_refusal() -> None:
    for state in S:
        for event in E:
            assert ((state, event) in TRANSITIONS) != ((state, event) in REFUSALS)
            assert REFUSALS.get((state, event)) == EXPECTED_REFUSALS[state].get(event)


@pytest.mark.parametrize(
    ("state", "event", "code"),
    [(s, e, code) for s, codes in EXPECTED_REFUSALS.items() for e, code in codes.items()],
)
def test_a_refused_event_names_the_reason_and_changes_nothing(
    state: OrderState, event: OrderEvent, code: str
) -> None:
    order = IN_STATE[state]()
    assert order.state is state
    with rule_refuses(OrderError, code) as error:
        order.apply(event, now=NOON)
    assert error.value.message == f"cannot {event} an order in state {state}"
    assert order == IN_STATE[state]()


# -- who hears of each move --------------------------------------------------------------

PARTIES = Parties(
    host="douyin.example",
    merchant_platform="jd.example",
    merchant="jdbeauty.example",
    wallet="alipay.example",
    carrier="jdl.example",
)
ALWAYS = ("douyin.example", "jd.example", "jdbeauty.example")
WALLET, CARRIER = "alipay.example", "jdl.example"


def heard(before: Order, event: OrderEvent, **kwargs: object) -> tuple[str, ...]:
    after = before.apply(event, now=kwargs.pop("now", NOON), **kwargs)  # type: ignore[arg-type]
    return recipients(StateChange(before, event, after), PARTIES)


def test_the_host_and_the_merchant_side_hear_of_every_move() -> None:
    assert heard(created(), E.RESERVE, deadline=PAY_BY) == ALWAYS
    assert heard(delivered(), E.CONFIRM) == ALWAYS
    assert heard(delivered(), E.EXPIRE, now=CONFIRM_BY) == ALWAYS
    assert heard(paid(), E.REQUEST_REFUND, refund={"mask-5pc": 1}) == ALWAYS
    assert heard(requested(paid()), E.CLOSE_REFUND) == ALWAYS
    assert heard(created(), E.CANCEL) == ALWAYS


def test_the_wallet_hears_when_money_moves_or_a_payment_is_voided() -> None:
    assert heard(reserved(), E.PAY, amount=TOTAL) == (*ALWAYS, WALLET)
    assert heard(requested(completed()), E.REFUND) == (*ALWAYS, WALLET)
    assert heard(reserved(), E.CANCEL) == (*ALWAYS, WALLET)
    assert heard(reserved(), E.EXPIRE, now=PAY_BY) == (*ALWAYS, WALLET)
    assert heard(paid(), E.CANCEL) == (*ALWAYS, WALLET)


def test_the_carrier_hears_of_its_booking_the_pickup_and_the_delivery() -> None:
    assert heard(paid(), E.BOOK_CARRIER) == (*ALWAYS, CARRIER)
    assert heard(paid(), E.SHIP) == (*ALWAYS, CARRIER)
    assert heard(shipped(), E.DELIVER, deadline=CONFIRM_BY) == (*ALWAYS, CARRIER)


def test_the_carrier_hears_when_a_booked_parcel_will_not_ship() -> None:
    booked = paid().apply(E.BOOK_CARRIER, now=NOON)
    assert heard(booked, E.CANCEL) == (*ALWAYS, WALLET, CARRIER)
    everything = {"serum-30ml": 39_800, "mask-5pc": 5_990}
    assert heard(requested(booked, everything), E.REFUND) == (*ALWAYS, WALLET, CARRIER)
    assert heard(requested(booked), E.REFUND) == (*ALWAYS, WALLET)  # the rest still ships


def test_the_carrier_does_not_hear_of_refunds_after_shipping() -> None:
    everything = {"serum-30ml": 39_800, "mask-5pc": 5_990}
    assert heard(requested(completed(), everything), E.REFUND) == (*ALWAYS, WALLET)


def test_a_participant_in_two_roles_hears_once_and_no_carrier_means_none() -> None:
    own = Parties(host="jd.example", merchant_platform="jd.example", merchant="m", wallet="w")
    after = paid().apply(E.SHIP, now=NOON)
    assert recipients(StateChange(paid(), E.SHIP, after), own) == ("jd.example", "m")
