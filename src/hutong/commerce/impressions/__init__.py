"""Ranking impressions: what a host showed, in which order, on which surface.

A host reports batches of ranked lists; the switch fills each item's owner
(the merchant) and home platform from its own records (placements, offers,
merchant profiles) and refuses a batch holding an item it does not know.
The auditor's `ranking_self_preference` check reads these rows. `rules` is
pure (shapes and limits), `store` resolves items and writes them in bulk.
"""

from hutong.commerce.impressions.rules import (
    MAX_ITEMS,
    MAX_LISTS,
    ItemRef,
    ShownItem,
    ShownList,
    check_batch,
)

__all__ = ["MAX_ITEMS", "MAX_LISTS", "ItemRef", "ShownItem", "ShownList", "check_batch"]
