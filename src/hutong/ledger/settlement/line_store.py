"""A participant's lines of a closed window, read from the ledger a page at a time.

The lines are the money-moving transfers (`window_store.MOVES_MONEY`) in the
window's seq range that touch the participant, read in seq order one page
(`PAGE` rows) at a time, so a participant with millions of transfers never
needs them all in memory at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.ledger.settlement.files import (
    SettlementFile,
    SettlementLine,
    participant_lines,
    settlement_file,
)
from hutong.ledger.settlement.positions import WindowTransfer
from hutong.ledger.settlement.window_store import MOVES_MONEY, StoredWindow, window_detail
from hutong.store.tables import ledger_accounts, ledger_transfers

#: Rows read per page when streaming a participant's transfers.
PAGE = 10_000

_t = ledger_transfers


async def has_accounts(conn: AsyncConnection, participant: str) -> bool:
    query = select(ledger_accounts.c.id).where(ledger_accounts.c.owner == participant).limit(1)
    return await conn.scalar(query) is not None


async def participant_transfers(
    conn: AsyncConnection, participant: str, from_seq: int, to_seq: int, *, page: int = PAGE
) -> AsyncIterator[list[WindowTransfer]]:
    """Pages of the money-moving transfers in the seq range that touch `participant`."""
    debit = ledger_accounts.alias("debit")
    credit = ledger_accounts.alias("credit")
    own = select(ledger_accounts.c.id).where(ledger_accounts.c.owner == participant)
    after = from_seq
    while True:
        query = (
            select(_t.c.seq, _t.c.id, debit.c.owner, credit.c.owner, _t.c.asset, _t.c.amount)
            .select_from(
                _t.join(debit, debit.c.id == _t.c.debit_account_id).join(
                    credit, credit.c.id == _t.c.credit_account_id
                )
            )
            .where(
                _t.c.seq > after,
                _t.c.seq <= to_seq,
                MOVES_MONEY,
                _t.c.debit_account_id.in_(own) | _t.c.credit_account_id.in_(own),
            )
            .order_by(_t.c.seq)
            .limit(page)
        )
        rows = (await conn.execute(query)).all()
        if not rows:
            return
        yield [WindowTransfer(r[1], r[2], r[3], r[4], r[5]) for r in rows]
        if len(rows) < page:
            return
        after = rows[-1][0]


async def window_lines(
    conn: AsyncConnection, window: StoredWindow, participant: str
) -> list[SettlementLine]:
    """`participant`'s lines of a closed window: one per transfer with another participant."""
    window.window()  # refuses an open window
    assert window.to_seq is not None
    lines: list[SettlementLine] = []
    async for batch in participant_transfers(conn, participant, window.from_seq, window.to_seq):
        lines.extend(participant_lines(participant, batch))
    return lines


async def participant_file(conn: AsyncConnection, wanted: str, participant: str) -> SettlementFile:
    detail = await window_detail(conn, wanted)
    lines = await window_lines(conn, detail.window, participant)
    return settlement_file(participant, detail.window.window(), lines, detail.instructions)
