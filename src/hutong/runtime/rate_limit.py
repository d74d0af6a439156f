"""Rate limits kept in the database: a token bucket per key, shared by every worker.

A bucket holds up to `Limit.burst` tokens and refills at `Limit.per_minute`
tokens a minute; each request takes one. The bucket's row is read locked
(``FOR UPDATE`` on PostgreSQL; SQLite writes one transaction at a time) and
written in the caller's transaction, so several workers on one database
share one allowance, and nothing lives in a worker's memory. Tokens are kept
in thousandths so a slow refill is not lost to rounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

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


async def take_alias_lookup(conn: AsyncConnection, wallet: str, limit: Limit, now: datetime) -> int:
    """In `conn`: take one of `wallet`'s alias lookups; 0 when taken, else seconds to wait."""
    if not limit.enabled:
        return 0
    table = alias_lookup_buckets
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
    tokens = refilled(limit, row.milli_tokens, seconds)
    if tokens < _ONE:
        return wait_for(limit, tokens)
    await conn.execute(
        update(table)
        .where(table.c.wallet == wallet)
        .values(milli_tokens=tokens - _ONE, refilled_at=now)
    )
    return 0
