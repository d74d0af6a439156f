"""The registry as Beckn's `registry.yaml` has it, checked against Beckn's own schema.

`/lookup` with a Beckn-shaped request (type BAP/BPP/BG, domain, country) and
ONDC's `/v2.0/lookup` answer Subscription records that pass Beckn's
Subscription schema with format checks; the switch is among them as a BG
with the key it signs with. A subscriber registers itself with `/subscribe`
(signed by the key it registers, ONDC's way), answers the challenge sealed to
its encryption key at its own `/on_subscribe`, and may sign only once the
operator approved it. NACKs here carry Beckn's Error object.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import nacl.public
import pytest
from litestar import Litestar, post
from litestar.params import JSONBody

from hutong.protocol.challenge import open_challenge
from hutong.protocol.ids import new_id
from hutong.protocol.signing import verify_authorization
from hutong.world.serving import serve_asgi
from tests.harness.assertions import assert_nack
from tests.harness.beckn_schemas import nack_errors, subscription_errors
from tests.harness.ondc import OndcKey, authorisation_header
from tests.harness.signed import now_unix
from tests.harness.switch import Switch, row_counts

SELLER = "seller.example"
RETAIL = "ONDC:RET10"


async def lookup(switch: Switch, body: dict[str, Any], path: str = "/lookup") -> list[Any]:
    async with httpx.AsyncClient(base_url=switch.url) as http:
        response = await http.post(path, json=body)
    assert response.status_code == 200, response.text
    records: list[Any] = response.json()
    for record in records:
        assert subscription_errors(record) == [], record
    return records


@pytest.mark.parametrize("path", ["/lookup", "/v2.0/lookup"])
async def test_a_lookup_by_type_answers_beckn_subscription_records(
    switch: Switch, path: str
) -> None:
    for subscriber_id, roles in [
        ("bap.example", ["platform"]),
        ("bpp.example", ["merchant"]),
        ("wallet.example", ["wallet"]),
    ]:
        await (await switch.register(subscriber_id, roles)).aclose()

    [bap] = await lookup(switch, {"type": "BAP"}, path)
    assert (bap["subscriber_id"], bap["type"], bap["status"]) == (
        "bap.example",
        "BAP",
        "SUBSCRIBED",
    )
    assert bap["ukId"] == "k1"  # the key id keyIds name; key_id is the entry's UUID
    [bpp] = await lookup(switch, {"type": "BPP"}, path)
    assert bpp["subscriber_id"] == "bpp.example"
    # Without a type: every participant with a Beckn type, and the switch; no wallet.
    everyone = {r["subscriber_id"] for r in await lookup(switch, {"country": "CHN"}, path)}
    assert everyone == {switch.services.settings.switch_id}  # only the switch has a location
    listed = {
        r["subscriber_id"] for r in await lookup(switch, {"type": "BAP", "status": "SUBSCRIBED"})
    }
    assert listed == {"bap.example"}


async def test_a_suspended_participant_is_unsubscribed(switch: Switch) -> None:
    await (await switch.register("bap.example", ["platform"])).aclose()
    response = await switch.operator.post("/operator/participants/bap.example/suspend", json={})
    assert response.status_code == 200, response.text
    [bap] = await lookup(switch, {"type": "BAP"})
    assert bap["status"] == "UNSUBSCRIBED"


async def test_the_switch_is_found_through_lookup_with_the_key_it_signs_with(
    switch: Switch,
) -> None:
    [me] = await lookup(switch, {"type": "BG"}, "/v2.0/lookup")
    signer = switch.services.signer()
    assert (me["subscriber_id"], me["ukId"]) == (signer.subscriber_id, signer.key_id)
    assert me["url"] == switch.url
    body = b'{"context":{"action":"on_search"}}'
    now = now_unix(switch)
    header = signer.authorization(body, now, now + 60)
    verify_authorization(header, body, me["signing_public_key"], now=now)
    # In any domain asked for, in its own country only.
    [in_retail] = await lookup(switch, {"type": "BG", "domain": RETAIL})
    assert in_retail["domain"] == RETAIL
    assert await lookup(switch, {"type": "BG", "country": "IND"}) == []


# --------------------------------------------------------------------------
# Self-registration: /subscribe, the challenge, the operator's approval.
# --------------------------------------------------------------------------


@dataclass
class Subscriber:
    """A seller app with nothing of Hutong: its keys and its /on_subscribe."""

    url: str = ""
    signing: OndcKey = field(default_factory=OndcKey)
    encryption: nacl.public.PrivateKey = field(default_factory=nacl.public.PrivateKey.generate)
    honest: bool = True
    challenges: list[dict[str, Any]] = field(default_factory=list)

    @property
    def encr_public_key(self) -> str:
        return base64.b64encode(bytes(self.encryption.public_key)).decode()


@pytest.fixture
async def seller(switch: Switch) -> AsyncIterator[Subscriber]:
    """A seller app, and a switch whose operator opened self-registration."""
    switch.services.settings = switch.services.settings.with_(open_subscription=True)
    subscriber = Subscriber()

    @post("/beckn/on_subscribe", status_code=200)
    async def on_subscribe(data: JSONBody[dict[str, Any]]) -> dict[str, str]:
        subscriber.challenges.append(data)
        answer = open_challenge(data["challenge"], subscriber.encryption)
        return {"answer": answer if subscriber.honest else answer[::-1]}

    async with serve_asgi(Litestar([on_subscribe])) as url:
        subscriber.url = f"{url}/beckn"
        yield subscriber


def subscription(switch: Switch, seller: Subscriber, **changes: Any) -> dict[str, Any]:
    now = switch.services.clock()
    body: dict[str, Any] = {
        "subscriber_id": SELLER,
        "url": seller.url,
        "type": "BPP",
        "domain": RETAIL,
        "location": {"country": {"code": "IND"}, "city": {"code": "std:080"}},
        "key_id": "uk-1",
        "signing_public_key": seller.signing.public_key,
        "encr_public_key": seller.encr_public_key,
        "valid_from": now.isoformat(),
        "valid_until": (now + timedelta(days=30)).isoformat(),
        "nonce": "6f0e2f4c-3c3c-4a6a-9d0e-2b9f9f0c1a11",
    }
    body.update(changes)
    return body


async def subscribe(
    switch: Switch, seller: Subscriber, body: dict[str, Any], key: OndcKey | None = None
) -> httpx.Response:
    raw = json.dumps(body).encode()
    header = authorisation_header(
        key or seller.signing, raw, now_unix(switch), key_id=f"{SELLER}|uk-1|ed25519"
    )
    async with httpx.AsyncClient(base_url=switch.url, timeout=30) as http:
        return await http.post(
            "/subscribe",
            content=raw,
            headers={"content-type": "application/json", "authorization": header},
        )


async def signed_ping(switch: Switch, seller: Subscriber) -> httpx.Response:
    body = json.dumps({"context": {"message_id": new_id("msg")}, "message": {}}).encode()
    header = authorisation_header(
        seller.signing, body, now_unix(switch), key_id=f"{SELLER}|uk-1|ed25519"
    )
    async with httpx.AsyncClient(base_url=switch.url, timeout=30) as http:
        return await http.post(
            "/v1/ping",
            content=body,
            headers={"content-type": "application/json", "authorization": header},
        )


async def test_a_subscriber_registers_itself_and_signs_once_approved(
    switch: Switch, seller: Subscriber
) -> None:
    response = await subscribe(switch, seller, subscription(switch, seller))
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "UNDER_SUBSCRIPTION"}
    [challenge] = seller.challenges
    assert (challenge["subscriber_id"], challenge["status"]) == (SELLER, "INITIATED")

    # Under subscription: in no lookup, and its signature is not accepted yet.
    assert await lookup(switch, {"subscriber_id": SELLER, "type": "BPP"}) == []
    assert (await signed_ping(switch, seller)).status_code == 401
    pending = await switch.operator.get(
        "/operator/subscriptions", params={"status": "UNDER_SUBSCRIPTION"}
    )
    assert [s["subscriber_id"] for s in pending.json()] == [SELLER]

    approved = await switch.operator.post(f"/operator/subscriptions/{SELLER}/approve")
    assert approved.status_code == 201, approved.text
    assert approved.json()["roles"] == ["merchant"]

    [record] = await lookup(
        switch, {"type": "BPP", "domain": RETAIL, "country": "IND"}, "/v2.0/lookup"
    )
    assert record["subscriber_id"] == SELLER
    assert record["location"] == {"country": {"code": "IND"}, "city": {"code": "std:080"}}
    assert record["encr_public_key"] == seller.encr_public_key
    assert (record["ukId"], record["status"]) == ("uk-1", "SUBSCRIBED")
    assert await lookup(switch, {"type": "BPP", "domain": "ONDC:RET11"}) == []
    assert await lookup(switch, {"type": "BPP", "country": "CHN"}) == []
    response = await signed_ping(switch, seller)
    assert response.status_code == 200, response.text

    # Approved once: again is nothing to approve, and a second subscription is refused.
    again = await switch.operator.post(f"/operator/subscriptions/{SELLER}/approve")
    assert (again.status_code, again.json()["error"]["code"]) == (404, "no_pending_subscription")
    refused = await subscribe(switch, seller, subscription(switch, seller))
    assert refused.status_code == 409
    assert refused.json()["error"]["hutong_code"] == "participant_exists"


async def beckn_refusal(
    switch: Switch, request: Any, status: int, number: str, code: str
) -> dict[str, Any]:
    """A Beckn NACK (Beckn's Ack and Error schemas) with this status and codes; nothing written."""
    before = await row_counts(switch.services)
    response = await request
    assert response.status_code == status, response.text
    document: dict[str, Any] = response.json()
    assert nack_errors(document) == [], document
    assert (document["error"]["code"], document["error"]["hutong_code"]) == (number, code)
    assert await row_counts(switch.services) == before
    return document


async def test_self_registration_is_closed_unless_the_operator_opens_it(
    switch: Switch, seller: Subscriber
) -> None:
    """Closed, the switch calls no URL a sender chose (anyone can make a key to sign one)."""
    switch.services.settings = switch.services.settings.with_(open_subscription=False)
    refused = subscribe(switch, seller, subscription(switch, seller))
    await beckn_refusal(switch, refused, 403, "50000", "subscription_closed")
    assert seller.challenges == []


async def test_a_wrong_answer_to_the_challenge_keeps_nothing(
    switch: Switch, seller: Subscriber
) -> None:
    seller.honest = False
    await beckn_refusal(
        switch,
        subscribe(switch, seller, subscription(switch, seller)),
        403,
        "40000",
        "subscription_challenge_failed",
    )


async def test_a_subscription_not_signed_by_its_own_key_is_refused(
    switch: Switch, seller: Subscriber
) -> None:
    document = await beckn_refusal(
        switch,
        subscribe(switch, seller, subscription(switch, seller), key=OndcKey()),
        401,
        "30016",
        "bad_signature",
    )
    assert document["error"]["type"] == "CONTEXT-ERROR"
    assert seller.challenges == []  # refused before the switch called anybody


@pytest.mark.parametrize(
    ("changes", "number", "code"),
    [
        ({"type": "XYZ"}, "30000", "invalid_subscription_type"),
        ({"encr_public_key": "AAAA"}, "30000", "invalid_encr_public_key"),
        ({"url": "ftp://seller.example"}, "30000", "invalid_callback_url"),
        ({"location": {}}, "30000", "invalid_subscription_country"),
    ],
)
async def test_a_bad_subscription_is_refused_with_a_beckn_error(
    switch: Switch, seller: Subscriber, changes: dict[str, Any], number: str, code: str
) -> None:
    body = subscription(switch, seller, **changes)
    await beckn_refusal(switch, subscribe(switch, seller, body), 422, number, code)
    assert seller.challenges == []


@pytest.mark.parametrize("path", ["/lookup", "/v2.0/lookup"])
async def test_a_beckn_lookup_nack_is_a_beckn_error(switch: Switch, path: str) -> None:
    """On `/lookup` too, where the request is Beckn-shaped (here by its domain)."""
    async with httpx.AsyncClient(base_url=switch.url) as http:
        wrong_type = {"type": "XYZ", "domain": RETAIL}
        await beckn_refusal(switch, http.post(path, json=wrong_type), 422, "30000", "invalid_type")
        not_the_schema = {"type": "BAP", "country": 7}
        document = await beckn_refusal(
            switch, http.post(path, json=not_the_schema), 422, "30000", "invalid_request"
        )
    assert document["error"]["type"] == "JSON-SCHEMA-ERROR"


async def test_a_hutong_lookup_is_still_refused_with_hutongs_nack(switch: Switch) -> None:
    async with httpx.AsyncClient(base_url=switch.url) as http:
        unknown_role = await http.post("/lookup", json={"role": "bank"})
        not_the_schema = await http.post("/lookup", json={"subscriber_id": 7})
    assert_nack(unknown_role, 422, "invalid_roles")
    assert_nack(not_the_schema, 422, "invalid_request")
    assert "hutong_code" not in unknown_role.json()["error"]
