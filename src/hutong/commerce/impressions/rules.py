"""The rules of a batch of impressions (pure): limits, identities, positions, ratings.

    lists per batch      1 .. MAX_LISTS               (`batch_too_large`, `empty_batch`)
    items per list       1 .. MAX_ITEMS               (`list_too_long`, `empty_list`)
    an item is           a placement_id, or a merchant and a sku_id, not both
                                                      (`item_unidentified`)
    positions            >= 1, distinct in a list     (`invalid_position`, `duplicate_position`)
    rating               0 .. 5                       (`invalid_rating`)
    reviews              >= 0                         (`invalid_reviews`)
    surface              1-32 of a-z 0-9 _ -          (`invalid_surface`)
    query                at most 512 characters       (`query_too_long`)
    shown_at             with a UTC offset, not after now + MAX_AHEAD (`invalid_shown_at`)

Every problem names its place (`lists[i].items[j]`), so a host can fix it;
one bad item refuses the whole batch (nothing is written).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from hutong.protocol.errors import ValidationError

__all__ = ["MAX_ITEMS", "MAX_LISTS", "ItemRef", "ShownItem", "ShownList", "check_batch"]

MAX_LISTS = 1000
MAX_ITEMS = 200
MAX_QUERY = 512
MAX_RATING = 5.0
#: How far after the switch's clock a list may say it was shown (clock skew).
MAX_AHEAD = timedelta(minutes=5)
_SURFACE = re.compile(r"^[a-z0-9_-]{1,32}$")


@dataclass(frozen=True, slots=True)
class ItemRef:
    """How the host named an item: a placement of the switch, or an offer."""

    placement_id: str | None = None
    merchant: str | None = None
    sku_id: str | None = None


@dataclass(frozen=True, slots=True)
class ShownItem:
    ref: ItemRef
    position: int
    sponsored: bool
    labelled_ad: bool
    rating: float | None = None
    reviews: int | None = None


@dataclass(frozen=True, slots=True)
class ShownList:
    surface: str
    query: str
    shown_at: datetime
    items: tuple[ShownItem, ...]


def _refuse(where: str, detail: str, code: str) -> ValidationError:
    return ValidationError(f"{where}: {detail}", code=code)


def _check_item(where: str, item: ShownItem) -> None:
    ref = item.ref
    by_placement = ref.placement_id is not None
    by_offer = ref.merchant is not None or ref.sku_id is not None
    complete_offer = ref.merchant is not None and ref.sku_id is not None
    if by_placement == by_offer or (by_offer and not complete_offer):
        raise _refuse(
            where, "name the item by placement_id, or by merchant and sku_id", "item_unidentified"
        )
    if item.position < 1:
        raise _refuse(where, f"position must be 1 or more, got {item.position}", "invalid_position")
    if item.rating is not None and not 0 <= item.rating <= MAX_RATING:
        raise _refuse(where, f"rating must be 0 to {MAX_RATING:g}", "invalid_rating")
    if item.reviews is not None and item.reviews < 0:
        raise _refuse(where, "reviews must not be negative", "invalid_reviews")


def _check_list(where: str, shown: ShownList, now: datetime) -> None:
    if not _SURFACE.match(shown.surface):
        raise _refuse(where, "surface: 1-32 of a-z 0-9 _ -", "invalid_surface")
    if len(shown.query) > MAX_QUERY:
        raise _refuse(where, f"query: at most {MAX_QUERY} characters", "query_too_long")
    if shown.shown_at.tzinfo is None or shown.shown_at > now + MAX_AHEAD:
        raise _refuse(where, "shown_at: a time with its UTC offset, not ahead", "invalid_shown_at")
    if not shown.items:
        raise _refuse(where, "a list shows at least one item", "empty_list")
    if len(shown.items) > MAX_ITEMS:
        raise _refuse(where, f"at most {MAX_ITEMS} items per list", "list_too_long")
    seen: set[int] = set()
    for j, item in enumerate(shown.items):
        _check_item(f"{where}.items[{j}]", item)
        if item.position in seen:
            raise _refuse(
                f"{where}.items[{j}]", f"position {item.position} twice", "duplicate_position"
            )
        seen.add(item.position)


def check_batch(lists: Sequence[ShownList], now: datetime) -> None:
    """Refuse the batch at its first problem (see the module's table)."""
    if not lists:
        raise ValidationError("a batch holds at least one list", code="empty_batch")
    if len(lists) > MAX_LISTS:
        raise ValidationError(
            f"at most {MAX_LISTS} lists per batch, got {len(lists)}", code="batch_too_large"
        )
    for i, shown in enumerate(lists):
        _check_list(f"lists[{i}]", shown, now)
