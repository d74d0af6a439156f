"""Settlement windows in storage: closing, settling, reading their positions.

The pure rules live in `hutong.ledger.settlement.windows` and `.positions`;
this module feeds them the ledger's rows and stores what comes out
(SQLAlchemy Core, SQLite and PostgreSQL alike). A participant's lines are
read by `hutong.ledger.settlement.line_store`.

Windows over the commit order
-----------------------------
A window holds the transfers with ``from_seq < seq <= to_seq`` (``seq`` is the
ledger's commit order). Exactly one window is open; the first one (number 1,
from seq 0) is made the first time anyone asks. Closing the open window fixes
its ``to_seq``, stores its bilateral positions and its pay instructions, and
opens the next window from there, all in one transaction that first locks the
open window's row (two operators closing at once close two consecutive
windows, never one window twice). ``opened_at`` and ``closed_at`` are the
window's start and end (its cutoffs): transfers made in ``[opened_at,
closed_at)`` belong to it.

Which rows are money
--------------------
A ledger row moves money when it is an ordinary transfer or the post of a
hold: the flags carry neither ``pending`` nor ``void_pending``. A hold itself
moves nothing until it is posted, and its post row carries the amount really
posted (a partial post: the part); a void or an expiry moves nothing. This is
the rule `hutong.ledger.check` uses for posted totals, so the positions of
all windows together are exactly the posted movements. A post lands in the
window where the post was committed, whatever window the hold was made in.

The cutoff and its grace
------------------------
``seq`` values are handed out when a row is inserted, but become visible only
when its transaction commits, so a transfer can be committed *after* one with
a higher seq. Closing at "the highest seq visible now" could step over a seq
that a slower transaction holds but has not committed yet; that transfer would
later appear below the closed window's ``to_seq`` and belong to no window.

So a window is never closed up to now: its cutoff is ``now - grace``
(`Settings.settlement_grace`, 5 s by default; an explicit ``until`` may only
be earlier), and ``to_seq`` is the highest seq whose ``created_at`` (the
ledger's clock, read before the transaction takes its seqs) is before the
cutoff. If every ledger transaction commits within half the grace of reading
its clock (the ledger commits in milliseconds), every seq at or below
``to_seq`` was taken before ``cutoff + grace/2`` by a transaction that started
before that, and so has committed (or rolled back) by ``now``. Transfers with
a seq above ``to_seq`` go to the next window. The workers' clocks must agree
to well within the grace too (the ledger's ``created_at`` comes from the
worker that committed, the cutoff from the one that closes). On SQLite one writer commits at
a time, so the question does not arise there.

Sizes
-----
Positions come from ONE aggregate query (``GROUP BY`` debit owner, credit
owner, asset over the window's seq range, the accounts joined twice): the
database reads each transfer once and Python sees one row per pair of
participants.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.ledger.liquidity import store as liquidity
from hutong.ledger.liquidity.rules import LIQUIDITY_ASSET
from hutong.ledger.models import TransferFlags
from hutong.ledger.settlement.acknowledgements import Acknowledgement, check_settleable
from hutong.ledger.settlement.errors import SettlementError
from hutong.ledger.settlement.positions import Instruction, Positions, instructions, net_positions
from hutong.ledger.settlement.windows import Window, WindowEvent, WindowState, advance
from hutong.store.tables import (
    ledger_accounts,
    ledger_transfers,
    settlement_acknowledgements,
    settlement_instructions,
    settlement_positions,
    settlement_windows,
)

_t = ledger_transfers
_w = settlement_windows
#: Ordinary transfers and posts of holds: the rows that move money.
MOVES_MONEY = _t.c.flags.op("&")(int(TransferFlags.PENDING | TransferFlags.VOID_PENDING)) == 0


def window_id(number: int) -> str:
    return f"window-{number}"


@dataclass(frozen=True, slots=True)
class StoredWindow:
    id: str
    number: int
    state: WindowState
    from_seq: int
    #: None while open.
    to_seq: int | None
    #: Money-moving transfers in the window (0 while open).
    transfer_count: int
    opened_at: datetime
    #: The window's end (its cutoff); None while open.
    closed_at: datetime | None
    settled_at: datetime | None
    closed_by: str

    def window(self) -> Window:
        """The pure window, for files; an open window has none (``window_open``)."""
        if self.state is WindowState.OPEN or self.closed_at is None:
            raise SettlementError("window_open", "settlement files are made from a closed window")
        return Window(self.id, self.opened_at, self.closed_at, self.state)


@dataclass(frozen=True, slots=True)
class WindowDetail:
    window: StoredWindow
    positions: Positions
    instructions: list[Instruction]


def _window(row: Any) -> StoredWindow:
    return StoredWindow(
        id=row.id,
        number=row.number,
        state=WindowState(row.state),
        from_seq=row.from_seq,
        to_seq=row.to_seq,
        transfer_count=row.transfer_count,
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        settled_at=row.settled_at,
        closed_by=row.closed_by,
    )


def _row(window: StoredWindow) -> dict[str, Any]:
    return {
        "id": window.id,
        "number": window.number,
        "state": window.state.value,
        "from_seq": window.from_seq,
        "to_seq": window.to_seq,
        "transfer_count": window.transfer_count,
        "opened_at": window.opened_at,
        "closed_at": window.closed_at,
        "settled_at": window.settled_at,
        "closed_by": window.closed_by,
    }


async def _first_transfer_time(conn: AsyncConnection) -> datetime | None:
    query = select(_t.c.created_at).order_by(_t.c.seq).limit(1)
    found: datetime | None = await conn.scalar(query)
    return found


async def _create_first(conn: AsyncConnection, now: datetime) -> StoredWindow:
    """Window 1 from seq 0; it starts with the ledger's first transfer (or now)."""
    first = await _first_transfer_time(conn)
    opened = min(first, now) if first is not None else now
    window = StoredWindow(window_id(1), 1, WindowState.OPEN, 0, None, 0, opened, None, None, "")
    await conn.execute(insert(_w), [_row(window)])
    return window


async def open_window(conn: AsyncConnection, now: datetime, *, lock: bool = False) -> StoredWindow:
    """The open window, made (window 1) if there is none yet; `lock`: ``FOR UPDATE``.

    Window 1 starts with the ledger's first transfer, or at `now` on an empty ledger.

    Call it inside a transaction: it may insert the first window. Two callers
    making the first window at once collide on its unique number; the loser's
    transaction fails and may simply be run again.
    """
    query = select(_w).where(_w.c.state == WindowState.OPEN.value)
    if lock:
        query = query.with_for_update()
    for _ in range(3):
        row = (await conn.execute(query)).first()
        if row is not None:
            return _window(row)
        if await conn.scalar(select(func.count()).select_from(_w)) == 0:
            return await _create_first(conn, now)
        # Another transaction closed the window we waited for: its successor
        # is visible to the next statement.
    raise SettlementError("no_open_window", "no settlement window is open")


async def movement_sums(
    conn: AsyncConnection, from_seq: int, to_seq: int
) -> list[tuple[str, str, str, int, int]]:
    """(debit owner, credit owner, asset, total, transfers) over ``from_seq < seq <= to_seq``."""
    debit = ledger_accounts.alias("debit")
    credit = ledger_accounts.alias("credit")
    query = (
        select(debit.c.owner, credit.c.owner, _t.c.asset, func.sum(_t.c.amount), func.count())
        .select_from(
            _t.join(debit, debit.c.id == _t.c.debit_account_id).join(
                credit, credit.c.id == _t.c.credit_account_id
            )
        )
        .where(_t.c.seq > from_seq, _t.c.seq <= to_seq, MOVES_MONEY)
        .group_by(debit.c.owner, credit.c.owner, _t.c.asset)
    )
    rows = (await conn.execute(query)).all()
    return [(d, c, asset, int(total), int(count)) for d, c, asset, total, count in rows]


async def _last_seq_before(conn: AsyncConnection, from_seq: int, cutoff: datetime) -> int:
    query = (
        select(_t.c.seq)
        .where(_t.c.seq > from_seq, _t.c.created_at < cutoff)
        .order_by(_t.c.seq.desc())
        .limit(1)
    )
    found = await conn.scalar(query)
    return int(found) if found is not None else from_seq


async def close_window(
    conn: AsyncConnection, now: datetime, cutoff: datetime, *, closed_by: str = ""
) -> WindowDetail:
    """Close the open window at `cutoff` and open the next one. Run it in a transaction.

    `cutoff` is the caller's ``min(until, now - grace)``; it must come after
    the window's start (``invalid_cutoff``: nothing to close yet).
    """
    # A first window made by this very close (an empty ledger) starts just before the cutoff.
    current = await open_window(conn, min(now, cutoff - timedelta(seconds=1)), lock=True)
    advance(current.state, WindowEvent.CLOSE)
    if cutoff <= current.opened_at:
        raise SettlementError(
            "invalid_cutoff",
            f"the cutoff {cutoff.isoformat()} is not after the start of {current.id} "
            f"({current.opened_at.isoformat()}); wait, or give a later time",
        )
    to_seq = await _last_seq_before(conn, current.from_seq, cutoff)
    sums = await movement_sums(conn, current.from_seq, to_seq)
    positions = net_positions((d, c, asset, total) for d, c, asset, total, _ in sums)
    planned = instructions(positions)
    count = sum(n for *_, n in sums)
    if positions.pairs:
        await conn.execute(
            insert(settlement_positions),
            [
                {
                    "window_id": current.id,
                    "participant": p.participant,
                    "counterparty": p.counterparty,
                    "asset": p.asset,
                    "amount": p.net,
                }
                for p in positions.bilateral_rows()
            ],
        )
    if planned:
        await conn.execute(
            insert(settlement_instructions),
            [
                {"window_id": current.id, "number": n, **i.to_dict()}
                for n, i in enumerate(planned, start=1)
            ],
        )
    await conn.execute(
        update(_w)
        .where(_w.c.id == current.id)
        .values(
            state=WindowState.CLOSED.value,
            to_seq=to_seq,
            transfer_count=count,
            closed_at=cutoff,
            closed_by=closed_by,
        )
    )
    following = current.number + 1
    successor = StoredWindow(
        window_id(following), following, WindowState.OPEN, to_seq, None, 0, cutoff, None, None, ""
    )
    await conn.execute(insert(_w), [_row(successor)])
    closed = await require_window(conn, current.id)
    return WindowDetail(closed, positions, planned)


async def lock_window(conn: AsyncConnection, wanted: str) -> StoredWindow:
    """The window, its row locked (``FOR UPDATE``) for the rest of the transaction."""
    query = select(_w).where(_w.c.id == _resolve_id(wanted)).with_for_update()
    row = (await conn.execute(query)).first()
    if row is None:
        raise SettlementError("unknown_window", f"no settlement window {wanted}")
    return _window(row)


async def settle_window(conn: AsyncConnection, wanted: str, now: datetime) -> StoredWindow:
    """Record that a closed window's instructions were paid (closed -> settled).

    Refused while a participant disputes it (``window_disputed``). Each
    participant's position moves by its net in the window, as the hub's
    payments settled it (`hutong.ledger.liquidity`): the capped positions
    under their locks first, the others after, the order a ledger batch
    takes them in, so settling never deadlocks with one.
    """
    current = await lock_window(conn, wanted)
    advance(current.state, WindowEvent.SETTLE)
    disputed = select(settlement_acknowledgements.c.participant).where(
        settlement_acknowledgements.c.window_id == current.id,
        settlement_acknowledgements.c.state == Acknowledgement.DISPUTED.value,
    )
    check_settleable(
        (who, Acknowledgement.DISPUTED) for who in (await conn.execute(disputed)).scalars()
    )
    p = settlement_positions
    nets = (
        select(p.c.participant, func.sum(p.c.amount))
        .where(p.c.window_id == current.id, p.c.asset == LIQUIDITY_ASSET)
        .group_by(p.c.participant)
    )
    settled = {who: int(net) for who, net in (await conn.execute(nets)).all() if net}
    # In the ledger's lock order: a batch holds capped positions as it posts
    # and adds to uncapped ones at its commit, so capped first, then the rest.
    capped = await liquidity.capped(conn, settled)
    await liquidity.lock_positions(conn, capped)
    await liquidity.move(conn, settled, capped)
    await conn.execute(
        update(_w)
        .where(_w.c.id == current.id)
        .values(state=WindowState.SETTLED.value, settled_at=now)
    )
    return await require_window(conn, current.id)


# -- reading ------------------------------------------------------------------------


def _resolve_id(wanted: str) -> str:
    """A window's id; a bare number such as ``3`` names window 3."""
    return window_id(int(wanted)) if wanted.isascii() and wanted.isdigit() else wanted


async def list_windows(conn: AsyncConnection) -> list[StoredWindow]:
    rows = (await conn.execute(select(_w).order_by(_w.c.number))).all()
    return [_window(row) for row in rows]


async def require_window(conn: AsyncConnection, wanted: str) -> StoredWindow:
    row = (await conn.execute(select(_w).where(_w.c.id == _resolve_id(wanted)))).first()
    if row is None:
        raise SettlementError("unknown_window", f"no settlement window {wanted}")
    return _window(row)


async def window_detail(conn: AsyncConnection, wanted: str) -> WindowDetail:
    """A window with its stored positions and instructions (none while open)."""
    window = await require_window(conn, wanted)
    p = settlement_positions
    rows = (await conn.execute(select(p).where(p.c.window_id == window.id))).all()
    pairs: dict[tuple[str, str, str], int] = {}
    overall: defaultdict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        overall[(row.asset, row.participant)] += row.amount
        if row.participant < row.counterparty:
            pairs[(row.asset, row.participant, row.counterparty)] = row.amount
    i = settlement_instructions
    found = (
        await conn.execute(select(i).where(i.c.window_id == window.id).order_by(i.c.number))
    ).all()
    planned = [Instruction(r.asset, r.payer, r.payee, r.amount) for r in found]
    return WindowDetail(window, Positions(pairs, dict(overall), window.transfer_count), planned)
