"""Carriers' tracking events: read by the carrier's plugin, stored, mapped, told.

A push is refused before anything is written, and before its message id is
used, when it is not understood (``bad_event``) or names a parcel the
carrier has no shipment for (``unknown_tracking_number``): a carrier may push
before the booking's answer is stored, and the same message sent again once
the parcel is known must be taken, not answered with the kept refusal.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.logistics import store
from hutong.logistics.news import tell
from hutong.logistics.plugins import CarrierPlugin, load_plugins
from hutong.logistics.statuses import Status
from hutong.protocol.errors import ForbiddenError, NotFoundError, ValidationError
from hutong.runtime.exactly_once import Write
from hutong.runtime.services import Services

__all__ = ["TrackingFollower", "ingest", "ingest_write", "plugin_for"]


def plugin_for(carrier: str) -> CarrierPlugin:
    plugin = load_plugins().get(carrier)
    if plugin is None:
        raise ForbiddenError(
            f"{carrier} has no tracking integration installed on this switch",
            code="no_carrier_plugin",
        )
    return plugin


#: What moves with a shipment's tracking, in the event's transaction (the order
#: shipped in it: `hutong.commerce.orders.shipping.follow`): the connection, the
#: shipment id, its new status, now.
TrackingFollower = Callable[[AsyncConnection, str, Status, datetime], Awaitable[None]]


async def ingest(
    services: Services, carrier: str, payload: dict[str, Any], *, follow: TrackingFollower
) -> store.Applied:
    """One tracking event in the carrier's own vocabulary: store, map, maybe advance."""
    # Group commit: concurrent carriers' events share one durable commit.
    write = await ingest_write(services, carrier, payload, follow=follow)
    return await services.batcher().run(write)


async def ingest_write(
    services: Services, carrier: str, payload: dict[str, Any], *, follow: TrackingFollower
) -> Write[store.Applied]:
    """The write of one tracking event, refused now if not understood or of no known parcel.

    Both refusals come from a read, before the caller uses a message id. A
    status change is told to the merchant and the host and passed to
    `follow` in the same transaction, so what depends on the parcel moves with it.
    """
    plugin = plugin_for(carrier)
    try:
        event = plugin.parse_event(payload)
    except ValueError as exc:
        raise ValidationError(f"{carrier} event not understood: {exc}", code="bad_event") from None
    mapped = plugin.mapping.map(event.code, event.sub_code)
    dedupe_key = plugin.dedupe_key(event)
    async with services.db.read() as conn:
        known = await store.shipment_by_tracking(conn, carrier, event.tracking_number)
    if known is None:
        raise _unknown(carrier, event.tracking_number)

    async def write(conn: AsyncConnection) -> store.Applied:
        now = services.clock()
        # The row lock orders concurrent events of one shipment (PostgreSQL).
        found = await store.shipment_for_event(conn, carrier, event.tracking_number, dedupe_key)
        if found is None:  # shipments are never deleted: not after the read above
            raise _unknown(carrier, event.tracking_number)
        shipment, seen = found
        applied = await store.record_event(
            conn,
            shipment=shipment,
            seen=seen,
            dedupe_key=dedupe_key,
            mapped=mapped,
            raw=dict(event.raw),
            occurred_at=event.occurred_at,
            now=now,
        )
        if applied.changed:
            await tell(conn, applied.shipment, "status", now)
            await follow(conn, shipment.id, applied.shipment.status, now)
            # The parcel leaves the point (or never comes) once: the first terminal state
            # gives the slot back, not delivered -> returned, nor a cancelled booking
            # delivered after all.
            if (
                applied.shipment.pickup_point_id
                and applied.shipment.status.terminal
                and not shipment.status.terminal
            ):
                await store.change_held(conn, applied.shipment.pickup_point_id, -1)
        return applied

    return write


def _unknown(carrier: str, tracking_number: str) -> NotFoundError:
    return NotFoundError(
        f"{carrier} has no shipment with tracking number {tracking_number}",
        code="unknown_tracking_number",
    )
