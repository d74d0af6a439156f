"""Cross-platform coupon campaigns (issue 18 §1).

`rules` (pure: who may claim, where a coupon counts, the discount, the
funders' shares), `store` (rows), `service` (declare, claim, read),
`redeem` (a coupon in an order's price check, completion and refunds) and
`legs` (the funders' ledger legs).
"""

from __future__ import annotations

from hutong.commerce.coupons.rules import Campaign, CouponError, Release, ValueKind, Where
from hutong.commerce.coupons.store import CampaignRow, Claim, Redemption

__all__ = [
    "Campaign",
    "CampaignRow",
    "Claim",
    "CouponError",
    "Redemption",
    "Release",
    "ValueKind",
    "Where",
]
