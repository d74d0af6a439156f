"""The switch's PostgreSQL sessions are bounded: the settings, and that they reach the session.

`HUTONG_DB_IDLE_IN_TRANSACTION_TIMEOUT` (default 15 s) becomes each
session's `idle_in_transaction_session_timeout`; `HUTONG_DB_TCP_USER_TIMEOUT`
(default 30 s) becomes libpq's `tcp_user_timeout`, with keepalive probes
after a third of it, every sixth. 0 sets neither; a negative value, a value
under a second or one that is not a number is refused at start. What they
bound is shown with real processes in tests/cluster/test_frozen_session.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.config import load_settings
from hutong.store.db import Database, SessionLimits
from tests.harness.switch import PostgresTables

IDLE = "HUTONG_DB_IDLE_IN_TRANSACTION_TIMEOUT"
TCP = "HUTONG_DB_TCP_USER_TIMEOUT"


def test_the_defaults_bound_a_frozen_session_to_15_s_and_a_silent_network_to_30_s() -> None:
    settings = load_settings({})
    assert settings.db_idle_in_transaction_timeout == 15
    assert settings.db_tcp_user_timeout == 30
    assert SessionLimits.of(settings) == SessionLimits() == SessionLimits(15, 30)


def test_the_limits_come_from_the_environment_and_0_turns_them_off() -> None:
    settings = load_settings({IDLE: "5", TCP: "12.5"})
    assert SessionLimits.of(settings) == SessionLimits(5, 12.5)
    assert SessionLimits.of(load_settings({IDLE: "0", TCP: "0"})) == SessionLimits(0, 0)


@pytest.mark.parametrize("name", [IDLE, TCP])
@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("-1", "must be 0 \\(off\\) or at least 1 second, got '-1'"),
        ("0.5", "must be 0 \\(off\\) or at least 1 second, got '0.5'"),
        ("inf", "must be 0 \\(off\\) or at least 1 second"),
        ("nan", "must be 0 \\(off\\) or at least 1 second"),
        ("15s", "must be a number of seconds, got '15s'"),
    ],
)
def test_a_limit_that_is_negative_under_a_second_or_no_number_is_refused(
    name: str, raw: str, says: str
) -> None:
    with pytest.raises(ValueError, match=f"^{name} {says}"):
        load_settings({name: raw})


@pytest.fixture
def postgres(postgres_tables: PostgresTables) -> str:
    return postgres_tables.url


@pytest.fixture
async def opened() -> AsyncIterator[Callable[..., Database]]:
    dbs: list[Database] = []

    def open_(url: str, **limits: float) -> Database:
        dbs.append(Database(url, limits=SessionLimits(**limits)))
        return dbs[-1]

    yield open_
    for db in dbs:
        await db.dispose()


async def _shown(conn: AsyncConnection) -> tuple[str, str]:
    idle = await conn.scalar(text("SHOW idle_in_transaction_session_timeout"))
    commit = await conn.scalar(text("SHOW synchronous_commit"))
    return str(idle), str(commit)


async def _client_parameters(conn: AsyncConnection) -> dict[str, str]:
    """The libpq parameters the connection was opened with (those not at their default)."""
    raw = await conn.get_raw_connection()
    params: dict[str, str] = raw.driver_connection.info.get_parameters()  # type: ignore[union-attr]
    return params


async def test_every_switch_session_carries_the_idle_in_transaction_timeout(
    postgres: str, opened: Callable[..., Database]
) -> None:
    db = opened(postgres, idle_in_transaction_timeout=7)
    async with db.transaction() as conn:
        assert await _shown(conn) == ("7s", "on")
    async with db.read() as conn:
        assert await _shown(conn) == ("7s", "on")
    async with opened(postgres).transaction() as conn:
        assert await _shown(conn) == ("15s", "on")
    async with opened(postgres, idle_in_transaction_timeout=0).transaction() as conn:
        assert await _shown(conn) == ("0", "on")  # the server's own: off


async def test_the_settings_reach_the_database_the_switch_opens(postgres: str) -> None:
    settings = load_settings({"HUTONG_DATABASE_URL": postgres, IDLE: "9", TCP: "12"})
    db = Database.of(settings)
    try:
        assert db.limits == SessionLimits(9, 12)
        async with db.transaction() as conn:
            assert await _shown(conn) == ("9s", "on")
            client = await _client_parameters(conn)
        assert client["tcp_user_timeout"] == "12000"
        assert (client["keepalives_idle"], client["keepalives_interval"]) == ("4", "2")
    finally:
        await db.dispose()


async def test_a_silent_network_is_given_up_after_the_tcp_user_timeout(
    postgres: str, opened: Callable[..., Database]
) -> None:
    async with opened(postgres).read() as conn:
        client = await _client_parameters(conn)
    assert client["tcp_user_timeout"] == "30000"
    assert client["keepalives"] == "1"
    assert (client["keepalives_idle"], client["keepalives_interval"]) == ("10", "5")
    assert client["keepalives_count"] == "3"
    async with opened(postgres, tcp_user_timeout=0).read() as conn:
        client = await _client_parameters(conn)
    assert "tcp_user_timeout" not in client and "keepalives_idle" not in client


async def test_options_and_tcp_parameters_in_the_url_are_kept(
    postgres: str, opened: Callable[..., Database]
) -> None:
    url = f"{postgres}?options=-c%20application_name%3Dteller&tcp_user_timeout=9000"
    async with opened(url).transaction() as conn:
        assert await conn.scalar(text("SHOW application_name")) == "teller"
        assert await _shown(conn) == ("15s", "on")
        client = await _client_parameters(conn)
    assert client["tcp_user_timeout"] == "9000"  # the URL's own
    assert client["keepalives_idle"] == "10"


async def test_sqlite_has_no_sessions_to_bound(tmp_path: object) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/d.db", limits=SessionLimits(1, 1))
    try:
        async with db.transaction() as conn:
            assert await conn.scalar(text("SELECT 1")) == 1
    finally:
        await db.dispose()
