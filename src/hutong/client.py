"""The participant SDK: signs every request, verifies the switch's events.

    async with Client(base_url, "douyin.example", "k1", private_key) as client:
        response = await client.post("/v1/ping", {"note": "hello"})

Mutating calls are wrapped in the `{context, message}` envelope with a Beckn
1.1 context (`hutong.protocol.beckn_context`): a fresh UUID as
`context.message_id` (or the id given, to retry safely), the route's action
(`route_action` of the path), the sender as BAP and the switch as BPP, a
timestamp and a ttl. Every request is
signed with its `(request-target)`: the method and the path and query exactly
as they go on the wire, so a signature is good for that one request only.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from hutong.protocol.beckn_context import route_action
from hutong.protocol.envelope import beckn_request_envelope, named_uri
from hutong.protocol.signing import (
    SignatureError,
    Signer,
    check_window,
    load_verify_key,
    parse_authorization,
    request_target,
    verify_signature,
)

DEFAULT_LIFETIME = 60
#: How long a request's message is good for (`context.ttl`): a retry of the
#: same bytes (same message id and timestamp) is accepted within it.
DEFAULT_TTL = 3600
#: The switch's subscriber id unless told otherwise (`Settings.switch_id`).
DEFAULT_SWITCH_ID = "hutong.switch"


def encode_json(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


class Client:
    def __init__(
        self,
        base_url: str,
        subscriber_id: str,
        key_id: str,
        private_key: str,
        *,
        lifetime: int = DEFAULT_LIFETIME,
        timeout: float = 10.0,
        http: httpx.AsyncClient | None = None,
        switch_id: str = DEFAULT_SWITCH_ID,
        callback_url: str = "",
        ttl: int = DEFAULT_TTL,
    ) -> None:
        """`switch_id` and `base_url` are the context's BPP; `callback_url` (default: the
        participant's name as a URI, `urn:hutong:<id>`) its `bap_uri`."""
        self.signer = Signer(subscriber_id, key_id, private_key)
        self.lifetime = lifetime
        self.switch_id = switch_id
        self.callback_url = callback_url
        self.ttl = ttl
        self._own_http = http is None
        self.http = http or httpx.AsyncClient(base_url=base_url, timeout=timeout)
        self.base_url = base_url

    @property
    def subscriber_id(self) -> str:
        return self.signer.subscriber_id

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_http:
            await self.http.aclose()

    def now(self) -> datetime:
        """The time a request's context is stamped with (a simulated client says its own)."""
        return datetime.now(UTC)

    def sign(
        self, method: str, target: str, body: bytes, created: int | None = None
    ) -> dict[str, str]:
        """Headers for `method target` with `body`: Authorization and, for a body, Content-Type.

        `target` is the raw path and query of the request line (`/v1/orders?x=1`).
        """
        created = int(time.time()) if created is None else created
        authorization = self.signer.authorization(
            body, created, created + self.lifetime, target=request_target(method, target)
        )
        headers = {"authorization": authorization}
        if body:
            headers["content-type"] = "application/json"
        return headers

    async def send(
        self, method: str, path: str, body: bytes = b"", *, created: int | None = None
    ) -> httpx.Response:
        """Sign and send exact bytes (the bytes and request line on the wire are those signed).

        `created` is the signature's start (default: now), for a clock that is not the real one.
        """
        url = path if path.startswith("http") else f"{self.base_url.rstrip('/')}{path}"
        request = self.http.build_request(method, url, content=body)
        # httpx has encoded the URL by now: sign the path and query it will send.
        target = request.url.raw_path.decode("ascii")
        request.headers.update(self.sign(method, target, body, created))
        return await self.http.send(request)

    async def get(self, path: str) -> httpx.Response:
        return await self.send("GET", path)

    async def post(
        self,
        path: str,
        message: dict[str, Any],
        *,
        message_id: str | None = None,
        action: str = "",
        transaction_id: str = "",
    ) -> httpx.Response:
        """POST `message` in its envelope; `action` defaults to the route's (`route_action`)."""
        return await self.send(
            "POST",
            path,
            self.envelope(path, message, message_id, action=action, transaction_id=transaction_id),
        )

    def envelope(
        self,
        path: str,
        message: dict[str, Any],
        message_id: str | None = None,
        *,
        action: str = "",
        transaction_id: str = "",
        timestamp: str = "",
    ) -> bytes:
        """The body `post` sends to `path`: `message` under this client's Beckn context.

        The message id defaults to a new UUID. One given that is not a UUID
        (Hutong takes any id of at most 128 characters) goes as
        `hutong_message_id`, the one the switch knows the message by, next to
        its UUIDv5 as `message_id` for Beckn peers. `timestamp` is given only
        to send a retry's body again exactly.
        """
        document = beckn_request_envelope(
            message,
            message_id=message_id or str(uuid.uuid4()),
            action=action or route_action(path),
            sender=self.subscriber_id,
            sender_uri=self.callback_url or named_uri(self.subscriber_id),
            recipient=self.switch_id,
            recipient_uri=self.base_url.rstrip("/"),
            ttl_seconds=self.ttl,
            transaction_id=transaction_id,
            now=self.now(),
            timestamp=timestamp,
        )
        return encode_json(document)


def verify_event(
    body: bytes,
    authorization: str,
    switch_public_key: str,
    *,
    now: datetime | None = None,
    skew: int = 30,
    switch_id: str | None = None,
) -> dict[str, Any]:
    """Check that an event really comes from the switch; returns the decoded envelope.

    Raises `SignatureError` with the reason otherwise.
    """
    header = parse_authorization(authorization)
    if switch_id is not None and header.subscriber_id != switch_id:
        raise SignatureError(f"signed by {header.subscriber_id}, not by the switch")
    moment = int((now or datetime.now(UTC)).timestamp())
    check_window(header, moment, skew=skew)
    verify_signature(header, body, load_verify_key(switch_public_key))
    document = json.loads(body)
    if not isinstance(document, dict):
        raise SignatureError("event body is not a JSON object")
    return document
