"""Cancelling a booked shipment: the carrier asked first, then the write that records it.

Only a parcel not yet picked up can be cancelled (``already_cancelled``,
``too_late_to_cancel``); its pickup point's slot goes back with it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.logistics import store
from hutong.logistics.news import tell
from hutong.logistics.statuses import Status
from hutong.net.calls import call
from hutong.net.transport import CallTransport
from hutong.protocol.errors import ConflictError, ForbiddenError
from hutong.runtime.services import Services

__all__ = ["ask_to_cancel", "cancel", "record_cancel"]


async def cancel(
    services: Services, http: CallTransport, shipment_id: str, caller: str
) -> store.Shipment:
    shipment = await ask_to_cancel(services, http, shipment_id, caller)
    async with services.db.transaction() as conn:
        return await record_cancel(conn, shipment, services.clock())


async def ask_to_cancel(
    services: Services, http: CallTransport, shipment_id: str, caller: str
) -> store.Shipment:
    """Check the caller may cancel, and have the carrier cancel; nothing written yet."""
    async with services.db.read() as conn:
        shipment = await store.get_shipment(conn, shipment_id)
    if caller != shipment.merchant:
        raise ForbiddenError("only the merchant cancels its shipment", code="not_your_shipment")
    _check_cancellable(shipment)
    await call(
        services,
        http,
        shipment.carrier,
        "cancel",
        {"shipment_id": shipment.id, "tracking_number": shipment.tracking_number},
        message_id=f"{shipment.id}:cancel",
        on_behalf_of=shipment.host or "",
    )
    return shipment


async def record_cancel(
    conn: AsyncConnection, shipment: store.Shipment, now: Any
) -> store.Shipment:
    """The write of a cancel the carrier agreed to, in the caller's transaction."""
    # A pick-up reported while the carrier was being asked wins: look again,
    # under the row lock, before cancelling.
    current = await store.shipment_by_tracking(
        conn, shipment.carrier, shipment.tracking_number or "", lock=True
    )
    _check_cancellable(current or shipment)
    await store.set_status(conn, shipment.id, Status.CANCELLED, "cancelled_by_merchant", now, now)
    if shipment.pickup_point_id:
        await store.change_held(conn, shipment.pickup_point_id, -1)
    shipment = await store.get_shipment(conn, shipment.id)
    await tell(conn, shipment, "cancelled", now)
    return shipment


def _check_cancellable(shipment: store.Shipment) -> None:
    if shipment.status is Status.CANCELLED:
        raise ConflictError(
            f"shipment {shipment.id} is already cancelled", code="already_cancelled"
        )
    if shipment.status not in (Status.INFO_RECEIVED, Status.UNKNOWN):
        raise ConflictError(
            f"shipment {shipment.id} is {shipment.status.value}; only one not yet picked up "
            "can be cancelled",
            code="too_late_to_cancel",
        )
