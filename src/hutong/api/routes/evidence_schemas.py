"""Request and response shapes of the auditor's evidence routes (terms, impressions)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec

from hutong.api.schemas import CorrectionIn
from hutong.commerce.terms import MerchantTerms
from hutong.protocol.envelope import Context

__all__ = [
    "TERMS_CODES",
    "ImpressionItemIn",
    "ImpressionListIn",
    "SignedImpressionsIn",
    "SignedTermsIn",
    "TermsOut",
    "terms_out",
]


#: What recording terms refuses with: a merchant nobody registered (or no merchant) is the
#: body's 422 `no_such_merchant`, as order intake's and payments'.
TERMS_CODES: dict[int, tuple[str, ...]] = {
    403: ("wrong_role",),
    422: (
        "invalid_commission",
        "reason_required",
        "reason_too_long",
        "invalid_justification",
        "invalid_correction",
        "valid_from_in_past",
        "no_such_merchant",
    ),
}


class JustificationIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: str
    reference: str = ""


class TermsIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    merchant: str
    commission_bps: int
    promotion_eligible: bool
    listed: bool
    valid_from: date
    reason: str
    justification: JustificationIn | None = None
    #: Present only on a back-dated version (`hutong.protocol.declared_time`).
    correction: CorrectionIn | None = None


class SignedTermsIn(msgspec.Struct, kw_only=True):
    context: Context
    message: TermsIn


class TermsOut(msgspec.Struct, kw_only=True):
    platform: str
    merchant: str
    version: int
    commission_bps: int
    promotion_eligible: bool
    listed: bool
    valid_from: date
    reason: str
    justification: dict[str, str] | None
    declared_at: datetime
    #: Why a back-dated version corrects history; None when declared plainly.
    correction: str | None = None


def terms_out(t: MerchantTerms) -> TermsOut:
    return TermsOut(
        platform=t.platform,
        merchant=t.merchant,
        version=t.version,
        commission_bps=t.commission_bps,
        promotion_eligible=t.promotion_eligible,
        listed=t.listed,
        valid_from=t.valid_from,
        reason=t.reason,
        justification=t.justification.to_dict() if t.justification else None,
        declared_at=t.declared_at,
        correction=t.correction,
    )


class ImpressionItemIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One shown item: a placement of the switch, or an offer by {merchant, sku_id}."""

    position: int
    sponsored: bool
    labelled_ad: bool
    placement_id: str | None = None
    merchant: str | None = None
    sku_id: str | None = None
    rating: float | None = None
    reviews: int | None = None


class ImpressionListIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    surface: str
    query: str
    shown_at: datetime
    items: list[ImpressionItemIn]


class ImpressionsIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    lists: list[ImpressionListIn]


class SignedImpressionsIn(msgspec.Struct, kw_only=True):
    context: Context
    message: ImpressionsIn


def as_json(value: Any) -> Any:
    return msgspec.to_builtins(value)
