"""Exactly-once effects for retried and replayed requests.

A mutating request carries `context.message_id` in its signed body. The first
request with a given (sender, message id) runs and its answer is stored in the
same transaction as its effects; a later one with the same body gets that
answer again and changes nothing; one with a different body is refused with
409. The unique key on (sender, message_id) is what makes this hold under
concurrency: a second request racing the first waits on the key and then
reads the stored answer.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from litestar import Request, Response
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.api.auth import SignedRequest
from hutong.protocol.errors import ConflictError, HutongError, ValidationError
from hutong.runtime.metrics import IDEMPOTENT_REPLAYS
from hutong.runtime.services import Services
from hutong.store.tables import messages

Operation = Callable[[AsyncConnection], Awaitable[tuple[int, dict[str, Any]]]]

REPLAY_HEADER = "x-hutong-replay"

_INSERT_MESSAGE = insert(messages)
_FIND_MESSAGE = select(
    messages.c.body_hash, messages.c.status_code, messages.c.response_body
).where(messages.c.sender == bindparam("sender"), messages.c.message_id == bindparam("message_id"))


def _encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _json_response(status: int, content: bytes, *, replay: bool = False) -> Response[bytes]:
    headers = {REPLAY_HEADER: "true"} if replay else {}
    return Response(
        content=content, status_code=status, media_type="application/json", headers=headers
    )


async def _stored(
    conn: AsyncConnection, sender: str, message_id: str, digest: str
) -> tuple[int, bytes] | None:
    """The stored answer to this message id, or None; 409 when the body differs."""
    result = await conn.execute(_FIND_MESSAGE, {"sender": sender, "message_id": message_id})
    row = result.first()
    if row is None:
        return None
    if row.body_hash != digest:
        raise ConflictError(
            f"message id {message_id} was already used by {sender} with a different body",
            code="message_id_conflict",
        )
    return row.status_code, bytes(row.response_body)


def _replay(stored: tuple[int, bytes]) -> Response[bytes]:
    IDEMPOTENT_REPLAYS.inc()
    return _json_response(stored[0], stored[1], replay=True)


async def run_once(
    services: Services,
    request: Request[Any, Any, Any],
    signed: SignedRequest,
    operation: Operation,
) -> Response[bytes]:
    """Run `operation` at most once for this sender and message id.

    The operation, the message-id record and the answer share one transaction
    (a savepoint in a group commit); a refusal raised by the operation rolls
    back its effects but is recorded, so a retry gets the same refusal.
    """
    message_id = signed.message_id
    if message_id is None:
        raise ValidationError(
            "a mutating request needs context.message_id (a string of at most 128 characters)",
            code="missing_message_id",
        )
    sender = signed.subscriber_id
    method, path = request.method, request.url.path

    async def record(conn: AsyncConnection, status: int, body: dict[str, Any]) -> tuple[int, bytes]:
        now = services.clock()
        content = _encode(body)
        await conn.execute(
            _INSERT_MESSAGE,
            {
                "sender": sender,
                "message_id": message_id,
                "body_hash": signed.digest,
                "method": method,
                "path": path,
                "status_code": status,
                "response_body": content,
                "created_at": now,
                "expires_at": now + timedelta(seconds=services.settings.message_retention),
            },
        )
        return status, content

    async def write(conn: AsyncConnection) -> tuple[int, bytes]:
        status, body = await operation(conn)
        return await record(conn, status, body)

    async def refused(conn: AsyncConnection, error: Exception) -> tuple[int, bytes]:
        if not isinstance(error, HutongError):
            raise error
        return await record(conn, error.status_code, error.body())

    try:
        status, content = await services.batcher().run(write, refused)
    except IntegrityError:
        # The message id was recorded first by an identical request (in this
        # batch or by another worker), or by one with another body (409).
        async with services.db.read() as conn:
            earlier = await _stored(conn, sender, message_id, signed.digest)
        if earlier is None:
            raise
        return _replay(earlier)
    return _json_response(status, content)


async def earlier_answer(services: Services, signed: SignedRequest) -> Response[bytes] | None:
    """The stored answer when this sender already used this message id (409 if the body differs)."""
    if signed.message_id is None:
        return None
    async with services.db.read() as conn:
        stored = await _stored(conn, signed.subscriber_id, signed.message_id, signed.digest)
    return None if stored is None else _replay(stored)


Prepare = Callable[[], Awaitable[Operation]]


async def run_decided(
    services: Services,
    request: Request[Any, Any, Any],
    signed: SignedRequest,
    prepare: Prepare,
) -> Response[bytes]:
    """Exactly once, for a step that asks a participant before it writes.

    A retry of an answered message id gets the stored answer without asking
    anyone again. Otherwise `prepare` reads, checks and asks (a wallet, a
    program), returning the write to run once; a refusal it raises is
    recorded like any other answer, except a 5xx (a participant that did not
    answer): that is not an answer, and a retry must ask again.
    """
    earlier = await earlier_answer(services, signed)
    if earlier is not None:
        return earlier
    try:
        operation = await prepare()
    except HutongError as error:
        if error.status_code >= 500:
            raise
        operation = _refusal(error)
    return await run_once(services, request, signed, operation)


def _refusal(error: HutongError) -> Operation:
    async def refuse(_: AsyncConnection) -> tuple[int, dict[str, Any]]:
        raise error

    return refuse
