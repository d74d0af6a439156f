"""Counting the SQL statements the switch sends, per step of a flow.

Every statement reaches the database through the engine under `Database`
(`Database.sync_engine`), so one `before_cursor_execute` listener sees them
all: reads, writes, savepoints, BEGIN IMMEDIATE, COMMIT (the driver's own
commit is not a statement and is not counted).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

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

    def seen(
        _conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
    ) -> None:
        count.add(statement)

    engine = db.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield count
    finally:
        event.remove(engine, "before_cursor_execute", seen)


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
