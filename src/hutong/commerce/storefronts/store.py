"""Storefront rows and the hosts' standing-policy versions: rows only, no decisions.

Every function runs inside the caller's transaction. Orders read a
storefront as a cached declaration (`declared_storefront`, `hutong.store.cache`):
every write of a storefront drops it, so a decision takes effect at once in the
process that made it and within a second in every other. The database keeps at
most one open (requested or approved) storefront per merchant and host
(`ux_storefronts_open`) and one row per policy version (its primary key), so
two racing writers cannot both succeed; the loser's write fails on the key
and the exactly-once runner runs it again against what the winner left.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.commerce.storefronts.rules import (
    CatalogItem,
    StandingRule,
    Storefront,
    StorefrontStatus,
)
from hutong.links.store import PLACEMENTS
from hutong.protocol.declared_time import Correction
from hutong.protocol.errors import NotFoundError
from hutong.protocol.justifications import Justification, justification_of
from hutong.store import corrections
from hutong.store.cache import changed, declarations
from hutong.store.corrections import CorrectionRecord
from hutong.store.tables import storefront_policies, storefronts

__all__ = [
    "OPEN",
    "append_policy",
    "declared_storefront",
    "find_open",
    "get_storefront",
    "insert_storefront",
    "mark_decided",
    "policy_corrections",
    "policy_rules",
    "select_storefronts",
]

#: The statuses of an open storefront (one per merchant and host at a time).
OPEN = (StorefrontStatus.REQUESTED, StorefrontStatus.APPROVED)


def _storefront(row: Any) -> Storefront:
    return Storefront(
        id=row.id,
        merchant=row.merchant,
        host=row.host,
        status=StorefrontStatus(row.status),
        catalog=tuple(CatalogItem(i["sku_id"], i["price"]) for i in json.loads(row.catalog)),
        commission_bps=row.commission_bps,
        reason=row.reason,
        decided_by=row.decided_by,
        requested_at=row.requested_at,
        decided_at=row.decided_at,
        justification=justification_of(row.justification, row.justification_ref),
    )


def _justification_columns(justification: Justification | None) -> dict[str, str | None]:
    return {
        "justification": justification.code.value if justification else None,
        "justification_ref": justification.reference if justification else None,
    }


async def _find(conn: AsyncConnection, storefront_id: str) -> Storefront | None:
    row = (await conn.execute(select(storefronts).where(storefronts.c.id == storefront_id))).first()
    return None if row is None else _storefront(row)


def _known(storefront_id: str, found: Storefront | None) -> Storefront:
    if found is None:
        raise NotFoundError(f"no storefront {storefront_id}", code="unknown_storefront")
    return found


async def get_storefront(conn: AsyncConnection, storefront_id: str) -> Storefront:
    return _known(storefront_id, await _find(conn, storefront_id))


async def declared_storefront(conn: AsyncConnection, storefront_id: str) -> Storefront:
    """The storefront as `get_storefront` reads it, through the declarations cache."""
    found = await declarations(conn).get(
        ("storefront", storefront_id), lambda: _find(conn, storefront_id)
    )
    return _known(storefront_id, found)


async def find_open(conn: AsyncConnection, merchant: str, host: str) -> str | None:
    """The id of the merchant's open storefront on `host`, if any."""
    found = await conn.scalar(
        select(storefronts.c.id).where(
            storefronts.c.merchant == merchant,
            storefronts.c.host == host,
            storefronts.c.status.in_([status.value for status in OPEN]),
        )
    )
    return None if found is None else str(found)


async def insert_storefront(conn: AsyncConnection, storefront: Storefront) -> None:
    row = storefront.to_dict()
    row.update(
        catalog=json.dumps(row["catalog"], separators=(",", ":")),
        requested_at=storefront.requested_at,
        decided_at=storefront.decided_at,
        **_justification_columns(storefront.justification),
    )
    await conn.execute(insert(storefronts).values(**row))
    changed(conn, ("storefront", storefront.id))


async def mark_decided(conn: AsyncConnection, decided: Storefront) -> bool:
    """Write `decided`'s outcome if the row is still requested; False if it was not."""
    done = await conn.execute(
        update(storefronts)
        .where(
            storefronts.c.id == decided.id,
            storefronts.c.status == StorefrontStatus.REQUESTED.value,
        )
        .values(
            status=decided.status.value,
            reason=decided.reason,
            decided_by=decided.decided_by,
            decided_at=decided.decided_at,
            **_justification_columns(decided.justification),
        )
    )
    # A placement in an approved storefront leads inside its host (its view's source).
    changed(conn, ("storefront", decided.id), (PLACEMENTS,))
    return done.rowcount == 1


async def select_storefronts(
    conn: AsyncConnection,
    *,
    party: str | None,
    status: StorefrontStatus | None = None,
) -> list[Storefront]:
    """Storefronts where `party` is the merchant or the host (None: all), oldest first."""
    query = select(storefronts).order_by(storefronts.c.requested_at, storefronts.c.id)
    if party is not None:
        query = query.where(or_(storefronts.c.merchant == party, storefronts.c.host == party))
    if status is not None:
        query = query.where(storefronts.c.status == status.value)
    return [_storefront(row) for row in (await conn.execute(query)).all()]


async def policy_rules(conn: AsyncConnection, host: str) -> list[StandingRule]:
    """Every version the host declared, oldest first."""
    rows = await conn.execute(
        select(storefront_policies)
        .where(storefront_policies.c.host == host)
        .order_by(storefront_policies.c.version)
    )
    return [StandingRule.from_dict(json.loads(r.rule), r.valid_from, r.version) for r in rows]


async def append_policy(
    conn: AsyncConnection,
    host: str,
    rule: StandingRule,
    now: datetime,
    *,
    correction: Correction | None = None,
) -> StandingRule:
    """Store `rule` as the host's next version (the one after the latest stored).

    Its valid_from is the declaring day or later, unless it is a `correction`
    (`hutong.store.corrections`), filed beside it for the history to show.
    """
    corrections.admit(rule.valid_from, now, correction)
    latest = await conn.scalar(
        select(func.max(storefront_policies.c.version)).where(storefront_policies.c.host == host)
    )
    stored = replace(rule, version=int(latest or 0) + 1)
    await conn.execute(
        insert(storefront_policies).values(
            host=host,
            version=stored.version,
            rule=json.dumps(stored.to_dict(), separators=(",", ":"), ensure_ascii=False),
            valid_from=stored.valid_from,
            declared_at=now,
        )
    )
    await corrections.record(
        conn,
        kind=storefront_policies.name,
        owner=host,
        version=stored.version,
        valid_from=stored.valid_from,
        correction=correction,
        declared_by=host,
        now=now,
    )
    return stored


async def policy_corrections(conn: AsyncConnection, host: str) -> dict[int, CorrectionRecord]:
    """The host's back-dated standing rules, by version."""
    return await corrections.corrections_of(conn, storefront_policies.name, host)
