"""The database handle, with the durability settings of DESIGN.md §5.

PostgreSQL (production) runs through SQLAlchemy's async engine on psycopg,
with `synchronous_commit=on`; a multi-host URL (`?host=a:5432&host=b:5432
&target_session_attrs=read-write`) follows a failover (`store.failover`).

SQLite (the embedded default) runs in WAL mode with `synchronous=FULL`, so an
acknowledged write survives a crash. Its statements run synchronously on the
event loop's thread, which is cheaper than a thread hop per statement: a
statement on an indexed row takes tens of microseconds and never waits for a
lock (readers never wait in WAL mode; writers queue on an asyncio lock before
`BEGIN IMMEDIATE`). The COMMIT waits for the disk on the loop's thread too:
handing it to a worker thread was measured slower, because the thread then
waits for the GIL (up to the 5 ms switch interval) while the loop is busy.
Group commit (`hutong.store.batch`) makes one fsync serve many writes; on a
disk whose fsync is slow, use PostgreSQL.

Its sessions are bounded (`SessionLimits`): one idle inside a transaction
is ended by the server, so a frozen or cut-off process holds its row locks
seconds, not as long as it stays frozen; a connection whose network went
silent is given up by the client instead of retransmitting for minutes.

`Database(url, durable=False)` is for a database rebuilt from its inputs (the
replay): SQLite then commits with `synchronous=NORMAL` (still atomic and
consistent; a power cut may lose the last commits, never corrupt the file).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

from prometheus_client import Counter
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from hutong.config import DB_IDLE_IN_TRANSACTION_TIMEOUT, DB_TCP_USER_TIMEOUT, Settings
from hutong.store import cache
from hutong.store.failover import watch
from hutong.store.sqlite_engine import SQLiteEngine

#: Every statement sent, BEGIN and COMMIT included (bench/orders.py divides it by
#: steps), by kind: its verb and first table ("UPDATE messages", "SELECT orders").
SQL_STATEMENTS = Counter(
    "hutong_sql_statements_total", "SQL statements sent to the database", ["kind"]
)
_VERB_AND_TABLE = re.compile(
    r"\s*(?:(INSERT) INTO|(UPDATE)|(DELETE) FROM|(SELECT)\b.*?\bFROM|(\w+))\s*\(?\s*(\w*)",
    re.DOTALL | re.IGNORECASE,
)
#: The kind of each statement text seen (texts are few: compiled statements are cached).
_KINDS: dict[str, Any] = {}


def statement_kind(sql: str) -> str:
    """`sql`'s verb and first table: "INSERT outbox", "SELECT ledger_accounts", "BEGIN"."""
    found = _VERB_AND_TABLE.match(sql)
    if found is None:
        return "other"
    verb = next(v for v in found.groups()[:5] if v is not None).upper()
    table = found.group(6) if found.group(5) is None else ""
    if table.upper() == "SELECT":
        table = "(subquery)"
    return f"{verb} {table}" if table else verb


def _count_statement(
    _conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
) -> None:
    counter = _KINDS.get(statement)
    if counter is None:
        if len(_KINDS) > 10_000:  # raw SQL with values in it: never grow without end
            _KINDS.clear()
        counter = _KINDS[statement] = SQL_STATEMENTS.labels(statement_kind(statement))
    counter.inc()


@dataclass(frozen=True, slots=True)
class SessionLimits:
    """How long a PostgreSQL session may hold on once its process or its network is gone.

    `idle_in_transaction_timeout` (seconds): the server ends a session that
    sat idle that long inside a transaction (`idle_in_transaction_session_timeout`);
    the transaction rolls back and its row locks go. A process frozen
    (SIGSTOP, a GC pause, a VM stall) or cut off inside a transaction holds
    up the writes that need its rows that long at most. Woken, it finds its
    connection gone (`store.failover.database_lost`): the write's outcome is
    unknown to it and is resolved by its message record. The switch's
    transactions never wait on a participant (a step asks first, then
    writes), so their statements follow each other within milliseconds
    (1.4 s the longest gap, 12 ms the 99.9th percentile, seen across 761
    PostgreSQL tests on a loaded machine).

    `tcp_user_timeout` (seconds): the client gives a connection up when what
    it sent stays unacknowledged that long (libpq `tcp_user_timeout`), or,
    waiting for an answer, when keepalive probes (after `tcp_user_timeout / 3`
    of silence, then every sixth of it) go unanswered that long. A slow
    statement is not silence: the server's host answers the probes. Without
    it a write on a silent network retransmits for about 15 minutes.

    0 sets neither: the server's setting (off unless configured) and the
    operating system's apply. libpq parameters given in the URL win.
    """

    idle_in_transaction_timeout: float = DB_IDLE_IN_TRANSACTION_TIMEOUT
    tcp_user_timeout: float = DB_TCP_USER_TIMEOUT

    @classmethod
    def of(cls, settings: Settings) -> SessionLimits:
        return cls(settings.db_idle_in_transaction_timeout, settings.db_tcp_user_timeout)


class Database:
    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 20,
        echo: bool = False,
        durable: bool = True,
        limits: SessionLimits = SessionLimits(),  # frozen: one shared value is safe
    ) -> None:
        self.url = url
        self.limits = limits
        self.dialect = make_url(url).get_backend_name()
        self.driver = make_url(url).get_driver_name()
        self._engine: AsyncEngine | None = None
        self._reader: AsyncEngine | None = None
        self._sqlite: SQLiteEngine | None = None
        if self.is_sqlite:
            self._sqlite = SQLiteEngine(sync_url(url), echo=echo, durable=durable)
        else:
            # Fixed pools: opening a connection costs more than waiting for one.
            # `pool_size` connections in all (at least one each), half for
            # writes; reads have their own pool in autocommit (no BEGIN and no
            # ROLLBACK round trips), set once per connection: an autocommit view
            # of the writers' pool set and reset it at every checkout (a
            # thirtieth of an order's CPU).
            writers = max(1, pool_size // 2)
            connect_args = _connect_args(self.driver, limits, make_url(url).query)
            self._engine = create_async_engine(
                url,
                echo=echo,
                pool_size=writers,
                max_overflow=0,
                pool_timeout=30,
                connect_args=connect_args,
            )
            self._reader = create_async_engine(
                url,
                echo=echo,
                isolation_level="AUTOCOMMIT",
                pool_size=max(1, pool_size - writers),
                max_overflow=0,
                pool_timeout=30,
                pool_reset_on_return=None,  # autocommit: nothing is left open to roll back
                connect_args=connect_args,
            )
            # A connection to a node that died or became a standby is thrown
            # away with both pools' connections of the time: the next one of
            # either finds the primary (store.failover).
            watch(self._engine.sync_engine, self._reader.sync_engine)
        for sync_engine in self.sync_engines:
            event.listen(sync_engine, "before_cursor_execute", _count_statement)

    @classmethod
    def of(cls, settings: Settings, *, durable: bool = True) -> Database:
        """The switch's database as `settings` describe it (its URL and session limits)."""
        return cls(settings.database_url, durable=durable, limits=SessionLimits.of(settings))

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction: committed when the block ends, rolled back on error.

        The cache drops its writes owe are made once more after the commit
        (`store.cache.owed`): a read begun while the commit was on its way
        must not keep the old rows.
        """
        async with self._begin() as conn:
            yield conn
            drops = cache.owed(conn)
        cache.forget_owed(drops)

    def _begin(self) -> contextlib.AbstractAsyncContextManager[AsyncConnection]:
        """The write transaction of this database's kind (SQLite's one writer, or the pool's)."""
        if self._sqlite is not None:
            return cast(
                contextlib.AbstractAsyncContextManager[AsyncConnection], self._sqlite.transaction()
            )
        assert self._engine is not None
        return self._engine.begin()

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads (on SQLite: `execute` and `scalar` only)."""
        if self._sqlite is not None:
            yield cast(AsyncConnection, self._sqlite.reader)
            return
        assert self._reader is not None
        async with self._reader.connect() as conn:
            yield conn

    @property
    def sync_engine(self) -> Engine:
        """The writers' engine under the async face (its `url` names the database)."""
        if self._sqlite is not None:
            return self._sqlite.engine
        assert self._engine is not None
        return self._engine.sync_engine

    @property
    def sync_engines(self) -> tuple[Engine, ...]:
        """Every engine statements go through: where statement hooks (counters, tracing) attach.

        One on SQLite; on PostgreSQL the writers' and the readers' (`read`)."""
        if self._sqlite is not None:
            return (self._sqlite.engine,)
        assert self._engine is not None and self._reader is not None
        return (self._engine.sync_engine, self._reader.sync_engine)

    async def dispose(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
        for engine in (self._engine, self._reader):
            if engine is not None:
                await engine.dispose()


def _connect_args(driver: str, limits: SessionLimits, query: Mapping[str, Any]) -> dict[str, Any]:
    """Every commit waits for the disk; sessions are bounded by `limits`.

    Server settings go in libpq's `options` (after any the URL gives); the
    client's TCP parameters only where the URL sets none of its own.
    """
    server = {"synchronous_commit": "on"}
    if limits.idle_in_transaction_timeout > 0:
        server["idle_in_transaction_session_timeout"] = str(
            round(limits.idle_in_transaction_timeout * 1000)
        )
    if driver == "asyncpg":
        return {"server_settings": server}
    given = query.get("options") or ""
    options = " ".join([*([given] if isinstance(given, str) else given), *_dash_c(server)])
    args: dict[str, Any] = {"options": options.strip()}
    silent = limits.tcp_user_timeout
    if silent > 0:
        tcp = {
            "tcp_user_timeout": round(silent * 1000),
            "keepalives": 1,
            "keepalives_idle": max(1, round(silent / 3)),
            "keepalives_interval": max(1, round(silent / 6)),
            "keepalives_count": 3,
        }
        args |= {name: value for name, value in tcp.items() if name not in query}
    return args


def _dash_c(server: Mapping[str, str]) -> list[str]:
    return [f"-c {name}={value}" for name, value in server.items()]


def sync_url(url: str) -> str:
    """The same database through a synchronous driver (Alembic, SQLite)."""
    parsed = make_url(url)
    if parsed.drivername in ("sqlite+aiosqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite")
    elif parsed.drivername in ("postgresql+asyncpg", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)
