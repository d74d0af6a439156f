"""Storing storefronts and the hosts' standing policies.

Every function runs inside the caller's transaction and writes its events to
the outbox in that same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.commerce.store import get_profile, require_platform
from hutong.commerce.storefronts import (
    CatalogItem,
    Decision,
    StandingRule,
    Storefront,
    StorefrontStatus,
    check_catalog,
    check_reason,
    decide,
    policy_ref,
    rules_in_force,
    standing_decision,
)
from hutong.events.outbox import enqueue
from hutong.protocol.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from hutong.protocol.ids import new_id
from hutong.registry.models import Participant, Role, Status
from hutong.store.tables import offers, storefront_policies, storefronts

#: `decided_by` of a decision the host made itself.
BY_HOST = "host"


# -- storefronts --------------------------------------------------------------------


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
    )


async def get_storefront(conn: AsyncConnection, storefront_id: str) -> Storefront:
    row = (await conn.execute(select(storefronts).where(storefronts.c.id == storefront_id))).first()
    if row is None:
        raise NotFoundError(f"no storefront {storefront_id}", code="unknown_storefront")
    return _storefront(row)


async def _storefront_events(conn: AsyncConnection, storefront: Storefront, now: datetime) -> None:
    for recipient in (storefront.merchant, storefront.host):
        await enqueue(
            conn,
            recipient=recipient,
            action="on_storefront",
            message={"storefront": storefront.to_dict()},
            now=now,
            transaction_id=storefront.id,
        )


async def request_storefront(
    conn: AsyncConnection,
    *,
    merchant: str,
    host: str,
    catalog: Sequence[CatalogItem],
    commission_bps: int,
    now: datetime,
) -> Storefront:
    """Record a request; the host's standing rules in force today may decide it at once."""
    check_catalog(catalog, commission_bps)
    if host == merchant:
        raise ValidationError("a merchant cannot open a storefront on itself", code="own_host")
    found = await require_platform(conn, host, "host")
    if found.status is not Status.ACTIVE:
        raise ConflictError(f"host {host} is {found.status.value}", code="host_not_active")
    skus = [item.sku_id for item in catalog]
    rows = await conn.execute(
        select(offers.c.sku_id, offers.c.category).where(
            offers.c.merchant == merchant, offers.c.sku_id.in_(skus)
        )
    )
    categories = {row.sku_id: row.category for row in rows}
    missing = [sku for sku in skus if sku not in categories]
    if missing:
        raise ValidationError(
            f"{merchant} has no offer {', '.join(missing[:10])}", code="unknown_offer"
        )
    open_one = await conn.scalar(
        select(storefronts.c.id).where(
            storefronts.c.merchant == merchant,
            storefronts.c.host == host,
            storefronts.c.status.in_(
                [StorefrontStatus.REQUESTED.value, StorefrontStatus.APPROVED.value]
            ),
        )
    )
    if open_one is not None:
        raise ConflictError(
            f"{merchant} already has storefront {open_one} on {host} (requested or approved)",
            code="storefront_exists",
        )
    profile = await get_profile(conn, merchant)
    rules = rules_in_force(await policy_rules(conn, host), now.date())
    standing = standing_decision(
        rules, profile.home_platform if profile else None, categories.values()
    )
    storefront = Storefront(
        id=new_id("sf"),
        merchant=merchant,
        host=host,
        status=StorefrontStatus.REQUESTED,
        catalog=tuple(catalog),
        commission_bps=commission_bps,
        reason="",
        decided_by="",
        requested_at=now,
        decided_at=None,
    )
    if standing is not None:
        decision, rule = standing
        storefront = replace(
            storefront,
            status=decision.outcome,
            reason=rule.reason,
            decided_by=policy_ref(host, rule.version),
            decided_at=now,
        )
    row = storefront.to_dict()
    row.update(
        catalog=json.dumps(row["catalog"], separators=(",", ":")),
        requested_at=now,
        decided_at=storefront.decided_at,
    )
    await conn.execute(insert(storefronts).values(**row))
    await _storefront_events(conn, storefront, now)
    return storefront


async def decide_storefront(
    conn: AsyncConnection,
    storefront_id: str,
    *,
    caller: str,
    decision: Decision,
    reason: str,
    now: datetime,
) -> Storefront:
    """The host approves or refuses a pending request (a refusal with its reason)."""
    storefront = await get_storefront(conn, storefront_id)
    if storefront.host != caller:
        raise ForbiddenError(
            f"storefront {storefront_id} is not on {caller}; only its host decides",
            code="not_your_storefront",
        )
    reason = check_reason(decision, reason)
    status = decide(storefront.status, decision)
    changed = await conn.execute(
        update(storefronts)
        .where(
            storefronts.c.id == storefront_id,
            storefronts.c.status == StorefrontStatus.REQUESTED.value,
        )
        .values(status=status.value, reason=reason, decided_by=BY_HOST, decided_at=now)
    )
    if changed.rowcount != 1:  # decided by a concurrent request in between
        raise ConflictError("this storefront request was just decided", code="storefront_decided")
    decided = replace(storefront, status=status, reason=reason, decided_by=BY_HOST, decided_at=now)
    await _storefront_events(conn, decided, now)
    return decided


async def list_storefronts(
    conn: AsyncConnection, participant: Participant, status: StorefrontStatus | None = None
) -> list[Storefront]:
    """A participant's storefronts as merchant and as host; an auditor's: all."""
    query = select(storefronts).order_by(storefronts.c.requested_at, storefronts.c.id)
    if not participant.has_role(Role.AUDITOR):
        me = participant.subscriber_id
        query = query.where(or_(storefronts.c.merchant == me, storefronts.c.host == me))
    if status is not None:
        query = query.where(storefronts.c.status == status.value)
    return [_storefront(row) for row in (await conn.execute(query)).all()]


# -- standing policies --------------------------------------------------------------


async def policy_rules(conn: AsyncConnection, host: str) -> list[StandingRule]:
    """Every version the host declared, oldest first."""
    rows = await conn.execute(
        select(storefront_policies)
        .where(storefront_policies.c.host == host)
        .order_by(storefront_policies.c.version)
    )
    return [StandingRule.from_dict(json.loads(r.rule), r.valid_from, r.version) for r in rows]


async def declare_policy(
    conn: AsyncConnection, host: str, rule: StandingRule, now: datetime
) -> StandingRule:
    """Append a version to the host's standing policy; earlier versions stay as declared."""
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
    return stored
