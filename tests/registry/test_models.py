"""The registry's rules as plain values: no database, no HTTP, no clock."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hutong.api.errors import status_of
from hutong.protocol.errors import ConflictError, ValidationError
from hutong.protocol.signing import new_key_pair
from hutong.registry.models import (
    Participant,
    Role,
    SigningKey,
    Status,
    next_status,
    parse_roles,
    validate_callback_url,
    validate_key_id,
    validate_public_key,
    validate_subscriber_id,
    validate_window,
)

START = datetime(2025, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 1, tzinfo=UTC)
TICK = timedelta(microseconds=1)


def refusal_code(call: object) -> tuple[int, str]:
    assert callable(call)
    with pytest.raises(ValidationError) as raised:
        call()
    return status_of(raised.value), raised.value.code


# --------------------------------------------------------------------------
# Subscriber ids: lower-case, domain-like.
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["douyin.example", "jd-logistics.example", "88vip", "a.b.c", "abc", "x" * 63 + ".example"],
)
def test_a_domain_like_subscriber_id_is_accepted(value: str) -> None:
    assert validate_subscriber_id(value) == value


def test_a_subscriber_id_is_stripped_of_surrounding_spaces() -> None:
    assert validate_subscriber_id("  douyin.example\n") == "douyin.example"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "ab",  # shorter than 3
        "Douyin.example",  # upper case
        "dou_yin.example",
        "douyin|example",  # would break the keyId "sub|key|alg"
        "-douyin.example",
        "douyin-.example",
        "douyin..example",
        "douyin.example.",
        "douyin example",
        "x" * 64 + ".example",  # a label over 63 characters
        ("abcdefgh." * 29)[:-1],  # 260 characters
        "淘宝.example",
    ],
)
def test_other_subscriber_ids_are_refused(value: str) -> None:
    assert refusal_code(lambda: validate_subscriber_id(value)) == (422, "invalid_subscriber_id")


# --------------------------------------------------------------------------
# Key ids, public keys, callback URLs, roles, windows.
# --------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["k1", "2025-01:key.A_b", "k" * 128])
def test_a_key_id_of_safe_characters_is_accepted(value: str) -> None:
    assert validate_key_id(value) == value


@pytest.mark.parametrize("value", ["", "k 1", "k|1", "k/1", "ключ", "k" * 129, "k1\n"])
def test_other_key_ids_are_refused(value: str) -> None:
    assert refusal_code(lambda: validate_key_id(value)) == (422, "invalid_key_id")


def test_a_base64_ed25519_public_key_is_accepted_and_stripped() -> None:
    key = new_key_pair().public_key
    assert validate_public_key(key) == key
    assert validate_public_key(f" {key}\n") == key


@pytest.mark.parametrize(
    "value",
    [
        "",
        "not base64!",
        base64.b64encode(b"\x01" * 31).decode(),
        base64.b64encode(b"\x01" * 33).decode(),
        base64.b64encode(b"\x01" * 64).decode(),  # a private key's length, not a public key's
    ],
    ids=["empty", "not base64", "31 bytes", "33 bytes", "64 bytes"],
)
def test_other_public_keys_are_refused(value: str) -> None:
    assert refusal_code(lambda: validate_public_key(value)) == (422, "invalid_public_key")


@pytest.mark.parametrize(
    "value", ["https://douyin.example/hutong", "http://127.0.0.1:8080/cb", "https://h/?a=1"]
)
def test_an_absolute_http_callback_url_is_accepted(value: str) -> None:
    assert validate_callback_url(value) == value


@pytest.mark.parametrize(
    "value",
    ["", "/hutong", "douyin.example/hutong", "ftp://douyin.example/x", "https://", "mailto:a@b"],
)
def test_other_callback_urls_are_refused(value: str) -> None:
    assert refusal_code(lambda: validate_callback_url(value)) == (422, "invalid_callback_url")


def test_roles_are_parsed_case_insensitively_deduplicated_and_sorted() -> None:
    assert parse_roles([" Platform", "merchant", "PLATFORM", "wallet"]) == (
        Role.MERCHANT,
        Role.PLATFORM,
        Role.WALLET,
    )
    assert parse_roles(tuple(r.value for r in Role)) == tuple(sorted(Role))


@pytest.mark.parametrize("values", [[], ["bank"], ["platform", "platforms"], [""]])
def test_no_roles_or_an_unknown_role_is_refused(values: list[str]) -> None:
    assert refusal_code(lambda: parse_roles(values)) == (422, "invalid_roles")


def test_a_key_window_must_end_after_it_starts() -> None:
    validate_window(START, START + TICK)
    assert refusal_code(lambda: validate_window(START, START)) == (422, "invalid_key_window")
    assert refusal_code(lambda: validate_window(END, START)) == (422, "invalid_key_window")


def test_a_key_window_must_name_its_time_zone() -> None:
    naive = datetime(2025, 1, 1)
    for window in ((naive, END), (START, naive + timedelta(days=400)), (naive, naive + TICK)):
        assert refusal_code(lambda w=window: validate_window(*w)) == (422, "invalid_key_window")


# --------------------------------------------------------------------------
# A key signs from valid_from (included) to valid_until (excluded), unless revoked.
# --------------------------------------------------------------------------


def test_a_key_is_usable_from_its_valid_from_included() -> None:
    key = SigningKey("k1", "pk", START, END)
    assert key.refusal_at(START - TICK) == "key not yet valid"
    assert not key.usable_at(START - TICK)
    assert key.refusal_at(START) is None
    assert key.usable_at(START)


def test_a_key_is_usable_until_its_valid_until_excluded() -> None:
    key = SigningKey("k1", "pk", START, END)
    assert key.refusal_at(END - TICK) is None
    assert key.usable_at(END - TICK)
    assert key.refusal_at(END) == "key expired"
    assert not key.usable_at(END)


def test_a_revoked_key_is_unusable_from_its_revocation_on() -> None:
    revoked_at = START + timedelta(days=10)
    key = SigningKey("k1", "pk", START, END, revoked_at=revoked_at)
    assert key.refusal_at(revoked_at - TICK) is None
    assert key.refusal_at(revoked_at) == "key revoked"
    # Revocation is the reason given even once the window has closed too.
    assert key.refusal_at(END + timedelta(days=1)) == "key revoked"


def test_a_revocation_dated_before_the_window_refuses_the_whole_window() -> None:
    key = SigningKey("k1", "pk", START, END, revoked_at=START - timedelta(days=1))
    assert key.refusal_at(START) == "key revoked"
    assert key.refusal_at(START - timedelta(days=2)) == "key not yet valid"


moments = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
)


@given(moment=moments, revoked_at=st.none() | moments)
def test_a_key_is_usable_exactly_when_there_is_no_reason_to_refuse_it(
    moment: datetime, revoked_at: datetime | None
) -> None:
    key = SigningKey("k1", "pk", START, END, revoked_at=revoked_at)
    assert key.usable_at(moment) == (key.refusal_at(moment) is None)


# --------------------------------------------------------------------------
# Status changes: suspension comes and goes, revocation is final.
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        (Status.ACTIVE, Status.SUSPENDED),
        (Status.SUSPENDED, Status.ACTIVE),
        (Status.ACTIVE, Status.REVOKED),
        (Status.SUSPENDED, Status.REVOKED),
        (Status.ACTIVE, Status.ACTIVE),
        (Status.SUSPENDED, Status.SUSPENDED),
        (Status.REVOKED, Status.REVOKED),
    ],
)
def test_an_allowed_status_change_gives_the_wanted_status(current: Status, wanted: Status) -> None:
    assert next_status(current, wanted) is wanted


@pytest.mark.parametrize("wanted", [Status.ACTIVE, Status.SUSPENDED])
def test_a_revoked_participant_cannot_be_reinstated(wanted: Status) -> None:
    with pytest.raises(ConflictError) as raised:
        next_status(Status.REVOKED, wanted)
    assert (status_of(raised.value), raised.value.code) == (409, "participant_revoked")


def test_a_participant_has_the_roles_it_was_given() -> None:
    jd = Participant(
        subscriber_id="jd.example",
        roles=(Role.MERCHANT, Role.PLATFORM),
        callback_url="https://jd.example/cb",
        status=Status.ACTIVE,
    )
    assert jd.has_role(Role.PLATFORM)
    assert jd.has_role(Role.MERCHANT)
    assert not jd.has_role(Role.WALLET)
