"""Liquidity for the routes, the CLI and the payment steps: declaring caps, reading positions,
and refusing a movement past a cap before anyone is asked to pay.

`check_before_asking` runs the ledger's own rules (`apply_transfers`) over the
legs a step is about to post, on the accounts as they stand, and refuses with
`CapExceeded` (``net_debit_cap_exceeded``: the cap, the position and the
amount in the error) when a capped participant's position would pass its
cap. It reads without locks, and which payers have a cap it takes from a cache
(stale by under a second), so a step that passes it can still be refused at
its write, where the ledger decides on the exact cap under the position's
lock (two concurrent payments of one participant, a cap just declared in
another process): the step then releases what it had asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.ledger.engine import apply_transfers
from hutong.ledger.liquidity import store
from hutong.ledger.liquidity.rules import Limit, check_cap, position_changes
from hutong.ledger.models import TransferFlags, TransferRequest
from hutong.ledger.store import load_unlocked
from hutong.registry.service import require_participant
from hutong.store.cache import declarations_at
from hutong.store.db import Database

__all__ = [
    "Liquidity",
    "check_before_asking",
    "declare",
    "declare_in",
    "liquidity",
    "overview",
]


class Services(Protocol):
    @property
    def db(self) -> Database: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...


@dataclass(frozen=True, slots=True)
class Liquidity:
    """A participant's position and its declared limits (oldest first; none: not capped)."""

    participant: str
    position: int
    history: list[Limit]

    @property
    def limit(self) -> Limit | None:
        return self.history[-1] if self.history else None

    @property
    def headroom(self) -> int | None:
        """What it may still come to owe: cap less position (None without a cap)."""
        return None if self.limit is None else self.limit.net_debit_cap - self.position


async def declare(
    services: Services,
    participant: str,
    net_debit_cap: int,
    prefunded: int,
    *,
    by: str = "operator",
    reason: str = "",
) -> Liquidity:
    """The operator declares the participant's next cap and prefunded amount."""
    async with services.db.transaction() as conn:
        return await declare_in(
            conn, participant, net_debit_cap, prefunded, services.clock(), by=by, reason=reason
        )


async def declare_in(
    conn: AsyncConnection,
    participant: str,
    net_debit_cap: int,
    prefunded: int,
    now: datetime,
    *,
    by: str = "operator",
    reason: str = "",
) -> Liquidity:
    """`declare` in the caller's transaction (the exactly-once record's): the liquidity after."""
    await require_participant(conn, participant, fresh=True)
    await store.declare(conn, participant, net_debit_cap, prefunded, now, by=by, reason=reason)
    return await _liquidity_in(conn, participant)


async def _liquidity_in(conn: AsyncConnection, participant: str) -> Liquidity:
    found = await store.positions(conn, [participant])
    return Liquidity(participant, found.get(participant, 0), await store.history(conn, participant))


async def liquidity(services: Services, participant: str) -> Liquidity:
    async with services.db.read() as conn:
        await require_participant(conn, participant)
        return await _liquidity_in(conn, participant)


async def overview(services: Services) -> list[Liquidity]:
    """Every participant with a position or a limit, by id."""
    async with services.db.read() as conn:
        positions = await store.positions(conn)
        return [
            Liquidity(who, position, await store.history(conn, who))
            for who, position in sorted(positions.items())
        ]


async def check_before_asking(
    services: Services, legs: Sequence[TransferRequest], now: datetime | None = None
) -> None:
    """Refuse (`CapExceeded`) legs that would take a capped participant past its cap.

    Only a new transfer raises a position, its debit account's owner's; when
    none of those owners has a cap (as cached: `_capped_payers`) nothing is
    read. Otherwise the legs are previewed on the accounts, caps and
    positions as they stand (two statements).
    """
    if not await _capped_payers(services, legs):
        return
    async with services.db.read() as conn:
        loaded = await load_unlocked(conn, legs)
    outcome = apply_transfers(
        legs, loaded.accounts, loaded.transfers, loaded.failures, now or services.clock()
    )
    changes = position_changes(loaded.accounts, outcome.accounts)
    for who, cap in sorted(loaded.caps.items()):
        if changes.get(who, 0) > 0:
            check_cap(who, cap, loaded.positions.get(who, 0), changes[who])


_RESOLVING = TransferFlags.POST_PENDING | TransferFlags.VOID_PENDING


async def _capped_payers(services: Services, legs: Sequence[TransferRequest]) -> dict[str, int]:
    """The caps of the owners whose position the legs could raise, as cached.

    Cached (`hutong.store.cache`, kind `store.CAPS`) because this check only
    answers early: the ledger decides at the write, on the cap read with the
    accounts and the position under its lock, and a step refused there
    releases what it asked for. So a cap declared in another process less
    than a second ago can at worst make a step ask its wallet before it is
    refused; it never lets a position past its cap. In this process a
    declaration drops the entries at once.
    """
    payers = sorted(
        {
            leg.debit_account_id
            for leg in legs
            if leg.debit_account_id and not leg.flags & _RESOLVING
        }
    )
    if not payers:
        return {}

    async def load() -> dict[str, int]:
        async with services.db.read() as conn:
            return await store.caps_of_accounts(conn, payers)

    return await declarations_at(services.db.url).get((store.CAPS, *payers), load)
