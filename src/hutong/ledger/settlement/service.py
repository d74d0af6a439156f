"""Settlement for the routes and the CLI: transactions, the cutoff, refusals with HTTP codes.

Every refusal is a `HutongError` with a stable code: ``unknown_window`` (404),
``unknown_participant`` (404), ``window_open`` / ``window_closed`` /
``window_settled`` / ``invalid_cutoff`` (409), ``until_in_future`` and
``invalid_until`` (422); a participant's answer: ``not_in_window`` (404),
``already_confirmed`` / ``already_disputed`` / ``window_disputed`` (409),
``invalid_reason`` (422).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.config import Settings
from hutong.ledger.settlement import ack_store, line_store
from hutong.ledger.settlement import window_store as store
from hutong.ledger.settlement.acknowledgements import Acknowledgement
from hutong.ledger.settlement.files import SettlementFile
from hutong.ledger.settlement.reconciliation import Report, parse_statement, reconcile
from hutong.protocol.errors import ConflictError, NotFoundError, ValidationError
from hutong.store.db import Database

T = TypeVar("T")


class Services(Protocol):
    """What settlement needs of the running switch (`hutong.runtime.Services` has it)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def db(self) -> Database: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...


def cutoff_for(services: Services, until: datetime | None) -> datetime:
    """``now - grace``, or `until` when that is earlier; `until` may not be in the future."""
    now = services.clock()
    latest = now - timedelta(seconds=services.settings.settlement_grace)
    if until is None:
        return latest
    if until.tzinfo is None:
        raise ValidationError("until needs a time zone (e.g. ...Z or +08:00)", code="invalid_until")
    if until > now:
        raise ValidationError(
            f"until {until.isoformat()} is in the future (now {now.isoformat()})",
            code="until_in_future",
        )
    return min(until, latest)


#: A write in the caller's transaction (the exactly-once record's, for the operator's).
InTransaction = Callable[[AsyncConnection], Awaitable[T]]


def closing(
    services: Services, until: datetime | None = None, *, by: str = "operator"
) -> InTransaction[store.WindowDetail]:
    """The close of the open window at the cutoff (now), to run in the caller's transaction.

    Refused at once (`cutoff_for`) for an `until` in the future.
    """
    cutoff = cutoff_for(services, until)
    now = services.clock()

    async def close_it(conn: AsyncConnection) -> store.WindowDetail:
        return await store.close_window(conn, now, cutoff, closed_by=by)

    return close_it


def settling(services: Services, wanted: str) -> InTransaction[store.StoredWindow]:
    """The settling of window `wanted`, to run in the caller's transaction.

    Call `ensure_windows` first (a window id may name the implicit first window).
    """
    now = services.clock()

    async def settle_it(conn: AsyncConnection) -> store.StoredWindow:
        return await store.settle_window(conn, wanted, now)

    return settle_it


async def close(
    services: Services, until: datetime | None = None, *, by: str = "operator"
) -> store.WindowDetail:
    """Close the open window at the cutoff; the next window opens where it ends."""
    close_it = closing(services, until, by=by)
    for attempt in range(2):
        try:
            async with services.db.transaction() as conn:
                return await close_it(conn)
        except IntegrityError:
            # Another caller made the first window at the same moment: read it.
            if attempt:
                raise ConflictError(
                    "another close is running; try again", code="close_in_progress"
                ) from None
    raise AssertionError("unreachable")


async def settle(services: Services, wanted: str) -> store.StoredWindow:
    await _ensure_first(services)
    async with services.db.transaction() as conn:
        return await settling(services, wanted)(conn)


async def windows(services: Services) -> list[store.StoredWindow]:
    """Every window, oldest first (the first window is made when there is none)."""
    async with services.db.read() as conn:
        found = await store.list_windows(conn)
    if not found:
        with contextlib.suppress(IntegrityError):
            async with services.db.transaction() as conn:
                await store.open_window(conn, services.clock())
        async with services.db.read() as conn:
            found = await store.list_windows(conn)
    return found


async def _ensure_first(services: Services) -> None:
    """Make window 1 when there is no window yet (a read names the implicit open window)."""
    async with services.db.read() as conn:
        if await store.list_windows(conn):
            return
    await windows(services)


async def detail(services: Services, wanted: str) -> store.WindowDetail:
    await _ensure_first(services)
    async with services.db.read() as conn:
        return await store.window_detail(conn, wanted)


async def participant_file(services: Services, wanted: str, participant: str) -> SettlementFile:
    """`participant`'s file of a closed window (404 for an owner of no ledger account)."""
    await _ensure_first(services)
    async with services.db.read() as conn:
        await store.require_window(conn, wanted)
        if not await line_store.has_accounts(conn, participant):
            raise NotFoundError(f"{participant} owns no ledger account", code="unknown_participant")
        return await line_store.participant_file(conn, wanted, participant)


async def reconcile_statement(
    services: Services, wanted: str, participant: str, statement: str
) -> Report:
    """Compare `participant`'s CSV statement with its lines of the window."""
    found = await participant_file(services, wanted, participant)
    return reconcile(found.lines, parse_statement(statement))


async def ensure_windows(services: Services) -> None:
    """Make window 1 if there is none yet, before a write that names a window."""
    await _ensure_first(services)


async def answer_in(
    conn: AsyncConnection,
    services: Services,
    wanted: str,
    participant: str,
    answer: Acknowledgement,
    reason: str = "",
) -> ack_store.Answer:
    """In `conn`: `participant` confirms or disputes its settlement in the window."""
    return await ack_store.answer(conn, wanted, participant, answer, reason, services.clock())


async def answer(
    services: Services, wanted: str, participant: str, answer: Acknowledgement, reason: str = ""
) -> ack_store.Answer:
    """`participant`'s answer, in a transaction of its own (the CLI's)."""
    await _ensure_first(services)
    async with services.db.transaction() as conn:
        return await answer_in(conn, services, wanted, participant, answer, reason)


async def answers(services: Services, wanted: str) -> list[ack_store.Answer]:
    """Every participant of the window with its answer (``pending`` before one)."""
    await _ensure_first(services)
    async with services.db.read() as conn:
        window = await store.require_window(conn, wanted)
        return await ack_store.answers(conn, window.id)
