"""The database handle: migrations, UTC timestamps, durability settings."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import insert, select, text

from hutong.store.db import Database, sync_url
from hutong.store.migrate import alembic_config, upgrade
from hutong.store.tables import switch_keys

NOW = datetime(2026, 12, 6, tzinfo=UTC)


def _head() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def test_migrating_twice_changes_nothing(database_url: str) -> None:
    upgrade(database_url)
    upgrade(database_url)
    db = Database(database_url)
    try:
        async with db.read() as conn:
            version = await conn.scalar(text("SELECT version_num FROM alembic_version"))
        assert version == _head()
    finally:
        await db.dispose()


async def test_timestamps_come_back_as_the_same_utc_instant(database_url: str) -> None:
    db = Database(database_url)
    shanghai = timezone(timedelta(hours=8))
    moment = datetime(2021, 9, 17, 9, 30, tzinfo=shanghai)
    try:
        async with db.transaction() as conn:
            await conn.execute(
                insert(switch_keys),
                {"key_id": "k", "public_key": "p", "private_key": "s", "created_at": moment},
            )
        async with db.read() as conn:
            stored = await conn.scalar(select(switch_keys.c.created_at))
        assert stored == moment
        assert stored.utcoffset() == timedelta(0)
    finally:
        await db.dispose()


async def test_a_naive_timestamp_is_refused(database_url: str) -> None:
    db = Database(database_url)
    try:
        with pytest.raises(Exception, match="naive datetime"):
            async with db.transaction() as conn:
                await conn.execute(
                    insert(switch_keys),
                    {
                        "key_id": "k",
                        "public_key": "p",
                        "private_key": "s",
                        "created_at": datetime(2021, 9, 17),
                    },
                )
    finally:
        await db.dispose()


async def test_sqlite_commits_are_durable(tmp_path: object) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/d.db"
    upgrade(url)
    db = Database(url)
    try:
        async with db.transaction() as conn:
            journal = await conn.scalar(text("PRAGMA journal_mode"))
            synchronous = await conn.scalar(text("PRAGMA synchronous"))
        assert journal == "wal"
        assert synchronous == 2  # FULL
    finally:
        await db.dispose()


async def test_a_sqlite_writer_waits_for_another_process_without_stopping_its_loop(
    tmp_path: object,
) -> None:
    """Two handles on one file stand for two `hutong serve` workers (two processes).

    While the first holds SQLite's write lock, the second's BEGIN IMMEDIATE
    must wait beside the event loop, not in it: the first (on the same loop
    here) can then finish and commit, and a ticker on the loop keeps ticking.
    """
    url = f"sqlite+aiosqlite:///{tmp_path}/shared.db"
    upgrade(url)
    first, second = Database(url), Database(url)
    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            ticks.append(asyncio.get_running_loop().time())
            await asyncio.sleep(0.005)

    async def write(db: Database, key_id: str, hold: float) -> None:
        async with db.transaction() as conn:
            await conn.execute(
                insert(switch_keys),
                {"key_id": key_id, "public_key": "p", "private_key": "s", "created_at": NOW},
            )
            await asyncio.sleep(hold)

    ticking = asyncio.create_task(ticker())
    try:
        holder = asyncio.create_task(write(first, "first", hold=0.3))
        await asyncio.sleep(0.05)  # the first holds the write lock
        await asyncio.wait_for(write(second, "second", hold=0), timeout=5)
        await holder
    finally:
        ticking.cancel()
    async with second.read() as conn:
        keys = set((await conn.execute(select(switch_keys.c.key_id))).scalars())
    await first.dispose()
    await second.dispose()
    assert keys == {"first", "second"}
    assert max(b - a for a, b in itertools.pairwise(ticks)) < 0.1


async def test_a_rebuildable_sqlite_database_commits_without_waiting_for_the_disk(
    tmp_path: object,
) -> None:
    """`durable=False` (a replay, rebuilt from its facts): WAL with synchronous=NORMAL."""
    url = f"sqlite+aiosqlite:///{tmp_path}/d.db"
    upgrade(url)
    db = Database(url, durable=False)
    try:
        async with db.transaction() as conn:
            assert await conn.scalar(text("PRAGMA journal_mode")) == "wal"
            assert await conn.scalar(text("PRAGMA synchronous")) == 1  # NORMAL
    finally:
        await db.dispose()


async def test_postgres_commits_wait_for_the_disk(postgres_url: str) -> None:
    db = Database(postgres_url)
    try:
        async with db.transaction() as conn:
            assert await conn.scalar(text("SHOW synchronous_commit")) == "on"
    finally:
        await db.dispose()


def test_sync_url_swaps_async_drivers() -> None:
    assert sync_url("sqlite+aiosqlite:////x/y.db") == "sqlite:////x/y.db"
    assert sync_url("postgresql+psycopg://u@h/d") == "postgresql+psycopg://u@h/d"
    assert sync_url("postgresql+asyncpg://u@h/d") == "postgresql+psycopg://u@h/d"
