"""What the coupons API answers, as documented shapes (issue 17 §6), and each route's codes.

`CampaignRow.to_dict`, `Claim.to_dict`, `Redemption.to_dict` and the kept
refusals (`hutong.commerce.coupons`) make the answers; these structs only
document them. Codes: `hutong.commerce.coupons.rules` (a claim's refusals,
409 unless the rule's table says otherwise) and `service`.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from hutong.api.documented import CODES, RESULT

__all__ = [
    "BUYER_OPT",
    "CLAIM_OPT",
    "DECLARE_OPT",
    "LIST_OPT",
    "ORDER_OPT",
    "REFUSALS_OPT",
    "SHOW_OPT",
]


class ReleaseOut(msgspec.Struct, kw_only=True):
    at: str
    quantity: int


class CampaignOut(msgspec.Struct, kw_only=True):
    """A coupon campaign: `value` fen off (fixed) or percent, funded by `funding`'s shares."""

    id: str
    issuer: str
    merchant: str
    title: str
    #: Funder -> its share (the shares split every discount).
    funding: dict[str, int]
    value_kind: Literal["fixed", "percent"]
    value: int
    #: Fen, the most a percent coupon takes off (0: no cap).
    cap: int
    min_spend: int
    per_buyer: int
    releases: list[ReleaseOut]
    hosts: list[str]
    surfaces: list[str]
    redeem_hosts: list[str]
    storefronts: list[str]
    categories: list[str]
    valid_from: str
    valid_until: str
    #: Coupons released in all; `issued` of them are claimed.
    stock: int
    issued: int


class CampaignAnswer(msgspec.Struct, kw_only=True):
    campaign: CampaignOut


class CampaignList(msgspec.Struct, kw_only=True):
    campaigns: list[CampaignOut]


class ClaimedCouponOut(msgspec.Struct, kw_only=True):
    """A coupon a host's buyer holds (claimed) or used (redeemed, in `order_id`)."""

    id: str
    campaign_id: str
    host: str
    buyer: str
    surface: str
    state: str
    order_id: str | None
    claimed_at: str


class CouponAnswer(msgspec.Struct, kw_only=True):
    coupon: ClaimedCouponOut


class CouponList(msgspec.Struct, kw_only=True):
    coupons: list[ClaimedCouponOut]


class RedemptionOut(msgspec.Struct, kw_only=True):
    """What an order redeemed: the discount (fen), each funder's part, refunded and funded."""

    coupon: str
    campaign_id: str
    discount: int
    funding: dict[str, int]
    returned: int
    funded: int


class OrderCoupon(msgspec.Struct, kw_only=True):
    order_id: str
    coupon: RedemptionOut


class RefusalOut(msgspec.Struct, kw_only=True):
    """A claim or redemption refused, kept for the auditor and the parties."""

    campaign_id: str
    action: str
    host: str
    merchant: str
    code: str
    order_id: str | None
    refused_at: str


class RefusalList(msgspec.Struct, kw_only=True):
    refusals: list[RefusalOut]


#: `opt` of `POST /v1/coupons/campaigns`: a merchant, funder or host the body names that
#: does not exist is the body's mistake (422; `unknown_merchant` is a path's or query's 404).
DECLARE_OPT: dict[str, object] = {
    RESULT: CampaignAnswer,
    CODES: {
        403: ("not_the_issuer",),
        409: ("message_id_conflict", "message_in_flight"),
        422: ("invalid_campaign", "no_such_merchant"),
    },
}
LIST_OPT: dict[str, object] = {RESULT: CampaignList}
SHOW_OPT: dict[str, object] = {RESULT: CampaignAnswer, CODES: {404: ("unknown_coupon",)}}
CLAIM_OPT: dict[str, object] = {
    RESULT: CouponAnswer,
    CODES: {
        403: ("wrong_role", "coupon_not_valid_here"),
        404: ("unknown_coupon",),
        409: (
            "coupon_not_released",
            "coupon_expired",
            "coupon_limit_reached",
            "coupon_exhausted",
            "message_id_conflict",
        ),
        422: ("invalid_buyer", "invalid_surface"),
    },
}
BUYER_OPT: dict[str, object] = {
    RESULT: CouponList,
    CODES: {403: ("wrong_role",), 422: ("invalid_buyer",)},
}
ORDER_OPT: dict[str, object] = {
    RESULT: OrderCoupon,
    CODES: {403: ("not_a_party",), 404: ("unknown_order", "no_coupon")},
}
REFUSALS_OPT: dict[str, object] = {RESULT: RefusalList, CODES: {404: ("unknown_coupon",)}}
