"""Exactly-once effects for retried, replayed and concurrent identical messages.

A mutating message carries a message id. Its first arrival runs; its answer
is recorded in the same transaction as its effects; a later arrival with the
same body gets that answer again and changes nothing; one with another body
is refused (`message_id_conflict`). The unique key on (sender, message_id)
is what makes this hold under concurrency.

Two ways to run a message:

- `run_once`: a write that only touches the database. The message record is
  inserted with the effects; a concurrent twin fails on the unique key, waits
  for the first one's commit and replays its answer.
- `run_decided`: a step that asks a participant (a wallet, a program) before
  it writes. The message id is **claimed first** (a committed record with no
  answer yet), so a concurrent twin never asks anyone: it waits for the
  claimer's answer. A refusal is recorded as the answer; a participant that
  did not answer (a transient kind) is not an answer, so the claim is
  released and a retry asks again. A claim whose owner vanished (a crash
  between claim and answer) is taken over after `claim_lease` seconds.

A write whose commit outcome is unknown (the database connection broke
during a failover) is resolved by the message record, which commits with
the effects or not at all: found, its answer is the answer; absent (or
still only claimed), nothing committed and the write runs again. Reads wait
for the database to come back (`store.failover.until_back`, then 503
`database_unavailable`).

The answer is stored as the caller presents it (a status number and a JSON
body); this module does not know what the numbers mean.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.protocol.errors import ConflictError, HutongError
from hutong.runtime.metrics import IDEMPOTENT_REPLAYS
from hutong.runtime.services import Services
from hutong.store.failover import database_lost, database_unavailable, until_back
from hutong.store.tables import messages

__all__ = [
    "Answer",
    "MessageKey",
    "Present",
    "Refusal",
    "Refused",
    "Write",
    "run_decided",
    "run_once",
]

T = TypeVar("T")

#: One database write: runs in a transaction (a savepoint of a group commit).
Write = Callable[[AsyncConnection], Awaitable[T]]
#: How the caller shows a write's result: the status number and body to store.
Present = Callable[[T], tuple[int, dict[str, Any]]]
#: How the caller shows a refusal (its status number and body).
Refusal = Callable[[HutongError], tuple[int, dict[str, Any]]]

#: `status_code` of a claimed message whose answer is not known yet.
CLAIMED = 0
#: How many times `run_once` runs a write that lost a unique key to another message.
WRITE_ATTEMPTS = 3
#: How many times a write whose connection was lost (and that did not commit)
#: runs again before the sender is told 503 `database_unavailable`.
RUNS_AFTER_LOSS = 5
#: How often a twin looks whether the claimer has answered.
_WAIT_STEP = 0.02


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


@dataclass(frozen=True, slots=True)
class Refused:
    """What a write returns to commit what it did and still answer with a refusal.

    For example an order refused by its merchant's platform is kept as
    cancelled (so its parties are told) while the answer is the refusal.
    `extra` is added to the refusal's body.
    """

    error: HutongError
    extra: Mapping[str, Any] = field(default_factory=dict)


def _shown(result: Any, present: Present[Any], refusal: Refusal) -> tuple[int, dict[str, Any]]:
    if isinstance(result, Refused):
        status, body = refusal(result.error)
        return status, body | dict(result.extra)
    return present(result)


class _Claimed(NamedTuple):
    at: datetime


def _encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def claim_lease(services: Services) -> float:
    """Seconds after which a claim nobody answered may be taken over.

    Longer than any decision a claimer can be waiting for: a step asks at
    most two participants, each with its attempts and timeout.
    """
    settings = services.settings
    return max(30.0, 4 * settings.wallet_call_timeout * settings.wallet_call_attempts)


def _where(key: MessageKey) -> Any:
    return and_(messages.c.sender == key.sender, messages.c.message_id == key.message_id)


def _still_claimed(key: MessageKey, at: datetime) -> Any:
    """The message's record while it is the unanswered claim made at `at`."""
    return and_(_where(key), messages.c.status_code == CLAIMED, messages.c.created_at == at)


async def _find(conn: AsyncConnection, key: MessageKey) -> Answer | _Claimed | None:
    """The recorded answer, a claim without one, or None; refused if the body differs."""
    row = (
        await conn.execute(
            select(
                messages.c.body_hash,
                messages.c.status_code,
                messages.c.response_body,
                messages.c.created_at,
            ).where(_where(key))
        )
    ).first()
    if row is None:
        return None
    if row.body_hash != key.digest:
        raise ConflictError(
            f"message id {key.message_id} was already used by {key.sender} with a different body",
            code="message_id_conflict",
        )
    if row.status_code == CLAIMED:
        return _Claimed(row.created_at)
    return Answer(row.status_code, bytes(row.response_body), replayed=True)


def _record_values(
    services: Services, key: MessageKey, status: int, body: bytes, now: datetime
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
    }


def _replayed(answer: Answer) -> Answer:
    IDEMPOTENT_REPLAYS.inc()
    return answer


async def _record(services: Services, key: MessageKey) -> Answer | _Claimed | None:
    """What `_find` finds, read again while the database is away (a failover)."""

    async def read() -> Answer | _Claimed | None:
        async with services.db.read() as conn:
            return await _find(conn, key)

    return await until_back(read)


def _outcome_unknown(exc: DBAPIError) -> bool:
    """The write's connection was lost: it may or may not have committed."""
    return database_lost(exc) and not isinstance(exc, IntegrityError)


def _own(answer: Answer) -> Answer:
    """The answer this arrival committed itself (its reply was lost): not a replay."""
    return Answer(answer.status, answer.body)


async def _await_answer(services: Services, key: MessageKey) -> Answer | _Claimed | None:
    """Wait while somebody else holds a live claim; then what is there."""
    lease = timedelta(seconds=claim_lease(services))
    while True:
        found = await _record(services, key)
        if not isinstance(found, _Claimed) or services.clock() - found.at >= lease:
            return found
        await asyncio.sleep(_WAIT_STEP)


async def run_once(
    services: Services, key: MessageKey, write: Write[T], present: Present[T], refusal: Refusal
) -> Answer:
    """Run `write` at most once for this message and record its answer with its effects.

    A refusal the write raises rolls its effects back but is recorded, so a
    retry gets the same refusal; a transient one (rate limited) is no answer:
    nothing is recorded, and a message answered before gets that answer. A
    write that loses a unique key to a concurrent message is run again
    (`WRITE_ATTEMPTS` in all).
    """

    async def record(conn: AsyncConnection, status: int, body: dict[str, Any]) -> Answer:
        content = _encode(body)
        values = _record_values(services, key, status, content, services.clock())
        await conn.execute(insert(messages), values)
        return Answer(status, content)

    async def apply(conn: AsyncConnection) -> Answer:
        return await record(conn, *_shown(await write(conn), present, refusal))

    async def refused(conn: AsyncConnection, error: Exception) -> Answer:
        if not isinstance(error, HutongError) or error.kind.transient:
            raise error
        return await record(conn, *refusal(error))

    attempt = lost = 0
    while True:
        try:
            return await services.batcher().run(apply, refused)
        except HutongError as error:
            if not error.kind.transient:
                raise
            found = await _record(services, key)
            if isinstance(found, Answer):
                return _replayed(found)  # answered before; the write met what it left
            raise
        except IntegrityError:
            attempt += 1
            # Recorded first by an identical message (in this batch or by another
            # worker), or by one with another body (refused in `_find`).
            found = await _await_answer(services, key)
            if isinstance(found, Answer):
                return _replayed(found)
            if found is not None:
                raise _in_flight(key) from None
            # Not the message record: another message won a unique key the write
            # wanted (the next policy version, the one open storefront). Nothing
            # of this write was kept, so it runs again and meets what the winner
            # left; a failure that persists is a real integrity failure.
            if attempt == WRITE_ATTEMPTS:
                raise
        except DBAPIError as exc:
            if not _outcome_unknown(exc):
                raise
            found = await _record(services, key)
            if isinstance(found, Answer):
                return _own(found)  # it committed; only its reply was lost
            lost += 1  # nothing committed: it runs again
            if lost > RUNS_AFTER_LOSS:
                raise database_unavailable() from exc


def _in_flight(key: MessageKey) -> ConflictError:
    return ConflictError(
        f"message {key.message_id} is being answered by an earlier send that did not finish;"
        " send it again",
        code="message_in_flight",
    )


async def _claim(
    services: Services, key: MessageKey, along: Write[Any] | None = None
) -> _Claimed | Answer:
    """Claim the message id, or the answer a twin already recorded (after waiting).

    `along` runs in the claim's transaction when this arrival claims (never
    for a twin: it rolls back with a claim that meets the unique key).

    The claim is inserted without looking first: a first arrival (nearly
    every one) costs the insert alone; only one that meets the unique key
    reads what is there, and waits for it, replays it, or takes it over.
    """
    found: _Claimed | None = None
    while True:
        now = services.clock()
        try:
            # In the group commit: durable before anyone is asked, and many
            # claims share one commit instead of paying one each.
            if await services.batcher().run(_claim_write(services, key, found, now, along)):
                return _Claimed(now)
        except IntegrityError:
            pass  # recorded or claimed by a twin (or a message with another body)
        except DBAPIError as exc:
            if not _outcome_unknown(exc):
                raise
            mine = await _record(services, key)
            if isinstance(mine, _Claimed) and mine.at == now:
                return mine  # the claim committed; only its reply was lost
        seen = await _await_answer(services, key)
        if isinstance(seen, Answer):
            return _replayed(seen)
        found = seen  # None: the twin gave its claim back; else a claim past its lease


def _claim_write(
    services: Services,
    key: MessageKey,
    stale: _Claimed | None,
    now: datetime,
    along: Write[Any] | None = None,
) -> Write[bool]:
    """Record the claim (or take over `stale`, a claim past its lease); False if another did."""

    async def claim(conn: AsyncConnection) -> bool:
        if stale is None:
            await conn.execute(insert(messages), _record_values(services, key, CLAIMED, b"", now))
        else:
            taken = await conn.execute(
                update(messages).where(_still_claimed(key, stale.at)).values(created_at=now)
            )
            if taken.rowcount != 1:
                return False
        if along is not None:
            await along(conn)
        return True

    return claim


async def _release(services: Services, key: MessageKey, claim: _Claimed) -> None:
    """Give the claim back, waiting for the database if it is away (a failover).

    A claim left behind would make the sender's retry wait out its lease.
    """

    async def release() -> None:
        async with services.db.transaction() as conn:
            await conn.execute(delete(messages).where(_still_claimed(key, claim.at)))

    await until_back(release)


class _ClaimLost(Exception):
    """The claim was taken over while this arrival was deciding (it took too long)."""


async def run_decided(
    services: Services,
    key: MessageKey,
    prepare: Callable[[], Awaitable[Write[T]]],
    present: Present[T],
    refusal: Refusal,
    along: Write[Any] | None = None,
) -> Answer:
    """Exactly once, for a step that asks a participant before it writes.

    The message id is claimed before `prepare` reads, checks and asks; the
    write it returns then runs with the answer recorded in one transaction.
    A concurrent identical message waits for that answer instead of asking
    (so it can never be refused by its own twin's half-done work). `along`
    commits with the claim, only when this arrival claims (a step's record
    that it is about to ask, which a released claim does not take back).
    """
    claimed = await _claim(services, key, along)
    if isinstance(claimed, Answer):
        return claimed
    try:
        write: Write[Any] = await prepare()
    except HutongError as error:
        if error.kind.transient:
            await _release(services, key, claimed)
            raise
        write = _raises(error)  # a refusal is an answer: recorded by `refused` below
    except BaseException:
        await _release(services, key, claimed)
        raise

    async def record(conn: AsyncConnection, status: int, body: dict[str, Any]) -> Answer:
        content = _encode(body)
        done = await conn.execute(
            update(messages)
            .where(_still_claimed(key, claimed.at))
            .values(status_code=status, response_body=content)
        )
        if done.rowcount != 1:
            raise _ClaimLost
        return Answer(status, content)

    async def apply(conn: AsyncConnection) -> Answer:
        return await record(conn, *_shown(await write(conn), present, refusal))

    async def refused(conn: AsyncConnection, error: Exception) -> Answer:
        if not isinstance(error, HutongError) or error.kind.transient:
            raise error
        return await record(conn, *refusal(error))

    lost = 0
    while True:
        try:
            return await services.batcher().run(apply, refused)
        except _ClaimLost:
            found = await _await_answer(services, key)
            if isinstance(found, Answer):
                return _replayed(found)
            raise _in_flight(key) from None
        except DBAPIError as exc:
            if not _outcome_unknown(exc):
                await _release(services, key, claimed)
                raise
            found = await _record(services, key)
            if isinstance(found, Answer):
                return _own(found)  # it committed; only its reply was lost
            if not (isinstance(found, _Claimed) and found.at == claimed.at):
                raise _in_flight(key) from exc
            # Still our claim: nothing committed, the decision is in hand; again.
            lost += 1
            if lost > RUNS_AFTER_LOSS:
                await _release(services, key, claimed)
                raise database_unavailable() from exc
        except BaseException:
            # Nothing was recorded (a participant that did not answer in the
            # write): give the message id back so a retry can run.
            await _release(services, key, claimed)
            raise


def _raises(error: HutongError) -> Write[Any]:
    async def refuse(_: AsyncConnection) -> Any:
        raise error

    return refuse
