"""A write that lost a unique key: told apart from other integrity failures, and answered.

Two writes that want the same unique row (the next settlement window, the
next policy version, the one open storefront) race; the loser is run again
and meets what the winner left. One that loses `WRITE_ATTEMPTS` times running
is answered 409 `write_contended`: nothing of it was kept, so it may be sent
again. Any other integrity failure (a CHECK, a foreign key, NOT NULL) is a
defect, not a race: it is not run again and stays a 500 with its log line.
"""

from __future__ import annotations

import logging
import sqlite3

from sqlalchemy.exc import IntegrityError

from hutong.protocol.errors import ConflictError

__all__ = ["WRITE_ATTEMPTS", "is_unique_violation", "key_contended", "violated"]

#: How many times a write that lost a unique key to another write is run in all.
WRITE_ATTEMPTS = 3
#: PostgreSQL's unique_violation.
_UNIQUE_VIOLATION = "23505"
#: SQLite's extended result codes for a unique index and a primary key.
_SQLITE_UNIQUE = frozenset({"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"})

log = logging.getLogger("hutong.writes")


def is_unique_violation(error: IntegrityError) -> bool:
    """Whether `error` is a unique key (or primary key) taken, on PostgreSQL or SQLite."""
    orig = error.orig
    if isinstance(orig, sqlite3.Error):
        return getattr(orig, "sqlite_errorname", "") in _SQLITE_UNIQUE
    return getattr(orig, "sqlstate", None) == _UNIQUE_VIOLATION


def violated(error: IntegrityError) -> str:
    """The constraint `error` names, never the values: PostgreSQL's constraint name, or
    SQLite's message (``UNIQUE constraint failed: table.column, ...``)."""
    orig = error.orig
    if isinstance(orig, sqlite3.Error):
        return str(orig.args[0]) if orig.args else "unknown"
    name = getattr(getattr(orig, "diag", None), "constraint_name", None)
    return str(name or "unknown")


def key_contended(error: IntegrityError) -> ConflictError:
    """The answer to a write that lost a unique key `WRITE_ATTEMPTS` times running.

    Each attempt met a row another write had just committed, so nothing of it
    was kept and sending it again is safe: 409 `write_contended`, not a 500.
    The constraint is logged (never the values), so that a key that keeps
    being lost for another reason than a race shows up.
    """
    log.warning("write lost a unique key %d times running (%s)", WRITE_ATTEMPTS, violated(error))
    return ConflictError(
        f"the write lost a unique key to other writes {WRITE_ATTEMPTS} times running;"
        " nothing of it was kept: send it again",
        code="write_contended",
    )
