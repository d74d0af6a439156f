"""A write that keeps losing a unique key is told to send again (409); other failures are not.

A write that meets a row another write just committed (the next settlement
window, the next policy version) is run again, and meets what the winner
left. One that loses `WRITE_ATTEMPTS` times running gets 409
`write_contended`, recorded under no key, so the same message sent again
runs afresh. Here the write inserts a message record that already exists,
which fails on every attempt. Any other integrity failure (NOT NULL, a
CHECK, a foreign key) is a defect, not a race: it is run once and raised.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.api.operator_once import _unrecorded
from hutong.protocol.errors import ConflictError, HutongError
from hutong.runtime.contention import WRITE_ATTEMPTS
from hutong.runtime.exactly_once import run_once
from hutong.runtime.message_records import MessageKey, record_values
from hutong.runtime.services import Services
from hutong.store.tables import messages

TAKEN = MessageKey("winner.example", "m-1", "digest", "POST", "/v1/ping")
OURS = MessageKey("loser.example", "m-1", "digest", "POST", "/v1/ping")


class _Losing:
    """A write that inserts the winner's record again: it fails on its unique key each time."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.runs = 0

    async def __call__(self, conn: AsyncConnection) -> dict[str, Any]:
        self.runs += 1
        now = self.services.clock()
        await conn.execute(insert(messages), record_values(self.services, TAKEN, 200, b"{}", now))
        return {}


async def _taken(services: Services) -> None:
    async with services.db.transaction() as conn:
        await conn.execute(
            insert(messages), record_values(services, TAKEN, 200, b"{}", services.clock())
        )


async def _records(services: Services) -> dict[str, int]:
    async with services.db.read() as conn:
        rows = await conn.execute(
            select(messages.c.sender, func.count()).group_by(messages.c.sender)
        )
        return {row[0]: row[1] for row in rows}


def _refusal(error: HutongError) -> tuple[int, dict[str, Any]]:
    return 409, {"code": error.code}


async def test_a_recorded_write_that_keeps_losing_a_key_gets_409_and_no_record(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    await _taken(services)
    write = _Losing(services)

    with pytest.raises(ConflictError) as refused:
        await run_once(services, OURS, write, lambda body: (200, body), _refusal)

    assert refused.value.code == "write_contended"
    assert "send it again" in str(refused.value)
    # Each attempt is a group commit's: its optimistic pass, then its savepoint pass.
    assert write.runs == 2 * WRITE_ATTEMPTS
    # The winner's record is as it was, and ours was never kept: a resend runs afresh.
    assert await _records(services) == {"winner.example": 1}
    assert "lost a unique key 3 times running" in caplog.text
    assert "winner.example" not in caplog.text  # the constraint is logged, never the values


async def test_an_unrecorded_operator_write_that_keeps_losing_gets_409_not_500(
    services: Services,
) -> None:
    await _taken(services)
    write = _Losing(services)

    with pytest.raises(ConflictError) as refused:
        await _unrecorded(services, write)

    assert refused.value.code == "write_contended"
    assert write.runs == WRITE_ATTEMPTS
    assert await _records(services) == {"winner.example": 1}


class _Broken(_Losing):
    """A write that breaks a NOT NULL column: an integrity failure that is no race."""

    async def __call__(self, conn: AsyncConnection) -> dict[str, Any]:
        self.runs += 1
        values = record_values(self.services, TAKEN, 200, b"{}", self.services.clock())
        await conn.execute(insert(messages), values | {"body_hash": None})
        return {}


async def test_a_write_that_breaks_another_constraint_is_not_told_to_send_again(
    services: Services,
) -> None:
    recorded = _Broken(services)
    with pytest.raises(IntegrityError):
        await run_once(services, OURS, recorded, lambda body: (200, body), _refusal)
    assert recorded.runs == 2  # one group commit: its two passes, never run again

    alone = _Broken(services)
    with pytest.raises(IntegrityError):
        await _unrecorded(services, alone)
    assert alone.runs == 1
    assert await _records(services) == {}
