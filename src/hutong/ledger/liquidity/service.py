"""Liquidity for the routes, the CLI and the payment steps: declaring caps, reading positions,
and refusing a movement past a cap before anyone is asked to pay.

`check_before_asking` runs the ledger's own rules (`apply_transfers`) over the
legs a step is about to post, on the accounts as they stand, and refuses with
`CapExceeded` (``net_debit_cap_exceeded``: the cap, the position and the
amount in the error) when a capped participant's position would pass its
cap. It reads without locks, so a step that passes it can still be refused at
its write, where the ledger decides under the position's lock (two
concurrent payments of one participant): the step then releases what it had
asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from hutong.ledger.engine import apply_transfers
from hutong.ledger.liquidity import store
from hutong.ledger.liquidity.rules import Limit, check_cap, position_changes
from hutong.ledger.models import TransferRequest
from hutong.ledger.store import load_unlocked
from hutong.registry.service import require_participant
from hutong.store.db import Database

__all__ = ["Liquidity", "check_before_asking", "declare", "liquidity", "overview"]


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
        await require_participant(conn, participant, fresh=True)
        await store.declare(
            conn, participant, net_debit_cap, prefunded, services.clock(), by=by, reason=reason
        )
    return await liquidity(services, participant)


async def liquidity(services: Services, participant: str) -> Liquidity:
    async with services.db.read() as conn:
        await require_participant(conn, participant)
        found = await store.positions(conn, [participant])
        return Liquidity(
            participant, found.get(participant, 0), await store.history(conn, participant)
        )


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
    """Refuse (`CapExceeded`) legs that would take a capped participant past its cap."""
    async with services.db.read() as conn:
        loaded = await load_unlocked(conn, legs)
        outcome = apply_transfers(
            legs, loaded.accounts, loaded.transfers, loaded.failures, now or services.clock()
        )
        changes = position_changes(loaded.accounts, outcome.accounts)
        caps = await store.capped(conn, [who for who, change in changes.items() if change > 0])
        positions = await store.positions(conn, caps)
    for who, cap in sorted(caps.items()):
        check_cap(who, cap, positions.get(who, 0), changes[who])
