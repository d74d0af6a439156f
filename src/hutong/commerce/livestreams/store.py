"""Livestream sessions, their carts and viewer reports in the database (rows only)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.commerce.commissions import OrderSplit
from hutong.commerce.livestreams.report import SessionOrder
from hutong.commerce.livestreams.states import BroadcasterKind, SessionState, Viewers
from hutong.protocol.errors import NotFoundError
from hutong.store.tables import (
    livestream_cart,
    livestream_sessions,
    livestream_viewer_reports,
    orders,
)

__all__ = [
    "Session",
    "bind_to_cart",
    "cart_of",
    "get_session",
    "insert_session",
    "save_session",
    "session_of_placement",
    "session_orders",
    "store_viewer_report",
]


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    host: str
    broadcaster: str
    broadcaster_kind: BroadcasterKind
    title: str
    scheduled_start: datetime
    scheduled_end: datetime
    state: SessionState
    started_at: datetime | None
    ended_at: datetime | None
    viewers: Viewers
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        def at(moment: datetime | None) -> str | None:
            return None if moment is None else moment.isoformat()

        return {
            "id": self.id,
            "host": self.host,
            "broadcaster": self.broadcaster,
            "broadcaster_kind": self.broadcaster_kind.value,
            "title": self.title,
            "scheduled_start": self.scheduled_start.isoformat(),
            "scheduled_end": self.scheduled_end.isoformat(),
            "state": self.state.value,
            "started_at": at(self.started_at),
            "ended_at": at(self.ended_at),
            "peak_viewers": self.viewers.peak_viewers,
            "views": self.viewers.views,
        }


def _session(row: Any) -> Session:
    return Session(
        id=row.id,
        host=row.host,
        broadcaster=row.broadcaster,
        broadcaster_kind=BroadcasterKind(row.broadcaster_kind),
        title=row.title,
        scheduled_start=row.scheduled_start,
        scheduled_end=row.scheduled_end,
        state=SessionState(row.state),
        started_at=row.started_at,
        ended_at=row.ended_at,
        viewers=Viewers(row.peak_viewers, row.views),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _columns(session: Session) -> dict[str, Any]:
    return {
        "host": session.host,
        "broadcaster": session.broadcaster,
        "broadcaster_kind": session.broadcaster_kind.value,
        "title": session.title,
        "scheduled_start": session.scheduled_start,
        "scheduled_end": session.scheduled_end,
        "state": session.state.value,
        "started_at": session.started_at,
        "ended_at": session.ended_at,
        "peak_viewers": session.viewers.peak_viewers,
        "views": session.viewers.views,
        "created_at": session.created_at,
        "updated_at": session.updated_at,
    }


async def insert_session(conn: AsyncConnection, session: Session) -> None:
    await conn.execute(insert(livestream_sessions).values(id=session.id, **_columns(session)))


async def get_session(conn: AsyncConnection, session_id: str, *, lock: bool = False) -> Session:
    query = select(livestream_sessions).where(livestream_sessions.c.id == session_id)
    if lock:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    if row is None:
        raise NotFoundError(f"no livestream session {session_id}", code="unknown_session")
    return _session(row)


async def save_session(conn: AsyncConnection, session: Session) -> None:
    await conn.execute(
        update(livestream_sessions)
        .where(livestream_sessions.c.id == session.id)
        .values(**_columns(session))
    )


async def bind_to_cart(
    conn: AsyncConnection, session_id: str, placement_id: str, now: datetime
) -> None:
    await conn.execute(
        insert(livestream_cart).values(
            placement_id=placement_id, session_id=session_id, added_at=now
        )
    )


async def cart_of(conn: AsyncConnection, session_id: str) -> list[str]:
    """The session's cart placements, in the order they were added."""
    rows = await conn.execute(
        select(livestream_cart.c.placement_id)
        .where(livestream_cart.c.session_id == session_id)
        .order_by(livestream_cart.c.added_at, livestream_cart.c.placement_id)
    )
    return [row.placement_id for row in rows]


async def session_of_placement(conn: AsyncConnection, placement_id: str) -> Session | None:
    """The session whose cart holds the placement, if any."""
    row = (
        await conn.execute(
            select(livestream_sessions).join(
                livestream_cart,
                (livestream_cart.c.session_id == livestream_sessions.c.id)
                & (livestream_cart.c.placement_id == placement_id),
            )
        )
    ).first()
    return None if row is None else _session(row)


async def store_viewer_report(
    conn: AsyncConnection, report_id: str, session_id: str, viewers: int, views: int, now: datetime
) -> None:
    await conn.execute(
        insert(livestream_viewer_reports).values(
            id=report_id, session_id=session_id, viewers=viewers, views=views, reported_at=now
        )
    )


async def session_orders(conn: AsyncConnection, session_id: str) -> list[SessionOrder]:
    """Every order taken through the session's cart, as the report reads it."""
    rows = await conn.execute(
        select(
            orders.c.merchant_platform,
            orders.c.paid,
            orders.c.refunded,
            orders.c.creator,
            orders.c.split,
            orders.c.refunded_after_split,
        )
        .select_from(
            orders.join(livestream_cart, livestream_cart.c.placement_id == orders.c.placement_id)
        )
        .where(livestream_cart.c.session_id == session_id)
        .order_by(orders.c.id)
    )
    return [
        SessionOrder(
            merchant_platform=row.merchant_platform,
            paid=row.paid,
            refunded=sum(json.loads(row.refunded)),
            creator=row.creator,
            split=None if row.split is None else OrderSplit(**json.loads(row.split)),
            refunded_after_split=row.refunded_after_split,
        )
        for row in rows
    ]
