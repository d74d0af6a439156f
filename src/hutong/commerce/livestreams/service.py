"""Livestream steps: schedule, start, end, fill the cart, count viewers, read, report.

Each runs inside the caller's transaction: it checks (`states`), writes the
rows (`store`) and tells the host and the broadcaster (``on_livestream``
events in the same transaction), so a refusal leaves nothing behind.

Who may do what: the host platform runs its live rooms (it schedules,
starts, ends, fills the cart and reports viewers); the host, the
broadcaster and auditors read a session and its report (``not_your_session``
for anyone else).

Attribution: a cart placement is placed by the broadcaster when the
broadcaster is a creator or another platform's official account (so an order
from the cart pays it the creator commission of the host's schedule), and by
the host when the broadcaster is the host itself or the offer's own merchant
(店播: nobody to pay but the merchant).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.commerce.livestreams import store
from hutong.commerce.livestreams.report import SalesReport, sales_report
from hutong.commerce.livestreams.states import (
    BroadcasterKind,
    SessionEvent,
    SessionState,
    Viewers,
    check_schedule,
    check_viewers,
    move,
)
from hutong.commerce.livestreams.store import Session
from hutong.events.outbox import enqueue
from hutong.links.host_policy import require_not_blocked
from hutong.links.policy import Surface
from hutong.links.store import PlacementView, create_placement, placement_by_id
from hutong.protocol.errors import ForbiddenError, ValidationError
from hutong.protocol.ids import new_id
from hutong.registry.models import Participant, Role, Status
from hutong.registry.service import get_participant, require_participant

__all__ = [
    "add_to_cart",
    "cart",
    "end",
    "readable",
    "report",
    "report_viewers",
    "schedule",
    "start",
]

MAX_TITLE = 256


def kind_of(broadcaster: Participant) -> BroadcasterKind:
    """A creator, a merchant or (a platform) an official account; else ``invalid_broadcaster``."""
    if broadcaster.has_role(Role.CREATOR):
        return BroadcasterKind.CREATOR
    if broadcaster.has_role(Role.MERCHANT):
        return BroadcasterKind.MERCHANT
    if broadcaster.has_role(Role.PLATFORM):
        return BroadcasterKind.OFFICIAL_ACCOUNT
    raise ValidationError(
        f"{broadcaster.subscriber_id} is not a creator, a merchant or a platform",
        code="invalid_broadcaster",
    )


async def _tell(conn: AsyncConnection, session: Session, now: datetime) -> None:
    for recipient in sorted({session.host, session.broadcaster}):
        await enqueue(
            conn,
            recipient=recipient,
            action="on_livestream",
            message={"session": session.to_dict()},
            now=now,
            transaction_id=session.id,
        )


async def schedule(
    conn: AsyncConnection,
    host: str,
    *,
    broadcaster: str,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
) -> Session:
    """A new session in `host`'s live rooms, ``scheduled``."""
    if not title.strip() or len(title) > MAX_TITLE:
        raise ValidationError(f"title is 1 to {MAX_TITLE} characters", code="invalid_title")
    check_schedule(starts_at, ends_at)
    found = await get_participant(conn, broadcaster)
    if found is None or found.status is not Status.ACTIVE:
        raise ValidationError(
            f"{broadcaster} is not an active participant", code="invalid_broadcaster"
        )
    session = Session(
        id=new_id("live"),
        host=host,
        broadcaster=broadcaster,
        broadcaster_kind=kind_of(found),
        title=title,
        scheduled_start=starts_at,
        scheduled_end=ends_at,
        state=SessionState.SCHEDULED,
        started_at=None,
        ended_at=None,
        viewers=Viewers(),
        created_at=now,
        updated_at=now,
    )
    await store.insert_session(conn, session)
    await _tell(conn, session, now)
    return session


async def _hosted(conn: AsyncConnection, sender: str, session_id: str) -> Session:
    """The session, locked, when `sender` is its host (``not_your_session`` otherwise)."""
    session = await store.get_session(conn, session_id, lock=True)
    if session.host != sender:
        raise ForbiddenError(
            f"session {session_id} is {session.host}'s: only its host runs it",
            code="not_your_session",
        )
    return session


async def start(conn: AsyncConnection, sender: str, session_id: str, now: datetime) -> Session:
    session = await _hosted(conn, sender, session_id)
    state = move(session.id, session.state, SessionEvent.START)
    live = replace(session, state=state, started_at=now, updated_at=now)
    await store.save_session(conn, live)
    await _tell(conn, live, now)
    return live


async def end(conn: AsyncConnection, sender: str, session_id: str, now: datetime) -> Session:
    session = await _hosted(conn, sender, session_id)
    state = move(session.id, session.state, SessionEvent.END)
    ended = replace(session, state=state, ended_at=now, updated_at=now)
    await store.save_session(conn, ended)
    await _tell(conn, ended, now)
    return ended


def _placed_by(session: Session, merchant: str) -> str:
    """Who the cart placement is attributed to (see the module's docstring)."""
    if session.broadcaster in (session.host, merchant):
        return session.host
    if session.broadcaster_kind is BroadcasterKind.MERCHANT:
        return session.host
    return session.broadcaster


async def add_to_cart(
    conn: AsyncConnection,
    sender: str,
    session_id: str,
    *,
    merchant: str,
    sku_id: str,
    storefront_id: str | None,
    share_expires_at: datetime,
    now: datetime,
) -> PlacementView:
    """A `live_cart` placement of the offer on the host, bound to the session for good.

    Refused like any placement (``no_such_offer``, ``storefront_mismatch``,
    ``blocked_by_host_policy``...) and while the session has ended.
    """
    session = await _hosted(conn, sender, session_id)
    move(session.id, session.state, SessionEvent.ADD_TO_CART)
    placement_id = await create_placement(
        conn,
        host=session.host,
        surface=Surface.LIVE_CART,
        merchant=merchant,
        sku_id=sku_id,
        placed_by=_placed_by(session, merchant),
        storefront_id=storefront_id,
        share_expires_at=share_expires_at,
        now=now,
    )
    view = await placement_by_id(conn, placement_id)
    assert view is not None
    await require_not_blocked(conn, view, now.date(), f"a place in the cart of {session.id}")
    await store.bind_to_cart(conn, session.id, placement_id, now)
    return view


async def report_viewers(
    conn: AsyncConnection, sender: str, session_id: str, viewers: int, views: int, now: datetime
) -> Session:
    session = await _hosted(conn, sender, session_id)
    move(session.id, session.state, SessionEvent.REPORT_VIEWERS)
    counted = replace(
        session, viewers=check_viewers(session.viewers, viewers, views), updated_at=now
    )
    await store.store_viewer_report(conn, new_id("lvr"), session.id, viewers, views, now)
    await store.save_session(conn, counted)
    return counted


async def readable(conn: AsyncConnection, reader: str, session_id: str) -> Session:
    """The session, for its host, its broadcaster or an auditor."""
    session = await store.get_session(conn, session_id)
    if reader in (session.host, session.broadcaster):
        return session
    participant = await require_participant(conn, reader)
    if participant.has_role(Role.AUDITOR):
        return session
    raise ForbiddenError(
        f"session {session_id} is read by its host, its broadcaster and auditors",
        code="not_your_session",
    )


async def cart(conn: AsyncConnection, session: Session) -> list[PlacementView]:
    views = [await placement_by_id(conn, p) for p in await store.cart_of(conn, session.id)]
    return [view for view in views if view is not None]


async def report(
    conn: AsyncConnection, reader: str, session_id: str
) -> tuple[Session, SalesReport]:
    """The session and its sales (`hutong.commerce.livestreams.report`)."""
    session = await readable(conn, reader, session_id)
    return session, sales_report(await store.session_orders(conn, session.id), session.broadcaster)
