"""Resolving shown items against the switch's records, and writing a batch in bulk.

Three reads for a whole batch (placements, offers, merchant profiles, each
one `IN` query) and two multi-row INSERTs (lists, items): the cost grows with
the batch, not with round trips per item.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.commerce.impressions.rules import ShownList, check_batch
from hutong.protocol.errors import ValidationError
from hutong.protocol.ids import new_id
from hutong.store.tables import (
    impression_items,
    impression_lists,
    merchant_profiles,
    offers,
    placements,
)

__all__ = ["Recorded", "record_impressions"]

#: Values per `IN` query (SQLite's default limit on bound parameters is 32,766).
_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class Recorded:
    list_ids: tuple[str, ...]
    items: int


@dataclass(frozen=True, slots=True)
class _Owner:
    merchant: str
    sku_id: str


def _chunks(values: Sequence[Any]) -> list[Sequence[Any]]:
    return [values[i : i + _CHUNK] for i in range(0, len(values), _CHUNK)]


async def _placements(conn: AsyncConnection, ids: set[str]) -> dict[str, tuple[str, _Owner]]:
    found: dict[str, tuple[str, _Owner]] = {}
    for chunk in _chunks(sorted(ids)):
        query = select(
            placements.c.id, placements.c.host, placements.c.merchant, placements.c.sku_id
        ).where(placements.c.id.in_(chunk))
        for row in (await conn.execute(query)).all():
            found[row.id] = (row.host, _Owner(row.merchant, row.sku_id))
    return found


async def _offers(conn: AsyncConnection, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for chunk in _chunks(sorted(keys)):
        query = select(offers.c.merchant, offers.c.sku_id).where(
            tuple_(offers.c.merchant, offers.c.sku_id).in_(chunk)
        )
        found.update((row.merchant, row.sku_id) for row in (await conn.execute(query)).all())
    return found


async def _homes(conn: AsyncConnection, merchants: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for chunk in _chunks(sorted(merchants)):
        query = select(merchant_profiles.c.subscriber_id, merchant_profiles.c.home_platform).where(
            merchant_profiles.c.subscriber_id.in_(chunk)
        )
        found.update(
            (row.subscriber_id, row.home_platform) for row in (await conn.execute(query)).all()
        )
    return found


def _unknown(where: str, detail: str, code: str = "unknown_item") -> ValidationError:
    return ValidationError(f"{where}: {detail}", code=code)


async def _owners(
    conn: AsyncConnection, host: str, lists: Sequence[ShownList]
) -> list[list[tuple[str | None, _Owner]]]:
    """Each item's (placement id, owner), or the refusal of the first item the switch lacks."""
    placement_ids = {
        item.ref.placement_id for s in lists for item in s.items if item.ref.placement_id
    }
    offer_keys = {
        (item.ref.merchant, item.ref.sku_id)
        for s in lists
        for item in s.items
        if item.ref.merchant is not None and item.ref.sku_id is not None
    }
    known_placements = await _placements(conn, placement_ids)
    known_offers = await _offers(conn, offer_keys)
    resolved: list[list[tuple[str | None, _Owner]]] = []
    for i, shown in enumerate(lists):
        row: list[tuple[str | None, _Owner]] = []
        for j, item in enumerate(shown.items):
            where, ref = f"lists[{i}].items[{j}]", item.ref
            if ref.placement_id is not None:
                placed = known_placements.get(ref.placement_id)
                if placed is None:
                    raise _unknown(where, f"no placement {ref.placement_id}")
                if placed[0] != host:
                    raise _unknown(
                        where,
                        f"placement {ref.placement_id} is {placed[0]}'s, not {host}'s",
                        "placement_of_another_host",
                    )
                row.append((ref.placement_id, placed[1]))
            else:
                assert ref.merchant is not None and ref.sku_id is not None  # check_batch
                if (ref.merchant, ref.sku_id) not in known_offers:
                    raise _unknown(where, f"{ref.merchant} offers no SKU {ref.sku_id}")
                row.append((None, _Owner(ref.merchant, ref.sku_id)))
        resolved.append(row)
    return resolved


async def record_impressions(
    conn: AsyncConnection, host: str, lists: Sequence[ShownList], now: datetime
) -> Recorded:
    """Check the batch, resolve every item, then write it all, or nothing (a refusal)."""
    check_batch(lists, now)
    owners = await _owners(conn, host, lists)
    homes = await _homes(conn, {owner.merchant for row in owners for _, owner in row})
    list_rows: list[dict[str, Any]] = []
    item_rows: list[dict[str, Any]] = []
    for shown, row in zip(lists, owners, strict=True):
        list_id = new_id("imp")
        list_rows.append(
            {
                "id": list_id,
                "host": host,
                "surface": shown.surface,
                "query": shown.query,
                "shown_at": shown.shown_at,
                "received_at": now,
            }
        )
        for item, (placement_id, owner) in zip(shown.items, row, strict=True):
            item_rows.append(
                {
                    "list_id": list_id,
                    "position": item.position,
                    "placement_id": placement_id,
                    "merchant": owner.merchant,
                    "sku_id": owner.sku_id,
                    "home_platform": homes.get(owner.merchant),
                    "sponsored": item.sponsored,
                    "labelled_ad": item.labelled_ad,
                    "rating": item.rating,
                    "reviews": item.reviews,
                }
            )
    # Lists (and items) of more than one row go as executemany: one statement, many rows.
    await conn.execute(insert(impression_lists), list_rows)
    await conn.execute(insert(impression_items), item_rows)
    return Recorded(tuple(r["id"] for r in list_rows), len(item_rows))
