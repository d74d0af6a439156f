"""Wallet acceptance: dated versions, refusals with who and since when, the seed facts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hutong.payments.checkout.acceptance import (
    AcceptanceHistory,
    AcceptancePolicy,
    Refusal,
    WalletChoice,
    choosable_wallets,
)
from hutong.payments.rules import PaymentError
from hutong.world.acceptance import SEED_ACCEPTANCE_POLICIES, seed_acceptance
from tests.harness.assertions import rule_refuses

WALLETS = ["alipay", "wechatpay", "jdpay", "unionpay"]
CHANGE = date(2024, 10, 29)


def policy(
    platform: str = "jd",
    valid_from: date = date(2011, 1, 1),
    *,
    accepts: set[str] | None = None,
    refused: dict[str, str] | None = None,
    declared_at: date | None = None,
) -> AcceptancePolicy:
    return AcceptancePolicy(
        platform=platform,
        valid_from=valid_from,
        accepts=None if accepts is None else frozenset(accepts),
        refused=refused or {},
        declared_at=declared_at,
    )


def jd() -> AcceptanceHistory:
    return AcceptanceHistory(
        "jd",
        [policy(refused={"alipay": "rival group"}), policy(valid_from=CHANGE)],
    )


# -- one platform's history --------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "accepted"),
    [
        (CHANGE - timedelta(days=1), False),
        (CHANGE, True),
        (CHANGE + timedelta(days=1), True),
    ],
)
def test_a_new_version_decides_from_its_valid_from_day_inclusive(day: date, accepted: bool) -> None:
    assert (jd().refusal("alipay", day) is None) is accepted


def test_before_the_first_version_nothing_is_declared_and_every_wallet_is_accepted() -> None:
    history = jd()
    assert history.in_force(date(2010, 12, 31)) is None
    assert history.refusal("alipay", date(2010, 12, 31)) is None


def test_a_refusal_names_the_wallet_who_refuses_since_when_and_why() -> None:
    refusal = jd().refusal("alipay", date(2020, 6, 1))
    assert refusal == Refusal("alipay", "jd", date(2011, 1, 1), "rival group", 1)
    assert refusal.explain() == "alipay refused by jd since 2011-01-01 (version 1): rival group"
    assert refusal.to_dict() == {
        "wallet": "alipay",
        "by": "jd",
        "since": "2011-01-01",
        "reason": "rival group",
        "version": 1,
    }


def test_since_is_the_start_of_the_unbroken_run_of_refusing_versions() -> None:
    history = jd().as_of(1)
    history.declare(policy(valid_from=date(2015, 1, 1), refused={"alipay": "still", "x": "y"}))
    refusal = history.refusal("alipay", date(2016, 1, 1))
    assert refusal is not None
    assert (refusal.since, refusal.version, refusal.reason) == (date(2011, 1, 1), 2, "still")
    history.declare(policy(valid_from=date(2017, 1, 1)))
    history.declare(policy(valid_from=date(2018, 1, 1), refused={"alipay": "again"}))
    again = history.refusal("alipay", date(2019, 1, 1))
    assert again is not None and again.since == date(2018, 1, 1)


def test_a_platform_that_accepts_only_a_set_refuses_the_others() -> None:
    history = AcceptanceHistory("shop", [policy("shop", accepts={"jdpay", "unionpay"})])
    refusal = history.refusal("alipay", date(2020, 1, 1))
    assert refusal is not None and refusal.reason == "shop accepts only jdpay, unionpay"
    assert history.refusal("jdpay", date(2020, 1, 1)) is None


def test_a_later_version_on_the_same_day_replaces_the_earlier_one() -> None:
    history = AcceptanceHistory(
        "jd", [policy(refused={"alipay": "first"}), policy(refused={"unionpay": "second"})]
    )
    assert history.refusal("alipay", date(2012, 1, 1)) is None
    assert history.refusal("unionpay", date(2012, 1, 1)) is not None


def test_a_version_never_changes_a_decision_before_its_valid_from() -> None:
    history = jd()
    before = [history.refusal("alipay", date(2020, 1, 1))]
    history.declare(policy(valid_from=date(2030, 1, 1), refused={"alipay": "again"}))
    assert [history.refusal("alipay", date(2020, 1, 1))] == before


def test_versions_are_numbered_and_as_of_rebuilds_the_past() -> None:
    history = jd()
    assert [p.version for p in history.versions] == [1, 2]
    assert history.as_of(1).refusal("alipay", date(2025, 1, 1)) is not None
    assert len(history.as_of(0).versions) == 0
    with rule_refuses(PaymentError, "invalid_policy"):
        history.as_of(3)


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda: policy(platform=" "), "a platform is required"),
        (lambda: policy(accepts={"alipay"}, refused={"alipay": "no"}), "contradiction"),
        (lambda: policy(refused={"alipay": " "}), "a refusal needs a reason"),
        (lambda: policy(refused={"": "no"}), "a wallet id is not empty"),
        (lambda: policy(valid_from=datetime(2011, 1, 1)), "days are dates, not datetimes"),
    ],
)
def test_an_invalid_declaration_is_refused(make: object, why: str) -> None:
    with rule_refuses(PaymentError, "invalid_policy"):
        make()  # type: ignore[operator]


def test_a_history_takes_only_its_platform_in_order() -> None:
    history = jd()
    with rule_refuses(PaymentError, "invalid_policy"):
        history.declare(policy("taobao"))
    with rule_refuses(PaymentError, "invalid_policy"):
        history.declare(AcceptancePolicy(platform="jd", valid_from=CHANGE, version=7))
    history.declare(policy(valid_from=CHANGE, declared_at=date(2024, 10, 1)))
    with rule_refuses(PaymentError, "invalid_policy"):
        history.declare(policy(valid_from=CHANGE, declared_at=date(2024, 9, 1)))


# -- choosing a wallet -------------------------------------------------------------------


def test_a_wallet_must_be_accepted_by_the_host_and_the_merchant_platform() -> None:
    host = AcceptanceHistory("douyin", [policy("douyin", refused={"wechatpay": "rival"})])
    choice = choosable_wallets(WALLETS, host, jd(), date(2020, 1, 1))
    assert choice.allowed == ["jdpay", "unionpay"]
    assert [(r.wallet, r.by) for r in choice.refused] == [("alipay", "jd"), ("wechatpay", "douyin")]


def test_when_both_refuse_both_refusals_are_visible() -> None:
    host = AcceptanceHistory("douyin", [policy("douyin", refused={"alipay": "rival"})])
    allowed, refusals = choosable_wallets(WALLETS, host, jd(), date(2020, 1, 1))
    assert "alipay" not in allowed
    assert [r.by for r in refusals] == ["douyin", "jd"]


def test_a_merchant_on_its_own_platform_app_is_judged_once() -> None:
    history = jd()
    choice = choosable_wallets(WALLETS, history, history, date(2020, 1, 1))
    assert len(choice.refused) == 1
    with rule_refuses(PaymentError, "invalid_policy"):
        choosable_wallets(WALLETS, history, jd(), date(2020, 1, 1))


def test_platforms_that_declared_nothing_accept_every_wallet() -> None:
    assert choosable_wallets([*WALLETS, "alipay"], None, None, CHANGE) == WalletChoice(WALLETS, [])


@given(st.dates(date(2000, 1, 1), date(2030, 12, 31)))
def test_every_registered_wallet_is_either_allowed_or_refused(day: date) -> None:
    host = AcceptanceHistory("douyin", [policy("douyin", accepts={"alipay", "wechatpay"})])
    allowed, refusals = choosable_wallets(WALLETS, host, jd(), day)
    assert set(allowed) | {r.wallet for r in refusals} == set(WALLETS)
    assert not set(allowed) & {r.wallet for r in refusals}


# -- the seed world ----------------------------------------------------------------------

SEED = seed_acceptance()


def seed_choice(host: str, merchant_platform: str, day: date) -> WalletChoice:
    return choosable_wallets(WALLETS, SEED.get(host), SEED.get(merchant_platform), day)


@pytest.mark.parametrize(
    ("day", "accepted"),
    [(date(2024, 9, 26), False), (date(2024, 9, 27), True), (date(2024, 12, 1), True)],
)
def test_taobao_accepts_wechat_pay_from_2024_09_27(day: date, accepted: bool) -> None:
    choice = seed_choice("taobao", "taobao", day)
    assert ("wechatpay" in choice.allowed) is accepted
    if not accepted:
        assert choice.refused[0].by == "taobao"


@pytest.mark.parametrize(
    ("day", "accepted"), [(date(2024, 10, 28), False), (date(2024, 10, 29), True)]
)
def test_jd_accepts_alipay_again_from_2024_10_29(day: date, accepted: bool) -> None:
    choice = seed_choice("jd", "jd", day)
    assert ("alipay" in choice.allowed) is accepted
    assert choice.allowed == (WALLETS if accepted else ["wechatpay", "jdpay", "unionpay"])


def test_jd_refused_alipay_since_2011() -> None:
    refusal = SEED["jd"].refusal("alipay", date(2024, 10, 28))
    assert refusal is not None and (refusal.by, refusal.since) == ("jd", date(2011, 1, 1))


def test_a_taobao_link_opened_in_jd_in_2023_loses_wechat_pay_and_alipay() -> None:
    choice = seed_choice("jd", "taobao", date(2023, 6, 1))
    assert choice.allowed == ["jdpay", "unionpay"]
    assert {(r.wallet, r.by) for r in choice.refused} == {("alipay", "jd"), ("wechatpay", "taobao")}


def test_tmall_declares_its_double_11_opening() -> None:
    assert SEED["tmall"].in_force(date(2024, 11, 11)) is not None
    assert seed_choice("tmall", "tmall", date(2024, 11, 11)).allowed == WALLETS


def test_the_seed_policies_are_histories_of_their_platforms() -> None:
    assert set(SEED) == {"jd", "taobao", "tmall"}
    assert sum(len(h.versions) for h in SEED.values()) == len(SEED_ACCEPTANCE_POLICIES)
