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
  released and a retry asks again. A claim records its claimer (the
  switch process's id); a claim whose claimer's heartbeat stopped (a crash
  or a freeze between claim and answer) is taken over within seconds
  (`Settings.claim_takeover_after`, `hutong.runtime.heartbeat`), any claim
  after `claim_lease` seconds (one without a claimer: only then). A live
  claimer's claim is never taken while it beats: it may wait on a slow
  participant up to the lease. On PostgreSQL a takeover runs outside the
  group commit with a short `lock_timeout`: a claimer frozen inside a
  transaction holds the claim's row lock, and the wait must not hold up
  the process's other writes.

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

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import delete, insert, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.protocol.errors import ConflictError, HutongError
from hutong.runtime.contention import WRITE_ATTEMPTS, is_unique_violation, key_contended
from hutong.runtime.message_records import (
    CLAIMED,
    Answer,
    Claimed,
    MessageKey,
    answer_claim,
    await_answer,
    claim_lease,
    encode,
    record_values,
    recorded,
    still_claimed,
)
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
    "Unanswered",
    "Write",
    "claim_lease",
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

#: How many times a write whose connection was lost (and that did not commit)
#: runs again before the sender is told 503 `database_unavailable`.
RUNS_AFTER_LOSS = 5

#: A message's record (answered or claimed), built once: every signed write sends it.
_INSERT_RECORD = insert(messages)


@dataclass(frozen=True, slots=True)
class Refused:
    """What a write returns to commit what it did and still answer with a refusal.

    For example an order refused by its merchant's platform is kept as
    cancelled (so its parties are told) while the answer is the refusal.
    `extra` is added to the refusal's body.
    """

    error: HutongError
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Unanswered:
    """What a write returns, having written nothing, to refuse without using the message id.

    Nothing is recorded and `error` is raised to the sender, who may send the
    same message again once it can be taken (a carrier's push about a parcel
    whose booking is not stored yet). Returned, not raised: a write that
    raises fails its whole group commit's optimistic pass, and every write of
    the batch runs again in a savepoint of its own.
    """

    error: HutongError


def _shown(result: Any, present: Present[Any], refusal: Refusal) -> tuple[int, dict[str, Any]]:
    if isinstance(result, Refused):
        status, body = refusal(result.error)
        return status, body | dict(result.extra)
    return present(result)


def _replayed(answer: Answer) -> Answer:
    IDEMPOTENT_REPLAYS.inc()
    return answer


def _outcome_unknown(exc: DBAPIError) -> bool:
    """The write's connection was lost: it may or may not have committed."""
    return database_lost(exc) and not isinstance(exc, IntegrityError)


def _own(answer: Answer) -> Answer:
    """The answer this arrival committed itself (its reply was lost): not a replay."""
    return Answer(answer.status, answer.body)


async def run_once(
    services: Services,
    key: MessageKey,
    write: Write[T],
    present: Present[T],
    refusal: Refusal,
    *,
    alone: bool = False,
) -> Answer:
    """Run `write` at most once for this message and record its answer with its effects.

    `alone`: in a transaction of its own, not in the next group commit's
    (`WriteBatcher.run_alone`: an operator's write, which may hold its locks long).

    A refusal the write raises rolls its effects back but is recorded, so a
    retry gets the same refusal; a transient one (rate limited) is no answer:
    nothing is recorded, and a message answered before gets that answer. A
    write that loses a unique key to a concurrent message is run again
    (`WRITE_ATTEMPTS` in all).
    """

    async def record(conn: AsyncConnection, status: int, body: dict[str, Any]) -> Answer:
        content = encode(body)
        values = record_values(services, key, status, content, services.clock())
        await conn.execute(_INSERT_RECORD, values)
        return Answer(status, content)

    async def apply(conn: AsyncConnection) -> Answer | Unanswered:
        result = await write(conn)
        if isinstance(result, Unanswered):
            return result
        return await record(conn, *_shown(result, present, refusal))

    async def refused(conn: AsyncConnection, error: Exception) -> Answer:
        if not isinstance(error, HutongError) or error.kind.transient:
            raise error
        return await record(conn, *refusal(error))

    attempt = lost = 0
    while True:
        try:
            batcher = services.batcher()
            run = batcher.run_alone if alone else batcher.run
            answer = await run(apply, refused)
            if isinstance(answer, Unanswered):
                raise answer.error
            return answer
        except HutongError as error:
            if not error.kind.transient:
                raise
            found = await recorded(services, key)
            if isinstance(found, Answer):
                return _replayed(found)  # answered before; the write met what it left
            raise
        except IntegrityError as error:
            if not is_unique_violation(error):
                raise  # a CHECK, a foreign key: a defect, not a race
            attempt += 1
            # Recorded first by an identical message (in this batch or by another
            # worker), or by one with another body (refused in `find`).
            found = await await_answer(services, key)
            if isinstance(found, Answer):
                return _replayed(found)
            if found is not None:
                raise _in_flight(key) from None
            # Not the message record: another message won a unique key the write
            # wanted (the next policy version, the one open storefront). Nothing
            # of this write was kept, so it runs again and meets what the winner
            # left; one that keeps losing is told to send it again.
            if attempt == WRITE_ATTEMPTS:
                raise key_contended(error) from error
        except DBAPIError as exc:
            if not _outcome_unknown(exc):
                raise
            found = await recorded(services, key)
            if isinstance(found, Answer):
                return _own(found)  # it committed; only its reply was lost
            lost += 1  # nothing committed: it runs again
            if lost > RUNS_AFTER_LOSS:
                raise database_unavailable() from exc


#: Milliseconds a takeover waits for a row lock a frozen claimer may hold (PostgreSQL).
TAKEOVER_LOCK_TIMEOUT = 1000
#: PostgreSQL's lock_not_available (a `lock_timeout` ran out).
_LOCK_NOT_AVAILABLE = "55P03"


def _in_flight(key: MessageKey) -> ConflictError:
    return ConflictError(
        f"message {key.message_id} is being answered by an earlier send that did not finish;"
        " send it again",
        code="message_in_flight",
    )


async def _claim(
    services: Services, key: MessageKey, along: Write[Any] | None = None
) -> Claimed | Answer:
    """Claim the message id, or the answer a twin already recorded (after waiting).

    `along` runs in the claim's transaction when this arrival claims (never
    for a twin: it rolls back with a claim that meets the unique key).

    The claim is inserted without looking first: a first arrival (nearly
    every one) costs the insert alone; only one that meets the unique key
    reads what is there, and waits for it, replays it, or takes it over.
    """
    found: Claimed | None = None
    while True:
        now = services.clock()
        try:
            # In the group commit: durable before anyone is asked, and many
            # claims share one commit instead of paying one each.
            if await _claim_or_take_over(services, key, found, now, along):
                return Claimed(now, services.process_id)
        except IntegrityError:
            pass  # recorded or claimed by a twin (or a message with another body)
        except DBAPIError as exc:
            if not _outcome_unknown(exc):
                raise
            mine = await recorded(services, key)
            if isinstance(mine, Claimed) and mine.at == now:
                return mine  # the claim committed; only its reply was lost
        seen = await await_answer(services, key)
        if isinstance(seen, Answer):
            return _replayed(seen)
        # None: the twin gave its claim back; else a claim past its lease or
        # whose claimer stopped.
        found = seen


async def _claim_or_take_over(
    services: Services,
    key: MessageKey,
    stale: Claimed | None,
    now: datetime,
    along: Write[Any] | None = None,
) -> bool:
    """Claim in the group commit; take `stale` over (PostgreSQL) in a transaction of its own.

    The claim `stale` was its claimer's; if that process froze inside a
    transaction touching it, the takeover waits on its row lock, and in the
    group commit every other write of this process would wait with it.
    Alone, with `lock_timeout` `TAKEOVER_LOCK_TIMEOUT`, it gives up instead
    (False: not taken now) and the caller looks and tries again.
    """
    write = _claim_write(services, key, stale, now, along)
    if stale is None or services.db.is_sqlite:  # SQLite: one writer, no row locks
        return await services.batcher().run(write)
    try:
        async with services.db.transaction() as conn:
            await conn.execute(text(f"SET LOCAL lock_timeout = '{TAKEOVER_LOCK_TIMEOUT}ms'"))
            return await write(conn)
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
            return False
        raise


def _claim_write(
    services: Services,
    key: MessageKey,
    stale: Claimed | None,
    now: datetime,
    along: Write[Any] | None = None,
) -> Write[bool]:
    """Record the claim (or take over `stale`, a claim no longer live); False if another did.

    The claimer's process id rides in the claim's own INSERT (or UPDATE).
    """
    me = services.process_id

    async def claim(conn: AsyncConnection) -> bool:
        if stale is None:
            values = record_values(services, key, CLAIMED, b"", now, claimed_by=me)
            await conn.execute(_INSERT_RECORD, values)
        else:
            taken = await conn.execute(
                update(messages)
                .where(still_claimed(key, stale.at))
                .values(created_at=now, claimed_by=me)
            )
            if taken.rowcount != 1:
                return False
        if along is not None:
            await along(conn)
        return True

    return claim


async def _release(services: Services, key: MessageKey, claim: Claimed) -> None:
    """Give the claim back, waiting for the database if it is away (a failover).

    A claim left behind would make the sender's retry wait out its lease.
    """

    async def release() -> None:
        async with services.db.transaction() as conn:
            await conn.execute(delete(messages).where(still_claimed(key, claim.at)))

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
        content = encode(body)
        if not await answer_claim(conn, key, claimed.at, status, content):
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
            found = await await_answer(services, key)
            if isinstance(found, Answer):
                return _replayed(found)
            raise _in_flight(key) from None
        except DBAPIError as exc:
            if not _outcome_unknown(exc):
                await _release(services, key, claimed)
                raise
            found = await recorded(services, key)
            if isinstance(found, Answer):
                return _own(found)  # it committed; only its reply was lost
            if not (isinstance(found, Claimed) and found.at == claimed.at):
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
