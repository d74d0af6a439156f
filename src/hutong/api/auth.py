"""Authentication of participant requests, before any route sees them.

The middleware reads the exact body bytes (refusing oversize bodies with 413
and non-JSON content with 415), then checks in a fixed order: the header
parses; the key exists, belongs to an active participant and is inside its
window; created/expires bracket the clock within the allowed skew and
lifetime; the signature over the digest of those bytes is valid; the body is
JSON. Only then does the route run, and it reads the same bytes. A refusal is
answered here, and nothing is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from litestar import Litestar
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, HTTPRequestEvent, Receive, Scope, Send

from hutong.api.errors import status_of
from hutong.protocol.envelope import message_id_of
from hutong.protocol.errors import (
    AuthenticationError,
    BodyTooLarge,
    HutongError,
    Kind,
    MalformedJSON,
    UnsupportedMediaType,
)
from hutong.protocol.signing import (
    SignatureError,
    body_digest,
    check_window,
    load_verify_key,
    parse_authorization,
    verify_signature,
    verify_with_digest_header,
)
from hutong.registry.models import SigningKey, Status
from hutong.registry.service import KeyOwner
from hutong.runtime.metrics import AUTH_REFUSALS
from hutong.runtime.services import Services

SIGNED_STATE_KEY = "hutong.signed"
#: The challenge of a refused signed request.
WWW_AUTHENTICATE = AuthenticationError.challenge


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """A request whose signature was verified."""

    subscriber_id: str
    key_id: str
    body: bytes
    digest: str
    document: Any
    message_id: str | None


def signed_request(scope: Scope) -> SignedRequest:
    state = scope.get("state") or {}
    found = state.get(SIGNED_STATE_KEY)
    if not isinstance(found, SignedRequest):
        raise AuthenticationError("this route needs a signed request", code="signature_missing")
    return found


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


async def read_body(receive: Receive, limit: int, declared: str | None) -> bytes:
    if declared is not None:
        try:
            if int(declared) > limit:
                raise BodyTooLarge(f"the body is over the limit of {limit} bytes")
        except ValueError:
            raise HutongError(
                "Content-Length is not a number", code="bad_content_length", kind=Kind.MALFORMED
            ) from None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        assert isinstance(chunk, bytes)
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"the body is over the limit of {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay_receive(body: bytes) -> Receive:
    sent = False

    async def receive() -> HTTPRequestEvent:
        nonlocal sent
        # After the body, a real server would block until the client leaves;
        # an empty final chunk is what routes expect to read.
        chunk = b"" if sent else body
        sent = True
        return {"type": "http.request", "body": chunk, "more_body": False}

    return receive


async def send_error(send: Send, error: HutongError) -> None:
    payload = json.dumps(error.body(), ensure_ascii=False).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        (b"cache-control", b"no-store"),
    ]
    if isinstance(error, AuthenticationError):
        headers.append((b"www-authenticate", error.challenge.encode()))
    await send({"type": "http.response.start", "status": status_of(error), "headers": headers})
    await send({"type": "http.response.body", "body": payload, "more_body": False})


class SignedRequestMiddleware(ASGIMiddleware):
    """Verifies the signature of every request on the routes it wraps.

    It holds no state: the services come from the application of each request.
    """

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        services = Litestar.from_scope(scope).state["services"]
        try:
            signed, body = await authenticate(services, scope, receive)
        except HutongError as error:
            AUTH_REFUSALS.labels(code=error.code).inc()
            await send_error(send, error)
            return
        scope.setdefault("state", {})[SIGNED_STATE_KEY] = signed
        await next_app(scope, replay_receive(body), send)


#: The switch's own key has no window of its own: it is valid while configured.
_ALWAYS = (datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC))


def _switch_key(services: Services, key_id: str) -> KeyOwner | None:
    """The switch's services sign with the switch's key (e.g. ledger writes)."""
    signer = services.switch_signer
    if signer is None or key_id != signer.key_id:
        return None
    key = SigningKey(key_id, services.switch_public_key, *_ALWAYS)
    return KeyOwner(services.settings.switch_id, Status.ACTIVE, key)


def is_switch(services: Services, signed: SignedRequest) -> bool:
    return signed.subscriber_id == services.settings.switch_id


async def authenticate(
    services: Services, scope: Scope, receive: Receive
) -> tuple[SignedRequest, bytes]:
    settings = services.settings
    headers = _headers(scope)
    method = str(scope.get("method", "GET"))
    body = await read_body(receive, settings.max_body_bytes, headers.get("content-length"))
    if method not in ("GET", "HEAD", "DELETE") or body:
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise UnsupportedMediaType(
                "send the body as application/json", code="unsupported_media_type"
            )
    authorization = headers.get("authorization")
    if not authorization:
        raise AuthenticationError(
            "this request must be signed (Authorization: Signature ...)",
            code="signature_missing",
        )
    try:
        header = parse_authorization(authorization)
    except SignatureError as exc:
        raise AuthenticationError(exc.reason, code="malformed_signature") from None
    if header.subscriber_id == settings.switch_id:
        owner = _switch_key(services, header.key_id)
    else:
        owner = await services.keys().find(header.subscriber_id, header.key_id)
    if owner is None:
        raise AuthenticationError(
            f"no key {header.key_id} is registered for {header.subscriber_id}",
            code="unknown_key",
        )
    if owner.status is not Status.ACTIVE:
        raise AuthenticationError(
            f"participant {owner.subscriber_id} is {owner.status.value}",
            code=f"participant_{owner.status.value}",
        )
    now = services.clock()
    refusal = owner.key.refusal_at(now)
    if refusal is not None:
        raise AuthenticationError(
            f"{refusal}: {header.key_id} of {header.subscriber_id}",
            code=refusal.replace(" ", "_"),
        )
    try:
        check_window(
            header,
            int(now.timestamp()),
            skew=settings.clock_skew,
            max_lifetime=settings.max_request_lifetime,
        )
        verify_with_digest_header(headers.get("digest"), body)
        verify_signature(header, body, load_verify_key(owner.key.public_key))
    except SignatureError as exc:
        code = {
            "expired": "request_expired",
            "not yet valid": "request_not_yet_valid",
            "lifetime too long": "request_lifetime_too_long",
            "expires must be after created": "request_window_invalid",
            "digest mismatch": "digest_mismatch",
            "bad signature": "bad_signature",
        }.get(exc.reason, "malformed_signature")
        raise AuthenticationError(exc.reason, code=code) from None
    document: Any = None
    if body:
        try:
            document = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            raise MalformedJSON("the body is not valid JSON", code="malformed_json") from None
    signed = SignedRequest(
        subscriber_id=header.subscriber_id,
        key_id=header.key_id,
        body=body,
        digest=body_digest(body),
        document=document,
        message_id=message_id_of(document),
    )
    return signed, body
