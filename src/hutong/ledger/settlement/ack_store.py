"""Participants' confirmations and disputes of a closed window, in storage.

An answer is written under the window's row lock (``FOR UPDATE``), the lock
settling takes too, so a dispute and the window's settlement never cross: a
dispute that comes first stops the settlement, one that comes after is
refused ``window_settled``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.ledger.settlement.acknowledgements import Acknowledgement, acknowledge
from hutong.ledger.settlement.errors import SettlementError
from hutong.ledger.settlement.window_store import lock_window
from hutong.ledger.settlement.windows import WindowState
from hutong.store.tables import settlement_acknowledgements, settlement_positions

__all__ = ["Answer", "answer", "answers"]

_a, _p = settlement_acknowledgements, settlement_positions


@dataclass(frozen=True, slots=True)
class Answer:
    window_id: str
    participant: str
    state: Acknowledgement
    reason: str = ""
    at: datetime | None = None


async def answers(conn: AsyncConnection, window_id: str) -> list[Answer]:
    """Every participant with a position in the window and its answer (pending: none yet)."""
    who = select(_p.c.participant).where(_p.c.window_id == window_id).distinct()
    parties = sorted(set((await conn.execute(who)).scalars()))
    stored = {
        row.participant: row
        for row in (await conn.execute(select(_a).where(_a.c.window_id == window_id))).all()
    }
    found = []
    for participant in parties:
        row = stored.get(participant)
        if row is None:
            found.append(Answer(window_id, participant, Acknowledgement.PENDING))
        else:
            found.append(
                Answer(window_id, participant, Acknowledgement(row.state), row.reason, row.at)
            )
    return found


async def answer(
    conn: AsyncConnection,
    wanted_window: str,
    participant: str,
    wanted: Acknowledgement,
    reason: str,
    now: datetime,
) -> Answer:
    """Record `participant`'s confirmation or dispute of its settlement in the window."""
    window = await lock_window(conn, wanted_window)
    current = {a.participant: a for a in await answers(conn, window.id)}.get(participant)
    if current is None and window.state is WindowState.CLOSED:
        raise SettlementError(
            "not_in_window", f"{participant} has no position in {window.id}: nothing to answer"
        )
    state = acknowledge(
        window.state, current.state if current else Acknowledgement.PENDING, wanted, reason
    )
    # An open window has no positions and a settled one refuses: `current` is there.
    assert current is not None
    row = {"state": state.value, "reason": reason.strip(), "at": now}
    if current.state is Acknowledgement.PENDING:
        await conn.execute(
            insert(_a), [{"window_id": window.id, "participant": participant, **row}]
        )
    else:
        await conn.execute(
            update(_a)
            .where(_a.c.window_id == window.id, _a.c.participant == participant)
            .values(**row)
        )
    return Answer(window.id, participant, state, reason.strip(), now)
