"""The Beckn parts of authentication: a keyId naming no key, and a gateway's signature.

Kept apart from `hutong.api.auth`, which calls these two at fixed points:

- `with_current_key`, right after the Authorization header is parsed: a
  keyId `subscriber_id|ed25519` names the subscriber's key usable now
  (`hutong.registry.current_key`); the header is then read as if it named it.
- `verify_gateway`, after the sender's own signature is verified: a Beckn
  gateway (BG) that forwards a request adds its signature over the same body
  in `X-Gateway-Authorization` (or `Proxy-Authorization`). When one is
  present it must verify, by the key of an active participant holding the
  `gateway` role, within the same lifetime and skew as any request;
  otherwise the request is refused with 401 and `Proxy-Authenticate`. The
  sender's own `Authorization` is still required: a gateway vouches that it
  forwarded the request, not for who wrote it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from hutong.protocol.errors import GatewayAuthenticationError
from hutong.protocol.signature_header import CURRENT_KEY
from hutong.protocol.signing import (
    SignatureError,
    SignatureHeader,
    check_window,
    load_verify_key,
    parse_authorization,
    verify_signature,
)
from hutong.registry.current_key import current_key_id
from hutong.registry.models import Role, Status
from hutong.registry.service import cached_participant
from hutong.runtime.services import Services

__all__ = ["GATEWAY_HEADERS", "verify_gateway", "with_current_key"]

#: Where a gateway's signature travels, in the order they are read.
GATEWAY_HEADERS = ("x-gateway-authorization", "proxy-authorization")


async def with_current_key(
    services: Services, header: SignatureHeader, now: datetime
) -> SignatureHeader:
    """`header` naming the key its subscriber signs with now, when it named none."""
    if header.key_id != CURRENT_KEY:
        return header
    if header.subscriber_id == services.settings.switch_id:
        found = services.switch_signer.key_id if services.switch_signer else None
    else:
        async with services.db.read() as conn:
            found = await current_key_id(conn, header.subscriber_id, now)
    # No usable key: the name stays empty and the lookup finds nothing (unknown_key).
    return header if found is None else replace(header, key_id=found)


_SIGNATURE_CODES = {
    "expired": "request_expired",
    "not yet valid": "request_not_yet_valid",
    "lifetime too long": "request_lifetime_too_long",
    "expires must be after created": "request_window_invalid",
    "bad signature": "bad_signature",
}


def _refused(message: str, code: str) -> GatewayAuthenticationError:
    return GatewayAuthenticationError(f"gateway signature: {message}", code=f"gateway_{code}")


async def verify_gateway(
    services: Services,
    headers: dict[str, str],
    body: bytes,
    target: str | None,
    now: datetime,
) -> str | None:
    """The verified gateway's subscriber id, None when no gateway header was sent.

    Raises `GatewayAuthenticationError` (401, `Proxy-Authenticate`) with a
    `gateway_*` code when the header is present and does not verify.
    """
    value = next((headers[name] for name in GATEWAY_HEADERS if headers.get(name)), None)
    if value is None:
        return None
    try:
        header = parse_authorization(value)
    except SignatureError as exc:
        raise _refused(exc.reason, "malformed_signature") from None
    header = await with_current_key(services, header, now)
    gateway = await cached_participant(services.db, header.subscriber_id)
    key = next((k for k in gateway.keys if k.key_id == header.key_id), None) if gateway else None
    if gateway is None or key is None:
        raise _refused(f"no key {header.key_id} of {header.subscriber_id}", "unknown_key")
    if gateway.status is not Status.ACTIVE or not gateway.has_role(Role.GATEWAY):
        raise _refused(f"{header.subscriber_id} is not an active gateway", "not_a_gateway")
    refusal = key.refusal_at(now)
    if refusal is not None:
        raise _refused(refusal, refusal.replace(" ", "_"))
    settings = services.settings
    try:
        check_window(
            header,
            int(now.timestamp()),
            skew=settings.clock_skew,
            max_lifetime=settings.max_request_lifetime,
        )
        verify_signature(header, body, load_verify_key(key.public_key), target=target)
    except SignatureError as exc:
        code = _SIGNATURE_CODES.get(exc.reason, "malformed_signature")
        raise _refused(exc.reason, code) from None
    return header.subscriber_id
