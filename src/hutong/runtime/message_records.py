"""A message's record: its id, its answer or its claim, and waiting for it.

The record of (sender, message id) in `messages` is either an answer (a
status and a body, recorded with the message's effects) or a claim
(`status_code` 0, `CLAIMED`) made by a step that asks a participant before it
writes (`hutong.runtime.exactly_once.run_decided`). A claim names its
claimer (the switch process's id, `hutong.runtime.heartbeat`). A twin that
finds a claim waits (`await_answer`) until it is answered, given back, or
no longer live:

    live  <=>  younger than `claim_lease`
               and (no claimer named, or the claimer's heartbeat still beats)

Records past their `expires_at` are removed by `prune` (the API process's
maintenance loop, every minute).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.protocol import compact_json
from hutong.protocol.errors import ConflictError
from hutong.runtime.heartbeat import ClaimerWatch
from hutong.runtime.services import Services
from hutong.store.failover import until_back
from hutong.store.pruning import delete_in_chunks
from hutong.store.tables import messages

__all__ = [
    "CLAIMED",
    "Answer",
    "Claimed",
    "MessageKey",
    "answer_claim",
    "await_answer",
    "claim_lease",
    "encode",
    "prune",
    "record_values",
    "recorded",
    "still_claimed",
]

#: `status_code` of a claimed message whose answer is not known yet.
CLAIMED = 0

#: How often a twin looks whether the claimer has answered.
WAIT_STEP = 0.02
#: Expired records a prune deletes per transaction, about (`prune`).
PRUNE_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class MessageKey:
    """Who sent which message id, the digest of its body, and where it went."""

    sender: str
    message_id: str
    digest: str
    method: str
    path: str


class Answer(NamedTuple):
    status: int
    body: bytes
    #: True when this is a recorded answer given again.
    replayed: bool = False


class Claimed(NamedTuple):
    at: datetime
    #: The claimer's process id; None for a claim made without a heartbeat.
    by: str | None = None


def encode(body: dict[str, Any]) -> bytes:
    return compact_json.dumps(body)


def claim_lease(services: Services) -> float:
    """Seconds after which a claim nobody answered may be taken over.

    Longer than any decision a claimer can be waiting for: a step asks at
    most two participants, each with its attempts and timeout.
    """
    settings = services.settings
    return max(30.0, 4 * settings.wallet_call_timeout * settings.wallet_call_attempts)


def where(key: MessageKey) -> Any:
    return and_(messages.c.sender == key.sender, messages.c.message_id == key.message_id)


def still_claimed(key: MessageKey, at: datetime) -> Any:
    """The message's record while it is the unanswered claim made at `at`."""
    return and_(where(key), messages.c.status_code == CLAIMED, messages.c.created_at == at)


# The two statements every request sends, built once (building a statement
# costs more CPU than sending it): a record's read, and a claim's answer.
_FIND = select(
    messages.c.body_hash,
    messages.c.status_code,
    messages.c.response_body,
    messages.c.created_at,
    messages.c.claimed_by,
).where(messages.c.sender == bindparam("k_sender"), messages.c.message_id == bindparam("k_id"))
_ANSWER = (
    update(messages)
    .where(
        messages.c.sender == bindparam("k_sender"),
        messages.c.message_id == bindparam("k_id"),
        messages.c.status_code == CLAIMED,
        messages.c.created_at == bindparam("k_at"),
    )
    .values(status_code=bindparam("v_status"), response_body=bindparam("v_body"))
)


async def answer_claim(
    conn: AsyncConnection, key: MessageKey, at: datetime, status: int, body: bytes
) -> bool:
    """Record the answer of the claim made at `at`; False if it is no longer that claim."""
    done = await conn.execute(
        _ANSWER,
        {
            "k_sender": key.sender,
            "k_id": key.message_id,
            "k_at": at,
            "v_status": status,
            "v_body": body,
        },
    )
    return done.rowcount == 1


async def find(conn: AsyncConnection, key: MessageKey) -> Answer | Claimed | None:
    """The recorded answer, a claim without one, or None; refused if the body differs."""
    row = (await conn.execute(_FIND, {"k_sender": key.sender, "k_id": key.message_id})).first()
    if row is None:
        return None
    if row.body_hash != key.digest:
        raise ConflictError(
            f"message id {key.message_id} was already used by {key.sender} with a different body",
            code="message_id_conflict",
        )
    if row.status_code == CLAIMED:
        return Claimed(row.created_at, row.claimed_by)
    return Answer(row.status_code, bytes(row.response_body), replayed=True)


def record_values(
    services: Services,
    key: MessageKey,
    status: int,
    body: bytes,
    now: datetime,
    claimed_by: str | None = None,
) -> dict[str, Any]:
    return {
        "sender": key.sender,
        "message_id": key.message_id,
        "body_hash": key.digest,
        "method": key.method,
        "path": key.path,
        "status_code": status,
        "response_body": body,
        "created_at": now,
        "expires_at": now + timedelta(seconds=services.settings.message_retention),
        "claimed_by": claimed_by,
    }


async def recorded(services: Services, key: MessageKey) -> Answer | Claimed | None:
    """What `find` finds, read again while the database is away (a failover)."""

    async def read() -> Answer | Claimed | None:
        async with services.db.read() as conn:
            return await find(conn, key)

    return await until_back(read)


async def await_answer(services: Services, key: MessageKey) -> Answer | Claimed | None:
    """Wait while somebody else holds a live claim; then what is there.

    A claim is no longer live past its lease, or once its claimer's
    heartbeat stopped (read only here, while a twin waits).
    """
    lease = timedelta(seconds=claim_lease(services))
    claimer = ClaimerWatch(services.db, services.settings.claim_takeover_after)
    while True:
        found = await recorded(services, key)
        if not isinstance(found, Claimed) or services.clock() - found.at >= lease:
            return found
        if found.by is not None and await claimer.stopped(found.by):
            return found
        await asyncio.sleep(WAIT_STEP)


async def prune(services: Services, *, chunk: int = PRUNE_CHUNK) -> int:
    """Remove the records past their `expires_at` (kept `message_retention`); how many.

    A message id whose record is gone is new again; no request can still
    carry it by then (`Settings.message_retention` outlives the longest
    request lifetime plus twice the clock skew).

    A short delete at a time, oldest `expires_at` first (`hutong.store.pruning`):
    a busy hour's records are so never one long transaction (on SQLite,
    every writer would wait for it).
    """
    expired = messages.c.expires_at < services.clock()
    return await delete_in_chunks(
        services.db, messages, expired, by=messages.c.expires_at, chunk=chunk
    )
