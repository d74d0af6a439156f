"""Storing offers and merchant profiles (storefronts: `hutong.commerce.storefronts`).

Every function runs inside the caller's transaction and writes its events to
the outbox in that same transaction (`hutong.events.outbox.enqueue`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.commerce.offers import FIELDS, OfferIn, validate_offer
from hutong.commerce.storefronts import (
    StorefrontStatus,
)
from hutong.events.outbox import enqueue
from hutong.links.store import PLACEMENTS
from hutong.protocol.errors import ForbiddenError, ValidationError
from hutong.registry.models import Participant, Role
from hutong.registry.service import get_participant, require_participant
from hutong.store.cache import changed, declarations
from hutong.store.tables import merchant_profiles, offers, storefronts


async def require_role(conn: AsyncConnection, subscriber_id: str, role: Role) -> Participant:
    participant = await require_participant(conn, subscriber_id)
    if not participant.has_role(role):
        raise ForbiddenError(
            f"{subscriber_id} does not have the {role.value} role", code="wrong_role"
        )
    return participant


# -- offers ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemResult:
    sku_id: str
    result: str  # ok, unchanged or the code of the first problem
    message: str = ""


@dataclass(frozen=True, slots=True)
class Offer:
    offer: OfferIn
    created_at: datetime
    updated_at: datetime


_UPDATE_OFFER = (
    update(offers)
    .where(offers.c.merchant == bindparam("b_merchant"), offers.c.sku_id == bindparam("b_sku_id"))
    .values({name: bindparam(f"b_{name}") for name in (*FIELDS[1:], "updated_at")})
)


async def upsert_offers(
    conn: AsyncConnection, merchant: str, items: Sequence[object], now: datetime
) -> list[ItemResult]:
    """Store the valid items (insert or replace); one result per item, in order.

    A stock change (including a new offer's first stock) sends `on_stock` to
    the merchant and to every host with an approved storefront carrying the SKU.
    """
    #: A result, or the SKU of a valid item whose outcome comes later.
    results: list[ItemResult | str] = []
    valid: dict[str, OfferIn] = {}
    for item in items:
        sku = item.get("sku_id") if isinstance(item, Mapping) else None
        sku_id = sku if isinstance(sku, str) else ""
        problems = validate_offer(item)
        if problems:
            message = "; ".join(p.message for p in problems)
            results.append(ItemResult(sku_id, problems[0].code, message))
        elif sku_id in valid:
            results.append(ItemResult(sku_id, "duplicate_sku", "this SKU is listed twice"))
        else:
            assert isinstance(item, Mapping)
            valid[sku_id] = OfferIn.from_item(item)
            results.append(sku_id)
    existing = {
        row.sku_id: row
        for row in (
            await conn.execute(
                select(offers).where(offers.c.merchant == merchant, offers.c.sku_id.in_(valid))
            )
        ).all()
    }
    outcome: dict[str, str] = {}
    changes: list[tuple[str, int | None, int]] = []
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    shown_changed = False  # anything but stock: what placements and categories show
    for sku_id, offer in valid.items():
        values = offer.values()
        row = existing.get(sku_id)
        if row is None:
            inserts.append({**values, "merchant": merchant, "created_at": now, "updated_at": now})
            changes.append((sku_id, None, offer.stock))
        elif all(getattr(row, name) == value for name, value in values.items()):
            outcome[sku_id] = "unchanged"
            continue
        else:
            updates.append(
                {f"b_{name}": value for name, value in values.items()}
                | {"b_merchant": merchant, "b_updated_at": now}
            )
            if row.stock != offer.stock:
                changes.append((sku_id, row.stock, offer.stock))
            shown_changed = shown_changed or any(
                getattr(row, name) != value for name, value in values.items() if name != "stock"
            )
        outcome[sku_id] = "ok"
    if inserts:
        await conn.execute(insert(offers), inserts)
    if updates:
        await conn.execute(_UPDATE_OFFER, updates)
    if inserts or shown_changed:
        # A placement's view carries its offer's title, price and targets, not
        # its stock: a stock push (the most frequent change) keeps them cached.
        changed(conn, ("offer_category",), (PLACEMENTS,))
    await _stock_events(conn, merchant, changes, now)
    return [r if isinstance(r, ItemResult) else ItemResult(r, outcome[r]) for r in results]


async def _stock_events(
    conn: AsyncConnection, merchant: str, changes: list[tuple[str, int | None, int]], now: datetime
) -> None:
    if not changes:
        return
    rows = await conn.execute(
        select(storefronts.c.host, storefronts.c.catalog).where(
            storefronts.c.merchant == merchant,
            storefronts.c.status == StorefrontStatus.APPROVED.value,
        )
    )
    carriers: dict[str, set[str]] = {}
    for row in rows:
        for item in json.loads(row.catalog):
            carriers.setdefault(item["sku_id"], set()).add(row.host)
    batches: dict[str, list[dict[str, Any]]] = {merchant: []}
    for sku_id, before, after in changes:
        entry = {"sku_id": sku_id, "stock": after, "previous_stock": before}
        batches[merchant].append(entry)
        for host in sorted(carriers.get(sku_id, ())):
            batches.setdefault(host, []).append(entry)
    for recipient, entries in batches.items():
        await enqueue(
            conn,
            recipient=recipient,
            action="on_stock",
            message={"merchant": merchant, "items": entries},
            now=now,
        )


async def list_offers(
    conn: AsyncConnection, merchant: str, *, after: str = "", limit: int = 100
) -> list[Offer]:
    query = (
        select(offers)
        .where(offers.c.merchant == merchant, offers.c.sku_id > after)
        .order_by(offers.c.sku_id)
        .limit(limit)
    )
    return [
        Offer(OfferIn(**{n: getattr(row, n) for n in FIELDS}), row.created_at, row.updated_at)
        for row in (await conn.execute(query)).all()
    ]


async def offer_categories(
    conn: AsyncConnection, merchant: str, skus: Sequence[str]
) -> dict[str, str]:
    """The category of each of `skus` that the merchant offers (missing ones are absent)."""
    rows = await conn.execute(
        select(offers.c.sku_id, offers.c.category).where(
            offers.c.merchant == merchant, offers.c.sku_id.in_(skus)
        )
    )
    return {row.sku_id: row.category for row in rows}


# -- merchant profiles --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MerchantProfile:
    subscriber_id: str
    home_platform: str
    self_operated: bool
    updated_at: datetime


async def require_platform(conn: AsyncConnection, subscriber_id: str, what: str) -> Participant:
    found = await get_participant(conn, subscriber_id)
    if found is None or not found.has_role(Role.PLATFORM):
        raise ValidationError(
            f"{what} {subscriber_id!r} is not a registered platform", code="not_a_platform"
        )
    return found


async def get_profile(conn: AsyncConnection, merchant: str) -> MerchantProfile | None:
    row = (
        await conn.execute(
            select(merchant_profiles).where(merchant_profiles.c.subscriber_id == merchant)
        )
    ).first()
    if row is None:
        return None
    return MerchantProfile(row.subscriber_id, row.home_platform, row.self_operated, row.updated_at)


async def set_profile(
    conn: AsyncConnection, merchant: str, *, home_platform: str, self_operated: bool, now: datetime
) -> MerchantProfile:
    participant = await require_participant(conn, merchant)
    if not participant.has_role(Role.MERCHANT):
        raise ValidationError(f"{merchant} does not have the merchant role", code="not_a_merchant")
    await require_platform(conn, home_platform, "home platform")
    values = {"home_platform": home_platform, "self_operated": self_operated, "updated_at": now}
    # A placement's view carries where its link leads (the merchant's home platform).
    changed(conn, ("home_platform", merchant), (PLACEMENTS,))
    if await get_profile(conn, merchant) is None:
        await conn.execute(insert(merchant_profiles).values(subscriber_id=merchant, **values))
    else:
        await conn.execute(
            update(merchant_profiles)
            .where(merchant_profiles.c.subscriber_id == merchant)
            .values(**values)
        )
    return MerchantProfile(merchant, home_platform, self_operated, now)


async def offer_category(conn: AsyncConnection, merchant: str, sku_id: str) -> str | None:
    """The category `merchant` files `sku_id` under (cached: `hutong.store.cache`)."""

    async def load() -> str | None:
        found = await conn.scalar(
            select(offers.c.category).where(
                offers.c.merchant == merchant, offers.c.sku_id == sku_id
            )
        )
        return None if found is None else str(found)

    return await declarations(conn).get(("offer_category", merchant, sku_id), load)
