"""Pickup points in the database: published by their networks, found near a place, held."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.logistics.pickup import PickupPoint, bounding_box, nearest
from hutong.store.cache import changed, declarations
from hutong.store.tables import pickup_points

__all__ = ["change_held", "declared_point", "get_point", "points_near", "publish_points"]


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
    changed(conn, *(("pickup_point", point.id) for point in points))
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


async def declared_point(conn: AsyncConnection, point_id: str) -> PickupPoint | None:
    """The point as its network declared it (cached: `hutong.store.cache`).

    For where it is and whose it is: its `held` count may be up to the cache's
    bound old, so room is only ever taken by `change_held`.
    """
    return await declarations(conn).get(
        ("pickup_point", point_id), lambda: get_point(conn, point_id)
    )


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
