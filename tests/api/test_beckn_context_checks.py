"""A request's Beckn context must fit the route it is sent to and still be within its ttl.

Before any route runs, the switch reads `context.action` and `context.ttl`
of a signed body: an action naming another route (a Beckn `search` posted
to `/v1/ping`) is 422 `context_action_mismatch`, a message past
`timestamp + ttl` is 422 `context_expired`, a ttl that is no ISO 8601
duration is 422 `invalid_context`; each is a NACK with Beckn's Error object
and writes nothing. A context without these fields (what Hutong's clients
sent before) is taken as it was: only `context.message_id` is required.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest

from hutong.protocol.beckn_context import beckn_uuid, utc_timestamp
from hutong.protocol.signing import Signer
from tests.harness.assertions import assert_acked, refused_without_writes
from tests.harness.beckn_schemas import context_errors, nack_errors
from tests.harness.signed import join, send
from tests.harness.switch import Clock, Switch


@pytest.fixture
async def douyin(switch: Switch) -> Signer:
    return await join(switch)


def beckn_ping(clock: Clock, **context: Any) -> bytes:
    """A ping as a Beckn participant sends it: every Context field, UUID ids."""
    full = {
        "domain": "hutong:interconnect",
        "location": {"country": {"code": "CHN"}},
        "action": "ping",
        "version": "1.1.0",
        "bap_id": "douyin.example",
        "bap_uri": "https://douyin.example/beckn",
        "bpp_id": "hutong.switch",
        "bpp_uri": "https://hutong.example",
        "transaction_id": str(uuid.uuid4()),
        "message_id": str(uuid.uuid4()),
        "timestamp": utc_timestamp(clock.now),
        "ttl": "PT30S",
    } | context
    return json.dumps({"context": full, "message": {"note": "hi"}}).encode()


async def test_a_beckn_participants_full_context_is_acked(
    switch: Switch, douyin: Signer, clock: Clock
) -> None:
    body = beckn_ping(clock)
    assert context_errors(json.loads(body)["context"]) == []
    assert_acked(await send(switch, douyin, body, beckn=True))
    assert_acked(await send(switch, douyin, beckn_ping(clock)))  # target signed too


@pytest.mark.parametrize("beckn", [True, False], ids=["beckn signature", "target signed"])
async def test_a_search_context_posted_to_ping_is_refused(
    switch: Switch, douyin: Signer, clock: Clock, beckn: bool
) -> None:
    response = await refused_without_writes(
        switch,
        send(switch, douyin, beckn_ping(clock, action="search"), beckn=beckn),
        422,
        "context_action_mismatch",
    )
    assert "'search'" in response.json()["error"]["message"]
    assert "'ping'" in response.json()["error"]["message"]
    assert nack_errors(response.json()) == []


async def test_a_context_past_its_ttl_is_refused(
    switch: Switch, douyin: Signer, clock: Clock
) -> None:
    sent_at = utc_timestamp(clock.now - timedelta(seconds=61 + 30))  # ttl + the clock skew
    response = await refused_without_writes(
        switch,
        send(switch, douyin, beckn_ping(clock, timestamp=sent_at, ttl="PT60S")),
        422,
        "context_expired",
    )
    assert nack_errors(response.json()) == []


async def test_a_context_within_its_ttl_and_the_clock_skew_is_taken(
    switch: Switch, douyin: Signer, clock: Clock
) -> None:
    sent_at = utc_timestamp(clock.now - timedelta(seconds=60 + 30))
    assert_acked(await send(switch, douyin, beckn_ping(clock, timestamp=sent_at, ttl="PT60S")))


@pytest.mark.parametrize(
    ("context", "what"),
    [
        ({"ttl": "30 seconds"}, "not ISO 8601"),
        ({"ttl": "P1M"}, "months have no fixed length"),
        ({"timestamp": "yesterday"}, "a ttl counts from an RFC 3339 timestamp"),
    ],
)
async def test_an_unreadable_ttl_is_refused(
    switch: Switch, douyin: Signer, clock: Clock, context: dict[str, str], what: str
) -> None:
    await refused_without_writes(
        switch, send(switch, douyin, beckn_ping(clock, **context)), 422, "invalid_context", what
    )


async def test_a_context_without_beckn_fields_still_works(switch: Switch, douyin: Signer) -> None:
    """Hutong's API needs only a message id: clients written before Beckn contexts work."""
    assert_acked(await send(switch, douyin, b'{"context":{"message_id":"m1"},"message":{}}'))


async def test_the_sdk_keeps_hutongs_own_message_id_for_retries(switch: Switch) -> None:
    """An id of the caller's that is no UUID goes as `hutong_message_id`: the switch knows the
    message by it, and a retry (the same bytes) is answered from the first answer."""
    async with await switch.register("kuaishou.example", ["platform"]) as client:
        body = client.envelope("/v1/ping", {"note": "once"}, "order-7-ping")
        first = await client.send("POST", "/v1/ping", body)
        again = await client.send("POST", "/v1/ping", body)
    assert_acked(first)
    assert again.headers.get("x-hutong-replay") == "true"
    assert again.content == first.content
    context = json.loads(body)["context"]
    assert context["hutong_message_id"] == "order-7-ping"
    assert context["message_id"] == beckn_uuid("order-7-ping")
    assert context["action"] == "ping"
    assert context_errors(context) == []
