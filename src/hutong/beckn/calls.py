"""A BAP's request, checked, and how its answer is queued as `on_<action>`.

`checked_call` checks what the route cannot: the whole context is there
(`CONTEXT_FIELDS`, UUID `message_id` and `transaction_id`), `bap_id` is the
signer, and `bap_uri` is the BAP's registered callback URL or a path under
it (`bap_uri_not_registered`: delivering to any URL a sender names would be
server-side request forgery). `queue_answer` is the write that puts
`{context: on_<action>, message | error}` in the outbox for
`{bap_uri}/on_<action>`; its context pairs it with the request by the
request's `message_id` and `transaction_id`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.events.outbox import enqueue, ensure_lane
from hutong.protocol.beckn_context import make_context, parse_duration
from hutong.protocol.beckn_errors import beckn_error
from hutong.protocol.envelope import named_uri
from hutong.protocol.errors import ForbiddenError, HutongError, ValidationError
from hutong.registry.service import get_participant
from hutong.runtime.exactly_once import Write
from hutong.runtime.services import Services

__all__ = [
    "CONTEXT_FIELDS",
    "DEFAULT_TTL",
    "BecknCall",
    "checked_call",
    "dig",
    "error_answer",
    "queue_answer",
]

#: The context fields a gateway request must carry (Beckn's Context with its ids).
CONTEXT_FIELDS = (
    "domain",
    "action",
    "version",
    "bap_id",
    "bap_uri",
    "transaction_id",
    "message_id",
    "timestamp",
)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
#: The answer's ttl when the request has none (seconds).
DEFAULT_TTL = 30


@dataclass(frozen=True, slots=True)
class BecknCall:
    """A checked request: who asks, its context and message, and where the answer goes."""

    action: str
    bap: str
    context: dict[str, Any]
    message: dict[str, Any]

    @property
    def reply_url(self) -> str:
        return f"{self.context['bap_uri'].rstrip('/')}/on_{self.action}"

    @property
    def message_id(self) -> str:
        return str(self.context["message_id"])


def _under(uri: str, registered: str) -> bool:
    base = registered.rstrip("/")
    return uri.rstrip("/") == base or uri.startswith(base + "/")


async def checked_call(services: Services, bap: str, action: str, document: Any) -> BecknCall:
    """The request as a `BecknCall`; refused `invalid_context`, `bap_uri_not_registered`."""
    context = document.get("context") if isinstance(document, dict) else None
    message = document.get("message") if isinstance(document, dict) else None
    if not isinstance(context, dict) or not isinstance(message, dict):
        raise ValidationError("send a Beckn request: {context, message}", code="invalid_request")
    missing = [f for f in CONTEXT_FIELDS if not isinstance(context.get(f), str) or not context[f]]
    if missing:
        raise ValidationError(f"context lacks {', '.join(missing)}", code="invalid_context")
    for field in ("message_id", "transaction_id"):
        if not _UUID.fullmatch(context[field]):
            raise ValidationError(f"context.{field} must be a UUID", code="invalid_context")
    if context["bap_id"] != bap:
        raise ForbiddenError(
            f"context.bap_id is {context['bap_id']!r} but the request is signed by {bap}",
            code="bap_id_mismatch",
        )
    async with services.db.read() as conn:
        participant = await get_participant(conn, bap)
    if participant is None or not _under(context["bap_uri"], participant.callback_url):
        raise ForbiddenError(
            "context.bap_uri must be your registered callback URL or a path under it",
            code="bap_uri_not_registered",
        )
    return BecknCall(action=action, bap=bap, context=context, message=message)


def _answer_context(services: Services, call: BecknCall) -> dict[str, Any]:
    settings = services.settings
    ttl = parse_duration(str(call.context.get("ttl", "")))
    context = make_context(
        action=f"on_{call.action}",
        message_id=call.context["message_id"],
        transaction_id=call.context["transaction_id"],
        bap_id=call.bap,
        bap_uri=call.context["bap_uri"],
        bpp_id=settings.switch_id,
        bpp_uri=settings.public_url or named_uri(settings.switch_id),
        now=services.clock(),
        ttl_seconds=int(ttl.total_seconds()) if ttl is not None else DEFAULT_TTL,
    )
    context["domain"] = call.context["domain"]
    if isinstance(call.context.get("location"), dict):
        context["location"] = call.context["location"]
    return context


def queue_answer(services: Services, call: BecknCall, answer: dict[str, Any]) -> Write[None]:
    """The write that queues `answer` (`message` or `error`) as `on_<action>`."""

    async def write(conn: AsyncConnection) -> None:
        now = services.clock()
        await ensure_lane(conn, call.bap, now)
        await enqueue(
            conn,
            recipient=call.bap,
            action=f"on_{call.action}",
            message={"context": _answer_context(services, call)} | answer,
            now=now,
            transaction_id=call.context["transaction_id"],
            reply_url=call.reply_url,
        )

    return write


def error_answer(error: HutongError) -> dict[str, Any]:
    """`{"error": Beckn's Error}` of a refusal, the body of an `on_<action>` that failed."""
    return {"error": beckn_error(error.code, error.kind, error.message)}


def dig(document: Any, *path: str | int) -> Any:
    """`document[path[0]][path[1]]…`, or None where a step is missing or of the wrong type."""
    for step in path:
        if isinstance(step, int):
            document = (
                document[step] if isinstance(document, list) and len(document) > step else None
            )
        else:
            document = document.get(step) if isinstance(document, dict) else None
    return document
