"""Signed requests at the switch's time, as a client (or an attacker) sends them."""

from __future__ import annotations

import httpx

from hutong.protocol.signing import Signer
from tests.harness.switch import TLS, Switch

PING = b'{"context":{"message_id":"m1"},"message":{}}'


SUBSCRIBER = "douyin.example"


def now_unix(switch: Switch) -> int:
    return int(switch.services.clock().timestamp())


async def send(
    switch: Switch,
    signer: Signer | None,
    body: bytes = PING,
    *,
    path: str = "/v1/ping",
    method: str = "POST",
    created: int | None = None,
    expires: int | None = None,
    authorization: str | None = None,
    headers: dict[str, str] | None = None,
    beckn: bool = False,
) -> httpx.Response:
    """Send `body` signed by `signer` at the switch's time (or as told).

    The signature names `method path` unless `beckn`: then it is Beckn's, over the body only.
    """
    created = now_unix(switch) if created is None else created
    expires = created + 60 if expires is None else expires
    sent: dict[str, str] = {"content-type": "application/json"}
    if authorization is not None:
        sent["authorization"] = authorization
    elif signer is not None and beckn:
        sent["authorization"] = signer.authorization(body, created, expires)
    elif signer is not None:
        sent["authorization"] = signer.for_request(method, path, body, created, expires)
    sent.update(headers or {})
    async with httpx.AsyncClient(base_url=switch.url, timeout=30, verify=TLS) as http:
        return await http.request(method, path, content=body, headers=sent)


def ping_header(signer: Signer, body: bytes, created: int, expires: int | None = None) -> str:
    """The Authorization value of `POST /v1/ping` with `body`, as a client signs it."""
    return signer.for_request("POST", "/v1/ping", body, created, expires or created + 60)


async def join(switch: Switch, subscriber_id: str = SUBSCRIBER, **window: object) -> Signer:
    """Register a participant through the operator API; returns the signer of its key k1."""
    client = await switch.register(subscriber_id, ["platform"], **window)  # type: ignore[arg-type]
    await client.aclose()
    return client.signer
