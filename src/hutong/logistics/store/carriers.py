"""What each carrier declares it offers (its services), in the database."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.logistics.quotes import ServiceDeclaration
from hutong.store.cache import changed, declarations
from hutong.store.tables import carrier_services

__all__ = ["all_services", "declare_services"]


async def declare_services(
    conn: AsyncConnection, carrier: str, services: Sequence[ServiceDeclaration], now: datetime
) -> None:
    """Replace what `carrier` offers with `services`."""
    changed(conn, ("carrier_services",))
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
    """Every carrier's services, cached (`hutong.store.cache`); a copy the caller may change."""
    cached = await declarations(conn).get(("carrier_services",), lambda: _load(conn))
    return {carrier: list(services) for carrier, services in cached.items()}


async def _load(conn: AsyncConnection) -> dict[str, list[ServiceDeclaration]]:
    rows = (await conn.execute(select(carrier_services).order_by(carrier_services.c.carrier))).all()
    found: dict[str, list[ServiceDeclaration]] = {}
    for row in rows:
        found.setdefault(row.carrier, []).append(
            ServiceDeclaration.from_dict(json.loads(row.declaration))
        )
    return found
