"""The journal of decision calls: every signed call the switch made to a participant.

One row per call (retries of one call are one row): the participant asked,
on whose behalf (the host or buyer's platform of the order, "" when the call
serves no platform), the action, the latency in whole milliseconds
(rounded up, so a call is never 0 ms faster than it was), the outcome
(`answered`, `refused` with the participant's code and justification, or
`failed` with the switch's code) and when it was made. The auditor's
`interop_parity` check compares these per callee, own against rival.

Cheap on the order path: a row never costs a commit of its own. `record`
hands it to the group commit (`hutong.store.batch`) without waiting, so it
shares the commit of the step that made the call (or of whatever commits
next); all rows of one batch go in one multi-row INSERT. `settled` waits
for the rows handed over so far (tests, shutdown). Rows older than
`Settings.decision_call_retention_days` are removed by `prune`.
"""

from __future__ import annotations

import asyncio
import math
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.protocol.justifications import Justification, justification_of
from hutong.runtime.services import Services
from hutong.store.batch import WriteBatcher
from hutong.store.pruning import delete_in_chunks
from hutong.store.tables import decision_calls

__all__ = ["DecisionCall", "Outcome", "list_calls", "prune", "record", "settled"]

#: The journal's insert (a batch sends the rows of all its writes as one multi-row INSERT).
_INSERT = insert(decision_calls)
#: Rows removed per DELETE statement of a prune, about (keeps each transaction short).
PRUNE_CHUNK = 5000

_PENDING: weakref.WeakKeyDictionary[WriteBatcher, set[asyncio.Task[None]]] = (
    weakref.WeakKeyDictionary()
)


class Outcome(StrEnum):
    ANSWERED = "answered"
    REFUSED = "refused"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class DecisionCall:
    callee: str
    on_behalf_of: str
    action: str
    message_id: str
    latency_ms: int
    outcome: Outcome
    #: The refusal's or failure's code ("" when answered).
    code: str
    called_at: datetime
    justification: Justification | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "callee": self.callee,
            "on_behalf_of": self.on_behalf_of,
            "action": self.action,
            "message_id": self.message_id,
            "latency_ms": self.latency_ms,
            "outcome": self.outcome.value,
            "code": self.code,
            "called_at": self.called_at.isoformat(),
            "justification": self.justification.to_dict() if self.justification else None,
        }


def latency_ms(seconds: float) -> int:
    """Elapsed seconds as whole milliseconds, rounded up (never negative)."""
    return max(0, math.ceil(seconds * 1000))


def _row(call: DecisionCall) -> dict[str, Any]:
    justification = call.justification
    return {
        "callee": call.callee,
        "on_behalf_of": call.on_behalf_of,
        "action": call.action[:64],
        "message_id": call.message_id[:128],
        "latency_ms": call.latency_ms,
        "outcome": call.outcome.value,
        "code": call.code[:64],
        "justification": justification.code.value if justification else None,
        "justification_ref": justification.reference if justification else None,
        "called_at": call.called_at,
    }


def record(services: Services, call: DecisionCall) -> None:
    """Hand `call` to the group commit; returns at once (the row commits with the next batch)."""
    batcher = services.batcher()
    row = _row(call)

    async def write(conn: AsyncConnection) -> None:
        await conn.execute(_INSERT, row)

    async def run() -> None:
        await batcher.run(write)

    pending = _PENDING.setdefault(batcher, set())
    task = asyncio.get_running_loop().create_task(run())
    pending.add(task)
    task.add_done_callback(pending.discard)


async def settled(services: Services) -> None:
    """Wait until every call handed to `record` so far has committed (or failed)."""
    pending = list(_PENDING.get(services.batcher(), ()))
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)


def _call(row: Any) -> DecisionCall:
    return DecisionCall(
        callee=row.callee,
        on_behalf_of=row.on_behalf_of,
        action=row.action,
        message_id=row.message_id,
        latency_ms=row.latency_ms,
        outcome=Outcome(row.outcome),
        code=row.code,
        called_at=row.called_at,
        justification=justification_of(row.justification, row.justification_ref),
    )


async def list_calls(
    conn: AsyncConnection,
    *,
    callee: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 1000,
) -> list[DecisionCall]:
    """Recorded calls in the order they were made, optionally of one callee and in a window."""
    query = select(decision_calls).order_by(decision_calls.c.id).limit(limit)
    if callee is not None:
        query = query.where(decision_calls.c.callee == callee)
    if since is not None:
        query = query.where(decision_calls.c.called_at >= since)
    if until is not None:
        query = query.where(decision_calls.c.called_at < until)
    return [_call(row) for row in (await conn.execute(query)).all()]


async def prune(services: Services) -> int:
    """Remove calls older than the retention (`decision_call_retention_days`); how many."""
    days = services.settings.decision_call_retention_days
    if days <= 0:
        return 0  # 0 keeps them for ever
    cutoff = services.clock() - timedelta(days=days)
    called_at = decision_calls.c.called_at
    return await delete_in_chunks(
        services.db, decision_calls, called_at < cutoff, by=called_at, chunk=PRUNE_CHUNK
    )
