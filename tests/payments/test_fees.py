"""Wallet fee schedules and transfer quotes, exact to the fen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hutong.payments.fees import (
    BPS_WHOLE,
    DEFAULT_QUOTE_TTL,
    FeeRule,
    FeeSchedule,
    PaymentKind,
    TransferQuote,
    quote_transfer,
)
from hutong.payments.rules import MAX_AMOUNT, PaymentError
from tests.harness.assertions import rule_refuses

K = PaymentKind
NOW = datetime(2024, 10, 29, 12, 0, tzinfo=UTC)

ALIPAY = FeeSchedule(
    [FeeRule(K.ORDER, bps=60), FeeRule(K.TRANSFER, bps=10, fixed=1), FeeRule(K.PAY_FOR_ME)],
    wallet="alipay",
)
WECHATPAY = FeeSchedule([FeeRule(K.ORDER, bps=60), FeeRule(K.TRANSFER, bps=0, fixed=0)])


# -- fees --------------------------------------------------------------------------------


def test_a_fee_is_basis_points_rounded_down_plus_fixed_fen() -> None:
    rule = FeeRule(K.ORDER, bps=60, fixed=10)
    assert rule.fee(12_345) == 74 + 10  # 0.6% of 123.45 yuan is 74.07 fen
    assert rule.fee(0) == 0


def test_a_fee_never_exceeds_the_amount() -> None:
    assert FeeRule(K.TRANSFER, bps=100, fixed=50).fee(30) == 30
    assert FeeRule(K.TRANSFER, bps=BPS_WHOLE, fixed=1).fee(500) == 500


def test_a_schedule_charges_per_kind_of_payment() -> None:
    assert ALIPAY.fee(K.ORDER, 10_000) == 60
    assert ALIPAY.fee("transfer", 10_000) == 11  # type: ignore[arg-type]
    assert ALIPAY.fee(K.PAY_FOR_ME, 10_000) == 0
    assert ALIPAY.serves(K.TRANSFER) and not WECHATPAY.serves(K.PAY_FOR_ME)


def test_an_undeclared_kind_is_refused_rather_than_free() -> None:
    with rule_refuses(PaymentError, "fee_not_declared"):
        WECHATPAY.fee(K.PAY_FOR_ME, 100)


def test_a_kind_is_declared_once() -> None:
    with rule_refuses(PaymentError, "invalid_fee"):
        FeeSchedule([FeeRule(K.ORDER, bps=1), FeeRule(K.ORDER, bps=2)])


@pytest.mark.parametrize(
    ("bps", "fixed", "code"),
    [
        (10_001, 0, "invalid_fee"),
        (-1, 0, "invalid_amount"),
        (0, -1, "invalid_amount"),
        (True, 0, "invalid_amount"),
        (0, False, "invalid_amount"),
        (1.5, 0, "invalid_amount"),
    ],
)
def test_a_rule_takes_whole_basis_points_and_fen(bps: object, fixed: object, code: str) -> None:
    with rule_refuses(PaymentError, code):
        FeeRule(K.ORDER, bps=bps, fixed=fixed)  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", [-1, True, 10.0, "100", MAX_AMOUNT + 1])
def test_an_amount_is_whole_fen(amount: object) -> None:
    with rule_refuses(PaymentError, "invalid_amount"):
        ALIPAY.fee(K.ORDER, amount)  # type: ignore[arg-type]


def test_an_unknown_kind_is_refused() -> None:
    with rule_refuses(PaymentError, "invalid_fee"):
        FeeRule("tip", bps=1)  # type: ignore[arg-type]
    with rule_refuses(PaymentError, "invalid_fee"):
        ALIPAY.fee("tip", 100)  # type: ignore[arg-type]


# -- transfer quotes ---------------------------------------------------------------------


def test_the_payer_pays_its_fee_on_top_and_the_payee_fee_comes_out() -> None:
    payee = FeeSchedule([FeeRule(K.TRANSFER, bps=20)])
    quote = quote_transfer(10_000, ALIPAY, payee, now=NOW)
    assert quote == TransferQuote(
        amount=10_000,
        payer_fee=11,
        payee_fee=20,
        total_debit=10_011,
        credited=9_980,
        expires_at=NOW + DEFAULT_QUOTE_TTL,
    )
    assert quote.fees == 31


def test_a_quote_without_now_has_no_deadline_and_ttl_is_the_callers() -> None:
    assert quote_transfer(100, ALIPAY, WECHATPAY).expires_at is None
    quote = quote_transfer(100, ALIPAY, WECHATPAY, now=NOW, ttl=timedelta(seconds=30))
    assert quote.expires_at == NOW + timedelta(seconds=30)
    with rule_refuses(PaymentError, "invalid_quote"):
        quote_transfer(100, ALIPAY, WECHATPAY, now=NOW, ttl=timedelta(0))


def test_a_transfer_moves_at_least_one_fen_and_stays_within_the_ledger() -> None:
    with rule_refuses(PaymentError, "invalid_amount"):
        quote_transfer(0, ALIPAY, WECHATPAY)
    with rule_refuses(PaymentError, "invalid_amount"):
        quote_transfer(MAX_AMOUNT, ALIPAY, WECHATPAY)


def test_both_wallets_must_declare_a_transfer_fee() -> None:
    no_transfers = FeeSchedule([FeeRule(K.ORDER)], wallet="jdpay")
    with rule_refuses(PaymentError, "fee_not_declared"):
        quote_transfer(100, ALIPAY, no_transfers)
    with rule_refuses(PaymentError, "fee_not_declared"):
        quote_transfer(100, no_transfers, ALIPAY)


# -- properties --------------------------------------------------------------------------

rules = st.builds(
    FeeRule,
    kind=st.just(K.TRANSFER),
    bps=st.integers(0, BPS_WHOLE),
    fixed=st.integers(0, 10**6),
)
amounts = st.integers(0, 10**15)


@given(rules, amounts)
def test_fees_are_never_negative_and_never_exceed_the_amount(rule: FeeRule, amount: int) -> None:
    assert 0 <= rule.fee(amount) <= amount


@given(rules, amounts)
def test_a_fee_is_exact_integer_arithmetic(rule: FeeRule, amount: int) -> None:
    assert rule.fee(amount) == min(amount, (amount * rule.bps) // 10_000 + rule.fixed)


@given(rules, rules, st.integers(1, 10**15))
def test_transfer_quotes_always_balance(payer: FeeRule, payee: FeeRule, amount: int) -> None:
    quote = quote_transfer(amount, FeeSchedule([payer]), FeeSchedule([payee]))
    assert quote.total_debit == amount + quote.payer_fee
    assert quote.credited == amount - quote.payee_fee
    assert quote.total_debit - quote.credited == quote.fees
    assert 0 <= quote.credited <= amount <= quote.total_debit
