"""Rate limits kept in the database: a token bucket per key, shared by every worker.

A bucket holds up to `Limit.burst` tokens and refills at `Limit.per_minute`
tokens a minute; each request takes one. A token is taken by one
conditional UPDATE in the caller's transaction, refilled and taken in SQL
(``... WHERE refilled >= one token RETURNING``: the row is locked by the
UPDATE on PostgreSQL; SQLite writes one transaction at a time), so several
workers on one database share one allowance, and nothing lives in a
worker's memory. Only a bucket that is empty or not made yet is read, to
say how long to wait or to make it. Tokens are kept in thousandths so a
slow refill is not lost to rounding; the database measures the time since
the last refill in whole milliseconds (`refilled` in Python, in
microseconds, reads the empty bucket).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, case, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from hutong.store.tables import alias_lookup_buckets

__all__ = ["Limit", "refilled", "take_alias_lookup", "wait_for"]

_ONE = 1000  # one token, in thousandths


@dataclass(frozen=True, slots=True)
class Limit:
    """`per_minute` requests a minute on average, up to `burst` at once (0 per minute: none)."""

    per_minute: int
    burst: int

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0

    @property
    def capacity(self) -> int:
        return max(self.burst, 1) * _ONE


def refilled(limit: Limit, milli_tokens: int, seconds: float) -> int:
    """The bucket's thousandths of a token after `seconds` of refilling (never past full)."""
    gained = math.floor(max(seconds, 0.0) * limit.per_minute * _ONE / 60)
    return min(limit.capacity, milli_tokens + gained)


def wait_for(limit: Limit, milli_tokens: int) -> int:
    """Whole seconds until a bucket holding `milli_tokens` holds one token (at least 1)."""
    missing = _ONE - milli_tokens
    return max(1, math.ceil(missing * 60 / (limit.per_minute * _ONE)))


class _MillisBetween(FunctionElement[int]):
    """Whole milliseconds from the second timestamp to the first, rounded (either database)."""

    type = BigInteger()
    name = "millis_between"
    inherit_cache = True


@compiles(_MillisBetween, "sqlite")
def _millis_sqlite(element: _MillisBetween, compiler: SQLCompiler, **kw: Any) -> str:
    # julianday keeps whole milliseconds; the rounding takes off the float's error.
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(round((julianday({later}) - julianday({earlier})) * 86400000) AS INTEGER)"


@compiles(_MillisBetween, "postgresql")
def _millis_postgresql(element: _MillisBetween, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(round(extract(epoch from ({later} - {earlier})) * 1000) AS BIGINT)"


def _refilled_sql(limit: Limit, now: datetime) -> ColumnElement[int]:
    """`refilled` in SQL, on the bucket's row: min(capacity, tokens + elapsed ms x rate / 60)."""
    table = alias_lookup_buckets
    elapsed = _MillisBetween(literal(now, table.c.refilled_at.type), table.c.refilled_at)
    gained = case((elapsed > 0, elapsed), else_=0) * limit.per_minute // 60
    tokens = table.c.milli_tokens + gained
    capped: ColumnElement[int] = case((tokens > limit.capacity, limit.capacity), else_=tokens)
    return capped


async def take_alias_lookup(conn: AsyncConnection, wallet: str, limit: Limit, now: datetime) -> int:
    """In `conn`: take one of `wallet`'s alias lookups; 0 when taken, else seconds to wait."""
    if not limit.enabled:
        return 0
    table = alias_lookup_buckets
    tokens = _refilled_sql(limit, now)
    taken = await conn.execute(
        update(table)
        .where(table.c.wallet == wallet, tokens >= _ONE)
        .values(milli_tokens=tokens - _ONE, refilled_at=now)
        .returning(table.c.wallet)
    )
    if taken.first() is not None:
        return 0  # the usual case, in one statement
    row = (
        await conn.execute(select(table).where(table.c.wallet == wallet).with_for_update())
    ).first()
    if row is None:
        try:
            async with conn.begin_nested():
                await conn.execute(
                    insert(table),
                    {"wallet": wallet, "milli_tokens": limit.capacity - _ONE, "refilled_at": now},
                )
            return 0
        except IntegrityError:  # another worker made the bucket at the same moment
            row = (
                await conn.execute(select(table).where(table.c.wallet == wallet).with_for_update())
            ).one()
    seconds = (now - row.refilled_at).total_seconds()
    left = refilled(limit, row.milli_tokens, seconds)
    if left < _ONE:
        return wait_for(limit, left)
    await conn.execute(  # made by another worker just now, or refilled within a millisecond
        update(table)
        .where(table.c.wallet == wallet)
        .values(milli_tokens=left - _ONE, refilled_at=now)
    )
    return 0
