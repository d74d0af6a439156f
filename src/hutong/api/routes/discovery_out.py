"""What discovery and impression reports answer, as documented shapes (issue 17 §6), with codes.

`Shown.to_dict` (`hutong.commerce.discovery.rules`) makes a result and
`evidence._recorded` an impressions report's answer; these structs only
document them.
"""

from __future__ import annotations

import msgspec

from hutong.api.documented import CODES, RESULT
from hutong.links.policy.history import Basis
from hutong.links.policy.rules import Treatment

__all__ = ["IMPRESSIONS_OPT", "OFFERS_OPT", "OfferFound"]


class ImpressionItemOut(msgspec.Struct, kw_only=True):
    """What `POST /v1/impressions` takes for the result (with its position): organic."""

    merchant: str
    sku_id: str
    sponsored: bool
    labelled_ad: bool


class OfferFound(msgspec.Struct, kw_only=True):
    """An offer the host may show, its owner and home, and why (`via`, `treatment`, `basis`)."""

    merchant: str
    sku_id: str
    title: str
    category: str
    #: Fen: the host's storefront price where it lists the offer.
    price: int
    home_platform: str | None
    #: storefront, own or link.
    via: str
    storefront_id: str | None
    treatment: Treatment
    basis: Basis
    rule: str | None
    impression_item: ImpressionItemOut


class OffersPage(msgspec.Struct, kw_only=True):
    """A page of results (`next_cursor` null: the last); `searched_at` is an impression's time."""

    host: str
    surface: str
    query: str
    searched_at: str
    results: list[OfferFound]
    next_cursor: str | None


class ImpressionsRecorded(msgspec.Struct, kw_only=True):
    lists: int
    items: int
    list_ids: list[str]


#: `opt` of `GET /v1/discovery/offers`.
OFFERS_OPT: dict[str, object] = {
    RESULT: OffersPage,
    CODES: {
        403: ("wrong_role",),
        422: (
            "invalid_cursor",
            "invalid_limit",
            "invalid_price_range",
            "invalid_surface",
            "query_too_long",
        ),
    },
}
#: `opt` of `POST /v1/impressions`.
IMPRESSIONS_OPT: dict[str, object] = {
    RESULT: ImpressionsRecorded,
    CODES: {
        403: ("wrong_role",),
        409: ("message_id_conflict",),
        422: (
            "batch_too_large",
            "empty_batch",
            "invalid_position",
            "invalid_rating",
            "invalid_reviews",
            "invalid_shown_at",
            "invalid_surface",
        ),
    },
}
