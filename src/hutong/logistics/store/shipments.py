"""Shipments and their tracking events in the database."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.logistics.mapping import Mapped
from hutong.logistics.statuses import Status, advances
from hutong.protocol.errors import NotFoundError
from hutong.store.tables import shipments, tracking_events

__all__ = [
    "Applied",
    "Shipment",
    "events_of",
    "find_shipment",
    "get_shipment",
    "insert_shipment",
    "record_event",
    "set_status",
    "shipment_by_tracking",
]


@dataclass(frozen=True, slots=True)
class Shipment:
    id: str
    merchant: str
    host: str | None
    carrier: str
    service: str
    tracking_number: str | None
    label_ref: str | None
    pickup_point_id: str | None
    destination: dict[str, Any]
    weight_g: int
    price: int
    status: Status
    sub_status: str
    status_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "merchant": self.merchant,
            "host": self.host,
            "carrier": self.carrier,
            "service": self.service,
            "tracking_number": self.tracking_number,
            "label_ref": self.label_ref,
            "pickup_point_id": self.pickup_point_id,
            "destination": self.destination,
            "weight_g": self.weight_g,
            "price": self.price,
            "status": self.status.value,
            "sub_status": self.sub_status,
            "status_at": self.status_at.isoformat() if self.status_at else None,
        }


def _shipment(row: Any) -> Shipment:
    return Shipment(
        id=row.id,
        merchant=row.merchant,
        host=row.host,
        carrier=row.carrier,
        service=row.service,
        tracking_number=row.tracking_number,
        label_ref=row.label_ref,
        pickup_point_id=row.pickup_point_id,
        destination=json.loads(row.destination),
        weight_g=row.weight_g,
        price=row.price,
        status=Status(row.status),
        sub_status=row.sub_status,
        status_at=row.status_at,
    )


async def insert_shipment(conn: AsyncConnection, shipment: Shipment, now: datetime) -> None:
    await conn.execute(
        insert(shipments),
        {
            **{k: v for k, v in shipment.as_dict().items() if k not in ("status_at",)},
            "destination": json.dumps(shipment.destination, ensure_ascii=False),
            "status": shipment.status.value,
            "status_at": shipment.status_at,
            "created_at": now,
            "updated_at": now,
        },
    )


async def find_shipment(conn: AsyncConnection, shipment_id: str) -> Shipment | None:
    row = (await conn.execute(select(shipments).where(shipments.c.id == shipment_id))).first()
    return _shipment(row) if row is not None else None


async def get_shipment(conn: AsyncConnection, shipment_id: str) -> Shipment:
    found = await find_shipment(conn, shipment_id)
    if found is None:
        raise NotFoundError(f"no shipment {shipment_id}", code="unknown_shipment")
    return found


_BY_TRACKING = select(shipments).where(
    shipments.c.carrier == bindparam("carrier"),
    shipments.c.tracking_number == bindparam("tracking_number"),
)
#: The same, locking the row (PostgreSQL) so events of one shipment apply one at a time.
_BY_TRACKING_LOCKED = _BY_TRACKING.with_for_update()


async def shipment_by_tracking(
    conn: AsyncConnection, carrier: str, tracking_number: str, *, lock: bool = False
) -> Shipment | None:
    statement = _BY_TRACKING_LOCKED if lock else _BY_TRACKING
    params = {"carrier": carrier, "tracking_number": tracking_number}
    row = (await conn.execute(statement, params)).first()
    return _shipment(row) if row is not None else None


_SET_STATUS = (
    update(shipments)
    .where(shipments.c.id == bindparam("shipment_id"))
    .values(
        status=bindparam("new_status"),
        sub_status=bindparam("new_sub_status"),
        status_at=bindparam("new_status_at"),
        updated_at=bindparam("now"),
    )
)


async def set_status(
    conn: AsyncConnection,
    shipment_id: str,
    status: Status,
    sub_status: str,
    at: datetime | None,
    now: datetime,
) -> None:
    await conn.execute(
        _SET_STATUS,
        {
            "shipment_id": shipment_id,
            "new_status": status.value,
            "new_sub_status": sub_status,
            "new_status_at": at,
            "now": now,
        },
    )


@dataclass(frozen=True, slots=True)
class Applied:
    duplicate: bool
    changed: bool
    shipment: Shipment
    mapped: Mapped

    def to_dict(self) -> dict[str, Any]:
        """The answer to the carrier that pushed the event."""
        mapped = self.mapped
        return {
            "shipment_id": self.shipment.id,
            "duplicate": self.duplicate,
            "applied": self.changed,
            "status": self.shipment.status.value,
            "event": {
                "status": mapped.status.value,
                "sub_status": mapped.sub_status,
                "reason": mapped.reason,
                "raw_code": mapped.raw_code,
                "raw_sub_code": mapped.raw_sub_code,
                "mapped": mapped.mapped,
            },
        }


_INSERT_EVENT = insert(tracking_events)
_SEEN = select(tracking_events.c.id).where(
    tracking_events.c.carrier == bindparam("carrier"),
    tracking_events.c.dedupe_key == bindparam("dedupe_key"),
)
#: The shipment, locked, and whether its carrier already sent the event: one round trip.
_FOR_EVENT = (
    select(shipments, _SEEN.exists().label("seen"))
    .where(
        shipments.c.carrier == bindparam("carrier"),
        shipments.c.tracking_number == bindparam("tracking_number"),
    )
    .with_for_update(of=shipments)
)


async def shipment_for_event(
    conn: AsyncConnection, carrier: str, tracking_number: str, dedupe_key: str
) -> tuple[Shipment, bool] | None:
    """The parcel's shipment, locked (PostgreSQL), and whether event `dedupe_key` is stored.

    For `record_event`'s caller: the lock and the duplicate check in one
    statement. A twin event committed while this one waited for the lock may
    be missed by the check (its snapshot is the statement's); the unique key
    on (carrier, dedupe_key) then refuses the insert and the write runs again.
    """
    params = {"carrier": carrier, "tracking_number": tracking_number, "dedupe_key": dedupe_key}
    row = (await conn.execute(_FOR_EVENT, params)).first()
    return None if row is None else (_shipment(row), bool(row.seen))


async def record_event(
    conn: AsyncConnection,
    *,
    shipment: Shipment,
    dedupe_key: str,
    mapped: Mapped,
    raw: dict[str, Any],
    occurred_at: datetime,
    now: datetime,
    seen: bool,
) -> Applied:
    """Store one tracking event (once) and move the shipment's state if it advances.

    The caller holds the shipment's row lock and knows whether the event was
    `seen` before (`shipment_for_event`), so the duplicate check and the state
    change see every earlier event of this shipment; the unique key on
    (carrier, dedupe_key) stays the backstop.
    """
    if seen:
        return Applied(True, False, shipment, mapped)
    changed = advances(shipment.status, shipment.status_at, mapped.status, occurred_at)
    await conn.execute(
        _INSERT_EVENT,
        {
            "shipment_id": shipment.id,
            "carrier": shipment.carrier,
            "dedupe_key": dedupe_key,
            "raw_code": mapped.raw_code,
            "raw_sub_code": mapped.raw_sub_code,
            "raw": json.dumps(raw, ensure_ascii=False, default=str),
            "status": mapped.status.value,
            "sub_status": mapped.sub_status,
            "reason": mapped.reason,
            "occurred_at": occurred_at,
            "received_at": now,
            "applied": changed,
        },
    )
    if changed:
        await set_status(conn, shipment.id, mapped.status, mapped.sub_status, occurred_at, now)
        shipment = dataclasses.replace(
            shipment, status=mapped.status, sub_status=mapped.sub_status, status_at=occurred_at
        )
    return Applied(False, changed, shipment, mapped)


async def events_of(conn: AsyncConnection, shipment_id: str) -> list[dict[str, Any]]:
    rows = (
        await conn.execute(
            select(tracking_events)
            .where(tracking_events.c.shipment_id == shipment_id)
            .order_by(tracking_events.c.occurred_at, tracking_events.c.id)
        )
    ).all()
    return [
        {
            "status": r.status,
            "sub_status": r.sub_status,
            "reason": r.reason,
            "raw_code": r.raw_code,
            "raw_sub_code": r.raw_sub_code,
            "occurred_at": r.occurred_at.isoformat(),
            "applied": r.applied,
        }
        for r in rows
    ]
