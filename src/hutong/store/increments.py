"""Counter increments that commute, applied late and in one order.

A hot row (a merchant's receivable, a wallet's settlement position, a host's
commission account) takes a posting from nearly every order. If each write of
a group commit updated it where it stands in the write, the row would be
locked from that moment to the commit, and two batches in flight would take
their hot rows in different orders and deadlock (PostgreSQL notices only
after `deadlock_timeout`, a whole second). Increments commute, so they need
not be applied where they arise:

    row.column  ←  row.column + Σ deltas of the batch

`add` holds a write's increments in the batch it runs in (`Held`); the batch
applies them all just before its commit, one UPDATE per row, rows in (table,
key) order. Every batch takes its hot rows last and in the same order, so no
two batches wait on each other in a circle, and each hot row is locked for
the commit's duration only. Outside a batch (`add` on a plain connection)
the increments are applied at once, in the same order.

What stays true: the increments are in the same transaction as the write
that made them, so they commit or roll back with it; a reader in another
transaction never sees them early. What a later write of the same batch
reads of such a row does not include them yet: only rows whose value nobody
decides on may be incremented this way (the ledger keeps accounts with a
limit on a lock and writes their totals at once).

**Bounded increments** (`add_within`: a coupon campaign's ``issued``, which
may not pass what is released) are for a row whose value is decided on but
only ever grows. A write of a batch decides on the row as it read it plus
what the batch already holds for it (`held_delta`), and holds its delta
with its bound; the batch applies the sum with the least bound held,

    UPDATE t SET c = c + Σ WHERE key = k AND c + Σ <= least bound

and a row that would pass it (another process's batch committed since the
read) fails the batch with `LimitPassed`: the group commit runs it again
write by write, where each bounded increment is that conditional UPDATE at
once and its write learns whether it was taken. The bound is enforced by
the database in both passes, never by the read alone; a refusal decided on
a stale read stays right because the value only grows.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, Update, bindparam, update
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["Held", "LimitPassed", "add", "add_within", "held_delta"]

#: (table name, key column, key value) -> column -> delta
_Deltas = dict[tuple[str, str, Any], dict[str, int]]
#: (table name, key column, key value) -> column -> the most the column may reach
_Limits = dict[tuple[str, str, Any], dict[str, int]]


class LimitPassed(Exception):
    """A batch's bounded increments would take a row past its bound: nothing of it is kept."""


@dataclass(slots=True)
class Held:
    """Increments held back until the transaction applies them (`apply`)."""

    tables: dict[str, Table] = field(default_factory=dict)
    deltas: _Deltas = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    limits: _Limits = field(default_factory=dict)

    def add(self, table: Table, key_column: str, rows: Mapping[Any, Mapping[str, int]]) -> None:
        self.tables[table.name] = table
        for key, columns in rows.items():
            held = self.deltas[(table.name, key_column, key)]
            for column, delta in columns.items():
                held[column] += delta

    def add_within(
        self, table: Table, key_column: str, key: Any, column: str, delta: int, limit: int
    ) -> None:
        """Hold `delta` for the row's `column`, which the sum held may not take past `limit`."""
        self.add(table, key_column, {key: {column: delta}})
        bounds = self.limits.setdefault((table.name, key_column, key), {})
        bounds[column] = min(bounds.get(column, limit), limit)

    def delta(self, table: Table, key_column: str, key: Any, column: str) -> int:
        found = self.deltas.get((table.name, key_column, key))
        return found.get(column, 0) if found else 0

    async def apply(self, conn: AsyncConnection) -> None:
        """Apply and forget what is held: rows in (table, key) order (`LimitPassed` if one
        would pass its bound)."""
        deltas, self.deltas = self.deltas, defaultdict(lambda: defaultdict(int))
        limits, self.limits = self.limits, {}
        await _apply(conn, self.tables, deltas, limits)


def _held_by(conn: Any) -> Held | None:
    """The increments a batch holds for this connection view, if it holds them."""
    held = getattr(conn, "held_increments", None)
    return held if isinstance(held, Held) else None


async def add(
    conn: AsyncConnection, table: Table, key_column: str, rows: Mapping[Any, Mapping[str, int]]
) -> None:
    """Add `rows` ({key: {column: delta}}) to `table`: held by a batch, else applied now."""
    held = _held_by(conn)
    if held is not None:
        held.add(table, key_column, rows)
        return
    now = Held()
    now.add(table, key_column, rows)
    await now.apply(conn)


async def add_within(
    conn: AsyncConnection,
    table: Table,
    key_column: str,
    key: Any,
    column: str,
    delta: int,
    limit: int,
) -> bool:
    """Add `delta` to the row's `column` if that keeps it at most `limit`.

    Held by a batch: True, and the batch's commit applies it only within the
    least bound held for the row, else fails the batch (`LimitPassed`, see the
    module doc): the caller decides on the row as read plus `held_delta`.
    On a plain connection (a savepoint of the group commit's second pass):
    applied now by one conditional UPDATE; False (nothing changed) if it
    would pass `limit`.
    """
    held = _held_by(conn)
    if held is not None:
        held.add_within(table, key_column, key, column, delta, limit)
        return True
    statement = _increment(table, key_column, (column,), (column,))
    done = await conn.execute(statement, {"k": key, f"d_{column}": delta, f"l_{column}": limit})
    return bool(done.rowcount == 1)


def held_delta(conn: AsyncConnection, table: Table, key_column: str, key: Any, column: str) -> int:
    """What the batch `conn` runs in holds for the row's `column`, not applied yet (0 outside
    a batch): what a write that decides on the row adds to what it read of it."""
    held = _held_by(conn)
    return held.delta(table, key_column, key, column) if held is not None else 0


async def _apply(
    conn: AsyncConnection, tables: Mapping[str, Table], deltas: _Deltas, limits: _Limits
) -> None:
    # One executemany per table and key column, every row naming the same
    # columns (0 where it has no delta), so rows are locked in key order; a
    # row with a bound is one conditional UPDATE of its own, in its place.
    groups: dict[tuple[str, str], dict[Any, dict[str, int]]] = defaultdict(dict)
    for (name, key_column, key), columns in deltas.items():
        if any(columns.values()):
            groups[(name, key_column)][key] = dict(columns)
    for (name, key_column), rows in sorted(groups.items(), key=lambda item: item[0]):
        table = tables[name]
        names = tuple(sorted({column for columns in rows.values() for column in columns}))
        plain: list[dict[str, Any]] = []
        for key in sorted(rows):
            bounds = limits.get((name, key_column, key))
            deltas_of = {f"d_{column}": rows[key].get(column, 0) for column in names}
            if not bounds:
                plain.append({"k": key, **deltas_of})
                continue
            if plain:
                await conn.execute(_increment(table, key_column, names), plain)
                plain = []
            statement = _increment(table, key_column, names, tuple(sorted(bounds)))
            bound = {f"l_{column}": limit for column, limit in bounds.items()}
            done = await conn.execute(statement, {"k": key, **deltas_of, **bound})
            if done.rowcount != 1:
                raise LimitPassed(f"{name} {key}: {dict(rows[key])} would pass {bounds}")
        if plain:
            await conn.execute(_increment(table, key_column, names), plain)


@functools.cache
def _increment(
    table: Table, key_column: str, columns: tuple[str, ...], bounded: tuple[str, ...] = ()
) -> Update:
    """UPDATE `table` SET each of `columns` += :d_<column> WHERE `key_column` = :k, and each of
    `bounded` + :d_<column> <= :l_<column> (built once)."""
    within = [
        table.c[column] + bindparam(f"d_{column}") <= bindparam(f"l_{column}") for column in bounded
    ]
    return (
        update(table)
        .where(table.c[key_column] == bindparam("k"), *within)
        .values({column: table.c[column] + bindparam(f"d_{column}") for column in columns})
    )
