"""The Beckn context: made to pass Context.yaml, Hutong's ids beside Beckn's UUIDs, checked.

`make_context` builds what every event, decision call and request carries;
`beckn_uuid` turns a Hutong id into the UUID Beckn wants, the same one every
time; `route_action` names a route from its path, the same way for the SDK
and the switch; `refusal` says why a received context cannot be acted on.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hutong.protocol.beckn_context import (
    Context,
    beckn_uuid,
    duration,
    make_context,
    parse_duration,
    parse_timestamp,
    refusal,
    route_action,
)
from tests.harness.beckn_schemas import context_errors

NOW = datetime(2026, 12, 6, 13, 45, 28, 123_000, tzinfo=UTC)


def event_context(**changes: object) -> dict[str, object]:
    made = make_context(
        action="on_order",
        message_id="evt_01jd3k",
        transaction_id="ord_01jd3j",
        bap_id="douyin.example",
        bap_uri="https://douyin.example/cb",
        bpp_id="hutong.switch",
        bpp_uri="urn:hutong:hutong.switch",
        now=NOW,
        ttl_seconds=86_400,
    )
    return made | changes


def test_a_made_context_passes_beckns_context_schema_with_hutongs_ids_alongside() -> None:
    context = event_context()
    assert context_errors(context) == []
    assert context == {
        "domain": "hutong:interconnect",
        "location": {"country": {"code": "CHN"}},
        "action": "on_order",
        "version": "1.1.0",
        "bap_id": "douyin.example",
        "bap_uri": "https://douyin.example/cb",
        "bpp_id": "hutong.switch",
        "bpp_uri": "urn:hutong:hutong.switch",
        "transaction_id": beckn_uuid("ord_01jd3j"),
        "message_id": beckn_uuid("evt_01jd3k"),
        "timestamp": "2026-12-06T13:45:28.123Z",
        "ttl": "P1D",
        "hutong_message_id": "evt_01jd3k",
        "hutong_transaction_id": "ord_01jd3j",
    }


def test_a_uuid_stays_itself_and_needs_no_hutong_id_beside_it() -> None:
    fresh = str(uuid.uuid4())
    assert beckn_uuid(fresh) == fresh
    assert beckn_uuid(fresh.upper()) == fresh
    context = event_context()
    made = make_context(**_args(message_id=fresh, transaction_id=fresh))
    assert made["message_id"] == made["transaction_id"] == fresh
    assert "hutong_message_id" not in made and "hutong_transaction_id" not in made
    assert context["message_id"] != fresh


def _args(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "action": "ping",
        "message_id": "m1",
        "transaction_id": "m1",
        "bap_id": "douyin.example",
        "bap_uri": "urn:hutong:douyin.example",
        "bpp_id": "hutong.switch",
        "bpp_uri": "http://127.0.0.1:8080",
        "now": NOW,
        "ttl_seconds": 60,
    }
    return base | changes


@given(st.text(min_size=1, max_size=128))
def test_every_hutong_id_has_one_uuid_for_ever(hutong_id: str) -> None:
    """A retried event or call keeps its Beckn id: receivers deduplicate by it."""
    found = beckn_uuid(hutong_id)
    assert found == beckn_uuid(hutong_id)
    assert str(uuid.UUID(found)) == found


def test_a_context_decodes_for_routes_and_knows_hutongs_own_ids() -> None:
    decoded = msgspec.convert(event_context(), Context)
    assert decoded.own_message_id == "evt_01jd3k"
    assert decoded.own_transaction_id == "ord_01jd3j"
    legacy = Context(message_id="msg_1")
    assert legacy.own_message_id == "msg_1"


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ("/v1/ping", "ping"),
        ("/v1/orders", "orders"),
        ("/v1/orders/ord_01jd3j/cancel", "cancel"),
        ("/v1/orders/ord_01jd3j/refund-request/close", "close"),
        ("/v1/orders/ord_01jd3j/refund-request", "refund_request"),
        ("/v1/apps/jd.example", "apps"),
        ("/v1/windows/2026-12-06/reconcile/jd.example", "reconcile"),
        ("/v1/shipments/quote?dry=1", "quote"),
        ("/lookup", "lookup"),
    ],
)
def test_a_routes_action_is_the_last_word_of_its_path(path: str, action: str) -> None:
    assert route_action(path) == action


@given(st.integers(min_value=0, max_value=10**7))
def test_a_ttl_reads_back_as_the_seconds_it_was_made_of(seconds: int) -> None:
    assert parse_duration(duration(seconds)) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("PT30S", timedelta(seconds=30)),
        ("PT1H", timedelta(hours=1)),
        ("P1DT2H3M4.5S", timedelta(days=1, hours=2, minutes=3, seconds=4.5)),
        ("P2W", timedelta(weeks=2)),
        ("P", None),
        ("PT", None),
        ("P1DT", None),
        ("P1M", None),
        ("30", None),
        ("pt30s", None),
    ],
)
def test_durations_as_beckn_peers_write_them(text: str, length: timedelta | None) -> None:
    assert parse_duration(text) == length


def test_timestamps_need_their_offset() -> None:
    assert parse_timestamp("2026-12-06T21:45:28+08:00") == NOW.replace(microsecond=0)
    assert parse_timestamp("2026-12-06T13:45:28") is None
    assert parse_timestamp("2026-13-06T13:45:28Z") is None


def test_a_context_naming_another_routes_action_is_refused() -> None:
    found = refusal(event_context(action="search"), action="ping", now=NOW)
    assert found is not None and found.code == "context_action_mismatch"
    assert refusal(event_context(action="ping"), action="ping", now=NOW) is None
    assert refusal(event_context(action=""), action="ping", now=NOW) is None


def test_a_context_is_refused_once_past_timestamp_plus_ttl_and_the_skew() -> None:
    context = event_context(action="ping", ttl="PT60S")
    ends = NOW + timedelta(seconds=60)
    assert refusal(context, action="ping", now=ends, skew=0) is None
    late = refusal(context, action="ping", now=ends + timedelta(milliseconds=1), skew=0)
    assert late is not None and late.code == "context_expired"
    assert refusal(context, action="ping", now=ends + timedelta(seconds=30), skew=30) is None


def test_a_context_without_a_ttl_has_no_limit_and_a_bad_one_is_refused() -> None:
    years = NOW + timedelta(days=3650)
    assert refusal({"message_id": "m1"}, action="ping", now=years) is None
    bad = refusal({"message_id": "m1", "ttl": "PT30S"}, action="ping", now=NOW)
    assert bad is not None and bad.code == "invalid_context"  # no timestamp to count from
    typed = refusal({"action": 7, "ttl": 30}, action="ping", now=NOW)
    assert typed is None  # wrong JSON types are the route schema's to refuse
