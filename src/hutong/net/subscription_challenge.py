"""The registry's call to a subscriber's `/on_subscribe` with its challenge.

`POST {url}/on_subscribe` with `{"subscriber_id", "status": "INITIATED",
"challenge"}`, signed by the switch (Beckn's string); the subscriber proves
it holds the encryption key (and answers at the URL it gave) by answering
200 `{"answer": <the string in clear>}`. Anything else refuses the
subscription, and nothing is kept.
"""

from __future__ import annotations

import hmac
import json

from hutong.net.transport import TransportError, TransportTimeout, call_transport
from hutong.protocol.challenge import new_challenge
from hutong.protocol.errors import HutongError, Kind
from hutong.runtime.services import Services

__all__ = ["CHALLENGE_LIFETIME", "challenge_subscriber"]

#: How long the switch's signature on the challenge is valid.
CHALLENGE_LIFETIME = 300


async def challenge_subscriber(
    services: Services, subscriber_id: str, url: str, encr_public_key: str
) -> None:
    """Return when the subscriber answered its challenge; raise a HutongError otherwise."""
    answer, sealed = new_challenge(encr_public_key)
    body = json.dumps(
        {"subscriber_id": subscriber_id, "status": "INITIATED", "challenge": sealed},
        separators=(",", ":"),
    ).encode()
    created = int(services.clock().timestamp())
    headers = {
        "content-type": "application/json",
        "authorization": services.signer().authorization(
            body, created, created + CHALLENGE_LIFETIME
        ),
    }
    target = url.rstrip("/") + "/on_subscribe"
    try:
        reply = await call_transport().post(
            target, body, headers, services.settings.wallet_call_timeout
        )
    except (TransportError, TransportTimeout) as exc:
        raise HutongError(
            f"{target} did not answer the challenge: {type(exc).__name__}",
            code="subscription_challenge_unreachable",
            kind=Kind.UPSTREAM_FAILED,
        ) from None
    given = ""
    if reply.status_code == 200:
        try:
            document = json.loads(reply.content)
        except ValueError:
            document = None
        if isinstance(document, dict) and isinstance(document.get("answer"), str):
            given = document["answer"]
    if not given or not hmac.compare_digest(given.encode(), answer.encode()):
        raise HutongError(
            f"{target} did not answer the challenge with the string sealed to encr_public_key",
            code="subscription_challenge_failed",
            kind=Kind.FORBIDDEN,
        )
