"""Shipments and their tracking events in the database."""

from __future__ import annotations

import dataclasses
import functools
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    FromClause,
    Label,
    Row,
    Select,
    bindparam,
    insert,
    select,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.logistics.mapping import Mapped
from hutong.logistics.statuses import Status, advances
from hutong.protocol.errors import NotFoundError
from hutong.store.held_inserts import past_held_rows
from hutong.store.tables import shipments, tracking_events

__all__ = [
    "Applied",
    "ForEvent",
    "Shipment",
    "events_of",
    "find_shipment",
    "get_shipment",
    "insert_shipment",
    "record_event",
    "set_status",
    "shipment_beside",
    "shipment_by_tracking",
    "shipment_columns",
    "shipment_for_event",
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


def _shipment(row: Any, prefix: str = "") -> Shipment:
    """The shipment in `row`, its columns named `prefix` + their names."""
    values = row._mapping
    return Shipment(
        id=values[prefix + "id"],
        merchant=values[prefix + "merchant"],
        host=values[prefix + "host"],
        carrier=values[prefix + "carrier"],
        service=values[prefix + "service"],
        tracking_number=values[prefix + "tracking_number"],
        label_ref=values[prefix + "label_ref"],
        pickup_point_id=values[prefix + "pickup_point_id"],
        destination=json.loads(values[prefix + "destination"]),
        weight_g=values[prefix + "weight_g"],
        price=values[prefix + "price"],
        status=Status(values[prefix + "status"]),
        sub_status=values[prefix + "sub_status"],
        status_at=values[prefix + "status_at"],
    )


#: A shipment's columns read beside another table's, named apart (`shipment_beside`).
_AS_SHIPMENT = "shipment__"


def shipment_columns(source: FromClause = shipments) -> list[Label[Any]]:
    """The shipment columns of `source` (the table, or a subquery of it), named apart.

    For a read that joins the shipment to another table's row, whose own
    columns keep their names; `shipment_beside` reads the shipment back.
    """
    return [c.label(_AS_SHIPMENT + c.name) for c in source.c]


def shipment_beside(row: Any) -> Shipment | None:
    """The shipment read with `shipment_columns` in `row`; None when an outer join found none."""
    return None if row._mapping[_AS_SHIPMENT + "id"] is None else _shipment(row, _AS_SHIPMENT)


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
_SEEN = (
    select(tracking_events.c.id)
    .where(
        tracking_events.c.carrier == bindparam("carrier"),
        tracking_events.c.dedupe_key == bindparam("dedupe_key"),
    )
    .exists()
    .label("seen")
)
_OF_PARCEL = (
    shipments.c.carrier == bindparam("carrier"),
    shipments.c.tracking_number == bindparam("tracking_number"),
)


@dataclass(frozen=True, slots=True)
class ForEvent:
    """What the write of a tracking event reads first, in one statement.

    The parcel's shipment (locked), whether the carrier already sent the
    event, and the row that rides on the shipment (`shipment_for_event`'s
    `riding`: the order shipped in it), locked after it; None if there is none.
    """

    shipment: Shipment
    seen: bool
    rider: Row[Any] | None


@functools.cache
def _for_event(riding: Column[str] | None, dialect: str) -> Select[Any]:
    """`_read_for_event`, its held tracking events left held (the unique key backs its check)."""
    return past_held_rows(_read_for_event(riding, dialect), tracking_events)


def _read_for_event(riding: Column[str] | None, dialect: str) -> Select[Any]:
    """The read of `ForEvent`: row locks (PostgreSQL) on the shipment, then on its rider.

    A riding row is outer-joined (a shipment booked on its own has none),
    and PostgreSQL locks no nullable side of an outer join: there the shipment
    is locked in a subquery and the rider in a lateral one joined to it, so
    the shipment's lock comes first and the rider's second, the order tracking
    has always locked them in. SQLite's write transaction excludes every other
    writer: a plain join there.
    """
    if riding is None:
        return select(shipments, _SEEN).where(*_OF_PARCEL).with_for_update(of=shipments)
    if dialect != "postgresql":
        return (
            select(*shipment_columns(), _SEEN, riding.table)
            .select_from(shipments.outerjoin(riding.table, riding == shipments.c.id))
            .where(*_OF_PARCEL)
        )
    parcel = select(shipments).where(*_OF_PARCEL).with_for_update().subquery("parcel")
    rider = select(riding.table).where(riding == parcel.c.id).with_for_update().lateral("rider")
    return select(*[c.label(_AS_SHIPMENT + c.name) for c in parcel.c], _SEEN, *rider.c).select_from(
        parcel.outerjoin(rider, true())
    )


async def shipment_for_event(
    conn: AsyncConnection,
    carrier: str,
    tracking_number: str,
    dedupe_key: str,
    *,
    dialect: str,
    riding: Column[str] | None = None,
) -> ForEvent | None:
    """The parcel's `ForEvent`, or None when the carrier has no such parcel.

    For `record_event`'s caller: the lock and the duplicate check in one
    statement, with the rider: the row of `riding`'s table whose `riding`
    column names the shipment (its first: there is at most one). A twin
    event committed while this one waited for the lock may be missed by the
    check (its snapshot is the statement's); the unique key on (carrier,
    dedupe_key) then refuses the insert and the write runs again. So may a
    twin held by an earlier write of the same group commit: the check reads
    past the tracking events the batch holds (`hutong.store.held_inserts.past_held_rows`),
    so that the events of a batch's pushes go as one INSERT; a twin fails
    that INSERT on the key and the batch runs again write by write, where the
    check sees it. `dialect`: the database's (`Database.dialect`), which says
    how the rows are locked.
    """
    params = {"carrier": carrier, "tracking_number": tracking_number, "dedupe_key": dedupe_key}
    row = (await conn.execute(_for_event(riding, dialect), params)).first()
    if row is None:
        return None
    if riding is None:
        return ForEvent(_shipment(row), bool(row.seen), None)
    rider = row if row._mapping[riding.name] is not None else None
    shipment = shipment_beside(row)
    assert shipment is not None  # the shipment is the join's outer side
    return ForEvent(shipment, bool(row.seen), rider)


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
