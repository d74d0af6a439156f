"""Carrier services, pickup points and policies, shipments and tracking in the database."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.logistics.mapping import Mapped
from hutong.logistics.pickup import (
    PickupPoint,
    PickupPolicy,
    PickupRule,
    bounding_box,
    nearest,
)
from hutong.logistics.quotes import ServiceDeclaration
from hutong.logistics.statuses import Status, advances
from hutong.protocol.errors import NotFoundError
from hutong.store.tables import (
    carrier_services,
    host_carrier_policies,
    logistics_refusals,
    pickup_points,
    pickup_policies,
    shipments,
    tracking_events,
)

# -- carrier services -----------------------------------------------------------------


async def declare_services(
    conn: AsyncConnection, carrier: str, services: Sequence[ServiceDeclaration], now: datetime
) -> None:
    """Replace what `carrier` offers with `services`."""
    await conn.execute(delete(carrier_services).where(carrier_services.c.carrier == carrier))
    if services:
        await conn.execute(
            insert(carrier_services),
            [
                {
                    "carrier": carrier,
                    "service": service.name,
                    "declaration": json.dumps(service.to_dict(), ensure_ascii=False),
                    "updated_at": now,
                }
                for service in services
            ],
        )


async def all_services(conn: AsyncConnection) -> dict[str, list[ServiceDeclaration]]:
    rows = (await conn.execute(select(carrier_services).order_by(carrier_services.c.carrier))).all()
    found: dict[str, list[ServiceDeclaration]] = {}
    for row in rows:
        found.setdefault(row.carrier, []).append(
            ServiceDeclaration.from_dict(json.loads(row.declaration))
        )
    return found


# -- pickup points and policies ---------------------------------------------------------


def _point(row: Any) -> PickupPoint:
    return PickupPoint(
        id=row.id,
        network=row.network,
        name=row.name,
        address=row.address,
        province=row.province,
        city=row.city,
        lat_e6=row.lat_e6,
        lng_e6=row.lng_e6,
        opening_hours=row.opening_hours,
        capacity=row.capacity,
        held=row.held,
    )


async def publish_points(
    conn: AsyncConnection, network: str, points: Sequence[PickupPoint], now: datetime
) -> None:
    """Add or update a network's points (their held count is kept)."""
    for point in points:
        values = {
            "network": network,
            "name": point.name,
            "address": point.address,
            "province": point.province,
            "city": point.city,
            "lat_e6": point.lat_e6,
            "lng_e6": point.lng_e6,
            "opening_hours": point.opening_hours,
            "capacity": point.capacity,
            "updated_at": now,
        }
        updated = await conn.execute(
            update(pickup_points)
            .where(pickup_points.c.id == point.id, pickup_points.c.network == network)
            .values(**values)
        )
        if updated.rowcount == 0:
            await conn.execute(insert(pickup_points), {"id": point.id, "held": 0, **values})


async def get_point(conn: AsyncConnection, point_id: str) -> PickupPoint | None:
    row = (await conn.execute(select(pickup_points).where(pickup_points.c.id == point_id))).first()
    return _point(row) if row is not None else None


async def points_near(
    conn: AsyncConnection, lat_e6: int, lng_e6: int, radius_m: int, limit: int
) -> list[tuple[int, PickupPoint]]:
    """Points within `radius_m`, nearest first, with their distance in metres."""
    min_lat, max_lat, min_lng, max_lng = bounding_box(lat_e6, lng_e6, radius_m)
    rows = (
        await conn.execute(
            select(pickup_points).where(
                pickup_points.c.lat_e6.between(min_lat, max_lat),
                pickup_points.c.lng_e6.between(min_lng, max_lng),
            )
        )
    ).all()
    return nearest([_point(r) for r in rows], lat_e6, lng_e6, radius_m, limit)


async def change_held(conn: AsyncConnection, point_id: str, delta: int) -> bool:
    """Reserve (+1) or release (-1) a slot; False when the point is full."""
    condition = (
        pickup_points.c.held < pickup_points.c.capacity if delta > 0 else (pickup_points.c.held > 0)
    )
    result = await conn.execute(
        update(pickup_points)
        .where(and_(pickup_points.c.id == point_id, condition))
        .values(held=pickup_points.c.held + delta)
    )
    return bool(result.rowcount)


async def _policy(conn: AsyncConnection, table: Table, key: str, owner: str) -> PickupPolicy:
    rows = (
        await conn.execute(
            select(table.c.rule).where(table.c[key] == owner).order_by(table.c.version)
        )
    ).all()
    policy = PickupPolicy()
    for row in rows:
        policy.declare(PickupRule.from_dict(json.loads(row.rule)))
    return policy


async def pickup_policy(conn: AsyncConnection, network: str) -> PickupPolicy:
    return await _policy(conn, pickup_policies, "network", network)


async def host_policy(conn: AsyncConnection, host: str) -> PickupPolicy:
    return await _policy(conn, host_carrier_policies, "host", host)


async def declare_policy(
    conn: AsyncConnection, *, kind: str, owner: str, rule: PickupRule, now: datetime
) -> PickupRule:
    """Append a version of a network's pickup policy or a host's carrier policy."""
    table, key = (
        (pickup_policies, "network") if kind == "pickup" else (host_carrier_policies, "host")
    )
    policy = await _policy(conn, table, key, owner)
    stored = policy.declare(rule)
    await conn.execute(
        insert(table),
        {
            key: owner,
            "version": stored.version,
            "rule": json.dumps(stored.to_dict(), ensure_ascii=False),
            "valid_from": stored.valid_from,
            "declared_at": now,
        },
    )
    return stored


async def record_refusal(
    conn: AsyncConnection,
    *,
    kind: str,
    by: str,
    against: str,
    subject: str,
    reason: str,
    now: datetime,
) -> None:
    await conn.execute(
        insert(logistics_refusals),
        {
            "kind": kind,
            "by": by,
            "against": against,
            "subject": subject,
            "reason": reason,
            "created_at": now,
        },
    )


# -- shipments and tracking -------------------------------------------------------------


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


_INSERT_EVENT = insert(tracking_events)
_SEEN = select(tracking_events.c.id).where(
    tracking_events.c.carrier == bindparam("carrier"),
    tracking_events.c.dedupe_key == bindparam("dedupe_key"),
)


async def record_event(
    conn: AsyncConnection,
    *,
    shipment: Shipment,
    dedupe_key: str,
    mapped: Mapped,
    raw: dict[str, Any],
    occurred_at: datetime,
    now: datetime,
) -> Applied:
    """Store one tracking event (once) and move the shipment's state if it advances.

    The caller holds the shipment's row lock (`shipment_by_tracking(lock=True)`),
    so the duplicate check and the state change see every earlier event of
    this shipment; the unique key on (carrier, dedupe_key) stays the backstop.
    """
    seen = await conn.scalar(_SEEN, {"carrier": shipment.carrier, "dedupe_key": dedupe_key})
    if seen is not None:
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
