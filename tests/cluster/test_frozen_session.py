"""A switch process frozen inside a transaction holds its row locks only so long (PostgreSQL).

A process stopped (SIGSTOP, a long GC pause, a VM stall) while inside a
transaction keeps the row locks it took, and every other process's write
needing those rows waits as long as it stays frozen. The switch's sessions
carry `idle_in_transaction_session_timeout` (`HUTONG_DB_IDLE_IN_TRANSACTION_TIMEOUT`,
`hutong.store.db.SessionLimits`): PostgreSQL ends a session idle that long
inside a transaction, its transaction rolls back and its locks go. Woken,
the frozen process finds its connection gone, an error the switch takes
for a lost connection (the write's outcome is resolved by its record).
The frozen process is a real one (`tests.cluster.frozen_writer`), as in
tests/cluster/test_claim_takeover.py.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import DBAPIError

from hutong.store.db import Database
from hutong.store.tables import switch_keys
from tests.cluster.frozen_writer import end_writer, start_writer, wake_writer
from tests.harness.switch import PostgresTables

KEY_ID = "frozen-row"
ROW = switch_keys.c.key_id == KEY_ID


@pytest.fixture
def database_url(postgres_tables: PostgresTables) -> str:
    """PostgreSQL alone: SQLite has no row locks and no sessions (one writer at a time)."""
    return postgres_tables.empty()


@pytest.fixture
async def switch(database_url: str) -> AsyncIterator[Database]:
    """Another switch process's database (default settings), with the row to fight over."""
    db = Database(database_url)
    async with db.transaction() as conn:
        await conn.execute(
            insert(switch_keys),
            {
                "key_id": KEY_ID,
                "public_key": "p",
                "private_key": "s",
                "created_at": datetime.now(UTC),
            },
        )
    yield db
    await db.dispose()


@pytest.fixture
def writers() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        end_writer(process)


async def _write_row(db: Database, *, lock_timeout: str) -> float:
    """Seconds the switch's write of the row waited (at most `lock_timeout`, then 55P03)."""
    began = time.monotonic()
    async with db.transaction() as conn:
        await conn.execute(text(f"SET LOCAL lock_timeout = '{lock_timeout}'"))
        await conn.execute(update(switch_keys).where(ROW).values(public_key="other"))
    return time.monotonic() - began


async def _row(db: Database) -> str:
    async with db.read() as conn:
        return str(await conn.scalar(select(switch_keys.c.public_key).where(ROW)))


async def test_a_frozen_process_session_is_ended_and_its_row_lock_freed_within_the_timeout(
    switch: Database, database_url: str, writers: list[subprocess.Popen[str]]
) -> None:
    frozen = start_writer(database_url, KEY_ID, idle_timeout=1)
    writers.append(frozen)
    frozen.send_signal(signal.SIGSTOP)
    waited = await _write_row(switch, lock_timeout="10s")
    assert waited < 3.0, waited  # about the 1 s timeout, not as long as the freeze
    assert await _row(switch) == "other"
    # Woken, it finds its session gone: a lost connection, resolved by its record.
    assert wake_writer(frozen) == "lost True"
    assert await _row(switch) == "other"


async def test_without_the_timeout_a_frozen_process_keeps_the_row_for_as_long_as_it_is_frozen(
    switch: Database, database_url: str, writers: list[subprocess.Popen[str]]
) -> None:
    frozen = start_writer(database_url, KEY_ID, idle_timeout=0)
    writers.append(frozen)
    frozen.send_signal(signal.SIGSTOP)
    began = time.monotonic()
    with pytest.raises(DBAPIError) as waited:
        await _write_row(switch, lock_timeout="3s")
    assert getattr(waited.value.orig, "sqlstate", None) == "55P03"  # lock_not_available
    assert time.monotonic() - began >= 3.0
    assert wake_writer(frozen) == "committed"
    assert await _row(switch) == "frozen"
