"""The switch under test: a settable clock, the served app and its operator, its databases.

Storage tests run twice: on SQLite and on PostgreSQL (the throwaway server
that `scripts/test.sh` starts and names in `HUTONG_TEST_POSTGRES_URL`).
Migrating is paid once per session on each: SQLite tests get a copy of a
migrated template file, PostgreSQL tests a schema migrated once and emptied
before each test.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from litestar import Litestar
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

from hutong.api.app import create_app
from hutong.client import Client
from hutong.net import call_journal
from hutong.protocol.signing import new_key_pair
from hutong.runtime.services import Services
from hutong.store.cache import EVERYTHING, declarations_at
from hutong.store.db import sync_url
from hutong.store.migrate import upgrade
from hutong.store.tables import metadata

OPERATOR_TOKEN = "test-operator-token"

#: The TLS settings every test HTTP client shares (`verify=TLS`): httpx otherwise loads
#: the CA bundle for each client it makes (~17 ms of CPU), and tests make thousands.
TLS = httpx.create_ssl_context()
POSTGRES_URL = os.environ.get("HUTONG_TEST_POSTGRES_URL", "")


def worker_database(url: str) -> str:
    """The database of this pytest-xdist worker on the same server (`url` itself without xdist).

    Each worker empties its database before every test, so two workers must
    never share one: worker `gw1` gets `<database>_gw1`, made on first use.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    server = create_engine(sync_url(url), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            known = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if not known:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        server.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


class Clock:
    """A settable UTC clock; starts at the real time."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    @property
    def unix(self) -> int:
        return int(self.now.timestamp())


class Seconds:
    """A hand-set monotonic clock (the declaration cache's, whose entries age by it)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


#: Built switch apps not being served (see `switch_app`).
_idle_apps: list[Litestar] = []


@contextlib.contextmanager
def switch_app(services: Services) -> Iterator[Litestar]:
    """The switch's app (background loops off) serving `services`, reused across tests.

    Building the app costs about 0.7 s of CPU (Litestar compiles every route's
    body transfer code for each app), more than most tests take. The routes
    and the app's lifespan read the Services from `app.state`, so one built
    app serves each test's own Services in turn; an app is lent to one test
    at a time (a second one at once gets its own).
    """
    app = _idle_apps.pop() if _idle_apps else create_app(services, run_background=False)
    app.state["services"] = services
    try:
        yield app
    finally:
        _idle_apps.append(app)


@dataclass
class Switch:
    url: str
    services: Services
    operator: httpx.AsyncClient

    async def register(
        self,
        subscriber_id: str,
        roles: list[str],
        callback_url: str = "http://127.0.0.1:9/unused",
        *,
        key_id: str = "k1",
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> Client:
        """Register a participant through the operator API; returns its signed client.

        `http`: a connection pool the client shares (the caller closes it); else its own.
        """
        pair = new_key_pair()
        body: dict[str, Any] = {
            "subscriber_id": subscriber_id,
            "roles": roles,
            "callback_url": callback_url,
            "key_id": key_id,
            "public_key": pair.public_key,
        }
        if valid_from is not None:
            body["valid_from"] = valid_from.isoformat()
        if valid_until is not None:
            body["valid_until"] = valid_until.isoformat()
        response = await self.operator.post("/operator/participants", json=body)
        assert response.status_code == 201, response.text
        return Client(self.url, subscriber_id, key_id, pair.private_key, http=http)


async def row_counts(services: Services) -> dict[str, int]:
    """Rows in every table, by name: compare before/after to show nothing was written.

    The decision-call journal commits with the next group commit, so its rows
    handed over so far are waited for first (the counts are then settled).
    """
    await call_journal.settled(services)
    counts: dict[str, int] = {}
    async with services.db.read() as conn:
        for table in metadata.sorted_tables:
            count = await conn.scalar(select(func.count()).select_from(table))
            counts[table.name] = int(count or 0)
    return counts


# -- databases ----------------------------------------------------------------------------------


def sqlite_template(directory: Path) -> Path:
    """A SQLite file migrated to head, with nothing left in its write-ahead log."""
    path = directory / "template.db"
    upgrade(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    return path


def sqlite_copy(template: Path, directory: Path) -> str:
    """A fresh migrated SQLite database in `directory`: a copy of the template; its URL."""
    path = directory / "hutong.db"
    shutil.copyfile(template, path)
    return f"sqlite+aiosqlite:///{path}"


class PostgresTables:
    """The migrated PostgreSQL schema, emptied on demand over one kept connection pool."""

    def __init__(self, url: str) -> None:
        upgrade(url)
        self.url = url
        self._engine: Engine = create_engine(sync_url(url), pool_size=1)
        names = ", ".join(table.name for table in metadata.sorted_tables)
        self._truncate = text(f"TRUNCATE {names} RESTART IDENTITY CASCADE")

    def empty(self) -> str:
        with self._engine.begin() as conn:
            conn.execute(self._truncate)
        # Emptied behind the switch's back: what its processes cached is gone too.
        declarations_at(self.url).forget(EVERYTHING)
        return self.url

    def dispose(self) -> None:
        self._engine.dispose()
