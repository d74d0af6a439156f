"""A mutating request runs at most once per (sender, message id).

The first request with a message id runs and its answer is stored with its
effects; the same sender sending the same bytes under that id again gets that
answer again, byte for byte, marked `x-hutong-replay: true`, and nothing new
happens. The same id with other bytes is refused with 409 and writes nothing.
Refusals by the operation itself are answers too, and are replayed the same way.
"""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select

from hutong.protocol.signing import Signer, new_key_pair
from hutong.store.tables import messages, outbox
from tests.harness.switch import Clock, Switch, row_counts

PING = b'{"context":{"message_id":"m1"},"message":{"note":"first"}}'


async def post(
    switch: Switch, signer: Signer, body: bytes, path: str = "/v1/ping"
) -> httpx.Response:
    """POST `body` freshly signed at the switch's current time."""
    created = int(switch.services.clock().timestamp())
    headers = {
        "content-type": "application/json",
        "authorization": signer.for_request("POST", path, body, created, created + 60),
    }
    async with httpx.AsyncClient(base_url=switch.url) as http:
        return await http.post(path, content=body, headers=headers)


async def join(switch: Switch, subscriber_id: str) -> Signer:
    client = await switch.register(subscriber_id, ["platform"])
    await client.aclose()
    return client.signer


async def events_of(switch: Switch, action: str) -> int:
    query = select(func.count()).select_from(outbox).where(outbox.c.action == action)
    async with switch.services.db.read() as conn:
        return int(await conn.scalar(query) or 0)


async def message_records(switch: Switch) -> int:
    async with switch.services.db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(messages)) or 0)


async def test_a_retry_with_the_same_body_gets_the_first_answer_byte_for_byte(
    switch: Switch, clock: Clock
) -> None:
    douyin = await join(switch, "douyin.example")
    first = await post(switch, douyin, PING)
    assert first.status_code == 200, first.text
    assert "x-hutong-replay" not in first.headers
    assert first.json()["message"]["ack"]["status"] == "ACK"

    again = await post(switch, douyin, PING)
    assert again.status_code == 200
    assert again.headers["x-hutong-replay"] == "true"
    assert again.content == first.content  # the same event id, not a new one

    clock.advance(300)  # signed again minutes later: a new created/expires window
    later = await post(switch, douyin, PING)
    assert (later.status_code, later.content) == (first.status_code, first.content)
    assert later.headers["x-hutong-replay"] == "true"

    assert await events_of(switch, "on_ping") == 1
    assert await message_records(switch) == 1


async def test_the_same_message_id_with_another_body_is_refused_and_changes_nothing(
    switch: Switch,
) -> None:
    douyin = await join(switch, "douyin.example")
    first = await post(switch, douyin, PING)
    assert first.status_code == 200, first.text
    before = await row_counts(switch.services)

    other = PING.replace(b"first", b"second")
    response = await post(switch, douyin, other)
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert response.json() == {
        "message": {"ack": {"status": "NACK"}},
        "error": {"code": "message_id_conflict", "message": error["message"]},
    }
    assert "m1" in error["message"]
    assert "x-hutong-replay" not in response.headers
    assert await row_counts(switch.services) == before

    # The original is still answered as before.
    again = await post(switch, douyin, PING)
    assert again.content == first.content


async def test_message_ids_belong_to_their_sender(switch: Switch) -> None:
    douyin = await join(switch, "douyin.example")
    kuaishou = await join(switch, "kuaishou.example")
    from_douyin = await post(switch, douyin, PING)
    from_kuaishou = await post(switch, kuaishou, PING)
    for response in (from_douyin, from_kuaishou):
        assert response.status_code == 200, response.text
        assert "x-hutong-replay" not in response.headers
    assert from_douyin.json()["message"]["event_id"] != from_kuaishou.json()["message"]["event_id"]
    assert await events_of(switch, "on_ping") == 2
    assert await message_records(switch) == 2


async def test_a_refused_operation_is_replayed_as_the_same_refusal(switch: Switch) -> None:
    douyin = await join(switch, "douyin.example")
    reuse_k1 = (
        b'{"context":{"message_id":"rotate-1"},"message":{"key_id":"k1","public_key":"'
        + new_key_pair().public_key.encode()
        + b'"}}'
    )
    before = await row_counts(switch.services)
    first = await post(switch, douyin, reuse_k1, "/v1/keys")
    assert first.status_code == 409, first.text
    error = first.json()["error"]
    assert first.json() == {
        "message": {"ack": {"status": "NACK"}},
        "error": {"code": "key_exists", "message": error["message"]},
    }
    again = await post(switch, douyin, reuse_k1, "/v1/keys")
    assert again.status_code == 409
    assert again.headers["x-hutong-replay"] == "true"
    assert again.content == first.content

    after = await row_counts(switch.services)
    # Only the answer was recorded: no key, no event.
    assert after["messages"] == before["messages"] + 1
    assert {name: n for name, n in after.items() if name != "messages"} == {
        name: n for name, n in before.items() if name != "messages"
    }


async def test_concurrent_duplicates_run_once_and_get_one_answer(switch: Switch) -> None:
    douyin = await join(switch, "douyin.example")
    created = int(switch.services.clock().timestamp())
    headers = {
        "content-type": "application/json",
        "authorization": douyin.authorization(PING, created, created + 60),
    }
    async with httpx.AsyncClient(
        base_url=switch.url, limits=httpx.Limits(max_connections=10)
    ) as http:
        responses = await asyncio.gather(
            *(http.post("/v1/ping", content=PING, headers=headers) for _ in range(10))
        )
    assert {r.status_code for r in responses} == {200}, [r.text for r in responses]
    assert len({r.content for r in responses}) == 1
    assert sum("x-hutong-replay" not in r.headers for r in responses) == 1
    assert await events_of(switch, "on_ping") == 1
    assert await message_records(switch) == 1
