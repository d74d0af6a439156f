"""Shipment news: what the merchant and the shipment's host are told, in one transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.events.outbox import enqueue
from hutong.logistics import store

__all__ = ["tell"]


async def tell(conn: AsyncConnection, shipment: store.Shipment, what: str, now: datetime) -> None:
    """Shipment news goes to the merchant and the host (when there is one)."""
    for recipient in {shipment.merchant, *([shipment.host] if shipment.host else [])}:
        await enqueue(
            conn,
            recipient=recipient,
            action="on_shipment",
            message={"change": what, "shipment": shipment.as_dict()},
            now=now,
            transaction_id=shipment.id,
        )
