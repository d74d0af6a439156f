"""Ordering from a live cart: only while its session is on air.

An order through a placement bound to a session (`store.session_of_placement`)
is taken only while the session is ``live``: before the start it is refused
``session_not_live``, after the end ``session_ended`` (409, before anything is
held), and again under the session's row lock in the order's own write, so
an end committed while the merchant's platform was being asked refuses the
order (kept cancelled, its reservation told). A placement bound to no
session is not concerned. The order then
carries the session through its placement: that is the attribution the
session's report sums.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.commerce.livestreams.states import SessionEvent, move
from hutong.commerce.livestreams.store import get_session, session_of_placement

__all__ = ["require_cart_open"]


async def require_cart_open(conn: AsyncConnection, placement_id: str, *, lock: bool = False) -> str:
    """The session id of the placement's cart ("" if none), refusing a session not live.

    With `lock` the session's row is read under its lock (the one ending it
    takes): called in the order's own write, no order is written once the
    session's end is committed, and the end waits for an order being written.
    """
    session = await session_of_placement(conn, placement_id)
    if session is None:
        return ""
    if lock:
        session = await get_session(conn, session.id, lock=True)
    move(session.id, session.state, SessionEvent.TAKE_ORDER)
    return session.id
