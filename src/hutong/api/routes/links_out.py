"""What the placements API answers, as documented shapes (issue 17 §6).

`placement_out` (`hutong.api.routes.links`) makes the answer from the
domain's `PlacementView.as_dict`; these structs only document it, and
`tests/api/test_openapi_truth.py` checks real answers against them.
"""

from __future__ import annotations

import msgspec

from hutong.api.documented import CODES, RESULT, AckStatus

__all__ = ["PLACE_OPT", "SHOW_OPT", "PlacementAck", "PlacementOut"]


class PlacementOut(msgspec.Struct, kw_only=True):
    """An offer placed on a host surface, its short link, QR codes and share text."""

    id: str
    code: str
    host: str
    surface: str
    merchant: str
    sku_id: str
    placed_by: str
    storefront_id: str | None
    title: str
    #: Fen, the offer's price when placed.
    price: int
    source: str
    share_expires_at: str
    url: str
    qr_svg: str
    qr_png: str
    share_text: str


class PlacementAckMessage(msgspec.Struct, kw_only=True):
    ack: AckStatus
    placement: PlacementOut


class PlacementAck(msgspec.Struct, kw_only=True):
    """`{"message": {"ack": {"status": "ACK"}, "placement": …}}`."""

    message: PlacementAckMessage


#: `opt` of `POST /v1/placements`.
PLACE_OPT: dict[str, object] = {
    RESULT: PlacementAck,
    CODES: {
        422: (
            "invalid_surface",
            "invalid_share_code_days",
            "invalid_host",
            "storefront_mismatch",
            "sku_not_in_storefront",
        ),
        403: ("wrong_role",),
        404: ("unknown_offer",),
        409: ("storefront_not_approved", "blocked_by_host_policy", "message_id_conflict"),
    },
}
#: `opt` of `GET /v1/placements/{id}`.
SHOW_OPT: dict[str, object] = {RESULT: PlacementOut, CODES: {404: ("unknown_placement",)}}
