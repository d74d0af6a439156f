"""Payment, transfer and pay-for-me state machines: every move, every refusal code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hutong.payments.checkout.states import (
    PAYMENT_TRANSITIONS,
    Payment,
    PaymentEvent,
    PaymentState,
    transition,
)
from hutong.payments.pay_for_me.states import (
    PAY_FOR_ME_TRANSITIONS,
    PayForMeEvent,
    PayForMeState,
    pay_for_me_transition,
)
from hutong.payments.rules import PaymentError
from hutong.payments.transfers.states import (
    TRANSFER_TRANSITIONS,
    TransferEvent,
    TransferState,
    transfer_transition,
)
from tests.harness.assertions import rule_refuses

P, PE = PaymentState, PaymentEvent
T, TE = TransferState, TransferEvent
F, FE = PayForMeState, PayForMeEvent

NOON = datetime(2024, 10, 29, 12, 0, tzinfo=UTC)
DEADLINE = NOON + timedelta(minutes=15)
LATE = DEADLINE  # at the deadline counts as late


def authorized(amount: int = 10_000) -> Payment:
    return Payment(amount).apply(PE.AUTHORIZE, now=NOON, hold_until=DEADLINE)


def captured(amount: int = 10_000, value: int | None = None) -> Payment:
    return authorized(amount).apply(PE.CAPTURE, amount if value is None else value, now=NOON)


# -- payments: the moves -----------------------------------------------------------------


def test_authorize_holds_the_whole_amount_until_the_hold_deadline() -> None:
    payment = authorized()
    assert payment.state is P.AUTHORIZED
    assert (payment.captured, payment.refunded, payment.expires_at) == (0, 0, DEADLINE)


def test_a_wallet_that_declines_fails_the_payment() -> None:
    assert Payment(100).apply(PE.FAIL).state is P.FAILED


def test_void_cancels_before_or_after_authorization() -> None:
    assert Payment(100).apply(PE.VOID).state is P.VOIDED
    assert authorized().apply(PE.VOID, now=NOON).state is P.VOIDED


def test_void_is_never_refused_for_lateness() -> None:
    assert authorized().apply(PE.VOID, now=LATE + timedelta(days=1)).state is P.VOIDED


def test_expire_at_the_deadline_releases_the_payment_or_its_hold() -> None:
    created = Payment(100, expires_at=DEADLINE)
    assert created.apply(PE.EXPIRE, now=LATE).state is P.EXPIRED
    assert authorized().apply(PE.EXPIRE, now=LATE).state is P.EXPIRED


def test_capture_takes_the_whole_hold_or_part_of_it() -> None:
    assert captured().state is P.CAPTURED
    partial = captured(10_000, 7_500)
    assert (partial.state, partial.captured) == (P.CAPTURED, 7_500)


def test_refunds_may_be_several_until_they_reach_what_was_captured() -> None:
    payment = captured(10_000, 6_000)
    payment = payment.apply(PE.REFUND, 1_000)
    assert (payment.state, payment.refunded) == (P.PARTIALLY_REFUNDED, 1_000)
    payment = payment.apply(PE.REFUND, 2_000)
    assert (payment.state, payment.refunded) == (P.PARTIALLY_REFUNDED, 3_000)
    payment = payment.apply(PE.REFUND, 3_000)
    assert (payment.state, payment.refunded) == (P.REFUNDED, 6_000)


def test_one_refund_of_everything_goes_straight_to_refunded() -> None:
    assert captured().apply(PE.REFUND, 10_000).state is P.REFUNDED


def test_the_table_lists_every_allowed_move() -> None:
    assert set(PAYMENT_TRANSITIONS) == {
        (P.CREATED, PE.AUTHORIZE),
        (P.CREATED, PE.FAIL),
        (P.CREATED, PE.VOID),
        (P.CREATED, PE.EXPIRE),
        (P.AUTHORIZED, PE.CAPTURE),
        (P.AUTHORIZED, PE.VOID),
        (P.AUTHORIZED, PE.EXPIRE),
        (P.CAPTURED, PE.REFUND),
        (P.PARTIALLY_REFUNDED, PE.REFUND),
    }


# -- payments: the refusals --------------------------------------------------------------

#: The code refusing each event the table does not allow, per state.
REFUSALS: dict[PaymentState, dict[PaymentEvent, str]] = {
    P.CREATED: {PE.CAPTURE: "not_authorized", PE.REFUND: "not_authorized"},
    P.AUTHORIZED: {
        PE.AUTHORIZE: "already_authorized",
        PE.FAIL: "already_authorized",
        PE.REFUND: "not_captured",
    },
    P.CAPTURED: {e: "already_captured" for e in PE if e is not PE.REFUND},
    P.PARTIALLY_REFUNDED: {e: "already_captured" for e in PE if e is not PE.REFUND},
    P.REFUNDED: {e: "already_captured" for e in PE} | {PE.REFUND: "already_refunded"},
    P.VOIDED: {e: "already_voided" for e in PE},
    P.EXPIRED: {e: "payment_expired" for e in PE},
    P.FAILED: {e: "payment_failed" for e in PE},
}


def totals_for(state: PaymentState) -> tuple[int, int]:
    """(captured, refunded) consistent with `state` for a payment of 100."""
    return {P.CAPTURED: (100, 0), P.PARTIALLY_REFUNDED: (100, 40), P.REFUNDED: (100, 100)}.get(
        state, (0, 0)
    )


def test_every_state_event_pair_is_either_a_move_or_a_named_refusal() -> None:
    for state in P:
        for event in PE:
            assert ((state, event) in PAYMENT_TRANSITIONS) != (event in REFUSALS[state])


@pytest.mark.parametrize(
    ("state", "event", "code"),
    [(s, e, code) for s, codes in REFUSALS.items() for e, code in codes.items()],
)
def test_a_refused_event_names_the_reason(
    state: PaymentState, event: PaymentEvent, code: str
) -> None:
    captured_total, refunded_total = totals_for(state)
    value = 10 if event in (PE.CAPTURE, PE.REFUND) else 0
    with rule_refuses(PaymentError, code):
        transition(
            state,
            event,
            amount=100,
            captured=captured_total,
            refunded=refunded_total,
            value=value,
            now=LATE,
            expires_at=DEADLINE,
        )


def test_capture_happens_once() -> None:
    with rule_refuses(PaymentError, "already_captured"):
        captured(10_000, 5_000).apply(PE.CAPTURE, 5_000)


def test_capture_cannot_exceed_the_authorized_amount() -> None:
    with rule_refuses(PaymentError, "capture_exceeds_authorized"):
        authorized(10_000).apply(PE.CAPTURE, 10_001)


def test_capture_at_or_after_the_hold_deadline_is_refused() -> None:
    with rule_refuses(PaymentError, "hold_expired"):
        authorized().apply(PE.CAPTURE, 1, now=LATE)
    assert authorized().apply(PE.CAPTURE, 1, now=LATE - timedelta(seconds=1)).captured == 1


def test_authorize_after_the_payment_deadline_is_refused() -> None:
    with rule_refuses(PaymentError, "payment_expired"):
        Payment(100, expires_at=DEADLINE).apply(PE.AUTHORIZE, now=LATE)


def test_expire_before_the_deadline_or_without_one_is_refused() -> None:
    with rule_refuses(PaymentError, "not_expired"):
        authorized().apply(PE.EXPIRE, now=DEADLINE - timedelta(seconds=1))
    with rule_refuses(PaymentError, "not_expired"):
        Payment(100).apply(PE.EXPIRE, now=LATE)


def test_refunds_never_exceed_what_was_captured() -> None:
    payment = captured(10_000, 4_000).apply(PE.REFUND, 3_000)
    with rule_refuses(PaymentError, "refund_exceeds_captured"):
        payment.apply(PE.REFUND, 1_001)
    with rule_refuses(PaymentError, "refund_exceeds_captured"):
        captured(10_000, 4_000).apply(PE.REFUND, 4_001)


@pytest.mark.parametrize(
    ("kwargs", "why"),
    [
        ({"amount": 0}, "a payment has a positive amount"),
        ({"amount": True}, "bool is not an amount"),
        ({"amount": 10.0}, "float is not an amount"),
        ({"amount": 2**63}, "beyond what the ledger holds"),
        ({"captured": 101}, "captured above the amount"),
        ({"captured": 10, "refunded": 11}, "refunded above captured"),
        ({"captured": -1}, "negative total"),
    ],
)
def test_inconsistent_totals_are_invalid_amounts(kwargs: dict[str, object], why: str) -> None:
    args: dict[str, object] = {"amount": 100, "captured": 0, "refunded": 0} | kwargs
    with rule_refuses(PaymentError, "invalid_amount"):
        transition(P.CREATED, PE.AUTHORIZE, **args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("state", "event", "value"),
    [
        (P.AUTHORIZED, PE.CAPTURE, 0),
        (P.CAPTURED, PE.REFUND, 0),
        (P.CAPTURED, PE.REFUND, -5),
        (P.CAPTURED, PE.REFUND, True),
        (P.CREATED, PE.AUTHORIZE, 100),
        (P.AUTHORIZED, PE.VOID, 1),
    ],
)
def test_capture_and_refund_take_a_positive_value_the_others_none(
    state: PaymentState, event: PaymentEvent, value: int
) -> None:
    captured_total = 100 if state is P.CAPTURED else 0
    with rule_refuses(PaymentError, "invalid_amount"):
        transition(state, event, amount=100, captured=captured_total, value=value)


def test_states_and_events_may_be_given_as_strings() -> None:
    assert transition("authorized", "capture", amount=5, value=5) is P.CAPTURED  # type: ignore[arg-type]


# -- payments: properties ----------------------------------------------------------------


@settings(max_examples=300)
@given(
    amount=st.integers(1, 10**9),
    capture_share=st.floats(0.001, 1.0),
    refunds=st.lists(st.integers(1, 10**9), max_size=12),
)
def test_no_sequence_of_refunds_totals_above_captured(
    amount: int, capture_share: float, refunds: list[int]
) -> None:
    value = max(1, min(amount, int(amount * capture_share)))
    payment = captured(amount, value)
    for refund in refunds:
        try:
            payment = payment.apply(PE.REFUND, refund)
        except PaymentError as error:
            assert error.code in {"refund_exceeds_captured", "already_refunded"}
        assert payment.refunded <= payment.captured == value
        assert (payment.state is P.REFUNDED) == (payment.refunded == value)


@settings(max_examples=300)
@given(
    st.lists(
        st.tuples(st.sampled_from(list(PE)), st.integers(0, 150), st.integers(0, 30)), max_size=10
    )
)
def test_any_sequence_of_events_keeps_the_totals_consistent(
    steps: list[tuple[PaymentEvent, int, int]],
) -> None:
    payment = Payment(100, expires_at=NOON + timedelta(minutes=10))
    for event, value, minute in steps:
        before = payment
        try:
            payment = payment.apply(event, value, now=NOON + timedelta(minutes=minute))
        except PaymentError as error:
            assert error.code and error.message
            assert payment == before
        assert 0 <= payment.refunded <= payment.captured <= payment.amount
        if payment.state in (P.CREATED, P.AUTHORIZED, P.VOIDED, P.EXPIRED, P.FAILED):
            assert payment.captured == 0


# -- transfers ---------------------------------------------------------------------------


def test_a_transfer_is_quoted_asking_then_committed() -> None:
    state = transfer_transition(T.QUOTED, TE.ASK, now=NOON, expires_at=DEADLINE)
    assert state is T.ASKING
    assert transfer_transition(state, TE.COMMIT, now=NOON, expires_at=DEADLINE) is T.COMMITTED


def test_an_asking_transfer_is_released_when_declined_cancelled_or_late() -> None:
    assert transfer_transition(T.ASKING, TE.RELEASE, now=LATE, expires_at=DEADLINE) is T.RELEASED


def test_a_payer_wallet_that_refuses_to_reserve_fails_the_transfer() -> None:
    """Only asking: an execute records ``asking`` before it asks the payer's wallet."""
    assert transfer_transition(T.ASKING, TE.FAIL) is T.FAILED
    with rule_refuses(PaymentError, "not_asked"):
        transfer_transition(T.QUOTED, TE.FAIL)


def test_a_quote_expires_at_its_deadline() -> None:
    assert transfer_transition(T.QUOTED, TE.EXPIRE, now=LATE, expires_at=DEADLINE) is T.EXPIRED


def test_the_transfer_table_lists_every_allowed_move() -> None:
    assert TRANSFER_TRANSITIONS == {
        (T.QUOTED, TE.ASK): T.ASKING,
        (T.QUOTED, TE.EXPIRE): T.EXPIRED,
        (T.ASKING, TE.FAIL): T.FAILED,
        (T.ASKING, TE.COMMIT): T.COMMITTED,
        (T.ASKING, TE.RELEASE): T.RELEASED,
    }


TRANSFER_STATE_CODES = {
    T.QUOTED: "not_asked",
    T.ASKING: "already_asked",
    T.COMMITTED: "already_committed",
    T.RELEASED: "already_released",
    T.EXPIRED: "transfer_expired",
    T.FAILED: "transfer_failed",
}


@pytest.mark.parametrize(
    ("state", "event"),
    [(s, e) for s in T for e in TE if (s, e) not in TRANSFER_TRANSITIONS],
)
def test_a_refused_transfer_event_names_the_state(
    state: TransferState, event: TransferEvent
) -> None:
    with rule_refuses(PaymentError, TRANSFER_STATE_CODES[state]):
        transfer_transition(state, event, now=NOON, expires_at=DEADLINE)


def test_asking_on_an_expired_quote_or_committing_after_the_deadline_is_refused() -> None:
    with rule_refuses(PaymentError, "quote_expired"):
        transfer_transition(T.QUOTED, TE.ASK, now=LATE, expires_at=DEADLINE)
    with rule_refuses(PaymentError, "reservation_expired"):
        transfer_transition(T.ASKING, TE.COMMIT, now=LATE, expires_at=DEADLINE)


def test_a_quote_does_not_expire_before_its_deadline() -> None:
    with rule_refuses(PaymentError, "not_expired"):
        transfer_transition(T.QUOTED, TE.EXPIRE, now=NOON, expires_at=DEADLINE)


# -- pay-for-me --------------------------------------------------------------------------


def test_a_pay_for_me_request_is_paid_once() -> None:
    state = pay_for_me_transition(F.OPEN, FE.PAY, now=NOON, expires_at=DEADLINE)
    assert state is F.PAID
    with rule_refuses(PaymentError, "already_paid"):
        pay_for_me_transition(state, FE.PAY, now=NOON, expires_at=DEADLINE)


def test_a_pay_for_me_request_can_be_cancelled_or_expire() -> None:
    assert pay_for_me_transition(F.OPEN, FE.CANCEL) is F.CANCELLED
    assert pay_for_me_transition(F.OPEN, FE.EXPIRE, now=LATE, expires_at=DEADLINE) is F.EXPIRED


def test_the_pay_for_me_table_lists_every_allowed_move() -> None:
    assert PAY_FOR_ME_TRANSITIONS == {
        (F.OPEN, FE.PAY): F.PAID,
        (F.OPEN, FE.CANCEL): F.CANCELLED,
        (F.OPEN, FE.EXPIRE): F.EXPIRED,
    }


@pytest.mark.parametrize(
    ("state", "code"),
    [(F.PAID, "already_paid"), (F.EXPIRED, "request_expired"), (F.CANCELLED, "request_cancelled")],
)
@pytest.mark.parametrize("event", list(FE))
def test_a_closed_request_refuses_everything(
    state: PayForMeState, code: str, event: PayForMeEvent
) -> None:
    with rule_refuses(PaymentError, code):
        pay_for_me_transition(state, event, now=NOON, expires_at=DEADLINE)


def test_paying_at_or_after_the_deadline_is_refused() -> None:
    with rule_refuses(PaymentError, "request_expired"):
        pay_for_me_transition(F.OPEN, FE.PAY, now=LATE, expires_at=DEADLINE)


def test_a_request_does_not_expire_before_its_deadline() -> None:
    with rule_refuses(PaymentError, "not_expired"):
        pay_for_me_transition(F.OPEN, FE.EXPIRE, now=NOON, expires_at=DEADLINE)


def test_a_payment_error_carries_its_code_and_sentence() -> None:
    error = PaymentError("already_paid", "cannot pay in state paid")
    assert (error.code, error.message) == ("already_paid", "cannot pay in state paid")
    assert isinstance(error, ValueError)
