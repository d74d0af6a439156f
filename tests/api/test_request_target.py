"""A signature is good for the one request it was made for.

Every request signs its `(request-target)`: the method in lower case and the
path with its raw query, exactly as on the request line. A GET has no body, so
before this a GET's signature covered nothing but its window and was, for its
whole lifetime, a key to every other GET of its sender and to every empty POST.
Only a Beckn action (a POST to `/v1/ping` whose body carries a Beckn context
with a message id) may still use the Beckn string without the request line.

Also here: what a request must not be ambiguous about. One Authorization
header, a body for anything that is not a read, a message id without control
characters.
"""

from __future__ import annotations

import json

import httpx
import pytest

from hutong.protocol.signing import Signer
from tests.harness.assertions import assert_acked, refused_without_writes
from tests.harness.signed import PING, join, now_unix, send
from tests.harness.switch import Switch


@pytest.fixture
async def douyin(switch: Switch) -> Signer:
    return await join(switch)


def get_header(signer: Signer, switch: Switch, path: str = "/v1/self") -> str:
    """What an eavesdropper captures from one signed `GET path`."""
    now = now_unix(switch)
    return signer.for_request("GET", path, b"", now, now + 60)


# --------------------------------------------------------------------------
# A captured signature cannot be used for another request.
# --------------------------------------------------------------------------


async def test_a_captured_get_signature_is_refused_for_any_other_request(
    switch: Switch, douyin: Signer
) -> None:
    captured = get_header(douyin, switch, "/v1/self")
    same = await send(switch, None, b"", method="GET", path="/v1/self", authorization=captured)
    assert same.status_code == 200, same.text

    for what, method, path in [
        ("another path", "GET", "/v1/ledger/accounts"),
        ("another query", "GET", "/v1/self?x=1"),
        ("an empty POST", "POST", "/v1/shipments/shp_1/cancel"),
        ("an empty POST to a Beckn route", "POST", "/v1/ping"),
    ]:
        await refused_without_writes(
            switch,
            send(switch, None, b"", method=method, path=path, authorization=captured),
            401,
            "signature_target_mismatch",
            what,
        )


async def test_a_captured_signature_with_a_query_is_refused_with_another_query(
    switch: Switch, douyin: Signer
) -> None:
    captured = get_header(douyin, switch, "/v1/ledger/accounts?owner=douyin.example")
    for query in ("?owner=jd.example", "?owner=douyin.example&x=1", ""):
        await refused_without_writes(
            switch,
            send(
                switch,
                None,
                b"",
                method="GET",
                path=f"/v1/ledger/accounts{query}",
                authorization=captured,
            ),
            401,
            "signature_target_mismatch",
            query,
        )


async def test_the_path_is_signed_as_sent_not_as_decoded(switch: Switch, douyin: Signer) -> None:
    # `%73` is `s`: both reach the same route, but they are different request lines.
    encoded = "/v1/%73elf"
    now = now_unix(switch)
    as_sent = douyin.for_request("GET", encoded, b"", now, now + 60)
    decoded = douyin.for_request("GET", "/v1/self", b"", now, now + 60)

    ok = await send(switch, None, b"", method="GET", path=encoded, authorization=as_sent)
    assert ok.status_code == 200, ok.text
    await refused_without_writes(
        switch,
        send(switch, None, b"", method="GET", path=encoded, authorization=decoded),
        401,
        "signature_target_mismatch",
    )


async def test_a_signed_post_moved_to_another_route_is_refused(
    switch: Switch, douyin: Signer
) -> None:
    now = now_unix(switch)
    for_ping = douyin.for_request("POST", "/v1/ping", PING, now, now + 60)
    # With a body, a changed request line and a changed body look alike.
    await refused_without_writes(
        switch,
        send(switch, None, PING, path="/v1/keys", authorization=for_ping),
        401,
        "bad_signature",
    )


# --------------------------------------------------------------------------
# Which requests may leave (request-target) out: Beckn actions only.
# --------------------------------------------------------------------------


async def test_a_get_signed_without_its_request_target_is_refused(
    switch: Switch, douyin: Signer
) -> None:
    await refused_without_writes(
        switch,
        send(switch, douyin, b"", method="GET", path="/v1/self", beckn=True),
        401,
        "request_target_required",
    )


async def test_a_hutong_route_refuses_the_beckn_signing_string(
    switch: Switch, douyin: Signer
) -> None:
    rotate = b'{"context":{"message_id":"rotate-1"},"message":{"key_id":"k2","public_key":"x"}}'
    for what, body, path in [
        ("a Hutong-native write", rotate, "/v1/keys"),
        ("an empty POST", b"", "/v1/shipments/shp_1/cancel"),
    ]:
        await refused_without_writes(
            switch,
            send(switch, douyin, body, path=path, beckn=True),
            401,
            "request_target_required",
            what,
        )


async def test_a_beckn_action_may_use_the_beckn_signing_string(
    switch: Switch, douyin: Signer
) -> None:
    assert_acked(await send(switch, douyin, PING, beckn=True))
    # Without a Beckn context (a message id) in the body, it is not a Beckn action.
    for what, body in [
        ("no context", b'{"message":{}}'),
        ("no message id", b'{"context":{"action":"ping"},"message":{}}'),
        ("not JSON", b"{not json"),
    ]:
        await refused_without_writes(
            switch, send(switch, douyin, body, beckn=True), 401, "request_target_required", what
        )


# --------------------------------------------------------------------------
# Nothing ambiguous: one Authorization header, a body to write, a clean id.
# --------------------------------------------------------------------------


async def test_more_than_one_authorization_header_is_refused(
    switch: Switch, douyin: Signer
) -> None:
    now = now_unix(switch)
    valid = douyin.for_request("POST", "/v1/ping", PING, now, now + 60)
    other = douyin.for_request("POST", "/v1/ping", PING, now - 1, now + 59)
    for what, values in [
        ("the same header twice", [valid, valid]),
        ("two valid headers", [valid, other]),
        ("garbage, then a valid one", ["Signature nonsense", valid]),
        ("a valid one, then garbage", [valid, "Signature nonsense"]),
    ]:
        headers = [("content-type", "application/json")]
        headers += [("authorization", value) for value in values]

        async def post(headers: list[tuple[str, str]] = headers) -> httpx.Response:
            async with httpx.AsyncClient(base_url=switch.url) as http:
                return await http.post("/v1/ping", content=PING, headers=headers)

        await refused_without_writes(switch, post(), 400, "duplicate_authorization", what)
    assert_acked(await send(switch, douyin))


async def test_a_write_without_a_body_is_refused(switch: Switch, douyin: Signer) -> None:
    for path in ("/v1/ping", "/v1/keys", "/v1/shipments/shp_1/cancel"):
        await refused_without_writes(
            switch, send(switch, douyin, b"", path=path), 400, "body_required", path
        )


@pytest.mark.parametrize(
    "message_id",
    ["m\n1", "\r\n", "m\t1", "\x1b[31mred", "m\x7f", "m\x85", "\u202eevil", "m\u2028"],
    ids=repr,
)
async def test_a_message_id_with_a_control_character_is_refused(
    switch: Switch, douyin: Signer, message_id: str
) -> None:
    body = json.dumps({"context": {"message_id": message_id}, "message": {}}).encode()
    await refused_without_writes(
        switch, send(switch, douyin, body), 400, "invalid_message_id", repr(message_id)
    )


async def test_a_message_id_with_a_nul_is_refused_as_any_body_with_a_nul(
    switch: Switch, douyin: Signer
) -> None:
    body = json.dumps({"context": {"message_id": "m\x00"}, "message": {}}).encode()
    await refused_without_writes(switch, send(switch, douyin, body), 400, "nul_character")
