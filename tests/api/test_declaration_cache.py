"""A suspension takes effect within a second in every worker, though keys are cached.

The switch keeps participants, their keys and other declarations in a cache
per process (`hutong.store.cache`): the process that makes a change forgets
what it changes at once; another process (a second `hutong serve` worker, the
operator's CLI) sees it once its entries are `TTL` seconds old. Here the
other process is the real CLI, run as a child process on the same database.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import event

from hutong.protocol.signing import Signer
from hutong.store.cache import TTL, declarations_at
from tests.harness.assertions import assert_acked, assert_nack
from tests.harness.signed import join, send
from tests.harness.statements import lasting_declarations
from tests.harness.switch import Switch


def other_process_suspends(switch: Switch, subscriber_id: str) -> None:
    """`hutong participant suspend` in a process of its own (it shares nothing but the database)."""
    env = os.environ | {
        "HUTONG_DATABASE_URL": switch.services.settings.database_url,
        "HUTONG_DATA_DIR": str(switch.services.settings.data_dir),
    }
    done = subprocess.run(
        [sys.executable, "-m", "hutong.cli.main", "participant", "suspend", subscriber_id],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


async def test_a_suspension_by_another_process_is_refused_within_the_cache_bound(
    switch: Switch, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = declarations_at(switch.services.settings.database_url)
    seconds = [0.0]
    monkeypatch.setattr(cache, "clock", lambda: seconds[0])  # the cache's clock, set by hand
    douyin: Signer = await join(switch)
    assert_acked(await send(switch, douyin))  # its key is now cached in this process

    other_process_suspends(switch, douyin.subscriber_id)

    # This process was not told: until its entry is TTL old it answers from the cache.
    seconds[0] = TTL - 0.01
    assert_acked(await send(switch, douyin))
    # At the bound (under a second), every request is refused.
    seconds[0] = TTL
    assert TTL < 1.0
    assert_nack(await send(switch, douyin), 401, "participant_suspended")


async def test_a_suspension_in_this_process_is_refused_at_once(switch: Switch) -> None:
    douyin: Signer = await join(switch)
    assert_acked(await send(switch, douyin))

    suspended = await switch.operator.post(
        f"/operator/participants/{douyin.subscriber_id}/suspend", json={"reason": "audit"}
    )
    assert suspended.status_code == 200, suspended.text

    assert_nack(await send(switch, douyin), 401, "participant_suspended")


async def test_a_signed_read_of_a_cached_participant_takes_no_database_connection(
    switch: Switch,
) -> None:
    """GET /v1/self answers from the cache: on PostgreSQL, no pooled connection is
    checked out (and back in, with its rollback round trip) for a dictionary hit."""
    douyin: Signer = await join(switch)
    first = await send(switch, douyin, b"", method="GET", path="/v1/self")
    assert first.status_code == 200, first.text  # the key and the participant are now cached
    checkouts: list[object] = []

    def checked_out(*_: object) -> None:
        checkouts.append(_)

    engines = switch.services.db.sync_engines
    for engine in engines:
        event.listen(engine, "checkout", checked_out)
    try:
        with lasting_declarations(switch.services.db):
            again = await send(switch, douyin, b"", method="GET", path="/v1/self")
    finally:
        for engine in engines:
            event.remove(engine, "checkout", checked_out)
    assert again.status_code == 200, again.text
    assert again.json()["subscriber_id"] == douyin.subscriber_id
    assert checkouts == []
