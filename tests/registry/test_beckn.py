"""Hutong's participants in Beckn's registry terms: types, statuses, entry ids, filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hutong.registry.beckn import (
    BecknType,
    Placement,
    Wanted,
    entry_id,
    records_of,
    subscription_status,
    types_of,
)
from hutong.registry.models import Participant, Role, SigningKey, Status
from tests.harness.beckn_schemas import subscription_errors

NOW = datetime(2026, 1, 1, tzinfo=UTC)
KEY = SigningKey("k1", "A" * 43 + "=", NOW - timedelta(days=1), NOW + timedelta(days=1))


def participant(*roles: Role, status: Status = Status.ACTIVE, key: SigningKey = KEY) -> Participant:
    return Participant(
        "shop.example", roles, "https://shop.example/cb", status, created_at=NOW, keys=(key,)
    )


def test_each_role_with_a_beckn_type_has_it_once() -> None:
    assert types_of(participant(Role.PLATFORM)) == (BecknType.BAP,)
    assert types_of(participant(Role.MERCHANT, Role.CARRIER)) == (BecknType.BPP,)
    assert types_of(participant(Role.GATEWAY, Role.PLATFORM)) == (BecknType.BAP, BecknType.BG)
    assert types_of(participant(Role.WALLET, Role.AUDITOR, Role.PROGRAM, Role.CREATOR)) == ()


def test_the_status_follows_the_participant_and_the_key() -> None:
    assert subscription_status(participant(Role.PLATFORM), KEY, NOW) == "SUBSCRIBED"
    assert (
        subscription_status(participant(Role.PLATFORM), KEY, NOW + timedelta(days=2)) == "EXPIRED"
    )
    suspended = participant(Role.PLATFORM, status=Status.SUSPENDED)
    assert subscription_status(suspended, KEY, NOW) == "UNSUBSCRIBED"
    revoked_key = SigningKey(KEY.key_id, KEY.public_key, KEY.valid_from, KEY.valid_until, NOW)
    assert subscription_status(participant(Role.PLATFORM), revoked_key, NOW) == "UNSUBSCRIBED"


def test_an_entry_keeps_its_uuid_and_each_entry_has_its_own() -> None:
    first = entry_id("shop.example", "k1", "BPP", "ONDC:RET10")
    assert first == entry_id("shop.example", "k1", "BPP", "ONDC:RET10")
    assert first != entry_id("shop.example", "k1", "BPP", "ONDC:RET11")
    assert first != entry_id("shop.example", "k2", "BPP", "ONDC:RET10")


def test_a_record_per_type_domain_and_key_each_a_beckn_subscription() -> None:
    both = participant(Role.PLATFORM, Role.MERCHANT)
    places = [Placement("ONDC:RET10", "IND", "std:080"), Placement("ONDC:RET11", "IND")]
    records = records_of(both, places, Wanted(), NOW)
    assert [(r["type"], r["domain"]) for r in records] == [
        ("BAP", "ONDC:RET10"),
        ("BAP", "ONDC:RET11"),
        ("BPP", "ONDC:RET10"),
        ("BPP", "ONDC:RET11"),
    ]
    for record in records:
        assert subscription_errors(record) == []
    wanted = Wanted(beckn_type=BecknType.BPP, domain="ONDC:RET11", country="IND")
    [only] = records_of(both, places, wanted, NOW)
    assert (only["type"], only["domain"], only["location"]) == (
        "BPP",
        "ONDC:RET11",
        {"country": {"code": "IND"}},
    )
    # Without a placement there is no domain or location to match.
    assert records_of(both, [], Wanted(country="IND"), NOW) == []
    assert len(records_of(both, [], Wanted(), NOW)) == 2
