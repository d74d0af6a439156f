"""Pickup and carrier policies in the database, as versions, and the refusals they cause.

A pickup network's policy (which carriers may drop parcels at its points) and
a host's carrier policy (which carriers its orders may ship with) are both
append-only `PickupPolicy` histories; every refusal one of them causes is
recorded for the auditor.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Table, exists, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.logistics.pickup import PickupPolicy, PickupRule
from hutong.protocol.declared_time import Correction
from hutong.store import corrections
from hutong.store.cache import changed, declarations
from hutong.store.corrections import CorrectionRecord
from hutong.store.tables import (
    host_carrier_policies,
    logistics_refusals,
    merchant_profiles,
    orders,
    pickup_policies,
    storefronts,
)

__all__ = [
    "declare_policy",
    "home_platform",
    "host_policy",
    "hosts_merchant",
    "pickup_policy",
    "policy_corrections",
    "record_refusal",
]


async def home_platform(conn: AsyncConnection, merchant: str) -> str | None:
    """The platform `merchant`'s own store is on, if it has declared one (cached)."""

    async def load() -> str | None:
        found = await conn.scalar(
            select(merchant_profiles.c.home_platform).where(
                merchant_profiles.c.subscriber_id == merchant
            )
        )
        return None if found is None else str(found)

    home = await declarations(conn).get(("home_platform", merchant), load)
    return home or None


async def hosts_merchant(conn: AsyncConnection, host: str, merchant: str) -> bool:
    """Whether `host` is a platform `merchant` sells on.

    Its home platform (its own store), a platform with an order from it, or
    one that approved a storefront of it.
    """
    home = exists().where(
        merchant_profiles.c.subscriber_id == merchant, merchant_profiles.c.home_platform == host
    )
    ordered = exists().where(orders.c.host == host, orders.c.merchant == merchant)
    storefront = exists().where(
        storefronts.c.host == host,
        storefronts.c.merchant == merchant,
        storefronts.c.status == "approved",
    )
    return bool((await conn.execute(select(home | ordered | storefront))).scalar())


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
    """The network's pickup policy, cached (`hutong.store.cache`): read it, never declare on it."""
    return await declarations(conn).get(
        ("pickup", network), lambda: _policy(conn, pickup_policies, "network", network)
    )


async def host_policy(conn: AsyncConnection, host: str) -> PickupPolicy:
    """The host's carrier policy, cached (`hutong.store.cache`): read it, never declare on it."""
    return await declarations(conn).get(
        ("carrier", host), lambda: _policy(conn, host_carrier_policies, "host", host)
    )


async def declare_policy(
    conn: AsyncConnection,
    *,
    kind: str,
    owner: str,
    rule: PickupRule,
    now: datetime,
    correction: Correction | None = None,
) -> PickupRule:
    """Append a version of a network's pickup policy or a host's carrier policy.

    Its valid_from is the declaring day or later, unless it is a `correction`
    (`hutong.store.corrections`), filed beside it for the history to show.
    """
    corrections.admit(rule.valid_from, now, correction)
    table, key = _table(kind)
    policy = await _policy(conn, table, key, owner)
    stored = policy.declare(rule)
    changed(conn, ("pickup" if kind == "pickup" else "carrier", owner))
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
    await corrections.record(
        conn,
        kind=table.name,
        owner=owner,
        version=stored.version,
        valid_from=stored.valid_from,
        correction=correction,
        declared_by=owner,
        now=now,
    )
    return stored


def _table(kind: str) -> tuple[Table, str]:
    """The table of a kind of policy ("pickup" or "carrier") and its owner column."""
    return (pickup_policies, "network") if kind == "pickup" else (host_carrier_policies, "host")


async def policy_corrections(
    conn: AsyncConnection, *, kind: str, owner: str
) -> dict[int, CorrectionRecord]:
    """The back-dated versions of `owner`'s pickup ("pickup") or carrier policy, by version."""
    return await corrections.corrections_of(conn, _table(kind)[0].name, owner)


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
