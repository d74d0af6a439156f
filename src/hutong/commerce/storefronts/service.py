"""Storefront steps: request one, decide one, declare a standing policy.

Each runs inside the caller's transaction: it checks, writes the rows
(`hutong.commerce.storefronts.store`) and tells the merchant and the host
(`on_storefront` events in the same transaction).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.commerce.store import get_profile, offer_categories, require_platform
from hutong.commerce.storefronts import store
from hutong.commerce.storefronts.rules import (
    CatalogItem,
    Decision,
    StandingRule,
    Storefront,
    StorefrontStatus,
    check_catalog,
    check_justification,
    check_reason,
    decide,
    policy_ref,
    rules_in_force,
    standing_decision,
)
from hutong.events.outbox import enqueue
from hutong.protocol.declared_time import Correction
from hutong.protocol.errors import ConflictError, ForbiddenError, ValidationError
from hutong.protocol.ids import new_id
from hutong.protocol.justifications import Justification
from hutong.registry.models import Participant, Role, Status

__all__ = [
    "BY_HOST",
    "decide_storefront",
    "declare_policy",
    "list_storefronts",
    "request_storefront",
]

#: `decided_by` of a decision the host made itself.
BY_HOST = "host"


async def _tell_both(conn: AsyncConnection, storefront: Storefront, now: datetime) -> None:
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
    """Record a request; the host's standing rules in force today may decide it at once.

    A catalog SKU the merchant has no offer for is the body's mistake, 422
    ``no_such_offer`` (as a placement's; ``unknown_offer`` is a path's 404).
    """
    check_catalog(catalog, commission_bps)
    if host == merchant:
        raise ValidationError("a merchant cannot open a storefront on itself", code="own_host")
    found = await require_platform(conn, host, "host")
    if found.status is not Status.ACTIVE:
        raise ConflictError(f"host {host} is {found.status.value}", code="host_not_active")
    skus = [item.sku_id for item in catalog]
    categories = await offer_categories(conn, merchant, skus)
    missing = [sku for sku in skus if sku not in categories]
    if missing:
        raise ValidationError(
            f"{merchant} has no offer {', '.join(missing[:10])}", code="no_such_offer"
        )
    open_one = await store.find_open(conn, merchant, host)
    if open_one is not None:
        raise ConflictError(
            f"{merchant} already has storefront {open_one} on {host} (requested or approved)",
            code="storefront_exists",
        )
    profile = await get_profile(conn, merchant)
    rules = rules_in_force(await store.policy_rules(conn, host), now.date())
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
            justification=rule.justification,
            decided_by=policy_ref(host, rule.version),
            decided_at=now,
        )
    await store.insert_storefront(conn, storefront)
    await _tell_both(conn, storefront, now)
    return storefront


async def decide_storefront(
    conn: AsyncConnection,
    storefront_id: str,
    *,
    caller: str,
    decision: Decision,
    reason: str,
    now: datetime,
    justification: Justification | None = None,
) -> Storefront:
    """The host approves or refuses a pending request (a refusal with its reason).

    A refusal may carry a justification from the closed set; an approval not.
    """
    check_justification(decision, justification)
    storefront = await store.get_storefront(conn, storefront_id)
    if storefront.host != caller:
        raise ForbiddenError(
            f"storefront {storefront_id} is not on {caller}; only its host decides",
            code="not_your_storefront",
        )
    decided = replace(
        storefront,
        status=decide(storefront.status, decision),
        reason=check_reason(decision, reason),
        justification=justification,
        decided_by=BY_HOST,
        decided_at=now,
    )
    if not await store.mark_decided(conn, decided):  # decided by a concurrent request
        raise ConflictError("this storefront request was just decided", code="storefront_decided")
    await _tell_both(conn, decided, now)
    return decided


async def list_storefronts(
    conn: AsyncConnection, participant: Participant, status: StorefrontStatus | None = None
) -> list[Storefront]:
    """A participant's storefronts as merchant and as host; an auditor's: all."""
    party = None if participant.has_role(Role.AUDITOR) else participant.subscriber_id
    return await store.select_storefronts(conn, party=party, status=status)


async def declare_policy(
    conn: AsyncConnection,
    host: str,
    rule: StandingRule,
    now: datetime,
    *,
    correction: Correction | None = None,
) -> StandingRule:
    """Append a version to the host's standing policy; earlier versions stay as declared.

    From the declaring day on, or back-dated as an explicit `correction`.
    """
    return await store.append_policy(conn, host, rule, now, correction=correction)
