"""Odd input is refused with a coded 4xx, never a 500.

A 500 means the switch did not understand what happened; input it cannot
read is not that. Bodies are read by one strict JSON reader (no NaN or
Infinity, UTF-8 only, no lone surrogates, at most `MAX_DEPTH` levels deep);
integers from the query that reach the database are checked to fit in 64
bits; a broken request line or header is answered with a NACK like any other
refusal. Whatever still escapes is a bug, and its log line names the request.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx
import pytest

from hutong.api.app import create_app
from hutong.api.server import NackingH11Protocol
from hutong.protocol.signing import Signer
from hutong.protocol.strict_json import MAX_DEPTH
from hutong.runtime.services import Services
from hutong.world.serving import serve_asgi
from tests.harness.assertions import assert_nack, refused_without_writes
from tests.harness.signed import join, send
from tests.harness.switch import Switch

_ENVELOPE = '{{"context":{{"message_id":"m1"}},"message":{}}}'


def envelope(message: str) -> bytes:
    return _ENVELOPE.format(message).encode()


#: Messages that are not JSON as RFC 8259 and UTF-8 say, each of which a lax reader accepts.
NOT_STRICT_JSON = {
    "NaN": '{"accounts":NaN}',
    "Infinity": '{"accounts":-Infinity}',
    "a number beyond a double": '{"accounts":1e400}',
    "a lone surrogate": '{"accounts":"\\ud800"}',
    "a lone low surrogate": '{"accounts":"\\udc00"}',
}


def not_strict(what: str, message: str) -> bytes:
    """`message` (or, for an encoding, a good one) broken as `what` says."""
    if what == "UTF-16":
        return message.encode("utf-16")
    if what == "UTF-8 with a byte-order mark":
        return b"\xef\xbb\xbf" + message.encode()
    return NOT_STRICT_JSON[what].encode()


BROKEN = [*NOT_STRICT_JSON, "UTF-16", "UTF-8 with a byte-order mark"]


def nested(depth: int) -> bytes:
    return envelope('{"accounts":' + "[" * depth + "]" * depth + "}")


@pytest.fixture
async def douyin(switch: Switch) -> Signer:
    return await join(switch)


# --------------------------------------------------------------------------
# Bodies: one strict reader, a coded 400.
# --------------------------------------------------------------------------


@pytest.mark.parametrize("what", BROKEN)
async def test_a_signed_body_that_is_not_strict_json_is_refused_as_malformed(
    switch: Switch, douyin: Signer, what: str
) -> None:
    if what in NOT_STRICT_JSON:
        body = envelope(NOT_STRICT_JSON[what])
    else:
        body = not_strict(what, envelope('{"accounts":[]}').decode())
    for path in ("/v1/ping", "/v1/ledger/accounts", "/v1/offers", "/v1/link-policies"):
        await refused_without_writes(
            switch, send(switch, douyin, body, path=path), 400, "malformed_json", f"{what} {path}"
        )


@pytest.mark.parametrize("what", BROKEN)
async def test_an_operator_body_that_is_not_strict_json_is_refused_as_malformed(
    switch: Switch, what: str
) -> None:
    headers = {"content-type": "application/json"}
    # The broken value in a field each route reads (a value in a field a typed
    # body does not have is skipped unread, and the body refused for what it lacks).
    for path, field in (
        ("/operator/ledger/accounts", "accounts"),
        ("/operator/participants", "subscriber_id"),
    ):
        body = not_strict(what, '{"accounts":[]}'.replace("accounts", field)).replace(
            b'"accounts"', f'"{field}"'.encode()
        )
        await refused_without_writes(
            switch,
            switch.operator.post(path, content=body, headers=headers),
            400,
            "malformed_json",
            f"{what} {path}",
        )


async def test_an_object_where_a_list_is_wanted_is_refused_with_a_code(
    switch: Switch, douyin: Signer
) -> None:
    body = b'{"context":{"message_id":"m1"},"message":{"accounts":{}, "offers":{}}}'
    for path in ("/v1/ledger/accounts", "/v1/offers"):
        response = await send(switch, douyin, body, path=path)
        assert response.status_code in (403, 422), response.text
        assert response.json()["error"]["code"], response.text
    await refused_without_writes(
        switch,
        switch.operator.post("/operator/ledger/accounts", json={"accounts": {}}),
        422,
        "invalid_request",
    )
    await refused_without_writes(
        switch,
        switch.operator.post("/operator/ledger/transfers", json={"transfers": {}}),
        422,
        "invalid_request",
    )


async def test_json_nested_too_deep_is_refused_before_it_is_decoded(
    switch: Switch, douyin: Signer
) -> None:
    for depth in (MAX_DEPTH + 1, 1000, 100_000):
        body = nested(depth)
        for path in ("/v1/ping", "/v1/ledger/accounts", "/v1/offers"):
            await refused_without_writes(
                switch, send(switch, douyin, body, path=path), 400, "json_too_deep", path
            )
        await refused_without_writes(
            switch,
            switch.operator.post(
                "/operator/ledger/accounts",
                content=body,
                headers={"content-type": "application/json"},
            ),
            400,
            "json_too_deep",
        )


async def test_json_as_deep_as_allowed_is_read(switch: Switch, douyin: Signer) -> None:
    # The envelope and its message take two levels, `accounts` the rest: it
    # is read, and refused for what it says, not for its depth.
    body = nested(MAX_DEPTH - 2)
    await refused_without_writes(
        switch, send(switch, douyin, body, path="/v1/offers"), 422, "invalid_request"
    )


# --------------------------------------------------------------------------
# NUL characters: PostgreSQL text cannot hold one, and no field needs one.
# --------------------------------------------------------------------------

#: Where a NUL may hide in a JSON body: a string, a key, behind an escaped backslash.
NUL_IN_BODY = {
    "in a string": '{"title":"tea\\u0000"}',
    "in a key": '{"ti\\u0000tle":"tea"}',
    "after an escaped backslash": '{"title":"\\\\\\u0000"}',
}


@pytest.mark.parametrize("where", NUL_IN_BODY)
async def test_a_nul_character_in_a_body_is_refused_with_a_code(
    switch: Switch, douyin: Signer, where: str
) -> None:
    body = envelope(NUL_IN_BODY[where])
    for path in ("/v1/ping", "/v1/offers", "/v1/storefronts"):
        await refused_without_writes(
            switch, send(switch, douyin, body, path=path), 400, "nul_character", f"{where} {path}"
        )
    await refused_without_writes(
        switch,
        switch.operator.post(
            "/operator/participants",
            content=NUL_IN_BODY[where].replace("title", "subscriber_id").encode(),
            headers={"content-type": "application/json"},
        ),
        400,
        "nul_character",
        f"{where} operator",
    )
    async with httpx.AsyncClient(base_url=switch.url) as public:
        await refused_without_writes(
            switch,
            public.post(
                "/lookup",
                content=NUL_IN_BODY[where].replace("title", "subscriber_id").encode(),
                headers={"content-type": "application/json"},
            ),
            400,
            "nul_character",
            f"{where} /lookup",
        )


async def test_an_escaped_backslash_before_u0000_is_text_not_a_nul(
    switch: Switch, douyin: Signer
) -> None:
    # The string is the six characters `\u0000`: nothing to refuse.
    response = await send(switch, douyin, envelope('{"note":"\\\\u0000"}'))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "target",
    [
        "/v1/storefronts/sf%00x",
        "/v1/offers?merchant=a%00b",
        "/v1/offers?a%00=b",
        "/v1/payments/options?host=douyin.example&merchant=%00b",
    ],
)
async def test_a_nul_character_in_a_signed_path_or_query_is_refused_with_a_code(
    switch: Switch, douyin: Signer, target: str
) -> None:
    await refused_without_writes(
        switch, send(switch, douyin, b"", path=target, method="GET"), 400, "nul_character"
    )


@pytest.mark.parametrize("target", ["/operator/participants/a%00b", "/l/a%00b", "/policies/a%00"])
async def test_a_nul_character_in_an_operator_or_public_path_is_refused_with_a_code(
    switch: Switch, target: str
) -> None:
    await refused_without_writes(switch, switch.operator.get(target), 400, "nul_character")


# --------------------------------------------------------------------------
# Integers from the query reach the database: 64 bits, or a coded 400.
# --------------------------------------------------------------------------


TOO_BIG = ["9223372036854775808", "-9223372036854775809", "1" + "0" * 40]


async def test_an_after_beyond_64_bits_is_refused_on_every_database(
    switch: Switch, douyin: Signer
) -> None:
    created = await switch.operator.post(
        "/operator/ledger/accounts",
        json={
            "accounts": [
                {
                    "id": "acc_douyin",
                    "owner": "douyin.example",
                    "asset": "CNY",
                    "kind": "user_balance",
                }
            ]
        },
    )
    assert created.status_code == 200, created.text
    assert created.json()["ok"], created.text
    for after in TOO_BIG:
        for path in (
            f"/operator/ledger/accounts/acc_douyin/transfers?after={after}",
            f"/operator/events?after={after}",
        ):
            assert_nack(await switch.operator.get(path), 400, "integer_out_of_range", path)
        path = f"/v1/ledger/accounts/acc_douyin/transfers?after={after}"
        response = await send(switch, douyin, b"", method="GET", path=path)
        assert_nack(response, 400, "integer_out_of_range", path)
    # The edges themselves are fine.
    for after in ("9223372036854775807", "-9223372036854775808"):
        ok = await switch.operator.get(f"/operator/events?after={after}")
        assert ok.status_code == 200, ok.text
        ok = await switch.operator.get(
            f"/operator/ledger/accounts/acc_douyin/transfers?after={after}"
        )
        assert ok.status_code == 200, ok.text


# --------------------------------------------------------------------------
# Requests the HTTP server itself cannot read.
# --------------------------------------------------------------------------


async def raw_exchange(url: str, request: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(request)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()


async def assert_nacked_by_the_server(url: str, length: str) -> None:
    for path in (b"/v1/ping", b"/operator/participants"):
        answer = await raw_exchange(
            url,
            b"POST " + path + b" HTTP/1.1\r\nHost: switch\r\n"
            b"Content-Type: application/json\r\nContent-Length: " + length.encode() + b"\r\n"
            b"Connection: close\r\n\r\n{}",
        )
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400 "), answer
        assert b"content-type: application/json" in head.lower(), answer
        document = json.loads(body)
        assert document["message"] == {"ack": {"status": "NACK"}}, answer
        assert document["error"]["code"] == "malformed_http", answer
        assert document["error"]["message"], answer


@pytest.mark.parametrize("length", ["-1", "abc", "1 2"])
async def test_a_bad_content_length_is_refused_with_a_code(switch: Switch, length: str) -> None:
    await assert_nacked_by_the_server(switch.url, length)


async def test_the_h11_parser_refuses_with_a_code_too(services: Services) -> None:
    async with serve_asgi(
        create_app(services, run_background=False), http=NackingH11Protocol
    ) as url:
        await assert_nacked_by_the_server(url, "-1")


# --------------------------------------------------------------------------
# What still escapes is a bug, logged with the request's id.
# --------------------------------------------------------------------------


async def test_an_unexpected_error_is_logged_with_the_request_id(
    switch: Switch, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_clock() -> Any:
        raise RuntimeError("the clock fell off the wall")

    monkeypatch.setattr(switch.services, "clock", broken_clock)
    with caplog.at_level(logging.ERROR, logger="hutong"):
        async with httpx.AsyncClient(base_url=switch.url) as http:
            response = await http.get(
                "/policies/example.com", headers={"x-request-id": "req_clock_test"}
            )
    assert response.status_code == 500, response.text
    assert response.json()["error"]["code"] == "internal_error"
    assert response.headers["x-request-id"] == "req_clock_test"
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]
    assert logged, caplog.text
    assert [getattr(r, "request_id", None) for r in logged] == ["req_clock_test"]


# --------------------------------------------------------------------------
# Hosts in the path or the query that are not hosts.
# --------------------------------------------------------------------------


#: A NUL anywhere in a request line or body is refused before any route reads it
#: (`nul_character`, 400: PostgreSQL text cannot hold one); other bad hosts by the host check.
NUL = (400, "nul_character")
BAD_HOST = (422, "invalid_host")


@pytest.mark.parametrize(
    ("host", "refusal"),
    [
        ("%20", BAD_HOST),
        ("%0C", BAD_HOST),
        (".x", BAD_HOST),
        ("%0A%09", BAD_HOST),
        ("%00", NUL),
        ("a..b", BAD_HOST),
        ("wechat%00", NUL),
    ],
)
async def test_a_blank_or_malformed_host_is_refused_with_a_code(
    switch: Switch, douyin: Signer, host: str, refusal: tuple[int, str]
) -> None:
    async with httpx.AsyncClient(base_url=switch.url) as http:
        response = await http.get(f"/policies/{host}")
    assert_nack(response, *refusal, host)
    path = f"/v1/storefront-policies?host={host}"
    response = await send(switch, douyin, b"", method="GET", path=path)
    # Any host may be asked about here, but only a host: the same strict check.
    assert_nack(response, *refusal, host)


@pytest.mark.parametrize(
    ("host", "refusal"),
    [("\x00", NUL), ("a..b", BAD_HOST), ("wechat\x01", BAD_HOST), ("we chat", BAD_HOST)],
)
async def test_a_host_the_resolver_is_told_is_a_host_or_refused(
    switch: Switch, host: str, refusal: tuple[int, str]
) -> None:
    async with httpx.AsyncClient(base_url=switch.url) as http:
        opened = await http.get("/l/zzzzzzzz", params={"host": host})
        parsed = await http.post("/share/parse", json={"text": "₴7DAF8N4NG85A9M₴", "host": host})
    assert_nack(opened, *refusal, repr(host))
    assert_nack(parsed, *refusal, repr(host))
