"""A Beckn or ONDC participant's signatures are accepted as its SDK makes them.

The headers are made by `tests.harness.ondc` (plain `cryptography`, ONDC's
conventions: Beckn's three-line string, one hour of lifetime, the header in
quotes) and sent to a Beckn action (`POST /v1/ping` with a context). A
gateway that forwards a request adds its own signature in
`X-Gateway-Authorization` (or `Proxy-Authorization`): when present it must
verify, or the request is refused with 401 and `Proxy-Authenticate`, and
nothing is written; the sender's `Authorization` is required all the same.
"""

from __future__ import annotations

import json

import httpx
import pytest

from hutong.protocol.ids import new_id
from tests.harness.assertions import assert_acked, refused_without_writes
from tests.harness.ondc import ONE_HOUR, OndcKey, authorisation_header
from tests.harness.signed import now_unix
from tests.harness.switch import Switch

BAP = "bap.example"


async def enrol(switch: Switch, subscriber_id: str, roles: list[str]) -> OndcKey:
    """Register `subscriber_id` with an ONDC-made key under key id uk-1."""
    key = OndcKey()
    response = await switch.operator.post(
        "/operator/participants",
        json={
            "subscriber_id": subscriber_id,
            "roles": roles,
            "callback_url": f"https://{subscriber_id}/beckn",
            "key_id": "uk-1",
            "public_key": key.public_key,
        },
    )
    assert response.status_code == 201, response.text
    return key


def ping_body() -> bytes:
    return json.dumps(
        {"context": {"action": "ping", "message_id": new_id("msg")}, "message": {}}
    ).encode()


async def post(switch: Switch, body: bytes, headers: dict[str, str]) -> httpx.Response:
    sent = {"content-type": "application/json", **headers}
    async with httpx.AsyncClient(base_url=switch.url, timeout=30) as http:
        return await http.post("/v1/ping", content=body, headers=sent)


@pytest.mark.parametrize(
    ("key_id", "headers", "wrap"),
    [
        (f"{BAP}|uk-1|ed25519", "(created) (expires) digest", True),
        (f"{BAP}|uk-1|ed25519", "(created)(expires)digest", True),
        (f"{BAP}|ed25519", "(created) (expires) digest", False),
    ],
    ids=["as create_authorisation_header emits it", "headers without spaces", "no key id"],
)
async def test_an_ondc_signed_request_valid_for_an_hour_is_accepted(
    switch: Switch, key_id: str, headers: str, wrap: bool
) -> None:
    key = await enrol(switch, BAP, ["platform"])
    body = ping_body()
    value = authorisation_header(
        key, body, now_unix(switch), key_id=key_id, headers=headers, wrap=wrap
    )
    assert_acked(await post(switch, body, {"authorization": value}))


async def test_the_lifetime_limit_is_the_setting(switch: Switch) -> None:
    key = await enrol(switch, BAP, ["platform"])
    assert switch.services.settings.max_request_lifetime == ONE_HOUR
    body = ping_body()
    value = authorisation_header(
        key, body, now_unix(switch), key_id=f"{BAP}|uk-1|ed25519", lifetime=ONE_HOUR + 1
    )
    await refused_without_writes(
        switch, post(switch, body, {"authorization": value}), 401, "request_lifetime_too_long"
    )


@pytest.mark.parametrize("header", ["x-gateway-authorization", "proxy-authorization"])
async def test_a_gateways_signature_is_verified_when_present(switch: Switch, header: str) -> None:
    bap = await enrol(switch, BAP, ["platform"])
    gateway = await enrol(switch, "bg.example", ["gateway"])
    now = now_unix(switch)

    def sent(body: bytes, gateway_key: OndcKey, signed_body: bytes | None = None) -> dict[str, str]:
        by_gateway = authorisation_header(
            gateway_key, signed_body or body, now, key_id="bg.example|uk-1|ed25519"
        )
        by_bap = authorisation_header(bap, body, now, key_id=f"{BAP}|uk-1|ed25519")
        return {"authorization": by_bap, header: by_gateway}

    body = ping_body()
    assert_acked(await post(switch, body, sent(body, gateway)))

    # Signed by a key that is not the gateway's: 401 with the gateway's challenge.
    body = ping_body()
    refused = await refused_without_writes(
        switch, post(switch, body, sent(body, OndcKey())), 401, "gateway_bad_signature"
    )
    assert refused.headers["proxy-authenticate"].startswith("Signature ")
    # The gateway's signature of another body is as bad.
    refused = await refused_without_writes(
        switch,
        post(switch, body, sent(body, gateway, signed_body=ping_body())),
        401,
        "gateway_bad_signature",
    )
    assert "proxy-authenticate" in refused.headers


async def test_only_a_gateway_may_sign_as_one(switch: Switch) -> None:
    bap = await enrol(switch, BAP, ["platform"])
    body = ping_body()
    now = now_unix(switch)
    value = authorisation_header(bap, body, now, key_id=f"{BAP}|uk-1|ed25519")
    await refused_without_writes(
        switch,
        post(switch, body, {"authorization": value, "x-gateway-authorization": value}),
        401,
        "gateway_not_a_gateway",
    )


async def test_a_gateways_signature_does_not_replace_the_senders(switch: Switch) -> None:
    gateway = await enrol(switch, "bg.example", ["gateway"])
    body = ping_body()
    value = authorisation_header(gateway, body, now_unix(switch), key_id="bg.example|uk-1|ed25519")
    await refused_without_writes(
        switch, post(switch, body, {"x-gateway-authorization": value}), 401, "signature_missing"
    )
