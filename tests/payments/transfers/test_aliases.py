"""Payee aliases: phone numbers and handles, masked display, keyed digests, the directory."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hutong.payments.rules import PaymentError
from hutong.payments.transfers.aliases import (
    Alias,
    AliasDirectory,
    AliasKind,
    alias_digest,
    mask,
    normalize_alias,
)
from tests.harness.assertions import rule_refuses

KEY = b"k" * 32
PHONE = "13800135678"


def phone(value: str = PHONE) -> Alias:
    return normalize_alias(AliasKind.PHONE, value)


# -- normalizing -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "13800135678",
        "138 0013 5678",
        "138-0013-5678",
        "+86 138 0013 5678",
        "0086 13800135678",
        "8613800135678",
        "(138) 0013.5678",
        "１３８００１３５６７８",  # full-width digits
        " 13800135678\n",
    ],
)
def test_a_mobile_number_is_read_however_it_was_written(written: str) -> None:
    assert phone(written) == Alias(AliasKind.PHONE, PHONE)


@pytest.mark.parametrize(
    "written",
    [
        "1380013567",
        "138001356789",
        "12800135678",
        "23800135678",
        "1380013567a",
        "",
        "+1 13800135678",
    ],
)
def test_anything_but_an_11_digit_mainland_mobile_is_refused(written: str) -> None:
    with rule_refuses(PaymentError, "invalid_alias") as caught:
        phone(written)
    assert written.strip() == "" or written.strip() not in str(caught.value)


def test_a_handle_is_lower_case_without_its_at_sign() -> None:
    assert normalize_alias("handle", " @Li_Lei.88 ") == Alias(AliasKind.HANDLE, "li_lei.88")


@pytest.mark.parametrize("written", ["ab", "a" * 33, "8lilei", "li lei", "李雷", "_lilei"])
def test_a_handle_is_3_to_32_plain_characters_starting_with_a_letter(written: str) -> None:
    with rule_refuses(PaymentError, "invalid_alias"):
        normalize_alias(AliasKind.HANDLE, written)


def test_an_unknown_kind_or_a_non_text_value_is_refused() -> None:
    with rule_refuses(PaymentError, "invalid_alias"):
        normalize_alias("email", "a@b.c")
    with rule_refuses(PaymentError, "invalid_alias"):
        normalize_alias(AliasKind.PHONE, 13800135678)  # type: ignore[arg-type]


def test_an_alias_is_built_only_from_a_normalized_value() -> None:
    with rule_refuses(PaymentError, "invalid_alias"):
        Alias(AliasKind.PHONE, "+86 138 0013 5678")
    with rule_refuses(PaymentError, "invalid_alias"):
        Alias(AliasKind.HANDLE, "LiLei")


# -- display and digests -----------------------------------------------------------------


def test_a_phone_number_is_masked_for_display_and_in_logs() -> None:
    alias = phone()
    assert mask(alias) == "138****5678"
    assert str(alias) == "138****5678"
    assert repr(alias) == "Alias(phone, 138****5678)"
    assert PHONE not in f"{alias} {alias!r} {[alias]}"


def test_a_handle_is_shown_as_it_is() -> None:
    assert mask(normalize_alias("handle", "lilei")) == "lilei"


def test_the_digest_is_keyed_stable_and_hides_the_number() -> None:
    digest = alias_digest(phone(), KEY)
    assert digest == alias_digest(phone("+86 13800135678"), KEY)
    assert digest != alias_digest(phone(), b"q" * 32)
    assert digest != alias_digest(phone("13800135679"), KEY)
    assert digest.startswith("b2:") and PHONE not in digest


def test_the_digest_key_is_16_to_64_bytes() -> None:
    for key in (b"short", b"x" * 65):
        with pytest.raises(ValueError):
            alias_digest(phone(), key)


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_every_mobile_number_round_trips_and_masks_to_its_ends(number: str) -> None:
    alias = phone(f"+86 {number[:3]} {number[3:7]} {number[7:]}")
    assert alias.value == number
    assert mask(alias) == number[:3] + "****" + number[-4:]


# -- the directory -----------------------------------------------------------------------


def test_each_wallet_publishes_its_own_users_and_lookup_finds_them_all() -> None:
    directory = AliasDirectory(KEY)
    directory.register(phone(), wallet="wechatpay", account="wx-1", acting="wechatpay")
    directory.register(phone(), wallet="alipay", account="ali-9", acting="alipay")
    entries = directory.lookup(phone("+86 13800135678"))
    assert [(e.wallet, e.account, e.masked) for e in entries] == [
        ("alipay", "ali-9", "138****5678"),
        ("wechatpay", "wx-1", "138****5678"),
    ]
    assert all(PHONE not in repr(e) for e in entries)


def test_registering_the_same_entry_again_changes_nothing() -> None:
    directory = AliasDirectory(KEY)
    first = directory.register(phone(), wallet="alipay", account="a", acting="alipay")
    assert directory.register(phone(), wallet="alipay", account="a", acting="alipay") == first
    assert len(directory) == 1


def test_only_the_owning_wallet_registers_or_removes_an_alias() -> None:
    directory = AliasDirectory(KEY)
    with rule_refuses(PaymentError, "alias_not_owned"):
        directory.register(phone(), wallet="alipay", account="a", acting="wechatpay")
    directory.register(phone(), wallet="alipay", account="a", acting="alipay")
    with rule_refuses(PaymentError, "alias_not_owned"):
        directory.remove(phone(), wallet="alipay", acting="wechatpay")
    assert directory.remove(phone(), wallet="alipay", acting="alipay").account == "a"
    assert directory.lookup(phone()) == ()


def test_within_a_wallet_an_alias_names_one_account() -> None:
    directory = AliasDirectory(KEY)
    directory.register(phone(), wallet="alipay", account="a", acting="alipay")
    with rule_refuses(PaymentError, "alias_taken") as caught:
        directory.register(phone(), wallet="alipay", account="b", acting="alipay")
    assert PHONE not in str(caught.value)


def test_removing_an_unpublished_alias_is_not_found() -> None:
    with rule_refuses(PaymentError, "alias_not_found"):
        AliasDirectory(KEY).remove(phone(), wallet="alipay", acting="alipay")


def test_an_entry_needs_a_wallet_and_an_account() -> None:
    with rule_refuses(PaymentError, "invalid_alias"):
        AliasDirectory(KEY).register(phone(), wallet="alipay", account=" ", acting="alipay")
