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
