"""The registry over HTTP: the operator manages participants, participants rotate keys,
anyone looks records up and fetches the switch's own key.

The operator API takes a bearer token; it is switched off when no token is set.
Participants rotate their keys with a signed, idempotent `POST /v1/keys`; an old
key keeps working until its own `valid_until`. `POST /lookup` answers with
Beckn-style public records, never anything private.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import httpx

from hutong.client import verify_event
from hutong.protocol.ids import new_id
from hutong.protocol.signing import KeyPair, Signer, new_key_pair, verify_authorization
from tests.harness.assertions import assert_nack
from tests.harness.switch import OPERATOR_TOKEN, Clock, Switch, row_counts

CALLBACK = "https://douyin.example/hutong"


def registration(subscriber_id: str = "douyin.example", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subscriber_id": subscriber_id,
        "roles": ["platform"],
        "callback_url": CALLBACK,
        "key_id": "k1",
        "public_key": new_key_pair().public_key,
        "name": "Douyin",
    }
    body.update(changes)
    return body


async def signed_post(
    switch: Switch, signer: Signer, body: bytes, path: str = "/v1/ping"
) -> httpx.Response:
    """POST `body` signed at the switch's current time (which tests move)."""
    created = int(switch.services.clock().timestamp())
    headers = {
        "content-type": "application/json",
        "authorization": signer.for_request("POST", path, body, created, created + 60),
    }
    async with httpx.AsyncClient(base_url=switch.url) as http:
        return await http.post(path, content=body, headers=headers)


async def ping(switch: Switch, signer: Signer) -> httpx.Response:
    """A signed ping under a fresh message id."""
    body = json.dumps({"context": {"message_id": new_id("msg")}, "message": {}}).encode()
    return await signed_post(switch, signer, body)


def rotation(message_id: str, pair: KeyPair, key_id: str = "k2", **window: datetime) -> bytes:
    message: dict[str, str] = {"key_id": key_id, "public_key": pair.public_key}
    message.update({name: moment.isoformat() for name, moment in window.items()})
    return json.dumps({"context": {"message_id": message_id}, "message": message}).encode()


async def status_change(switch: Switch, subscriber_id: str, change: str) -> httpx.Response:
    return await switch.operator.post(
        f"/operator/participants/{subscriber_id}/{change}", json={"reason": f"test {change}"}
    )


# --------------------------------------------------------------------------
# Registering participants.
# --------------------------------------------------------------------------


async def test_the_operator_registers_a_participant_with_its_first_key(
    switch: Switch, clock: Clock
) -> None:
    body = registration(roles=["platform", "merchant", "platform"])
    response = await switch.operator.post("/operator/participants", json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created == {
        "subscriber_id": "douyin.example",
        "name": "Douyin",
        "roles": ["merchant", "platform"],
        "callback_url": CALLBACK,
        "status": "active",
        "created_at": created["created_at"],
        "keys": [
            {
                "key_id": "k1",
                "public_key": body["public_key"],
                "valid_from": created["keys"][0]["valid_from"],
                "valid_until": created["keys"][0]["valid_until"],
                "revoked_at": None,
            }
        ],
    }
    valid_from = datetime.fromisoformat(created["keys"][0]["valid_from"])
    valid_until = datetime.fromisoformat(created["keys"][0]["valid_until"])
    assert valid_from == clock.now
    assert valid_until == clock.now + timedelta(days=365)  # the default key lifetime

    shown = await switch.operator.get("/operator/participants/douyin.example")
    assert shown.status_code == 200
    assert shown.json() == created


async def test_registering_the_same_subscriber_twice_is_refused(switch: Switch) -> None:
    first = await switch.operator.post("/operator/participants", json=registration())
    assert first.status_code == 201, first.text
    before = await row_counts(switch.services)
    again = await switch.operator.post("/operator/participants", json=registration())
    assert_nack(again, 409, "participant_exists")
    assert await row_counts(switch.services) == before


INVALID_REGISTRATIONS: list[tuple[str, dict[str, Any], str]] = [
    ("upper case", {"subscriber_id": "Douyin.example"}, "invalid_subscriber_id"),
    ("underscore", {"subscriber_id": "dou_yin.example"}, "invalid_subscriber_id"),
    ("too short", {"subscriber_id": "dy"}, "invalid_subscriber_id"),
    ("pipe", {"subscriber_id": "douyin|example"}, "invalid_subscriber_id"),
    ("no roles", {"roles": []}, "invalid_roles"),
    ("unknown role", {"roles": ["platform", "bank"]}, "invalid_roles"),
    ("ftp callback", {"callback_url": "ftp://douyin.example/x"}, "invalid_callback_url"),
    ("relative callback", {"callback_url": "/hutong"}, "invalid_callback_url"),
    ("public key not base64", {"public_key": "not a key!"}, "invalid_public_key"),
    ("public key too short", {"public_key": "AAAA"}, "invalid_public_key"),
    ("key id with a space", {"key_id": "k 1"}, "invalid_key_id"),
    (
        "key ends before it starts",
        {"valid_from": "2030-01-02T00:00:00Z", "valid_until": "2030-01-01T00:00:00Z"},
        "invalid_key_window",
    ),
    ("key window without a time zone", {"valid_from": "2030-01-01T00:00:00"}, "invalid_key_window"),
]


async def test_an_invalid_registration_is_refused_and_nothing_is_stored(
    switch: Switch,
) -> None:
    before = await row_counts(switch.services)
    for what, change, code in INVALID_REGISTRATIONS:
        response = await switch.operator.post("/operator/participants", json=registration(**change))
        assert_nack(response, 422, code, what)
    no_key = registration()
    del no_key["public_key"]
    response = await switch.operator.post("/operator/participants", json=no_key)
    assert_nack(response, 422, "invalid_request", "a field missing")
    assert await row_counts(switch.services) == before
    listed = await switch.operator.get("/operator/participants")
    assert listed.json() == []


# --------------------------------------------------------------------------
# Reading the registry.
# --------------------------------------------------------------------------


async def test_participants_are_listed_by_role_and_by_status(switch: Switch) -> None:
    for subscriber_id, roles in [
        ("alipay.example", ["wallet"]),
        ("douyin.example", ["platform", "merchant"]),
        ("jd.example", ["platform"]),
    ]:
        response = await switch.operator.post(
            "/operator/participants", json=registration(subscriber_id, roles=roles)
        )
        assert response.status_code == 201, response.text
    assert (await status_change(switch, "jd.example", "suspend")).status_code == 200

    async def listed(query: str = "") -> list[str]:
        response = await switch.operator.get(f"/operator/participants{query}")
        assert response.status_code == 200, response.text
        return [p["subscriber_id"] for p in response.json()]

    assert await listed() == ["alipay.example", "douyin.example", "jd.example"]
    assert await listed("?role=platform") == ["douyin.example", "jd.example"]
    assert await listed("?role=merchant") == ["douyin.example"]
    assert await listed("?status=suspended") == ["jd.example"]
    assert await listed("?role=platform&status=active") == ["douyin.example"]
    assert await listed("?role=carrier") == []

    for query in ("?role=bank", "?status=asleep"):
        assert_nack(
            await switch.operator.get(f"/operator/participants{query}"), 422, "invalid_filter"
        )


async def test_an_unknown_participant_is_a_404(switch: Switch) -> None:
    response = await switch.operator.get("/operator/participants/nobody.example")
    assert_nack(response, 404, "unknown_participant")
    before = await row_counts(switch.services)
    for change in ("suspend", "reactivate", "revoke"):
        response = await status_change(switch, "nobody.example", change)
        assert_nack(response, 404, "unknown_participant", change)
    assert await row_counts(switch.services) == before


# --------------------------------------------------------------------------
# Suspension and revocation.
# --------------------------------------------------------------------------


async def test_a_suspended_participant_is_refused_until_reactivated(switch: Switch) -> None:
    client = await switch.register("douyin.example", ["platform"])
    await client.aclose()
    douyin = client.signer
    assert (await ping(switch, douyin)).status_code == 200

    suspended = await status_change(switch, "douyin.example", "suspend")
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["status"] == "suspended"
    assert_nack(await ping(switch, douyin), 401, "participant_suspended")

    # The reason is optional: a bare POST will do.
    reactivated = await switch.operator.post("/operator/participants/douyin.example/reactivate")
    assert reactivated.status_code == 200, reactivated.text
    assert reactivated.json()["status"] == "active"
    assert (await ping(switch, douyin)).status_code == 200

    events = await switch.operator.get("/operator/events?participant=douyin.example")
    changes = [e["message"] for e in events.json() if e["action"] == "on_participant_status"]
    assert [(c["status"], c["reason"]) for c in changes] == [
        ("suspended", "test suspend"),
        ("active", ""),
    ]


async def test_revocation_is_final(switch: Switch, clock: Clock) -> None:
    client = await switch.register("douyin.example", ["platform"])
    await client.aclose()
    revoked = await status_change(switch, "douyin.example", "revoke")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked"
    assert revoked.json()["keys"][0]["revoked_at"] is not None
    assert datetime.fromisoformat(revoked.json()["keys"][0]["revoked_at"]) == clock.now

    before = await row_counts(switch.services)
    for change in ("reactivate", "suspend"):
        assert_nack(
            await status_change(switch, "douyin.example", change), 409, "participant_revoked"
        )
    assert await row_counts(switch.services) == before
    assert_nack(await ping(switch, client.signer), 401, "participant_revoked")
    shown = await switch.operator.get("/operator/participants/douyin.example")
    assert shown.json()["status"] == "revoked"


# --------------------------------------------------------------------------
# The operator token.
# --------------------------------------------------------------------------


WITHOUT_THE_TOKEN = {
    "missing": None,
    "wrong token": "Bearer wrong-token",
    "wrong scheme": f"Basic {OPERATOR_TOKEN}",
    "no scheme": OPERATOR_TOKEN,
    "no token": "Bearer",
    "token with a suffix": f"Bearer {OPERATOR_TOKEN}x",
}


async def test_the_operator_api_needs_the_operator_token(switch: Switch) -> None:
    before = await row_counts(switch.services)
    for what, authorization in WITHOUT_THE_TOKEN.items():
        headers = {} if authorization is None else {"authorization": authorization}
        async with httpx.AsyncClient(base_url=switch.url, headers=headers) as http:
            added = await http.post("/operator/participants", json=registration())
            listed = await http.get("/operator/participants")
        assert_nack(added, 401, "operator_token", what)
        assert_nack(listed, 401, "operator_token", what)
        assert added.headers["www-authenticate"].startswith("Bearer "), what
    assert await row_counts(switch.services) == before


async def test_the_operator_api_is_disabled_when_no_token_is_set(switch: Switch) -> None:
    switch.services.settings = switch.services.settings.with_(operator_token="")
    before = await row_counts(switch.services)
    added = await switch.operator.post("/operator/participants", json=registration())
    assert_nack(added, 403, "operator_api_disabled")
    async with httpx.AsyncClient(base_url=switch.url) as http:
        assert_nack(await http.get("/operator/participants"), 403, "operator_api_disabled")
    assert await row_counts(switch.services) == before


# --------------------------------------------------------------------------
# Key rotation by the participant itself.
# --------------------------------------------------------------------------


async def test_a_rotated_key_signs_at_once_and_the_old_key_lasts_until_its_valid_until(
    switch: Switch, clock: Clock
) -> None:
    start = clock.now
    client = await switch.register(
        "douyin.example", ["platform"], valid_until=start + timedelta(hours=1)
    )
    await client.aclose()
    old = client.signer
    pair = new_key_pair()
    new = Signer("douyin.example", "k2", pair.private_key)

    rotated = await signed_post(switch, old, rotation("rotate-1", pair), "/v1/keys")
    assert rotated.status_code == 200, rotated.text
    assert rotated.json() == {
        "message": {
            "ack": {"status": "ACK"},
            "key": {
                "key_id": "k2",
                "valid_from": start.isoformat(),
                "valid_until": (start + timedelta(days=365)).isoformat(),
            },
        }
    }
    assert (await ping(switch, new)).status_code == 200
    assert (await ping(switch, old)).status_code == 200

    clock.advance(3599)
    assert (await ping(switch, old)).status_code == 200
    clock.advance(1)
    assert_nack(await ping(switch, old), 401, "key_expired")
    assert (await ping(switch, new)).status_code == 200

    events = await switch.operator.get("/operator/events?participant=douyin.example")
    assert [e["message"]["key_id"] for e in events.json() if e["action"] == "on_key_rotation"] == [
        "k2"
    ]
    shown = await switch.operator.get("/operator/participants/douyin.example")
    assert [k["key_id"] for k in shown.json()["keys"]] == ["k1", "k2"]


async def test_a_key_can_be_added_ahead_of_its_start(switch: Switch, clock: Clock) -> None:
    client = await switch.register("douyin.example", ["platform"])
    await client.aclose()
    pair = new_key_pair()
    starts = clock.now + timedelta(days=1)
    ends = starts + timedelta(days=30)
    body = rotation("rotate-1", pair, valid_from=starts, valid_until=ends)
    rotated = await signed_post(switch, client.signer, body, "/v1/keys")
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["message"]["key"]["valid_until"] == ends.isoformat()

    new = Signer("douyin.example", "k2", pair.private_key)
    assert_nack(await ping(switch, new), 401, "key_not_yet_valid")
    clock.advance(86_400)
    assert (await ping(switch, new)).status_code == 200


async def test_a_key_id_is_never_reused(switch: Switch, clock: Clock) -> None:
    client = await switch.register(
        "douyin.example", ["platform"], valid_until=clock.now + timedelta(minutes=10)
    )
    await client.aclose()
    second = new_key_pair()
    rotated = await signed_post(switch, client.signer, rotation("rotate-1", second), "/v1/keys")
    assert rotated.status_code == 200, rotated.text
    clock.advance(3600)  # k1 has expired; its id stays taken
    new = Signer("douyin.example", "k2", second.private_key)
    before = await row_counts(switch.services)
    for message_id, key_id in (("rotate-2", "k1"), ("rotate-3", "k2")):
        body = rotation(message_id, new_key_pair(), key_id=key_id)
        assert_nack(await signed_post(switch, new, body, "/v1/keys"), 409, "key_exists")
    after = await row_counts(switch.services)
    assert after["participant_keys"] == before["participant_keys"]
    assert after["outbox"] == before["outbox"]


async def test_a_rotation_to_an_invalid_key_is_refused(switch: Switch) -> None:
    client = await switch.register("douyin.example", ["platform"])
    await client.aclose()
    before = await row_counts(switch.services)
    bad_key = b'{"context":{"message_id":"rotate-1"},"message":{"key_id":"k2","public_key":"AAAA"}}'
    bad_id = rotation("rotate-2", new_key_pair(), key_id="k|2")
    naive = rotation("rotate-3", new_key_pair(), valid_until=datetime(2030, 1, 1))
    assert_nack(
        await signed_post(switch, client.signer, bad_key, "/v1/keys"), 422, "invalid_public_key"
    )
    assert_nack(await signed_post(switch, client.signer, bad_id, "/v1/keys"), 422, "invalid_key_id")
    assert_nack(
        await signed_post(switch, client.signer, naive, "/v1/keys"), 422, "invalid_key_window"
    )
    after = await row_counts(switch.services)
    assert after["participant_keys"] == before["participant_keys"]
    assert after["outbox"] == before["outbox"]


# --------------------------------------------------------------------------
# Public lookups and the switch's key.
# --------------------------------------------------------------------------

PUBLIC_FIELDS = {
    "subscriber_id",
    "subscriber_url",
    "name",
    "type",
    "roles",
    "status",
    "ukId",
    "signing_public_key",
    "valid_from",
    "valid_until",
    "revoked_at",
}


async def test_lookup_returns_public_records_by_subscriber_role_and_key(switch: Switch) -> None:
    pairs = {sid: new_key_pair() for sid in ("alipay.example", "douyin.example", "jd.example")}
    for sid, roles in [
        ("alipay.example", ["wallet"]),
        ("douyin.example", ["platform"]),
        ("jd.example", ["merchant", "platform"]),
    ]:
        body = registration(sid, roles=roles, public_key=pairs[sid].public_key, name=sid)
        assert (await switch.operator.post("/operator/participants", json=body)).status_code == 201
    douyin = Signer("douyin.example", "k1", pairs["douyin.example"].private_key)
    second = new_key_pair()
    assert (
        await signed_post(switch, douyin, rotation("rotate-1", second), "/v1/keys")
    ).status_code == 200

    async def lookup(query: dict[str, str]) -> list[dict[str, Any]]:
        async with httpx.AsyncClient(base_url=switch.url) as http:  # no credentials
            response = await http.post("/lookup", json=query)
        assert response.status_code == 200, response.text
        records: list[dict[str, Any]] = response.json()
        return records

    by_subscriber = await lookup({"subscriber_id": "douyin.example"})
    assert [r["ukId"] for r in by_subscriber] == ["k1", "k2"]
    first = by_subscriber[0]
    assert set(first) == PUBLIC_FIELDS
    assert first["subscriber_url"] == CALLBACK
    assert first["type"] == "platform"
    assert first["status"] == "ACTIVE"
    assert first["signing_public_key"] == pairs["douyin.example"].public_key
    assert by_subscriber[1]["signing_public_key"] == second.public_key
    private = {p.private_key for p in pairs.values()} | {second.private_key}
    everything = await lookup({})
    assert len(everything) == 4
    assert not any(key in json.dumps(everything) for key in private)

    def who(records: list[dict[str, Any]]) -> list[tuple[str, str]]:
        return [(r["subscriber_id"], r["ukId"]) for r in records]

    platforms = [("douyin.example", "k1"), ("douyin.example", "k2"), ("jd.example", "k1")]
    assert who(await lookup({"type": "platform"})) == platforms
    assert who(await lookup({"type": "PLATFORM"})) == platforms
    assert who(await lookup({"role": "wallet"})) == [("alipay.example", "k1")]
    assert who(await lookup({"ukId": "k2"})) == [("douyin.example", "k2")]
    assert who(await lookup({"subscriber_id": "douyin.example", "key_id": "k2"})) == [
        ("douyin.example", "k2")
    ]
    assert who(await lookup({"subscriber_id": "jd.example", "type": "wallet"})) == []
    assert await lookup({"subscriber_id": "nobody.example"}) == []

    async with httpx.AsyncClient(base_url=switch.url) as http:
        assert_nack(await http.post("/lookup", json={"type": "bank"}), 422, "invalid_roles")


async def test_the_switch_publishes_the_key_that_verifies_what_it_signs(
    switch: Switch, clock: Clock
) -> None:
    async with httpx.AsyncClient(base_url=switch.url) as http:
        response = await http.get("/.well-known/hutong.json")
    assert response.status_code == 200, response.text
    published = response.json()
    switch_id = switch.services.settings.switch_id
    assert published["subscriber_id"] == switch_id
    assert published["algorithm"] == "ed25519"
    assert published["key_id_header"] == f"{switch_id}|{published['key_id']}|ed25519"

    # An event body as the switch signs it for a participant's callback URL.
    body = b'{"context":{"action":"on_ping","message_id":"evt_1"},"message":{}}'
    authorization = switch.services.signer().authorization(body, clock.unix, clock.unix + 60)
    assert f'keyId="{published["key_id_header"]}"' in authorization
    verify_authorization(authorization, body, published["signing_public_key"], now=clock.unix)
    event = verify_event(
        body, authorization, published["signing_public_key"], now=clock.now, switch_id=switch_id
    )
    assert event["context"]["action"] == "on_ping"
