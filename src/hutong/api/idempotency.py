"""Exactly once over HTTP: the thin wrapper around `hutong.runtime.exactly_once`.

A mutating request carries `context.message_id` in its signed body. This
module makes the message key from the verified request, lets the route say
how a result is shown (`present`: a status and a body), shows refusals the
one way the API does (`hutong.api.errors.status_of`), and turns the recorded
answer into a response; a replayed answer carries `x-hutong-replay: true`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

from litestar import Response

from hutong.api.auth import SignedRequest
from hutong.api.errors import status_of
from hutong.protocol.errors import HutongError, ValidationError
from hutong.runtime import exactly_once
from hutong.runtime.exactly_once import Answer, MessageKey, Present, Refused, Write
from hutong.runtime.services import Services

__all__ = [
    "REPLAY_HEADER",
    "Reply",
    "message_key",
    "refusal_reply",
    "respond",
    "run_decided",
    "run_once",
]

T = TypeVar("T")

#: What a route answers: the HTTP status and the JSON body.
Reply = tuple[int, dict[str, Any]]

REPLAY_HEADER = "x-hutong-replay"

#: A write that still answers with a status and a body (being replaced by writes
#: that return domain objects, which routes present).
Operation = Write[Reply]


def _as_is(reply: Reply) -> Reply:
    return reply


def refusal_reply(error: HutongError) -> Reply:
    return status_of(error), error.body()


def message_key(signed: SignedRequest) -> MessageKey:
    """The exactly-once key of a verified request (refused without a message id)."""
    if signed.message_id is None:
        raise ValidationError(
            "a mutating request needs context.message_id (a string of at most 128 characters)",
            code="missing_message_id",
        )
    return MessageKey(
        sender=signed.subscriber_id,
        message_id=signed.message_id,
        digest=signed.digest,
        method=signed.method,
        path=signed.path,
    )


def respond(answer: Answer) -> Response[bytes]:
    """The response of a recorded answer (a replay says so in `REPLAY_HEADER`)."""
    headers = {REPLAY_HEADER: "true"} if answer.replayed else {}
    return Response(
        content=answer.body,
        status_code=answer.status,
        media_type="application/json",
        headers=headers,
    )


@overload
async def run_once(
    services: Services,
    signed: SignedRequest,
    write: Write[Reply | Refused],
) -> Response[bytes]: ...
@overload
async def run_once(
    services: Services,
    signed: SignedRequest,
    write: Write[T],
    present: Present[T],
) -> Response[bytes]: ...
async def run_once(
    services: Services,
    signed: SignedRequest,
    write: Write[Any],
    present: Present[Any] = _as_is,
) -> Response[bytes]:
    """Run a database write at most once for this sender and message id."""
    key = message_key(signed)
    return respond(await exactly_once.run_once(services, key, write, present, refusal_reply))


@overload
async def run_decided(
    services: Services,
    signed: SignedRequest,
    prepare: Callable[[], Awaitable[Write[Reply | Refused]]],
    *,
    along: Write[Any] | None = None,
) -> Response[bytes]: ...
@overload
async def run_decided(
    services: Services,
    signed: SignedRequest,
    prepare: Callable[[], Awaitable[Write[T]]],
    present: Present[T],
    *,
    along: Write[Any] | None = None,
) -> Response[bytes]: ...
async def run_decided(
    services: Services,
    signed: SignedRequest,
    prepare: Callable[[], Awaitable[Write[Any]]],
    present: Present[Any] = _as_is,
    *,
    along: Write[Any] | None = None,
) -> Response[bytes]:
    """Exactly once for a step that asks a participant first (the message id claimed first).

    `along` commits with the claim (`hutong.runtime.exactly_once.run_decided`).
    """
    key = message_key(signed)
    answer = await exactly_once.run_decided(
        services, key, prepare, present, refusal_reply, along=along
    )
    return respond(answer)
