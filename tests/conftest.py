"""The suite's fixtures, from the fixture library in `tests/harness`.

Storage tests run twice: on SQLite (a copy of a migrated template per test)
and on PostgreSQL (the throwaway server that `scripts/test.sh` starts and
names in `HUTONG_TEST_POSTGRES_URL`; migrated once, emptied before each test).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hutong.config import Settings
from hutong.runtime.services import Services
from hutong.store.db import Database
from hutong.world.reference import ReferenceWorld, reference_app
from hutong.world.serving import WORLD_KEEP_ALIVE, serve_asgi
from tests.harness.assertions import assert_ledger_balances
from tests.harness.cast import (
    BOB_PHONE,
    CAINIAO,
    EVIDENCE,
    JDL,
    JT,
    LOGISTICS,
    MARKET,
    PAYMENTS,
    SHOP,
    TEA_HOUSE,
    WECHATPAY,
)
from tests.harness.dashboard import ServedDashboard, chromium_path, served_dashboard
from tests.harness.links import Net, seed_catalog
from tests.harness.networks import Evidence, Logistics, Market, PayNet
from tests.harness.shop import Shop, open_shop
from tests.harness.switch import (
    OPERATOR_TOKEN,
    POSTGRES_URL,
    TLS,
    Clock,
    PostgresTables,
    Switch,
    sqlite_copy,
    sqlite_template,
    switch_app,
    worker_database,
)

#: Modules that take a minute or more (measured on CI's two cores), started first: xdist
#: hands out whole files (`--dist loadfile`) in collection order, so a long one collected
#: last would run alone at the end while the other workers sit idle.
LONG_MODULES = (
    "tests/cluster/test_faults_ci.py",
    "tests/audit/test_audit_worlds.py",
    "tests/api/test_fuzz_schemathesis.py",
    "tests/world/test_synth.py",
    "tests/world/test_replay.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long modules first (in `LONG_MODULES` order), the rest as collected."""

    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return LONG_MODULES.index(path) if path in LONG_MODULES else len(LONG_MODULES)

    items.sort(key=rank)


@pytest.fixture(scope="session")
def postgres_tables() -> Iterator[PostgresTables]:
    if not POSTGRES_URL:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the PostgreSQL half: HUTONG_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL not available (run scripts/test.sh to start one)")
    tables = PostgresTables(worker_database(POSTGRES_URL))
    yield tables
    tables.dispose()


@pytest.fixture(scope="session")
def postgres_url(postgres_tables: PostgresTables) -> str:
    """The migrated PostgreSQL database (not emptied: see `database_url`)."""
    return postgres_tables.url


@pytest.fixture(scope="session")
def sqlite_migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database: a fresh SQLite file, or the emptied PostgreSQL one."""
    if request.param == "sqlite":
        return sqlite_copy(request.getfixturevalue("sqlite_migrated"), tmp_path)
    tables: PostgresTables = request.getfixturevalue("postgres_tables")
    return tables.empty()


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


@pytest.fixture
async def switch(services: Services) -> AsyncIterator[Switch]:
    """The switch served over real HTTP on loopback (background loops off)."""
    with switch_app(services) as app:
        # Idle connections kept for the whole test: a client reusing one just as a
        # 5 s keep-alive closed it got a read error on a loaded machine.
        async with serve_asgi(app, keep_alive=WORLD_KEEP_ALIVE) as url:
            # As long as the pool's: an operator batch of 8,190 transfers on a
            # loaded PostgreSQL can take longer than httpx's 5 s default.
            operator = httpx.AsyncClient(
                base_url=url,
                headers={"authorization": f"Bearer {OPERATOR_TOKEN}"},
                timeout=30,
                verify=TLS,
            )
            yield Switch(url=url, services=services, operator=operator)
            await operator.aclose()


@pytest.fixture
async def world(switch: Switch) -> AsyncIterator[tuple[ReferenceWorld, str]]:
    """Reference participants over real HTTP; yields the world and its base URL."""
    world = ReferenceWorld(
        switch_public_key=switch.services.switch_public_key, clock=switch.services.clock
    )
    async with serve_asgi(reference_app(world), keep_alive=WORLD_KEEP_ALIVE) as url:
        yield world, url


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# -- networks: each registers a participant when a test first needs it ------------------------


@pytest.fixture
async def http(switch: Switch) -> AsyncIterator[httpx.AsyncClient]:
    """One connection pool the participants of a network share (based at the switch)."""
    async with httpx.AsyncClient(base_url=switch.url, timeout=30, verify=TLS) as pool:
        yield pool


@pytest.fixture
async def paynet(
    switch: Switch, world: tuple[ReferenceWorld, str], http: httpx.AsyncClient
) -> AsyncIterator[PayNet]:
    """The payments cast, all joined; after the test the ledger must balance."""
    net = PayNet(switch, world[0], world[1], PAYMENTS, http)
    await net.join(*PAYMENTS)
    yield net
    await assert_ledger_balances(switch.services)


@pytest.fixture
async def bob(paynet: PayNet) -> PayNet:
    """The payments cast, with Bob's phone number published by WeChat Pay (account u-bob)."""
    published = await paynet.post(
        WECHATPAY, "/v1/aliases", {"kind": "phone", "value": BOB_PHONE, "account": "u-bob"}
    )
    assert published.status_code == 201, published.text
    return paynet


@pytest.fixture
async def net(
    switch: Switch, world: tuple[ReferenceWorld, str], http: httpx.AsyncClient
) -> Logistics:
    """Tea House (and its home, Taobao) and its carriers; its rival joins when first asked for."""
    net = Logistics(switch, world[0], world[1], LOGISTICS, http)
    await net.join(TEA_HOUSE, JDL, CAINIAO, JT)
    return net


@pytest.fixture
async def market(switch: Switch, http: httpx.AsyncClient) -> Market:
    """The market's cast, all joined (nobody answers calls: no reference world)."""
    net = Market(switch, None, "", MARKET, http)
    await net.join(*MARKET)
    return net


@pytest.fixture
async def shop(
    switch: Switch, world: tuple[ReferenceWorld, str], clock: Clock, http: httpx.AsyncClient
) -> AsyncIterator[Shop]:
    """The open shop (see `tests.harness.shop`); after the test the ledger must balance."""
    net = Shop(switch, world[0], world[1], SHOP, http, clock=clock)
    await open_shop(net)
    yield net
    await assert_ledger_balances(switch.services)


@pytest.fixture
async def evidence(switch: Switch, http: httpx.AsyncClient) -> Evidence:
    """The auditor's evidence cast, all joined (nobody answers calls)."""
    net = Evidence(switch, None, "", EVIDENCE, http)
    await net.join(*EVIDENCE)
    return net


@pytest.fixture
async def links_net(switch: Switch) -> AsyncIterator[Net]:
    """The links tests' hosts and merchants on their seeded catalog (`tests.harness.links`)."""
    await seed_catalog(switch)
    async with httpx.AsyncClient(base_url=switch.url, timeout=10.0, verify=TLS) as http:
        links_net = Net(switch, http)
        yield links_net
        for client in links_net.clients.values():
            await client.aclose()


# -- the dashboard in a browser (tests/web) -----------------------------------------------------


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedDashboard]:
    """The app served on loopback with the seeded world, once per test module."""
    with served_dashboard(tmp_path_factory.mktemp("dashboard")) as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium driven by Playwright (headless), once per test module."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()
