"""Searching the offers a host may show (`hutong.commerce.discovery.rules`).

Reads offers in (merchant, sku_id) order from the cursor, in batches: the
text and category narrow the batch in the database, the storefront price,
the price range and the host's policy (`rules.shown`) are applied here, until
the page is full or the offers run out. Nothing is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.commerce.discovery.rules import Candidate, Search, Shown, encode_cursor, matches, shown
from hutong.commerce.storefronts import StorefrontStatus
from hutong.links.hosts import alias
from hutong.links.store import policy_history
from hutong.store.tables import merchant_profiles, offers, storefronts

__all__ = ["BATCH", "Page", "search"]

#: Offers read per round trip while a page fills.
BATCH = 200


@dataclass(frozen=True, slots=True)
class Page:
    results: list[Shown]
    #: The cursor of the next page, or None when this was the last.
    next_cursor: str | None


async def _storefront_listings(
    conn: AsyncConnection, host: str
) -> dict[tuple[str, str], tuple[str, int]]:
    rows = await conn.execute(
        select(storefronts.c.id, storefronts.c.merchant, storefronts.c.catalog).where(
            storefronts.c.host == host, storefronts.c.status == StorefrontStatus.APPROVED.value
        )
    )
    return {
        (row.merchant, item["sku_id"]): (row.id, int(item["price"]))
        for row in rows
        for item in json.loads(row.catalog)
    }


def _query(search: Search, after: tuple[str, str]) -> Select[Any]:
    merchant, sku_id = after
    home = func.coalesce(merchant_profiles.c.home_platform, "")
    query = (
        select(
            offers.c.merchant,
            offers.c.sku_id,
            offers.c.title,
            offers.c.category,
            offers.c.price,
            home.label("home_platform"),
            func.coalesce(merchant_profiles.c.self_operated, False).label("self_operated"),
        )
        .select_from(
            offers.outerjoin(
                merchant_profiles, merchant_profiles.c.subscriber_id == offers.c.merchant
            )
        )
        .where(
            or_(
                offers.c.merchant > merchant,
                and_(offers.c.merchant == merchant, offers.c.sku_id > sku_id),
            )
        )
        .order_by(offers.c.merchant, offers.c.sku_id)
        .limit(BATCH)
    )
    if search.category is not None:
        query = query.where(offers.c.category == search.category)
    if search.q:
        query = query.where(
            or_(
                func.lower(offers.c.title).contains(search.q, autoescape=True),
                func.lower(offers.c.merchant).contains(search.q, autoescape=True),
                func.lower(home).contains(search.q, autoescape=True),
            )
        )
    return query


async def search(conn: AsyncConnection, host: str, asked: Search, day: date) -> Page:
    """A page of the offers `host` (a subscriber id) may show that match `asked`."""
    history = await policy_history(conn, host)
    listings = await _storefront_listings(conn, host)
    found: list[Shown] = []
    after = asked.after
    while len(found) <= asked.limit:
        rows = (await conn.execute(_query(asked, after))).all()
        for row in rows:
            candidate = Candidate(
                merchant=row.merchant,
                sku_id=row.sku_id,
                title=row.title,
                category=row.category,
                price=row.price,
                home_platform=row.home_platform,
                self_operated=bool(row.self_operated),
                storefront=listings.get((row.merchant, row.sku_id)),
            )
            if not matches(asked, candidate):
                continue
            result = shown(candidate, alias(host), history, asked.surface, day)
            if result is not None:
                found.append(result)
                if len(found) > asked.limit:
                    break
        if len(rows) < BATCH:
            break
        after = (rows[-1].merchant, rows[-1].sku_id)
    page = found[: asked.limit]
    more = len(found) > asked.limit
    last = page[-1].candidate if page else None
    return Page(page, encode_cursor(last.merchant, last.sku_id) if more and last else None)
