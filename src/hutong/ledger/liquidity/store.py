"""Net debit caps and positions in storage (SQLAlchemy Core, SQLite and PostgreSQL alike).

How positions move with the ledger
----------------------------------
`hutong.ledger.store.apply_batches` calls `capped` and `lock_positions` after
it has read its accounts, and `move` before it returns, in the same
transaction as the transfers, so a position always equals its owner's net in
the ledger (`hutong.ledger.liquidity.rules`).

A participant with a cap is decided on, like an account with a limit: its
position row is read under its lock (``FOR UPDATE``, every such row in one
statement, sorted by participant) and written at once. Every other
participant's position is a hot counter nobody decides on (a wallet's
position takes a posting from nearly every order), so its change is an
increment the group commit applies just before its commit (`store.increments`).

Lock order, the same for every write: the ledger's transfers, then the
accounts with a limit, then the positions of capped participants (each set
sorted), and at the commit the increments (ledger accounts, then positions,
by key).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.ledger.liquidity.rules import LIQUIDITY_ASSET, Limit
from hutong.store import increments
from hutong.store.cache import changed
from hutong.store.tables import ledger_accounts, liquidity_limits, liquidity_positions

__all__ = [
    "CAPS",
    "cap_of",
    "capped",
    "caps_of_accounts",
    "current_limit",
    "declare",
    "ensure_positions",
    "history",
    "lock_positions",
    "move",
    "position_of",
    "positions",
]

#: The cache kind (`hutong.store.cache`) of caps read ahead of a write: dropped by `declare`.
CAPS = "net_debit_caps"

_l, _p = liquidity_limits, liquidity_positions

_LATEST = (
    select(_l.c.participant, func.max(_l.c.version).label("version"))
    .where(_l.c.participant.in_(bindparam("ids", expanding=True)))
    .group_by(_l.c.participant)
    .subquery()
)
_CAPS = select(_l.c.participant, _l.c.net_debit_cap).join(
    _LATEST, (_LATEST.c.participant == _l.c.participant) & (_LATEST.c.version == _l.c.version)
)
_READ = select(_p.c.participant, _p.c.position).where(
    _p.c.participant.in_(bindparam("ids", expanding=True))
)
_LOCK = _READ.order_by(_p.c.participant).with_for_update()
_WRITE = (
    update(_p)
    .where(_p.c.participant == bindparam("who"))
    .values(position=_p.c.position + bindparam("change"))
)


def cap_of(owner: ColumnElement[str]) -> ScalarSelect[int]:
    """The current net debit cap of `owner` (NULL without one), as a column of a read.

    A correlated subquery: a read of ledger accounts gets each account's
    owner's cap in the same statement (one round trip, the cap as exact as
    the accounts)."""
    return (
        select(_l.c.net_debit_cap)
        .where(_l.c.participant == owner)
        .order_by(_l.c.version.desc())
        .limit(1)
        .scalar_subquery()
    )


def position_of(owner: ColumnElement[str]) -> ScalarSelect[int]:
    """The position of `owner` as it stands (no lock; NULL without a row), as a column."""
    return select(_p.c.position).where(_p.c.participant == owner).scalar_subquery()


_a = ledger_accounts
_CAPS_OF_ACCOUNTS = select(_a.c.owner, cap_of(_a.c.owner).label("cap")).where(
    _a.c.id.in_(bindparam("ids", expanding=True)), _a.c.asset == LIQUIDITY_ASSET
)


async def caps_of_accounts(conn: AsyncConnection, account_ids: Iterable[str]) -> dict[str, int]:
    """The current caps of the owners of `account_ids` (CNY accounts; no cap, left out)."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    rows = (await conn.execute(_CAPS_OF_ACCOUNTS, {"ids": ids})).all()
    return {row.owner: row.cap for row in rows if row.cap is not None}


def _limit(row: Any) -> Limit:
    return Limit(
        participant=row.participant,
        version=row.version,
        net_debit_cap=row.net_debit_cap,
        prefunded=row.prefunded,
        declared_at=row.declared_at,
        declared_by=row.declared_by,
        reason=row.reason,
    )


async def capped(conn: AsyncConnection, participants: Iterable[str]) -> dict[str, int]:
    """The current net debit cap of each of `participants` that has one declared."""
    ids = sorted(set(participants))
    if not ids:
        return {}
    rows = (await conn.execute(_CAPS, {"ids": ids})).all()
    return {row.participant: row.net_debit_cap for row in rows}


async def lock_positions(conn: AsyncConnection, participants: Iterable[str]) -> dict[str, int]:
    """The positions of `participants`, read under their locks, in participant order."""
    ids = sorted(set(participants))
    if not ids:
        return {}
    rows = (await conn.execute(_LOCK, {"ids": ids})).all()
    found = {row.participant: row.position for row in rows}
    return {who: found.get(who, 0) for who in ids}


async def positions(
    conn: AsyncConnection, participants: Iterable[str] | None = None
) -> dict[str, int]:
    """Positions as they stand (no lock); every participant's when `participants` is None."""
    if participants is None:
        rows = (await conn.execute(select(_p).order_by(_p.c.participant))).all()
        return {row.participant: row.position for row in rows}
    ids = sorted(set(participants))
    if not ids:
        return {}
    return {row.participant: row.position for row in (await conn.execute(_READ, {"ids": ids}))}


async def ensure_positions(conn: AsyncConnection, participants: Iterable[str]) -> None:
    """A position row (at 0) for each of `participants` that has none yet.

    Two transactions adding the same row at once collide on its key; the
    loser's transaction fails and is run again by its caller (account creation is).
    """
    ids = sorted(set(participants))
    if not ids:
        return
    have = set((await conn.execute(_READ, {"ids": ids})).scalars())
    missing = [{"participant": who, "position": 0} for who in ids if who not in have]
    if missing:
        await conn.execute(insert(_p), missing)


async def move(conn: AsyncConnection, changes: Mapping[str, int], capped: Iterable[str]) -> None:
    """Add each change to its position: at once for `capped` (locked), else as an increment."""
    locked = set(capped)
    now = [
        {"who": who, "change": change}
        for who, change in sorted(changes.items())
        if change and who in locked
    ]
    if now:
        await conn.execute(_WRITE, now)
    later = {
        who: {"position": change} for who, change in changes.items() if change and who not in locked
    }
    if later:
        await increments.add(conn, _p, "participant", later)


async def history(conn: AsyncConnection, participant: str) -> list[Limit]:
    query = select(_l).where(_l.c.participant == participant).order_by(_l.c.version)
    return [_limit(row) for row in (await conn.execute(query)).all()]


async def current_limit(conn: AsyncConnection, participant: str) -> Limit | None:
    found = await history(conn, participant)
    return found[-1] if found else None


async def declare(
    conn: AsyncConnection,
    participant: str,
    net_debit_cap: int,
    prefunded: int,
    now: datetime,
    *,
    by: str,
    reason: str = "",
) -> Limit:
    """Store the next version of `participant`'s limit (checked first: nothing stored if refused).

    The participant's position row is locked first, so the version takes
    effect between two ledger writes, never in the middle of one.
    """
    await ensure_positions(conn, [participant])
    await lock_positions(conn, [participant])
    changed(conn, (CAPS,))  # caps read ahead of a write (`caps_of_accounts`), in any process
    latest = await current_limit(conn, participant)
    limit = Limit(
        participant=participant,
        version=(latest.version + 1) if latest else 1,
        net_debit_cap=net_debit_cap,
        prefunded=prefunded,
        declared_at=now,
        declared_by=by,
        reason=reason,
    )
    await conn.execute(
        insert(_l),
        [
            {
                "participant": limit.participant,
                "version": limit.version,
                "net_debit_cap": limit.net_debit_cap,
                "prefunded": limit.prefunded,
                "declared_at": limit.declared_at,
                "declared_by": limit.declared_by,
                "reason": limit.reason,
            }
        ],
    )
    return limit
