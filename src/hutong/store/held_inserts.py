"""A group commit's view of its connection that holds INSERTs back and sends them together.

`HeldInserts` is what each write of a batch (`hutong.store.batch`) sees as
its connection in the optimistic pass: single-row INSERTs of one statement
shape wait and go as one multi-row INSERT, and any other statement first
sends the held rows it could read or refer to. `past_held_rows` marks a read
that may leave some held rows unsent (a duplicate check a unique key backs).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any, TypeVar, cast

from sqlalchemy import CompoundSelect, Delete, Executable, Insert, Select, Table, TextClause, Update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.util import find_tables
from sqlalchemy.sql.visitors import iterate

from hutong.store.increments import Held

__all__ = ["HeldInserts", "NotDeferrable", "past_held_rows"]

_S = TypeVar("_S", bound=Executable)

#: Statements whose tables `HeldInserts` reads off; any other flushes what is held.
_ANALYSED = (Select, CompoundSelect, Insert, Update, Delete)
#: The execution option of `past_held_rows`.
_PAST_HELD = "hutong_past_held_rows"


def past_held_rows(statement: _S, *tables: Table) -> _S:
    """`statement`, sent without first sending the rows of `tables` a group commit holds.

    Only for a read of `tables` that is a duplicate check a unique key makes
    too: a twin row held by an earlier write of the batch goes unseen, the
    batch's combined insert then fails on the key, and the batch runs again
    write by write (each in its own savepoint, nothing held), where the check
    sees the twin. In exchange the rows of `tables` that the batch's writes
    hold stay held and go as one INSERT, however many writes run the check.
    """
    return statement.execution_options(**{_PAST_HELD: frozenset(tables)})


def _past_held(statement: Any) -> frozenset[Any]:
    past: frozenset[Any] = statement.get_execution_options().get(_PAST_HELD, frozenset())
    return past


class HeldInserts:
    """A connection view that holds back INSERTs of values and sends them together.

    Inserts of the same statement (the same table, columns and clauses, as
    SQLAlchemy's cache key tells, however many times the statement object was
    built) share one multi-row INSERT, whichever writes of the batch sent
    them. Another statement first flushes the held rows of the tables it
    names, or that the tables it names point at by foreign key (`_touched`),
    with the held rows those rows point at, so every read and update sees the
    rows written before it; rows of tables it does not name cannot be seen by
    it or matter to it, and stay held. (Raw SQL, or anything else whose tables
    cannot be read off, flushes all.) A failure of a combined insert (a
    duplicate key, say) fails the optimistic pass, and the batch runs again
    write by write, each in its own savepoint. It also holds the batch's
    increments (`held_increments`), applied by `finish`.
    """

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        #: (statement's cache key, columns) -> (statement, rows), in first-seen order.
        self._held: dict[Hashable, tuple[Insert, list[dict[str, Any]]]] = {}
        self.held_increments = Held()

    def view(self) -> AsyncConnection:
        return cast(AsyncConnection, self)

    async def execute(self, statement: Any, parameters: Any = None) -> Any:
        if isinstance(statement, Insert) and not statement._returning:
            rows = _rows(parameters)
            cache_key = statement._generate_cache_key() if rows else None
            if cache_key is not None:
                # Values written into the statement itself (`.values(x=1)`) are
                # not in the cache key's key: such a statement merges only with
                # itself.
                shape = statement if cache_key.bindparams else cache_key.key
                key = (shape, frozenset(rows[0]))
                self._held.setdefault(key, (statement, []))[1].extend(rows)
                return None
        await self._flush_for(statement)
        return await self.conn.execute(statement, parameters)

    async def scalar(self, statement: Any, parameters: Any = None) -> Any:
        await self._flush_for(statement)
        return await self.conn.scalar(statement, parameters)

    async def _flush_for(self, statement: Any) -> None:
        if self._held:
            tables = self._touched(statement)
            await self.flush(tables)

    def _touched(self, statement: Any) -> set[Any] | None:
        """The held tables `statement` may read, change or refer to; None: any."""
        reached = _reached_tables(statement)
        if reached is None:
            return None
        held = {insert.table for insert, _ in self._held.values()}
        hit = held & (reached - _past_held(statement))
        # The rows to be flushed first: those the flushed rows point at.
        grown = hit
        while grown:
            grown = (held & _referred(grown)) - hit
            hit |= grown
        return hit

    def begin_nested(self) -> Any:
        raise NotDeferrable

    async def flush(self, tables: set[Any] | None = None) -> None:
        """Send the held rows of `tables` (all when None).

        A table's rows go after those of the tables they point at (the schema's
        foreign-key order, whichever write held them first); one table's
        statements in the order first held.
        """
        if tables is not None and not tables:
            return
        due = [
            (_foreign_key_rank(statement.table), n, key)
            for n, (key, (statement, _)) in enumerate(self._held.items())
            if tables is None or statement.table in tables
        ]
        for _, _, key in sorted(due):
            statement, rows = self._held.pop(key)
            await self.conn.execute(statement, rows)

    async def finish(self) -> None:
        """What is held, written: the inserts, then the increments (hot rows last)."""
        await self.flush()
        await self.held_increments.apply(self.conn)


def _reached_tables(statement: Any) -> frozenset[Any] | None:
    """The tables `statement` names and those they point at; None: it may name any.

    Read off once per statement shape: statements of one SQLAlchemy cache key
    name the same tables, and the key is memoized on the statement, which its
    execution reuses. Walking the statement's tree on every statement of a
    batch was a twelfth of the switch's CPU under load.
    """
    if not isinstance(statement, _ANALYSED):
        return None  # raw SQL may name any table
    cache_key = statement._generate_cache_key()
    if cache_key is None:
        return _read_reached_tables(statement)
    try:
        return _REACHED[cache_key.key]
    except KeyError:
        pass
    reached = _read_reached_tables(statement)
    if len(_REACHED) >= _REACHED_MAX:
        _REACHED.clear()  # statement shapes are few; this only bounds the unexpected
    _REACHED[cache_key.key] = reached
    return reached


def _read_reached_tables(statement: Any) -> frozenset[Any] | None:
    if any(isinstance(part, TextClause) for part in iterate(statement)):
        return None  # raw SQL may name any table
    named = set(
        find_tables(
            statement,
            check_columns=True,
            include_aliases=True,
            include_joins=True,
            include_crud=True,
        )
    )
    return frozenset(named | _referred(named))


#: The tables each statement shape reaches (by its cache key), as `_reached_tables` read them.
_REACHED: dict[Hashable, frozenset[Any] | None] = {}
_REACHED_MAX = 4096


def _rows(parameters: Any) -> list[dict[str, Any]]:
    """The rows of an insert's parameters that can be held: one dict, or dicts of one shape."""
    if isinstance(parameters, dict):
        return [parameters]
    if (
        isinstance(parameters, list)
        and parameters
        and all(isinstance(row, dict) for row in parameters)
        and all(row.keys() == parameters[0].keys() for row in parameters)
    ):
        return parameters
    return []


def _foreign_key_rank(table: Any) -> int:
    """Where `table` comes in its schema's foreign-key order: after every table it points at."""
    ranks = _RANKS.get(id(table.metadata))
    if ranks is None:
        ranks = {t: n for n, t in enumerate(table.metadata.sorted_tables)}
        _RANKS[id(table.metadata)] = ranks
    return ranks.get(table, len(ranks))


#: Each schema's tables in foreign-key order (by the id of their MetaData).
_RANKS: dict[int, dict[Any, int]] = {}


def _referred(tables: Iterable[Any]) -> set[Any]:
    """The tables that `tables` point at by foreign key."""
    return {key.column.table for table in tables for key in getattr(table, "foreign_keys", ())}


class NotDeferrable(Exception):
    """A write that needs a savepoint runs in the savepoint pass instead."""
