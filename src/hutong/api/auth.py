"""Authentication of participant requests, before any route sees them.

The middleware reads the exact body bytes (refusing oversize bodies with 413
and non-JSON content with 415), then checks in a fixed order: there is exactly
one Authorization header; it parses; it signs the request line unless Beckn
allows otherwise (below); the key exists, belongs to an active participant
and is inside its window; created/expires bracket the clock within the
allowed skew and lifetime; the signature over the request target and the
digest of those bytes is valid; a request that is not a GET or HEAD has a
body; the body is JSON, its message id, if any, has no control characters, and
its Beckn context, if any, names this route's action and is within its ttl
(`hutong.protocol.beckn_context.refusal`). Only then does the route run, and
it reads the same bytes. A refusal is answered here, and nothing is written.

Which signing string is accepted where: every request must sign its
`(request-target)` (`headers="(created) (expires) (request-target) digest"`),
except a Beckn action: a POST to a route of `BECKN_ROUTES` whose body is a
JSON object with a Beckn `context` carrying a message id may use the Beckn 1.1
string (`headers="(created) (expires) digest"`). Such a signature cannot be
moved to another route (no other route takes it) nor to another request on
its own (the message id is in the signed body, and a repeat is answered from
the stored answer). Without the target, a GET's signature would cover only the
empty body and be good for any GET, or any empty POST, of its sender.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from litestar import Litestar
from litestar.datastructures import URL
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, HTTPRequestEvent, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from hutong.api.beckn_auth import GATEWAY_HEADERS, verify_gateway, with_current_key
from hutong.api.errors import status_of
from hutong.protocol.beckn_context import refusal, route_action
from hutong.protocol.beckn_errors import beckn_nack
from hutong.protocol.envelope import message_id_of, message_id_problem
from hutong.protocol.errors import (
    AuthenticationError,
    BodyTooLarge,
    HutongError,
    Kind,
    UnsupportedMediaType,
)
from hutong.protocol.signing import (
    SignatureError,
    body_digest,
    check_window,
    load_verify_key,
    parse_authorization,
    request_target,
    verify_signature,
    verify_with_digest_header,
)
from hutong.protocol.strict_json import parse_json
from hutong.registry.models import SigningKey, Status
from hutong.registry.service import KeyOwner
from hutong.runtime.metrics import AUTH_REFUSALS
from hutong.runtime.services import Services

SIGNED_STATE_KEY = "hutong.signed"
#: Routes of Beckn actions: a POST here with a Beckn context in its body may be
#: signed without `(request-target)`, as other Beckn implementations sign. The
#: registry's Beckn lookup (`POST /lookup`) is public and not signed at all.
BECKN_ROUTES = frozenset(
    {
        "/v1/ping",
        # The transaction gateway (`hutong.api.routes.beckn_gateway`).
        *(
            f"/beckn/{action}"
            for action in (
                *("search", "select", "init", "confirm", "status"),
                *("track", "cancel", "update", "rating", "support"),
            )
        ),
    }
)
#: Headers whose second copy would be a second, unchecked meaning.
_SINGLE_HEADERS = (
    "authorization",
    "digest",
    "content-type",
    "content-length",
    *GATEWAY_HEADERS,
)
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
    #: The method and the path (as `Request.url.path` reads them): with the
    #: sender and the message id, what makes the exactly-once key.
    method: str
    path: str


def signed_request(scope: Scope) -> SignedRequest:
    state = scope.get("state") or {}
    found = state.get(SIGNED_STATE_KEY)
    if not isinstance(found, SignedRequest):
        raise AuthenticationError("this route needs a signed request", code="signature_missing")
    return found


def _headers(scope: Scope) -> dict[str, str]:
    """The request's headers by lower-case name; a repeated security header is refused."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        if name in headers and name in _SINGLE_HEADERS:
            raise HutongError(
                f"send one {name} header, not several",
                code="duplicate_authorization" if name == "authorization" else "duplicate_header",
                kind=Kind.MALFORMED,
            )
        headers[name] = raw_value.decode("latin-1")
    return headers


def target_of(scope: Scope) -> str | None:
    """The `(request-target)` of the request as the client sent it, or None if it has none.

    The path is the raw path of the request line (ASGI `raw_path`, with the
    root path a server adds in front, as the client sent it), and the query
    the raw query string: nothing is decoded or re-encoded.
    """
    raw_path = scope.get("raw_path")
    if not isinstance(raw_path, bytes) or not raw_path:
        return None
    # ASGI keeps the query out of raw_path; some test transports leave it in.
    path = raw_path.split(b"?", 1)[0]
    query = scope.get("query_string", b"")
    line = path + b"?" + query if query else path
    try:
        return request_target(str(scope.get("method", "GET")), line.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return None


def _beckn_action(scope: Scope, document: Any) -> bool:
    """A POST to a Beckn route with a Beckn context (a message id) in a JSON object body."""
    if scope.get("method") != "POST" or scope.get("path") not in BECKN_ROUTES:
        return False
    return message_id_of(document) is not None


def _read_json(body: bytes) -> tuple[Any, HutongError | None]:
    """The body's JSON document (None if no body), or why it is none.

    The body is parsed once, strictly (`hutong.protocol.strict_json`); the
    refusal waits until the sender is known to be who it says.
    """
    if not body:
        return None, None
    try:
        return parse_json(body), None
    except HutongError as error:
        return None, error


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


#: Paths whose refusals are Beckn NACKs carrying Beckn's Error object (the transaction gateway).
BECKN_NACK_PREFIX = "/beckn/"


async def send_error(send: Send, error: HutongError, path: str = "") -> None:
    """Answer `error` as a NACK: Beckn's Error object under `BECKN_NACK_PREFIX`, else Hutong's."""
    body = beckn_nack(error) if path.startswith(BECKN_NACK_PREFIX) else error.body()
    payload = json.dumps(body, ensure_ascii=False).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        (b"cache-control", b"no-store"),
    ]
    if isinstance(error, AuthenticationError):
        headers.append((b"www-authenticate", error.challenge.encode()))
        if error.proxy_challenge is not None:
            headers.append((b"proxy-authenticate", error.proxy_challenge.encode()))
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
            await send_error(send, error, str(scope.get("path", "")))
            return
        scope.setdefault("state", {})[SIGNED_STATE_KEY] = signed
        # The body is read: the route's `Request.body()` takes it from the
        # connection state instead of streaming it again (and parsing headers).
        ScopeState.from_scope(scope).body = body
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
    # A bodiless write is refused below, once signed: body_required, not 415.
    if body:
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
    document, not_json = _read_json(body)
    if not header.covers_target and not _beckn_action(scope, document):
        raise AuthenticationError(
            'sign the request line too: headers="(created) (expires) (request-target) digest"'
            " (only a Beckn action with a context in its body may leave it out)",
            code="request_target_required",
        )
    header = await with_current_key(services, header, services.clock())
    target = target_of(scope)
    if header.covers_target and target is None:
        raise AuthenticationError(
            "the request line has no path a signature can name", code="signature_target_mismatch"
        )
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
        verify_signature(header, body, load_verify_key(owner.key.public_key), target=target)
    except SignatureError as exc:
        if exc.reason == "bad signature" and header.covers_target and not body:
            # The digest of no body is a constant, so what differs is the
            # request line: a signature made for another method, path or query.
            raise AuthenticationError(
                f"the signature was not made for (request-target): {target}"
                f" by key {header.key_id} of {header.subscriber_id}",
                code="signature_target_mismatch",
            ) from None
        code = {
            "expired": "request_expired",
            "not yet valid": "request_not_yet_valid",
            "lifetime too long": "request_lifetime_too_long",
            "expires must be after created": "request_window_invalid",
            "digest mismatch": "digest_mismatch",
            "bad signature": "bad_signature",
        }.get(exc.reason, "malformed_signature")
        raise AuthenticationError(exc.reason, code=code) from None
    await verify_gateway(services, headers, body, target, now)
    if not body and method not in ("GET", "HEAD"):
        raise HutongError(
            f"a {method} changes something: send a body with context.message_id",
            code="body_required",
            kind=Kind.MALFORMED,
        )
    if not_json is not None:
        raise not_json
    path = URL.from_scope(scope).path
    if body:
        problem = message_id_problem(document)
        if problem is not None:
            raise HutongError(problem, code="invalid_message_id", kind=Kind.MALFORMED)
        _check_context(document, path, now, settings.clock_skew)
    signed = SignedRequest(
        subscriber_id=header.subscriber_id,
        key_id=header.key_id,
        body=body,
        digest=body_digest(body),
        document=document,
        message_id=message_id_of(document),
        method=method,
        path=path,
    )
    return signed, body


def _check_context(document: Any, path: str, now: datetime, skew: int) -> None:
    """A Beckn context that names another route's action or is past its ttl is refused
    (422 `context_action_mismatch`, `context_expired`, `invalid_context`)."""
    context = document.get("context") if isinstance(document, dict) else None
    found = refusal(context, action=route_action(path), now=now, skew=skew)
    if found is not None:
        raise HutongError(found.message, code=found.code, kind=Kind.INVALID)
