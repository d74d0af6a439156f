"""The rules of one version of a merchant's terms (pure).

0 <= commission_bps <= 10_000          (`invalid_commission`)
reason: non-blank, <= MAX_REASON chars (`reason_required`, `reason_too_long`)
justification: None or one of the closed set (`invalid_justification`)
valid_from: the declaring day (UTC) or later, unless a correction says why
            (`valid_from_in_past`, `hutong.store.corrections`)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from hutong.commerce.storefronts import MAX_BPS
from hutong.protocol.errors import ValidationError
from hutong.protocol.justifications import Justification

__all__ = ["MAX_REASON", "MerchantTerms", "check_terms"]

MAX_REASON = 1000


@dataclass(frozen=True, slots=True)
class MerchantTerms:
    platform: str
    merchant: str
    version: int
    commission_bps: int
    promotion_eligible: bool
    listed: bool
    valid_from: date
    reason: str
    justification: Justification | None
    declared_at: datetime
    #: Why a back-dated version corrects history (None: declared plainly).
    correction: str | None = None


def check_terms(commission_bps: int, reason: str) -> str:
    """The stripped reason, once the commission and the reason are acceptable."""
    if not 0 <= commission_bps <= MAX_BPS:
        raise ValidationError(
            f"commission_bps must be 0 to {MAX_BPS}, got {commission_bps}",
            code="invalid_commission",
        )
    reason = reason.strip()
    if not reason:
        raise ValidationError(
            "terms need a reason (why this fee, this listing)", code="reason_required"
        )
    if len(reason) > MAX_REASON:
        raise ValidationError(
            f"the reason is at most {MAX_REASON} characters", code="reason_too_long"
        )
    return reason
