"""The reference participant: the receiving end of the switch's events, as a platform runs it.

It accepts an event at `/cb/{subscriber_id}` only when the switch signed it, keeps each
message id once (delivery is at least once, so a redelivery is counted as a duplicate
and acknowledged again), can play an endpoint that is down (503), and lets a test wait
for a number of events with a timeout.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from hutong.protocol.envelope import event_envelope, named_uri
from hutong.protocol.ids import new_id
from hutong.protocol.signing import KeyPair, Signer, new_key_pair
from hutong.world.reference import ReferenceWorld, reference_app
from hutong.world.serving import serve_asgi

SWITCH_ID = "hutong.switch"
SHOP = "shop.example"


@dataclass
class Endpoint:
    world: ReferenceWorld
    url: str
    http: httpx.AsyncClient
    switch_key: KeyPair

    async def deliver(
        self,
        body: bytes,
        *,
        to: str = SHOP,
        signer: Signer | None = None,
        signed: bytes | None = None,
    ) -> httpx.Response:
        """POST `body` to `to`'s callback as the switch's delivery worker does.

        `signer` defaults to the switch's key; `signed` are the bytes signed (default `body`).
        """
        signer = signer or Signer(SWITCH_ID, "sk1", self.switch_key.private_key)
        created = int(time.time())
        return await self.http.post(
            f"{self.url}/cb/{to}",
            content=body,
            headers={
                "content-type": "application/json",
                "authorization": signer.authorization(
                    body if signed is None else signed, created, created + 300
                ),
            },
        )


def event(note: str = "hello", *, message_id: str | None = None, to: str = SHOP) -> bytes:
    """An event body exactly as `hutong.net.delivery` builds one."""
    message_id = message_id or new_id("evt")
    envelope: dict[str, Any] = event_envelope(
        action="on_ping",
        message_id=message_id,
        transaction_id=message_id,
        sender=SWITCH_ID,
        sender_uri=named_uri(SWITCH_ID),
        recipient=to,
        recipient_uri=named_uri(to),
        message={"note": note},
        created_at=datetime.now(UTC),
        ttl_seconds=86_400,
    )
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


@pytest.fixture
async def endpoint() -> AsyncIterator[Endpoint]:
    switch_key = new_key_pair()
    world = ReferenceWorld(switch_public_key=switch_key.public_key, switch_id=SWITCH_ID)
    async with serve_asgi(reference_app(world)) as url, httpx.AsyncClient() as http:
        yield Endpoint(world, url, http, switch_key)


async def test_a_signed_event_is_acknowledged_and_kept(endpoint: Endpoint) -> None:
    body = event("first")

    response = await endpoint.deliver(body)

    assert response.status_code == 200
    assert response.json() == {"message": {"ack": {"status": "ACK"}}}
    inbox = endpoint.world.inbox(SHOP)
    assert inbox.events == [json.loads(body)]
    assert inbox.actions() == ["on_ping"]
    assert inbox.duplicates == 0


async def test_the_same_event_delivered_twice_is_kept_once(endpoint: Endpoint) -> None:
    body = event("only once")

    first = await endpoint.deliver(body)
    second = await endpoint.deliver(body)

    assert first.status_code == second.status_code == 200
    assert second.json()["message"]["ack"]["status"] == "ACK", "a redelivery is acknowledged"
    inbox = endpoint.world.inbox(SHOP)
    assert [e["message"]["note"] for e in inbox.events] == ["only once"]
    assert inbox.duplicates == 1


async def test_deduplication_is_by_message_id_not_by_bytes(endpoint: Endpoint) -> None:
    await endpoint.deliver(event("original", message_id="evt_same"))
    await endpoint.deliver(event("resent with other bytes", message_id="evt_same"))
    await endpoint.deliver(event("a new one", message_id="evt_other"))

    inbox = endpoint.world.inbox(SHOP)
    assert [e["message"]["note"] for e in inbox.events] == ["original", "a new one"]
    assert inbox.duplicates == 1


async def test_each_participant_has_its_own_inbox(endpoint: Endpoint) -> None:
    await endpoint.deliver(event("to the shop", message_id="evt_1"), to=SHOP)
    await endpoint.deliver(
        event("to the wallet", message_id="evt_1", to="wallet.example"), to="wallet.example"
    )

    assert [e["message"]["note"] for e in endpoint.world.inbox(SHOP).events] == ["to the shop"]
    wallet = endpoint.world.inbox("wallet.example")
    assert [e["message"]["note"] for e in wallet.events] == ["to the wallet"]
    assert wallet.duplicates == 0


async def test_an_endpoint_that_is_down_answers_503_and_keeps_nothing(
    endpoint: Endpoint,
) -> None:
    inbox = endpoint.world.inbox(SHOP)
    inbox.mode = "down"
    body = event("while down")

    response = await endpoint.deliver(body)

    assert response.status_code == 503
    assert response.json()["message"]["ack"]["status"] == "NACK"
    assert response.json()["error"]["code"] == "unavailable"
    assert inbox.events == []

    inbox.mode = "ok"
    assert (await endpoint.deliver(body)).status_code == 200
    assert [e["message"]["note"] for e in inbox.events] == ["while down"]
    assert inbox.duplicates == 0, "a refused delivery does not count as seen"


async def test_an_event_not_signed_by_the_switch_is_refused(endpoint: Endpoint) -> None:
    impostor = Signer(SWITCH_ID, "sk1", new_key_pair().private_key)
    body = event("forged")

    forged = await endpoint.deliver(body, signer=impostor)
    tampered = await endpoint.deliver(body.replace(b"forged", b"forgod"), signed=body)
    other_sender = await endpoint.deliver(
        body, signer=Signer("other.switch", "sk1", endpoint.switch_key.private_key)
    )

    for response in (forged, tampered, other_sender):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "bad_signature"
    inbox = endpoint.world.inbox(SHOP)
    assert inbox.events == []
    assert inbox.refused == 3


async def test_wait_for_returns_once_enough_events_arrived(endpoint: Endpoint) -> None:
    await endpoint.deliver(event("one"))
    await endpoint.deliver(event("two"))

    events = await endpoint.world.wait_for(SHOP, 2, timeout=5)

    assert [e["message"]["note"] for e in events] == ["one", "two"]


async def test_wait_for_times_out_when_nothing_arrives(endpoint: Endpoint) -> None:
    started = time.perf_counter()

    with pytest.raises(TimeoutError):
        await endpoint.world.wait_for(SHOP, 1, timeout=0.2)

    assert 0.15 <= time.perf_counter() - started < 2


async def test_wait_for_times_out_when_too_few_arrive(endpoint: Endpoint) -> None:
    await endpoint.deliver(event("just one"))

    with pytest.raises(TimeoutError):
        await endpoint.world.wait_for(SHOP, 2, timeout=0.2)
