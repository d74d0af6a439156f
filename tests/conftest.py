"""Fixtures shared by the suite.

Storage tests run twice: on SQLite (a fresh file per test) and on PostgreSQL
(the throwaway server that `scripts/test.sh` starts and names in
`HUTONG_TEST_POSTGRES_URL`; tables are emptied before each test).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text

from hutong.api.app import create_app
from hutong.client import Client
from hutong.config import Settings
from hutong.protocol.signing import new_key_pair
from hutong.runtime.services import Services
from hutong.store.db import Database, sync_url
from hutong.store.migrate import upgrade
from hutong.store.tables import metadata
from hutong.world.reference import ReferenceWorld, reference_app
from hutong.world.serving import serve_asgi

OPERATOR_TOKEN = "test-operator-token"
POSTGRES_URL = os.environ.get("HUTONG_TEST_POSTGRES_URL", "")


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


@pytest.fixture(scope="session")
def postgres_url() -> str:
    if not POSTGRES_URL:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the PostgreSQL half: HUTONG_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL not available (run scripts/test.sh to start one)")
    upgrade(POSTGRES_URL)
    return POSTGRES_URL


def _truncate(url: str) -> None:
    engine = create_engine(sync_url(url))
    names = ", ".join(table.name for table in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'hutong.db'}"
        upgrade(url)
        return url
    url = str(request.getfixturevalue("postgres_url"))
    _truncate(url)
    return url


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path,
        operator_token=OPERATOR_TOKEN,
        run_delivery=False,
        delivery_base_delay=0.05,
        delivery_max_delay=0.2,
        delivery_timeout=2.0,
    )


@pytest.fixture
async def services(settings: Settings, clock: Clock) -> AsyncIterator[Services]:
    services = Services(settings=settings, db=Database(settings.database_url), clock=clock)
    yield services
    await services.db.dispose()


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


@pytest.fixture
async def switch(services: Services) -> AsyncIterator[Switch]:
    """The switch served over real HTTP on loopback (background loops off)."""
    app = create_app(services, run_background=False)
    async with serve_asgi(app) as url:
        operator = httpx.AsyncClient(
            base_url=url, headers={"authorization": f"Bearer {OPERATOR_TOKEN}"}
        )
        yield Switch(url=url, services=services, operator=operator)
        await operator.aclose()


@pytest.fixture
async def world(switch: Switch) -> AsyncIterator[tuple[ReferenceWorld, str]]:
    """Reference participants over real HTTP; yields the world and its base URL."""
    world = ReferenceWorld(
        switch_public_key=switch.services.switch_public_key, clock=switch.services.clock
    )
    async with serve_asgi(reference_app(world)) as url:
        yield world, url


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def row_counts(services: Services) -> dict[str, int]:
    """Rows in every table, by name: compare before/after to show nothing was written."""
    counts: dict[str, int] = {}
    async with services.db.read() as conn:
        for table in metadata.sorted_tables:
            count = await conn.scalar(select(func.count()).select_from(table))
            counts[table.name] = int(count or 0)
    return counts
