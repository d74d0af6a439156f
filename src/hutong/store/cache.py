"""A per-process cache of rarely changing declarations, stale for at most `TTL` seconds.

What it is for: reads that every request repeats and that change a few times
a day (a participant and its keys, a wallet's profile, a platform's
acceptance policy, a carrier's services). An order step read them up to six
times each; from here they cost a dictionary lookup.

The staleness bound (what a change costs to take effect):

- In the process that wrote the change, at once: the write path calls
  `changed(conn, ...)`, which drops the entries when the write runs, again
  as its transaction commits and once more after the commit has returned
  (`Database.transaction`, `owed`); a read that started before any of the
  drops does not keep what it read (every drop advances a generation the
  read checks).
- In any other process (a second `hutong serve` worker, the CLI), within
  `TTL` seconds plus the duration of one read: an entry is used only while
  `clock() - loaded_at < TTL`, where `loaded_at` is taken *before* the query
  that filled it. `TTL` is 0.8 s, so a suspension or a key revocation is
  refused everywhere within a second.

A caller that reads many keys in one statement (the resolver reads the
placements it serves again, together, before they expire: `hutong.links.cached`)
marks when its read began (`read_begins`) and keeps what it found (`keep`)
under the same rule: nothing if a drop came since the mark, each entry serving
for `TTL` from the mark.

A key is a tuple whose first item names its kind (`("participant", id)`).
Which writes change which keys is each caller's business: the registry drops
everything on a participant's status change, and so on. A value must not be
changed by its readers (a frozen record, a tuple, a history read and never
declared on): every reader shares it.

There is one cache per database per process (`declarations(conn)`), found by
the database's address, so every `Database` of one process shares it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url

__all__ = [
    "EVERYTHING",
    "TTL",
    "Declarations",
    "ReadMark",
    "changed",
    "declarations",
    "declarations_at",
    "forget_owed",
    "owed",
]

T = TypeVar("T")

#: Seconds an entry is used after its read started.
TTL = 0.8
#: Entries a cache holds at most (expired ones go first, then all).
MAX_ENTRIES = 50_000
#: What `Declarations.forget` takes to drop every entry.
EVERYTHING = ("*",)


class ReadMark(NamedTuple):
    """When a read began, and the drops made before it (`Declarations.read_begins`)."""

    started: float
    generation: int


class Declarations:
    """Entries by key, each used while younger than `ttl` (by `clock`, a monotonic clock)."""

    def __init__(
        self,
        *,
        ttl: float = TTL,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self.ttl = ttl
        self.clock = clock
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        #: Advanced by every drop: a read that saw another generation is not kept.
        self._generation = 0
        #: Reads under way, by key: (the generation they began in, when, the read).
        self._reading: dict[Hashable, tuple[int, float, asyncio.Task[Any]]] = {}

    async def get(self, key: tuple[Any, ...], load: Callable[[], Awaitable[T]]) -> T:
        """The cached value of `key`, or what `load` reads now (kept unless a drop came between).

        Requests that miss the same key while it is being read share that read
        (an entry expiring under load is read once, not once per request), as
        long as no drop came since it began: it is as fresh as a read of their
        own. The read runs as a task of its own, so the request that began it
        going away does not fail the others.
        """
        started = self.clock()
        entry = self._entries.get(key)
        if entry is not None and started - entry[0] < self.ttl:
            value: T = entry[1]
            return value
        reading = self._reading.get(key)
        if (
            reading is None
            or reading[0] != self._generation
            or started - reading[1] >= self.ttl
            or reading[2].get_loop() is not asyncio.get_running_loop()  # one left by a closed loop
        ):
            reading = (self._generation, started, asyncio.ensure_future(load()))
            self._reading[key] = reading
            reading[2].add_done_callback(lambda done: self._read(key, reading, done))
        shared: T = await asyncio.shield(reading[2])
        return shared

    def _read(
        self, key: Hashable, reading: tuple[int, float, asyncio.Task[Any]], done: asyncio.Task[Any]
    ) -> None:
        """A read finished: kept if no drop came while it ran (and it did not fail)."""
        if self._reading.get(key) is reading:
            del self._reading[key]
        if done.cancelled() or done.exception() is not None:
            return
        generation, started, _ = reading
        self.keep(ReadMark(started, generation), {key: done.result()})

    def __len__(self) -> int:
        return len(self._entries)

    def age(self, key: Hashable) -> float | None:
        """Seconds since the read of `key`'s entry began (None: no entry)."""
        entry = self._entries.get(key)
        return None if entry is None else self.clock() - entry[0]

    def read_begins(self) -> ReadMark:
        """Mark the start of a read of many keys made by the caller (see `keep`)."""
        return ReadMark(self.clock(), self._generation)

    def keep(self, mark: ReadMark, values: Mapping[Hashable, Any]) -> bool:
        """Keep what a read begun at `mark` found, as `get` keeps its own reads.

        Nothing is kept if a drop came since `mark` (the read may hold what a
        write changed); an entry is not replaced by an older read. Each kept
        entry serves for `ttl` from `mark`. Returns whether the read was kept.
        """
        if mark.generation != self._generation:
            return False
        for key, value in values.items():
            entry = self._entries.get(key)
            if entry is not None and entry[0] >= mark.started:
                continue
            if entry is None and len(self._entries) >= self.max_entries:
                self._make_room(mark.started)
            self._entries[key] = (mark.started, value)
        return True

    def _make_room(self, now: float) -> None:
        """Drop the expired entries; all of them if that is not enough (keys sent by anyone,
        such as unknown key ids, must not grow the process without bound)."""
        expired = [key for key, (at, _) in self._entries.items() if now - at >= self.ttl]
        for key in expired:
            del self._entries[key]
        if len(self._entries) >= self.max_entries:
            self._entries.clear()

    def forget(self, *keys: tuple[Any, ...]) -> None:
        """Drop `keys`; a one-item key `(kind,)` drops every key of that kind, `EVERYTHING` all."""
        self._generation += 1
        if EVERYTHING in keys:
            self._entries.clear()
            return
        kinds = {key[0] for key in keys if len(key) == 1}
        for key in keys:
            self._entries.pop(key, None)
        if kinds:
            for key in [k for k in self._entries if isinstance(k, tuple) and k[0] in kinds]:
                del self._entries[key]


_BY_DATABASE: dict[tuple[Any, ...], Declarations] = {}
#: The cache of each address as given: parsing a URL took more of a signed
#: request's time than its key lookup (a URL, string or not, is hashable).
_BY_URL: dict[URL | str, Declarations] = {}


def _address(url: URL) -> tuple[Any, ...]:
    """What names one database whatever the driver: backend, server, name."""
    return (url.get_backend_name(), url.host, url.port, url.database)


def declarations_at(url: URL | str) -> Declarations:
    """The process's cache of the database at `url`."""
    found = _BY_URL.get(url)
    if found is None:
        address = _address(make_url(url))
        found = _BY_DATABASE.get(address)
        if found is None:
            found = _BY_DATABASE[address] = Declarations()
        _BY_URL[url] = found
    return found


def _connection(conn: Any) -> Any:
    """The connection under `conn` (the group commit's views keep theirs as `conn`)."""
    while not hasattr(conn, "engine") and hasattr(conn, "conn"):
        conn = conn.conn
    return conn


def declarations(conn: Any) -> Declarations:
    """The process's cache of the database `conn` (async or the SQLite face) is connected to."""
    return declarations_at(_connection(conn).engine.url)


def changed(conn: Any, *keys: tuple[Any, ...]) -> None:
    """A write in `conn`'s transaction changes `keys`: drop them now and once it commits.

    A rolled-back transaction drops them at the connection's next commit
    instead: a drop too many costs one read, never a stale answer.
    """
    cache = declarations(conn)
    cache.forget(*keys)
    connection = _connection(conn).sync_connection
    connection.info.setdefault(_PENDING, []).append((cache, keys))
    engine = connection.engine
    if not event.contains(engine, "commit", _forget_committed):
        event.listen(engine, "commit", _forget_committed)


#: Where a connection keeps the drops its transaction owes at its commit.
_PENDING = "hutong.cache.pending"


def _forget_committed(connection: Any) -> None:
    """The engine's commit hook: the drops of the committing transaction, once more."""
    forget_owed(connection.info.pop(_PENDING, []))


#: The drops a transaction owes: each cache with the keys its writes changed.
Owed = list[tuple[Declarations, tuple[tuple[Any, ...], ...]]]


def owed(conn: Any) -> Owed:
    """What `conn`'s transaction will drop at its commit, to drop once more after it.

    The commit hook runs before the database has committed: a read that
    begins while the commit is on its way sees the old rows, under a cache
    that has already dropped, and would be kept. `Database.transaction` takes
    this list before its commit and hands it to `forget_owed` once the commit
    has returned, so the writing process sees its own change at once.
    """
    return list(_connection(conn).sync_connection.info.get(_PENDING, ()))


def forget_owed(drops: Owed) -> None:
    """Make `drops` (`owed`) once more: after the commit they were owed at."""
    for cache, keys in drops:
        cache.forget(*keys)
