"""Each switch process's heartbeat, and whether another process's has stopped.

A switch process (an API worker, `hutong deliver`) has a random id and a row
in `switch_processes` whose `beat_at` it moves once a second
(`BEAT_INTERVAL`), on a connection of its own, so a pool busy with requests
never delays a beat. A message claim records its claimer's id; a twin that
waits on the claim asks `ClaimerWatch` whether the claimer still beats:

    taken over  <=>  no row (it stopped, or was pruned dead)
                     or silent >= after - CONFIRM on one read and the same
                        beat still there CONFIRM seconds later (silent >= after)

`after` is `Settings.claim_takeover_after` (5 s). Silence is measured with
one clock: on PostgreSQL both the beat and the read use the database's
`now()` (hosts' clocks may differ); on SQLite (one host) the host's. The
second read is what keeps a live process's claim when the database was away
(a failover): every beat failed meanwhile, but the live process beats again
before the confirmation; a read that itself waited for the database does
not count. A process frozen (SIGSTOP) past `after` loses its claims like a
dead one; woken, it cannot record an answer on a claim it lost (the answer
is written only while the claim is still the one it made).

Leases (a delivery lane, a Beckn job) follow the same rule: their owner is
`lease_owner(worker, process)` (`worker@process`), and `LeaseHolders` says
which owners' processes stopped, so a worker takes their rows before the
lease runs out; an owner naming no process waits out its lease.

A process that stops cleanly deletes its row; rows silent `PRUNE_AFTER` are
a dead process's and are deleted by any process (a live one whose row went
puts it back at its next beat).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.store.db import Database, SessionLimits
from hutong.store.failover import until_back
from hutong.store.tables import switch_processes

__all__ = [
    "BEAT_INTERVAL",
    "CONFIRM",
    "PRUNE_AFTER",
    "PRUNE_EVERY",
    "ClaimerWatch",
    "Heartbeat",
    "LeaseHolders",
    "holder_of",
    "lease_owner",
]

log = logging.getLogger("hutong.heartbeat")

#: Seconds between two beats of a process.
BEAT_INTERVAL = 1.0
#: Seconds between the two reads that must see the same silent beat.
CONFIRM = 2.0
#: Seconds of silence after which a process's row is pruned (it is dead).
PRUNE_AFTER = 600.0
#: Beats between two prunes.
PRUNE_EVERY = 60


def _now(db: Database) -> Any:
    """The clock beats are written and read by: the database's, or SQLite's host's."""
    return datetime.now(UTC) if db.is_sqlite else func.now()


class Heartbeat:
    """This process's row in `switch_processes`, moved every `BEAT_INTERVAL`."""

    def __init__(self, database_url: str, limits: SessionLimits | None = None) -> None:
        self.process_id = secrets.token_hex(16)
        # Its own connection: a beat never waits for the request pool.
        self._db = Database(database_url, pool_size=1, limits=limits or SessionLimits())
        self._beats = 0

    async def start(self) -> str:
        """Write this process's row (before it claims anything); its id."""
        now = _now(self._db)
        async with self._db.transaction() as conn:
            await conn.execute(self._row(now))
        return self.process_id

    def _row(self, now: Any) -> Any:
        return insert(switch_processes).values(id=self.process_id, started_at=now, beat_at=now)

    async def run(self, stop: asyncio.Event) -> None:
        """Beat until `stop` is set; a failed beat (the database away) is tried next time."""
        failing = False
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=BEAT_INTERVAL)
            if stop.is_set():
                return
            try:
                await self.beat()
            except Exception:
                if not failing:
                    log.warning("a heartbeat failed; beating again", exc_info=True)
                failing = True
            else:
                failing = False

    async def beat(self) -> None:
        """Move `beat_at` (the row back if it was pruned); every so often prune the dead."""
        self._beats += 1
        now = _now(self._db)
        async with self._db.transaction() as conn:
            moved = await conn.execute(
                update(switch_processes)
                .where(switch_processes.c.id == self.process_id)
                .values(beat_at=now)
            )
            if moved.rowcount == 0:
                await conn.execute(self._row(now))
            if self._beats % PRUNE_EVERY == 0:
                await _prune(conn, self._db)

    async def stop(self) -> None:
        """Delete this process's row (it stopped cleanly) and close its connection."""
        try:
            async with self._db.transaction() as conn:
                await conn.execute(
                    delete(switch_processes).where(switch_processes.c.id == self.process_id)
                )
        except Exception:
            log.warning("could not delete this process's heartbeat row", exc_info=True)
        finally:
            await self._db.dispose()


async def _prune(conn: AsyncConnection, db: Database) -> None:
    if db.is_sqlite:
        silent_since: Any = datetime.now(UTC) - timedelta(seconds=PRUNE_AFTER)
    else:
        silent_since = func.now() - timedelta(seconds=PRUNE_AFTER)
    await conn.execute(delete(switch_processes).where(switch_processes.c.beat_at < silent_since))


@dataclass(frozen=True, slots=True)
class _Beat:
    at: datetime
    silent: float


async def _last_beat(db: Database, process_id: str) -> _Beat | None:
    """The process's last beat and how long ago it was (one clock); None without a row."""

    async def read() -> _Beat | None:
        async with db.read() as conn:
            if db.is_sqlite:
                at = await conn.scalar(
                    select(switch_processes.c.beat_at).where(switch_processes.c.id == process_id)
                )
                return None if at is None else _Beat(at, (datetime.now(UTC) - at).total_seconds())
            row = (
                await conn.execute(
                    select(switch_processes.c.beat_at, func.now().label("now")).where(
                        switch_processes.c.id == process_id
                    )
                )
            ).first()
            if row is None:
                return None
            return _Beat(row.beat_at, (row.now - row.beat_at).total_seconds())

    return await until_back(read)


@dataclass(slots=True)
class ClaimerWatch:
    """Whether a claimer's heartbeat stopped, for one twin's wait (see the module's rule)."""

    db: Database
    #: `Settings.claim_takeover_after`; 0: never (only the lease).
    after: float
    _process: str | None = None
    #: A silent beat seen (its time), and when (monotonic).
    _seen: tuple[datetime, float] | None = None
    _next_read: float = 0.0
    #: The waiting twin's own clock (seconds, only ever compared with itself).
    monotonic: Callable[[], float] = field(default=time.monotonic)

    async def stopped(self, process_id: str) -> bool:
        if self.after <= 0:
            return False
        if process_id != self._process:
            self._process, self._seen, self._next_read = process_id, None, 0.0
        if self.monotonic() < self._next_read:
            return False
        asked = self.monotonic()
        beat = await _last_beat(self.db, process_id)
        now = self.monotonic()
        if now - asked >= BEAT_INTERVAL:
            # The read waited for the database: every beat may have failed meanwhile.
            self._seen, self._next_read = None, now
            return False
        if beat is None:
            return True  # no row: it stopped, or died long ago and was pruned
        if beat.silent < self.after - CONFIRM:
            self._seen = None
            self._next_read = now + max(BEAT_INTERVAL, self.after - CONFIRM - beat.silent)
            return False
        if self._seen is not None and self._seen[0] == beat.at and now - self._seen[1] >= CONFIRM:
            return True
        if self._seen is None or self._seen[0] != beat.at:
            self._seen = (beat.at, now)
        self._next_read = self._seen[1] + CONFIRM
        return False


def lease_owner(worker: str, process_id: str | None) -> str:
    """A lease's owner: the worker, and the process it runs in when that one beats."""
    return worker if process_id is None else f"{worker}@{process_id}"


def holder_of(owner: str | None) -> str | None:
    """The process a lease owner names (`worker@process`); None when it names none."""
    if owner is None or "@" not in owner:
        return None
    return owner.rpartition("@")[2] or None


@dataclass(slots=True)
class LeaseHolders:
    """Which lease owners' processes stopped: a `ClaimerWatch` per process, kept across passes."""

    db: Database
    #: `Settings.claim_takeover_after`; 0: never (only the lease).
    after: float
    monotonic: Callable[[], float] = field(default=time.monotonic)
    _watches: dict[str, ClaimerWatch] = field(default_factory=dict)

    async def stopped(self, owners: Iterable[str | None]) -> list[str]:
        """The owners among `owners` whose process stopped (see the module's rule)."""
        if self.after <= 0:
            return []
        named = {owner: holder_of(owner) for owner in owners}
        processes = {process for process in named.values() if process is not None}
        self._watches = {p: w for p, w in self._watches.items() if p in processes}
        stopped: set[str] = set()
        for process in sorted(processes):
            watch = self._watches.setdefault(
                process, ClaimerWatch(self.db, self.after, monotonic=self.monotonic)
            )
            if await watch.stopped(process):
                stopped.add(process)
        return sorted(o for o, p in named.items() if o is not None and p in stopped)
