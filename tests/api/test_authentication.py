"""Every participant request is signed; a refused one is answered before any route runs.

The switch checks, in order: body size and content type, the Authorization
header's form, the key (known, of an active participant, inside its validity
window), the request's created/expires window, a `Digest` header if sent, the
ed25519 signature over the exact bytes received, that the body is JSON, and
(before the route's schema) that a mutating request has a message id. Each
refusal is a NACK with a stable code, a 401 carries `WWW-Authenticate`, and a
refused request writes nothing at all.

The requests here are crafted by hand with `Signer` and httpx so that every
part of them can be bent; the switch's clock is the settable `clock` fixture.
They sign their request line (`(request-target)`) as every client must; what
the switch does with signatures that leave it out, or name another request,
is in `test_request_target.py`.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import httpx
import pytest

from hutong.api.auth import WWW_AUTHENTICATE
from hutong.protocol.signing import Signer, body_digest, new_key_pair
from tests.harness.assertions import assert_acked, assert_nack
from tests.harness.assertions import refused_without_writes as harness_refused_without_writes
from tests.harness.signed import PING, SUBSCRIBER, join, now_unix, ping_header, send
from tests.harness.switch import Clock, Switch, row_counts


def assert_refused(response: httpx.Response, status: int, code: str, what: str = "") -> None:
    """`assert_nack`, and a 401 challenges with exactly the signature scheme's header."""
    assert_nack(response, status, code, what)
    if status == 401:
        assert response.headers["www-authenticate"] == WWW_AUTHENTICATE, what


@pytest.fixture
async def douyin(switch: Switch) -> Signer:
    return await join(switch)


async def refused_without_writes(
    switch: Switch, request: Awaitable[httpx.Response], status: int, code: str, what: str = ""
) -> httpx.Response:
    """The harness's `refused_without_writes`, with this module's exact 401 challenge."""
    response = await harness_refused_without_writes(switch, request, status, code, what)
    assert_refused(response, status, code, what)
    return response


# --------------------------------------------------------------------------
# The request that works, as a reference for every refusal below.
# --------------------------------------------------------------------------


async def test_a_correctly_signed_request_is_accepted(switch: Switch, douyin: Signer) -> None:
    before = await row_counts(switch.services)
    assert_acked(await send(switch, douyin))
    after = await row_counts(switch.services)
    assert after["outbox"] == before["outbox"] + 1  # the on_ping event
    assert after["messages"] == before["messages"] + 1  # the answer, for retries

    # A GET is signed over the empty body.
    me = await send(switch, douyin, b"", method="GET", path="/v1/self")
    assert me.status_code == 200, me.text
    assert me.json()["subscriber_id"] == SUBSCRIBER

    # The SDK client signs the same way.
    async with await switch.register("kuaishou.example", ["platform", "merchant"]) as client:
        assert_acked(await client.post("/v1/ping", {"note": "hi"}))
        me = await client.get("/v1/self")
    assert me.status_code == 200, me.text
    assert me.json()["roles"] == ["merchant", "platform"]


# --------------------------------------------------------------------------
# Who is signing: header present, key known, participant active, key in window.
# --------------------------------------------------------------------------


async def test_a_request_without_an_authorization_header_is_refused(
    switch: Switch, douyin: Signer
) -> None:
    await refused_without_writes(switch, send(switch, None), 401, "signature_missing")
    await refused_without_writes(
        switch, send(switch, None, authorization=""), 401, "signature_missing", "empty header"
    )


async def test_an_unknown_key_id_is_refused(switch: Switch, douyin: Signer) -> None:
    authorization = ping_header(douyin, PING, now_unix(switch))
    authorization = authorization.replace(f"{SUBSCRIBER}|k1|", f"{SUBSCRIBER}|k9|")
    await refused_without_writes(
        switch, send(switch, None, authorization=authorization), 401, "unknown_key"
    )


async def test_an_unknown_subscriber_is_refused(switch: Switch, douyin: Signer) -> None:
    authorization = ping_header(douyin, PING, now_unix(switch))
    authorization = authorization.replace(f"{SUBSCRIBER}|k1|", "stranger.example|k1|")
    await refused_without_writes(
        switch, send(switch, None, authorization=authorization), 401, "unknown_key"
    )


async def test_a_revoked_participant_is_refused(switch: Switch, douyin: Signer) -> None:
    revoked = await switch.operator.post(
        f"/operator/participants/{SUBSCRIBER}/revoke", json={"reason": "left the network"}
    )
    assert revoked.status_code == 200, revoked.text
    await refused_without_writes(switch, send(switch, douyin), 401, "participant_revoked")


async def test_a_suspended_participant_is_refused(switch: Switch, douyin: Signer) -> None:
    suspended = await switch.operator.post(
        f"/operator/participants/{SUBSCRIBER}/suspend", json={"reason": "audit"}
    )
    assert suspended.status_code == 200, suspended.text
    await refused_without_writes(switch, send(switch, douyin), 401, "participant_suspended")


async def test_a_key_before_its_valid_from_is_refused_then_accepted_once_it_starts(
    switch: Switch, clock: Clock
) -> None:
    signer = await join(switch, valid_from=clock.now + timedelta(hours=1))
    await refused_without_writes(switch, send(switch, signer), 401, "key_not_yet_valid")
    clock.advance(3600)
    assert_acked(await send(switch, signer))


async def test_a_key_is_accepted_up_to_its_valid_until_and_refused_from_then_on(
    switch: Switch, clock: Clock
) -> None:
    signer = await join(switch, valid_until=clock.now + timedelta(hours=1))
    clock.advance(3599)
    assert_acked(await send(switch, signer))
    clock.advance(1)  # valid_until itself is outside the window
    await refused_without_writes(switch, send(switch, signer), 401, "key_expired")


# --------------------------------------------------------------------------
# When it was signed: created/expires against the switch's clock.
# --------------------------------------------------------------------------


async def test_a_request_that_expired_beyond_the_clock_skew_is_refused(
    switch: Switch, douyin: Signer
) -> None:
    skew = switch.services.settings.clock_skew
    now = now_unix(switch)
    await refused_without_writes(
        switch,
        send(switch, douyin, created=now - 300, expires=now - skew - 1),
        401,
        "request_expired",
    )
    # One second less late is within the tolerated skew.
    assert_acked(await send(switch, douyin, created=now - 300, expires=now - skew))


async def test_a_request_created_beyond_the_clock_skew_in_the_future_is_refused(
    switch: Switch, douyin: Signer
) -> None:
    skew = switch.services.settings.clock_skew
    now = now_unix(switch)
    await refused_without_writes(
        switch, send(switch, douyin, created=now + skew + 1), 401, "request_not_yet_valid"
    )
    assert_acked(await send(switch, douyin, created=now + skew))


async def test_a_request_valid_for_longer_than_the_maximum_lifetime_is_refused(
    switch: Switch, douyin: Signer
) -> None:
    longest = switch.services.settings.max_request_lifetime
    now = now_unix(switch)
    await refused_without_writes(
        switch,
        send(switch, douyin, created=now, expires=now + longest + 1),
        401,
        "request_lifetime_too_long",
    )
    assert_acked(await send(switch, douyin, created=now, expires=now + longest))
    # A window that closes before it opens is not a window at all.
    await refused_without_writes(
        switch,
        send(switch, douyin, created=now, expires=now - 1),
        401,
        "request_window_invalid",
    )


# --------------------------------------------------------------------------
# What was signed: the exact bytes, by the key the header names.
# --------------------------------------------------------------------------


async def test_a_body_other_than_the_one_signed_is_refused(switch: Switch, douyin: Signer) -> None:
    now = now_unix(switch)
    authorization = ping_header(douyin, PING, now)
    tampered = PING.replace(b"m1", b"m2")
    await refused_without_writes(
        switch, send(switch, None, tampered, authorization=authorization), 401, "bad_signature"
    )
    # The signature is checked before the body is even parsed.
    await refused_without_writes(
        switch,
        send(switch, None, b"{not json", authorization=authorization),
        401,
        "bad_signature",
        "not JSON",
    )


async def test_a_signature_by_one_key_naming_another_key_of_the_same_participant_is_refused(
    switch: Switch, douyin: Signer
) -> None:
    second = new_key_pair()
    rotate = (
        b'{"context":{"message_id":"rotate-1"},"message":{"key_id":"k2","public_key":"'
        + second.public_key.encode()
        + b'"}}'
    )
    assert_acked(await send(switch, douyin, rotate, path="/v1/keys"))
    assert_acked(await send(switch, Signer(SUBSCRIBER, "k2", second.private_key)))

    fresh = PING.replace(b"m1", b"m2")  # a new message id, so no replay could answer it
    now = now_unix(switch)
    signed_by_k1 = ping_header(douyin, fresh, now)
    naming_k2 = signed_by_k1.replace(f"{SUBSCRIBER}|k1|", f"{SUBSCRIBER}|k2|")
    await refused_without_writes(
        switch,
        send(switch, None, fresh, authorization=naming_k2),
        401,
        "bad_signature",
    )


def _valid_header(signer: Signer, created: int) -> str:
    return ping_header(signer, PING, created)


MALFORMED: dict[str, Callable[[str], str]] = {
    "another scheme": lambda h: "Bearer " + h.partition(" ")[2],
    "no parameters": lambda h: "Signature",
    "unparseable parameters": lambda h: 'Signature keyId=="x"',
    "keyId without algorithm part": lambda h: h.replace("|k1|ed25519", "|k1"),
    "keyId with empty key id": lambda h: h.replace("|k1|", "||"),
    "another algorithm": lambda h: h.replace('algorithm="ed25519"', 'algorithm="rsa-sha256"'),
    "created not a number": lambda h: h.replace('created="', 'created="x'),
    "expires missing": lambda h: ",".join(p for p in h.split(",") if "expires=" not in p),
    "signature missing": lambda h: h.partition(',signature="')[0],
    "signature not base64": lambda h: h.partition('signature="')[0] + 'signature="***"',
    "signature of the wrong length": lambda h: (
        h.partition('signature="')[0] + f'signature="{base64.b64encode(b"short").decode()}"'
    ),
    "other signed headers": lambda h: h.replace(
        'headers="(created) (expires) (request-target) digest"', 'headers="(created) digest"'
    ),
    "request target first": lambda h: h.replace(
        'headers="(created) (expires) (request-target) digest"',
        'headers="(request-target) (created) (expires) digest"',
    ),
    "a parameter given twice": lambda h: h + ',created="1"',
}


async def test_a_malformed_authorization_header_is_refused(switch: Switch, douyin: Signer) -> None:
    valid = _valid_header(douyin, now_unix(switch))
    for form, bend in MALFORMED.items():
        await refused_without_writes(
            switch, send(switch, None, authorization=bend(valid)), 401, "malformed_signature", form
        )


async def test_a_digest_header_that_does_not_match_the_body_is_refused(
    switch: Switch, douyin: Signer
) -> None:
    other = body_digest(b"another body")
    await refused_without_writes(
        switch,
        send(switch, douyin, headers={"digest": f"BLAKE-512={other}"}),
        401,
        "digest_mismatch",
    )
    await refused_without_writes(
        switch,
        send(switch, douyin, headers={"digest": f"SHA-256={body_digest(PING)}"}),
        401,
        "malformed_signature",
        "another algorithm",
    )
    # The same request with the digest of its own body goes through.
    assert_acked(await send(switch, douyin, headers={"digest": f"BLAKE-512={body_digest(PING)}"}))


# --------------------------------------------------------------------------
# The body: size, content type, JSON, schema, message id.
# --------------------------------------------------------------------------


def _ping_of_size(size: int, message_id: str = "m1") -> bytes:
    head = b'{"context":{"message_id":"' + message_id.encode() + b'"},"message":{"note":"'
    tail = b'"}}'
    body = head + b"x" * (size - len(head) - len(tail)) + tail
    assert len(body) == size
    return body


async def test_a_body_over_the_limit_is_refused(switch: Switch, douyin: Signer) -> None:
    switch.services.settings = switch.services.settings.with_(max_body_bytes=200)
    await refused_without_writes(
        switch, send(switch, douyin, _ping_of_size(201)), 413, "body_too_large"
    )

    # Without a Content-Length (chunked), the body is refused as it is read.
    body = _ping_of_size(400)
    now = now_unix(switch)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 100):
            yield body[start : start + 100]

    async def post_chunked() -> httpx.Response:
        async with httpx.AsyncClient(base_url=switch.url) as http:
            return await http.post(
                "/v1/ping",
                content=chunks(),
                headers={
                    "content-type": "application/json",
                    "authorization": ping_header(douyin, body, now),
                },
            )

    await refused_without_writes(switch, post_chunked(), 413, "body_too_large", "chunked")
    assert_acked(await send(switch, douyin, _ping_of_size(200)))


async def test_a_body_that_is_not_declared_as_json_is_refused(
    switch: Switch, douyin: Signer
) -> None:
    for content_type in ("text/plain", "application/x-www-form-urlencoded", ""):
        await refused_without_writes(
            switch,
            send(switch, douyin, headers={"content-type": content_type}),
            415,
            "unsupported_media_type",
            content_type,
        )
    charset = {"content-type": "application/json; charset=utf-8"}
    assert_acked(await send(switch, douyin, headers=charset))


async def test_a_correctly_signed_body_that_is_not_json_is_refused(
    switch: Switch, douyin: Signer
) -> None:
    for body in (b'{"context":', b"\xff\xfe{}", b"not json"):
        await refused_without_writes(
            switch, send(switch, douyin, body), 400, "malformed_json", repr(body)
        )


NOT_THE_SCHEMA = {
    "note not a string": b'{"context":{"message_id":"m1"},"message":{"note":5}}',
    "message not an object": b'{"context":{"message_id":"m1"},"message":[]}',
    "action not a string": b'{"context":{"message_id":"m1","action":7},"message":{}}',
}


async def test_json_that_does_not_match_the_schema_is_refused(
    switch: Switch, douyin: Signer
) -> None:
    for what, body in NOT_THE_SCHEMA.items():
        await refused_without_writes(
            switch, send(switch, douyin, body), 422, "invalid_request", what
        )


NO_MESSAGE_ID = {
    "absent": b'{"context":{},"message":{}}',
    "no context": b'{"message":{}}',
    "empty": b'{"context":{"message_id":""},"message":{}}',
    "not a string": b'{"context":{"message_id":5},"message":{}}',
    "over 128 characters": b'{"context":{"message_id":"' + b"m" * 129 + b'"},"message":{}}',
    "not an object": b"[]",
}


async def test_a_mutating_request_without_a_usable_message_id_is_refused(
    switch: Switch, douyin: Signer
) -> None:
    for what, body in NO_MESSAGE_ID.items():
        await refused_without_writes(
            switch, send(switch, douyin, body), 422, "missing_message_id", what
        )
    for path in ("/v1/ping", "/v1/keys"):
        await refused_without_writes(
            switch,
            send(switch, douyin, NO_MESSAGE_ID["absent"], path=path),
            422,
            "missing_message_id",
            path,
        )
    longest = b'{"context":{"message_id":"' + b"m" * 128 + b'"},"message":{}}'
    assert_acked(await send(switch, douyin, longest))
