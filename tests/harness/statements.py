"""Counting the SQL statements the switch sends, per step of a flow.

Every statement reaches the database through the engines under `Database`
(`Database.sync_engines`: on PostgreSQL one for writes, one for reads), so a
`before_cursor_execute` listener on each sees them all: reads, writes,
savepoints, BEGIN IMMEDIATE, COMMIT (the driver's own commit is not a
statement and is not counted). `recording_reads` keeps the
SELECTs with their parameters, and `read_work` measures what the database
does to answer one again (how a read's cost grows with a table).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple, cast

from sqlalchemy import event

from hutong.store.cache import declarations_at
from hutong.store.db import Database


@dataclass
class StatementCount:
    """How many statements ran, and their first words (to say what a budget was spent on)."""

    total: int = 0
    kinds: dict[str, int] = field(default_factory=dict)

    def add(self, sql: str) -> None:
        self.total += 1
        words = sql.split(None, 3)
        kind = " ".join(words[:3] if words[:1] == ["SELECT"] else words[:2]).upper()
        self.kinds[kind] = self.kinds.get(kind, 0) + 1


@contextlib.contextmanager
def counting(db: Database) -> Iterator[StatementCount]:
    """Count every statement `db` runs inside the block."""
    count = StatementCount()
    with _each_statement(db, lambda statement, _params: count.add(statement)):
        yield count


@contextlib.contextmanager
def _each_statement(db: Database, seen: Callable[[str, Any], None]) -> Iterator[None]:
    """Call `seen(statement, parameters)` for every statement `db` sends inside the block."""

    def listener(
        _conn: Any, _cursor: Any, statement: str, params: Any, _context: Any, _many: bool
    ) -> None:
        seen(statement, params)

    for engine in db.sync_engines:
        event.listen(engine, "before_cursor_execute", listener)
    try:
        yield
    finally:
        for engine in db.sync_engines:
            event.remove(engine, "before_cursor_execute", listener)


@contextlib.contextmanager
def lasting_declarations(db: Database) -> Iterator[None]:
    """Keep `db`'s cached declarations for the block, whatever the time it takes.

    Under load a declaration is read once per process and cache bound (under
    a second) for hundreds of orders, so a count per order is of the steady
    state: on a slow machine a step must not find its cache expired by a
    slow step before it.
    """
    cache = declarations_at(db.url)
    ttl = cache.ttl
    cache.ttl = 3600.0
    try:
        yield
    finally:
        cache.ttl = ttl


class Read(NamedTuple):
    """A SELECT as the driver got it: its text and its parameters."""

    statement: str
    parameters: Any


@contextlib.contextmanager
def recording_reads(db: Database) -> Iterator[list[Read]]:
    """The SELECTs `db` runs inside the block, in order."""
    reads: list[Read] = []

    def seen(statement: str, params: Any) -> None:
        if statement.lstrip()[:6].upper() == "SELECT":
            reads.append(Read(statement, params))

    with _each_statement(db, seen):
        yield reads


#: PostgreSQL plan nodes that read rows of a table (a bitmap heap scan's index
#: scan under it is not counted twice).
_SCANS = {"Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan"}


async def read_work(db: Database, read: Read) -> int:
    """The work of answering `read` again now, in a unit that grows with the rows it visits.

    PostgreSQL: the rows its scans visited (EXPLAIN ANALYZE: rows kept plus
    rows a filter removed, over every loop). SQLite: the virtual machine's
    steps (a dozen or so per row visited). A `FOR UPDATE` read locks nothing
    for longer than itself (the reader commits each statement).
    """
    async with db.read() as conn:
        if db.is_sqlite:
            driver = cast(sqlite3.Connection, conn.sync_connection.connection.dbapi_connection)
            steps = 0

            def step() -> int:
                nonlocal steps
                steps += 1
                return 0

            driver.set_progress_handler(step, 1)
            try:
                driver.execute(read.statement, read.parameters).fetchall()
            finally:
                driver.set_progress_handler(None, 1)
            return steps
        explained = await conn.exec_driver_sql(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + read.statement, read.parameters
        )
        return _visited(explained.scalar_one()[0]["Plan"])


def _visited(node: dict[str, Any]) -> int:
    own = 0
    if node["Node Type"] in _SCANS:
        rows = node["Actual Rows"] + node.get("Rows Removed by Filter", 0)
        own = int(rows * node["Actual Loops"])
    return own + sum(_visited(child) for child in node.get("Plans", ()))
