"""What the switch does when its database goes away and comes back (a failover).

The switch connects with a multi-host libpq URL (`host=a,b`,
`target_session_attrs=read-write`): a new connection goes to whichever node
takes writes now. Three things make a failover survivable:

1. **A lost connection is thrown away, with the pool.** `database_lost`
   says which errors mean "this connection, or this database, is gone":
   no SQLSTATE at all from a connection-level `OperationalError` (the socket
   closed, the connect was refused), class 08 (connection exception), 57P01–3
   (the server shut down), 25006 (a read-only transaction: the node this
   connection reached is a standby now) and 25P03 (the server ended a
   session idle too long inside a transaction: a process that was frozen,
   `store.db.SessionLimits`). `watch` marks those as disconnects
   for SQLAlchemy, which then discards the connection and every connection
   older than it, in every pool watched with it (a process's writers' and
   readers'), so the next checkout connects afresh to the new primary.
2. **A write whose commit outcome is unknown is never run again blindly.**
   The group commit (`store.batch`) fails every write of such a batch with
   the error instead of re-running them; the caller resolves it by its own
   record (`runtime.exactly_once`: the message record is written in the same
   transaction as the effects, so "record present" ⇔ "effects committed").
3. **Waiting is bounded.** `until_back` runs a read again, with growing
   sleeps (0.1 s doubling to 1 s), until the database answers or
   `OUTCOME_WAIT` seconds have passed; then the request is refused with 503
   `database_unavailable`, and the sender retries with the same message id.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from hutong.protocol.errors import HutongError, Kind

__all__ = ["OUTCOME_WAIT", "database_lost", "database_unavailable", "until_back", "watch"]

T = TypeVar("T")

#: Seconds a write whose outcome is unknown waits for the database to answer
#: again (a pg_auto_failover promotion takes 3–10 s here) before a 503.
OUTCOME_WAIT = 20.0
#: The server went away (admin, crash, cannot connect now), became read-only,
#: or ended this session after `idle_in_transaction_session_timeout`.
_LOST_STATES = frozenset({"57P01", "57P02", "57P03", "25006", "25P03"})


def _sqlstate(exc: BaseException) -> str | None:
    state = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return state if isinstance(state, str) else None


def database_lost(exc: BaseException) -> bool:
    """The connection or the database is gone (or read-only): not an answer about the data."""
    if not isinstance(exc, DBAPIError) or isinstance(exc.orig, sqlite3.Error):
        return False  # SQLite has no connection to lose ("locked" is an answer to wait on)
    if exc.connection_invalidated:
        return True
    state = _sqlstate(exc)
    if state is None:
        return isinstance(exc, OperationalError | InterfaceError)
    return state.startswith("08") or state in _LOST_STATES


def _mark_lost_as_disconnect(engines: tuple[Engine, ...], context: ExceptionContext) -> None:
    # SQLAlchemy already knows a closed socket; it does not know these states.
    state = getattr(context.original_exception, "sqlstate", None)
    if isinstance(state, str) and (state.startswith("08") or state in _LOST_STATES):
        context.is_disconnect = True
    if context.is_disconnect:
        # Every pool's connections of before now are renewed at their next
        # checkout: SQLAlchemy's own step for a disconnect (`Pool._invalidate`),
        # without a connection to invalidate at once.
        for engine in engines:
            engine.pool._invalidate(None)  # type: ignore[arg-type]


def watch(*engines: Engine) -> None:
    """Make SQLAlchemy discard connections (and the pool) on every `database_lost` error.

    `engines` reach one database (a process's writers' and readers' pools): a
    connection lost by one also renews the others' connections opened before
    it, at their next checkout, so that a read after a failover (the record
    that settles a write whose commit was unknown) does not first meet a
    kept connection to the old primary.
    """
    for engine in engines:
        event.listen(engine, "handle_error", functools.partial(_mark_lost_as_disconnect, engines))


def database_unavailable() -> HutongError:
    return HutongError(
        "the switch's database did not answer in time (a failover, most likely);"
        " send the same message again",
        code="database_unavailable",
        kind=Kind.UNAVAILABLE,
    )


async def until_back(read: Callable[[], Awaitable[T]], *, wait: float = OUTCOME_WAIT) -> T:
    """`read()`'s result once the database answers; 503 `database_unavailable` after `wait` s."""
    deadline = time.monotonic() + wait
    delay = 0.1
    while True:
        try:
            return await read()
        except DBAPIError as exc:
            if not database_lost(exc):
                raise
            if time.monotonic() + delay > deadline:
                raise database_unavailable() from exc
        await asyncio.sleep(delay)
        delay = min(2 * delay, 1.0)
