"""What an order's own view adds from beside it: its coupon and its livestream session.

``GET /v1/orders/{id}`` shows, besides the order every answer shows
(`visibility.view`), what a client would otherwise ask a second route for:

``coupon``
    the coupon the order redeemed (``null`` when none): the claimed coupon's
    id, its campaign, the ``discount`` the buyer did not pay and the part of
    it refunds ``returned`` (fen). Who funds it stays with the coupons
    routes (``GET /v1/coupons/orders/{id}``), read by its parties.
``session_id``
    the livestream session whose cart the order came through (``null`` when
    none): a placement is bound to at most one session and never rebound, so
    the placement names the session for good.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.commerce.coupons import redeem as coupons
from hutong.commerce.livestreams.store import session_of_placement
from hutong.commerce.orders.store import OrderRow

__all__ = ["OWN_VIEW_FIELDS", "order_details"]

#: The fields only the order's own view has (not the list, the step answers or events).
OWN_VIEW_FIELDS = ("coupon", "session_id")


async def order_details(conn: AsyncConnection, row: OrderRow) -> dict[str, Any]:
    """The order's ``coupon`` and ``session_id`` (each ``None`` when it has none)."""
    redemption = await coupons.find(conn, row.id)
    session = await session_of_placement(conn, row.placement_id) if row.placement_id else None
    return {
        "coupon": None
        if redemption is None
        else {
            "coupon": redemption.claim_id,
            "campaign_id": redemption.campaign_id,
            "discount": redemption.discount,
            "returned": redemption.returned,
        },
        "session_id": None if session is None else session.id,
    }
