"""SQLite under the switch's async face: one writer at a time, statements on the loop's thread.

Why on the loop's thread, and how a writer waits for another process's
lock without blocking the loop, is told in `hutong.store.db` and in
`SQLiteEngine._begin`. `Database` holds one of these for a SQLite URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, pool
from sqlalchemy.engine import Dialect, Result, make_url
from sqlalchemy.exc import OperationalError

__all__ = ["WRITE_LOCK_WAIT", "SQLiteEngine", "SyncConnection"]

#: Seconds a SQLite writer waits for another process's write lock before failing.
WRITE_LOCK_WAIT = 30.0


class SyncConnection:
    """Async-looking `execute`, `scalar` and `begin_nested` over a sync connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    @property
    def dialect(self) -> Dialect:
        """The database's dialect, as an `AsyncConnection` has it (for dialect-specific SQL)."""
        return self._conn.dialect

    @property
    def engine(self) -> Engine:
        """The engine, as an `AsyncConnection` has one (its `url` names the database)."""
        return self._conn.engine

    @property
    def sync_connection(self) -> Connection:
        """The connection underneath, as an `AsyncConnection` has it (for its events)."""
        return self._conn

    async def execute(self, statement: Any, parameters: Any = None) -> Result[Any]:
        return self._conn.execute(statement, parameters)

    async def scalar(self, statement: Any, parameters: Any = None) -> Any:
        return self._conn.scalar(statement, parameters)

    @contextlib.asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[None]:
        with self._conn.begin_nested():
            yield


class SQLiteEngine:
    def __init__(self, url: str, *, echo: bool, durable: bool) -> None:
        database = make_url(url).database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        self._engine: Engine = create_engine(
            url,
            echo=echo,
            poolclass=pool.SingletonThreadPool if database == ":memory:" else pool.QueuePool,
            pool_size=2,
            max_overflow=0,
            connect_args={"check_same_thread": False, "timeout": 30},
        )
        event.listen(self._engine, "connect", _sqlite_pragmas if durable else _rebuildable_pragmas)
        event.listen(self._engine, "begin", _begin_immediate)
        self._lock = asyncio.Lock()
        self._writer: Connection | None = None
        self._reader: Connection | None = None

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def reader(self) -> SyncConnection:
        if self._reader is None:
            self._reader = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return SyncConnection(self._reader)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[SyncConnection]:
        async with self._lock:
            if self._writer is None:
                self._writer = self._engine.connect()
                # Never wait for the write lock inside SQLite: that would stop
                # the event loop while another process writes (see `_begin`).
                # (On the driver's connection: a statement here would begin a
                # transaction, and its BEGIN IMMEDIATE would wait in SQLite.)
                driver = self._writer.connection.driver_connection
                assert driver is not None
                driver.execute("PRAGMA busy_timeout=0")
            transaction = await self._begin(self._writer)
            try:
                yield SyncConnection(self._writer)
                transaction.commit()
            except BaseException:
                if transaction.is_active:
                    transaction.rollback()
                raise

    @staticmethod
    async def _begin(conn: Connection) -> Any:
        """BEGIN IMMEDIATE, waiting for another process's write lock without blocking the loop.

        Within one process writers queue on an asyncio lock; another process
        (a second `hutong serve` worker, a CLI command) holds SQLite's own
        lock. Its BEGIN IMMEDIATE is tried at once and, while that process
        holds the lock, tried again after a sleep (1 ms doubling to 20 ms),
        for up to `WRITE_LOCK_WAIT` seconds, as SQLite's busy timeout would,
        but with the event loop free to serve other requests meanwhile.
        """
        deadline = time.monotonic() + WRITE_LOCK_WAIT
        delay = 0.001
        while True:
            try:
                return conn.begin()
            except OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
            await asyncio.sleep(delay)
            delay = min(2 * delay, 0.02)

    def close(self) -> None:
        for conn in (self._writer, self._reader):
            if conn is not None:
                conn.close()
        self._writer = self._reader = None
        self._engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let the "begin" event decide how transactions start (BEGIN IMMEDIATE).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _rebuildable_pragmas(dbapi_connection: Any, record: Any) -> None:
    _sqlite_pragmas(dbapi_connection, record)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_immediate(conn: Connection) -> None:
    # The reader runs in autocommit mode: each statement is its own snapshot.
    if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
