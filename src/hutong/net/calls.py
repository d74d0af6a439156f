"""Decision calls: the switch asks a participant something and trusts only a signed answer.

Booking a shipment, reserving stock, authorizing a payment: the switch POSTs
a signed `{context, message}` to `<callback URL>/<action>` and the answer
must be signed by the participant with one of its registered keys, over the
exact bytes of the answer. Retries reuse the message id, so a participant
that deduplicates by it never acts twice.

Every call is journaled for the auditor (`hutong.net.call_journal`): the
participant asked, on whose behalf, the action, the latency over all its
attempts, and whether it answered, refused (with its code and any
justification it gave) or failed. The row rides the group commit.
"""

from __future__ import annotations

import json
import math
import time
import weakref
from typing import Any

from hutong.net.call_journal import DecisionCall, Outcome, latency_ms, record
from hutong.net.transport import CallTransport, Reply, TransportError, TransportTimeout
from hutong.protocol import compact_json
from hutong.protocol.envelope import beckn_request_envelope, named_uri
from hutong.protocol.errors import HutongError, Kind, ValidationError
from hutong.protocol.justifications import Justification, parse_justification
from hutong.protocol.signing import (
    SignatureError,
    check_window,
    load_verify_key,
    parse_authorization,
    verify_signature,
)
from hutong.registry.models import Participant, Status
from hutong.registry.service import require_participant
from hutong.runtime.metrics import DECISION_CALL_SECONDS
from hutong.runtime.services import Services
from hutong.store.db import Database

CALL_LIFETIME = 60
#: How long a callee's registry record (status, callback URL) is reused for
#: calls: a suspension stops the switch's calls to it within this many seconds.
CALLEE_TTL = 1.0

_CALLEES: weakref.WeakKeyDictionary[Database, dict[str, tuple[float, Participant]]] = (
    weakref.WeakKeyDictionary()
)


def _ttl(timeout: float, attempts: int) -> int:
    """How long a decision call's message is good for: every attempt's timeout, and a
    signature's lifetime over (the last attempt is signed just before it goes)."""
    return math.ceil(timeout * max(attempts, 1)) + CALL_LIFETIME


async def _callee(services: Services, subscriber_id: str) -> Participant:
    """The participant called, read at most once a second per database (hot paths call often)."""
    cache = _CALLEES.setdefault(services.db, {})
    now = time.monotonic()
    found = cache.get(subscriber_id)
    if found is not None and now - found[0] < CALLEE_TTL:
        return found[1]
    async with services.db.read() as conn:
        participant = await require_participant(conn, subscriber_id)
    cache[subscriber_id] = (now, participant)
    return participant


class CallRefused(HutongError):
    """The participant answered with a signed refusal (its code and sentence).

    A refusal may say why from the closed set (`error.justification`:
    `{code, reference}`); one outside the set is kept as no justification.
    """

    kind = Kind.CONFLICT
    justification: Justification | None = None


def _justification(error: Any) -> Justification | None:
    try:
        return parse_justification(error.get("justification") if isinstance(error, dict) else None)
    except ValidationError:
        return None


class CallFailed(HutongError):
    """No trustworthy answer: timeout, transport error, unsigned or badly signed answer."""

    kind = Kind.UPSTREAM_FAILED
    code = "participant_unavailable"


async def call(
    services: Services,
    http: CallTransport,
    subscriber_id: str,
    action: str,
    message: dict[str, Any],
    *,
    message_id: str,
    timeout: float = 5.0,
    attempts: int = 2,
    on_behalf_of: str = "",
) -> dict[str, Any]:
    """POST `message` to the participant's `<callback>/<action>`; the verified answer's message.

    `on_behalf_of` is the platform the call serves (the order's host, the
    payment's host), "" when none; it is journaled with the call's outcome.
    """
    started, called_at = time.monotonic(), services.clock()

    def journal(outcome: Outcome, code: str = "", justification: Any = None) -> None:
        DECISION_CALL_SECONDS.labels(action, outcome.value).observe(time.monotonic() - started)
        record(
            services,
            DecisionCall(
                callee=subscriber_id,
                on_behalf_of=on_behalf_of,
                action=action,
                message_id=message_id,
                latency_ms=latency_ms(time.monotonic() - started),
                outcome=outcome,
                code=code,
                called_at=called_at,
                justification=justification,
            ),
        )

    try:
        result = await _call(
            services, http, subscriber_id, action, message, message_id, timeout, attempts
        )
    except CallRefused as refusal:
        journal(Outcome.REFUSED, refusal.code, refusal.justification)
        raise
    except HutongError as failure:
        journal(Outcome.FAILED, failure.code)
        raise
    journal(Outcome.ANSWERED)
    return result


async def _call(
    services: Services,
    http: CallTransport,
    subscriber_id: str,
    action: str,
    message: dict[str, Any],
    message_id: str,
    timeout: float,
    attempts: int,
) -> dict[str, Any]:
    participant = await _callee(services, subscriber_id)
    if participant.status is not Status.ACTIVE:
        raise CallFailed(
            f"{subscriber_id} is {participant.status.value}", code="participant_inactive"
        )
    settings = services.settings
    body = compact_json.dumps(
        beckn_request_envelope(
            message,
            message_id=message_id,
            action=action,
            sender=settings.switch_id,
            sender_uri=settings.public_url or named_uri(settings.switch_id),
            recipient=subscriber_id,
            recipient_uri=participant.callback_url,
            now=services.clock(),
            ttl_seconds=_ttl(timeout, attempts),
        )
    )
    url = f"{participant.callback_url.rstrip('/')}/{action}"
    last_error = ""
    for _ in range(max(attempts, 1)):
        created = int(services.clock().timestamp())
        headers = {
            "content-type": "application/json",
            "authorization": services.signer().authorization(
                body, created, created + CALL_LIFETIME
            ),
        }
        try:
            response = await http.post(url, body, headers, timeout)
        except TransportTimeout:
            last_error = f"{subscriber_id} did not answer {action} within {timeout:g} s"
            continue
        except TransportError as exc:
            last_error = f"{subscriber_id} could not be reached for {action}: {exc}"
            continue
        if response.status_code >= 500:
            last_error = f"{subscriber_id} failed {action} (HTTP {response.status_code})"
            continue
        answer = await _verified(services, subscriber_id, response)
        if response.status_code >= 400:
            error = answer.get("error") or {}
            refused = CallRefused(
                str(error.get("message") or f"{subscriber_id} refused {action}"),
                code=str(error.get("code") or "refused"),
            )
            refused.justification = _justification(error)
            raise refused
        result = answer.get("message")
        return result if isinstance(result, dict) else {}
    raise CallFailed(last_error, code="participant_timeout" if "within" in last_error else None)


async def _verified(services: Services, subscriber_id: str, response: Reply) -> dict[str, Any]:
    authorization = response.headers.get("authorization", "")
    try:
        header = parse_authorization(authorization)
        if header.subscriber_id != subscriber_id:
            raise SignatureError(f"answer signed by {header.subscriber_id}")
        owner = await services.keys().find(header.subscriber_id, header.key_id)
        if owner is None or owner.key.refusal_at(services.clock()) is not None:
            raise SignatureError(f"key {header.key_id} is not valid")
        check_window(header, int(services.clock().timestamp()), skew=services.settings.clock_skew)
        verify_signature(header, response.content, load_verify_key(owner.key.public_key))
        document = json.loads(response.content)
    except (SignatureError, ValueError) as exc:
        reason = exc.reason if isinstance(exc, SignatureError) else "answer is not JSON"
        raise CallFailed(
            f"the answer of {subscriber_id} is not trustworthy: {reason}", code="answer_not_signed"
        ) from None
    if not isinstance(document, dict):
        raise CallFailed(f"the answer of {subscriber_id} is not an object", code="bad_answer")
    return document
