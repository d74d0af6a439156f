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
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, Update, bindparam, update
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["Held", "add"]

#: (table name, key column, key value) -> column -> delta
_Deltas = dict[tuple[str, str, Any], dict[str, int]]


@dataclass(slots=True)
class Held:
    """Increments held back until the transaction applies them (`apply`)."""

    tables: dict[str, Table] = field(default_factory=dict)
    deltas: _Deltas = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))

    def add(self, table: Table, key_column: str, rows: Mapping[Any, Mapping[str, int]]) -> None:
        self.tables[table.name] = table
        for key, columns in rows.items():
            held = self.deltas[(table.name, key_column, key)]
            for column, delta in columns.items():
                held[column] += delta

    async def apply(self, conn: AsyncConnection) -> None:
        """Apply and forget what is held: rows in (table, key) order."""
        deltas, self.deltas = self.deltas, defaultdict(lambda: defaultdict(int))
        await _apply(conn, self.tables, deltas)


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


async def _apply(conn: AsyncConnection, tables: Mapping[str, Table], deltas: _Deltas) -> None:
    # One executemany per table and key column, every row naming the same
    # columns (0 where it has no delta), so rows are locked in key order.
    groups: dict[tuple[str, str], dict[Any, dict[str, int]]] = defaultdict(dict)
    for (name, key_column, key), columns in deltas.items():
        if any(columns.values()):
            groups[(name, key_column)][key] = dict(columns)
    for (name, key_column), rows in sorted(groups.items(), key=lambda item: item[0]):
        table = tables[name]
        names = sorted({column for columns in rows.values() for column in columns})
        statement = _increment(table, key_column, tuple(names))
        params = [
            {"k": key, **{f"d_{column}": rows[key].get(column, 0) for column in names}}
            for key in sorted(rows)
        ]
        await conn.execute(statement, params)


@functools.cache
def _increment(table: Table, key_column: str, columns: tuple[str, ...]) -> Update:
    """UPDATE `table` SET each of `columns` += :d_<column> WHERE `key_column` = :k (built once)."""
    return (
        update(table)
        .where(table.c[key_column] == bindparam("k"))
        .values({column: table.c[column] + bindparam(f"d_{column}") for column in columns})
    )
