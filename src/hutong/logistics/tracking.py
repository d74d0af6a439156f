"""Carriers' tracking events: read by the carrier's plugin, stored, mapped, told.

A push is refused before anything is written, and without using its message
id, when it is not understood (``bad_event``, before its write runs) or names
a parcel the carrier has no shipment for (``unknown_tracking_number``, found
by the write's first read, which then writes nothing and returns
`Unanswered`: no answer is recorded). A carrier may push before the
booking's answer is stored, and the same message sent again once the parcel
is known must be taken, not answered with a kept refusal.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Row
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.logistics import store
from hutong.logistics.news import tell
from hutong.logistics.plugins import CarrierPlugin, load_plugins
from hutong.logistics.statuses import Status
from hutong.protocol.errors import ForbiddenError, NotFoundError, ValidationError
from hutong.runtime.exactly_once import Unanswered, Write
from hutong.runtime.services import Services

__all__ = [
    "TrackingFollower",
    "ingest",
    "ingest_write",
    "plugin_for",
]


def plugin_for(carrier: str) -> CarrierPlugin:
    plugin = load_plugins().get(carrier)
    if plugin is None:
        raise ForbiddenError(
            f"{carrier} has no tracking integration installed on this switch",
            code="no_carrier_plugin",
        )
    return plugin


@dataclass(frozen=True, slots=True)
class TrackingFollower:
    """What moves with a shipment's tracking, in the event's transaction.

    (The order shipped in it: `hutong.commerce.orders.shipping.FOLLOWER`.)
    `rides`: the column of the follower's table that names the shipment; its
    row is read with the shipment, locked after it, in the write's first
    statement (`store.shipment_for_event`). `follow` gets the connection, that
    row, the shipment's new status and now; a shipment no row rides on moves alone.
    """

    rides: Column[str]
    follow: Callable[[AsyncConnection, Row[Any], Status, datetime], Awaitable[None]]


def unknown_parcel(carrier: str, tracking_number: str) -> Unanswered:
    """The refusal of a push about a parcel the carrier has no shipment for (not recorded)."""
    return Unanswered(
        NotFoundError(
            f"{carrier} has no shipment with tracking number {tracking_number}",
            code="unknown_tracking_number",
        )
    )


async def ingest(
    services: Services, carrier: str, payload: dict[str, Any], *, follower: TrackingFollower
) -> store.Applied:
    """One tracking event in the carrier's own vocabulary: store, map, maybe advance."""
    # Group commit: concurrent carriers' events share one durable commit.
    applied = await services.batcher().run(
        ingest_write(services, carrier, payload, follower=follower)
    )
    if isinstance(applied, Unanswered):
        raise applied.error
    return applied


def ingest_write(
    services: Services, carrier: str, payload: dict[str, Any], *, follower: TrackingFollower
) -> Write[store.Applied | Unanswered]:
    """The write of one tracking event, refused now if not understood.

    The write returns `Unanswered` (having written nothing) when the carrier
    has no such parcel. A status change is told to the merchant
    and the host and passed to the `follower` in the same transaction, so what
    depends on the parcel moves with it.
    """
    plugin = plugin_for(carrier)
    try:
        event = plugin.parse_event(payload)
    except ValueError as exc:
        raise ValidationError(f"{carrier} event not understood: {exc}", code="bad_event") from None
    mapped = plugin.mapping.map(event.code, event.sub_code)
    dedupe_key = plugin.dedupe_key(event)
    dialect = services.db.dialect

    async def write(conn: AsyncConnection) -> store.Applied | Unanswered:
        now = services.clock()
        # The row locks order concurrent events of one shipment (PostgreSQL).
        found = await store.shipment_for_event(
            conn,
            carrier,
            event.tracking_number,
            dedupe_key,
            dialect=dialect,
            riding=follower.rides,
        )
        if found is None:
            return unknown_parcel(carrier, event.tracking_number)
        shipment = found.shipment
        applied = await store.record_event(
            conn,
            shipment=shipment,
            seen=found.seen,
            dedupe_key=dedupe_key,
            mapped=mapped,
            raw=dict(event.raw),
            occurred_at=event.occurred_at,
            now=now,
        )
        if applied.changed:
            await tell(conn, applied.shipment, "status", now)
            if found.rider is not None:
                await follower.follow(conn, found.rider, applied.shipment.status, now)
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
