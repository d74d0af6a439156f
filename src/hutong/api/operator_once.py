"""The operator's writes over HTTP, exactly once per `Idempotency-Key`.

An operator write route (operator token) takes an optional `Idempotency-Key`
header, as a payment API does. With one, the write runs through the
exactly-once record (`hutong.runtime.exactly_once.run_once`) under the
operator's own key space (`hutong.runtime.operator_messages`): its answer is
recorded with its effects, the same request again under the key gets that
answer (`x-hutong-replay: true`) and changes nothing, and another request
under the key is 409 ``message_id_conflict`` and changes nothing either. A
client that may retry (behind HAProxy, after a failover or a timeout) sends
one. Without one the write runs once per request, as it always has.

A route gives its write (`Write`: runs in the caller's transaction) and how
its result is shown (`Present`: the status and the JSON body); the answer is
the same either way.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from litestar import Request, Response
from litestar.params import HeaderParameter
from sqlalchemy.exc import IntegrityError

from hutong.api.idempotency import refusal_reply, respond
from hutong.protocol import compact_json
from hutong.protocol.strict_json import parse_json
from hutong.runtime import exactly_once
from hutong.runtime.contention import WRITE_ATTEMPTS, is_unique_violation, key_contended
from hutong.runtime.exactly_once import Present, Write
from hutong.runtime.operator_messages import MAX_KEY_LENGTH, operator_key
from hutong.runtime.services import Services

__all__ = ["IDEMPOTENCY_KEY", "IdempotencyKey", "operator_write"]

T = TypeVar("T")

IDEMPOTENCY_KEY = "Idempotency-Key"

#: A handler's `idempotency_key: IdempotencyKey = None` (documented in the OpenAPI document).
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name=IDEMPOTENCY_KEY,
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        required=False,
        description="Your key for this write (at most 128 characters): the same request again "
        "under it gets the first answer and changes nothing; another request under it is "
        "409 message_id_conflict.",
    ),
]


async def _message(request: Request[Any, Any, Any]) -> Any:
    """The request's JSON body as the digest reads it (no body: an empty object)."""
    body = await request.body()
    return parse_json(body) if body.strip() else {}


async def _unrecorded(services: Services, write: Write[T]) -> T:
    """`write` in a transaction of its own, run again if it lost a unique key to another write.

    (Two closes of the first settlement window at once: the loser meets the winner's.)
    """
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            async with services.db.transaction() as conn:
                return await write(conn)
        except IntegrityError as error:
            if not is_unique_violation(error):
                raise  # a CHECK, a foreign key: a defect, not a race
            if attempt == WRITE_ATTEMPTS:
                raise key_contended(error) from error
    raise AssertionError("unreachable")


async def operator_write(
    services: Services,
    request: Request[Any, Any, Any],
    idempotency_key: str | None,
    write: Write[T],
    present: Present[T],
) -> Response[bytes]:
    """Run the operator's `write`: once per `idempotency_key` when one is given."""
    if idempotency_key is None:
        status, body = present(await _unrecorded(services, write))
        return Response(
            content=compact_json.dumps(body), status_code=status, media_type="application/json"
        )
    query = request.scope.get("query_string", b"").decode("latin-1")
    path = request.scope["path"] + (f"?{query}" if query else "")
    key = operator_key(idempotency_key, request.method, path, await _message(request))
    answer = await exactly_once.run_once(services, key, write, present, refusal_reply, alone=True)
    return respond(answer)
