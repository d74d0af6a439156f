"""The database handle: migrations, UTC timestamps, durability settings."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import insert, select, text

from hutong.store.db import Database, sync_url
from hutong.store.migrate import alembic_config, upgrade
from hutong.store.tables import switch_keys


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
