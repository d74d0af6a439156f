"""Request and response shapes of the offers and storefronts API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec

from hutong.api.schemas import CorrectionIn, correction_out
from hutong.commerce.store import ItemResult, MerchantProfile, Offer
from hutong.commerce.storefronts import Decision, StandingRule, Storefront
from hutong.protocol.envelope import Context
from hutong.protocol.justifications import Justification, parse_justification
from hutong.store.corrections import CorrectionRecord

_ANY = "checked item by item (see the result codes), never converted"


class OfferItemIn(msgspec.Struct, kw_only=True):
    """One offer. Fields are checked one item at a time, so one bad item does not
    refuse the call: it gets its own result code and the others are stored."""

    sku_id: Annotated[Any, msgspec.Meta(description="1-128 of A-Z a-z 0-9 . _ : -")] = None
    title: Annotated[Any, msgspec.Meta(description="non-blank, at most 512 characters")] = None
    price: Annotated[Any, msgspec.Meta(description="JSON integer, fen, > 0")] = None
    stock: Annotated[Any, msgspec.Meta(description="JSON integer, >= 0")] = None
    category: Annotated[Any, msgspec.Meta(description="non-blank")] = None
    h5_url: Annotated[Any, msgspec.Meta(description="absolute http(s) URL")] = None
    deep_link: Annotated[Any, msgspec.Meta(description="optional URL with a scheme")] = None
    mini_program_app_id: Annotated[Any, msgspec.Meta(description="with mini_program_path")] = None
    mini_program_path: Annotated[Any, msgspec.Meta(description="with mini_program_app_id")] = None


class OffersIn(msgspec.Struct, kw_only=True):
    offers: Annotated[list[OfferItemIn], msgspec.Meta(description=_ANY)]


class SignedOffersIn(msgspec.Struct, kw_only=True):
    context: Context
    message: OffersIn


class OfferResult(msgspec.Struct, omit_defaults=True):
    sku_id: str
    #: ok (stored), unchanged, or the code of the item's first problem.
    result: str
    message: str = ""


class OfferResultsOut(msgspec.Struct):
    results: list[OfferResult]
    ok: bool


def offer_results(results: list[ItemResult]) -> OfferResultsOut:
    return OfferResultsOut(
        results=[OfferResult(r.sku_id, r.result, r.message) for r in results],
        ok=all(r.result in ("ok", "unchanged") for r in results),
    )


class OfferOut(msgspec.Struct, kw_only=True):
    sku_id: str
    title: str
    price: int
    stock: int
    category: str
    h5_url: str
    deep_link: str | None
    mini_program_app_id: str | None
    mini_program_path: str | None
    created_at: datetime
    updated_at: datetime


def offer_out(offer: Offer) -> OfferOut:
    values = offer.offer.values()
    return OfferOut(**values, created_at=offer.created_at, updated_at=offer.updated_at)


class CatalogItemIn(msgspec.Struct, kw_only=True):
    sku_id: str
    #: The price inside the host, integer fen.
    price: int


class StorefrontIn(msgspec.Struct, kw_only=True):
    host: str
    catalog: list[CatalogItemIn]
    #: The commission offered to the host, in basis points (0-10000).
    commission_bps: int


class SignedStorefrontIn(msgspec.Struct, kw_only=True):
    context: Context
    message: StorefrontIn


class JustificationIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Why a refusal is justified: code one of fraud, safety, legal, quality, capacity."""

    code: str
    reference: str = ""

    def parsed(self) -> Justification | None:
        return parse_justification({"code": self.code, "reference": self.reference})


def justification_in(given: JustificationIn | None) -> Justification | None:
    return given.parsed() if given is not None else None


class DecisionIn(msgspec.Struct, kw_only=True):
    #: Required (non-blank) to refuse; optional to approve.
    reason: str = ""
    #: A refusal's justification (issue 15), from the closed set.
    justification: JustificationIn | None = None


class SignedDecisionIn(msgspec.Struct, kw_only=True):
    context: Context
    message: DecisionIn = msgspec.field(default_factory=DecisionIn)


class CatalogItemOut(msgspec.Struct):
    sku_id: str
    price: int


class StorefrontOut(msgspec.Struct, kw_only=True):
    id: str
    merchant: str
    host: str
    #: requested, approved or refused.
    status: str
    catalog: list[CatalogItemOut]
    commission_bps: int
    reason: str
    #: "host", or "policy:<host>#v<version>" for a standing decision; "" while requested.
    decided_by: str
    requested_at: datetime
    decided_at: datetime | None
    #: A refusal's justification `{code, reference}`, or null.
    justification: dict[str, str] | None = None


def storefront_out(storefront: Storefront) -> StorefrontOut:
    return StorefrontOut(
        id=storefront.id,
        merchant=storefront.merchant,
        host=storefront.host,
        status=storefront.status.value,
        catalog=[CatalogItemOut(i.sku_id, i.price) for i in storefront.catalog],
        commission_bps=storefront.commission_bps,
        reason=storefront.reason,
        decided_by=storefront.decided_by,
        requested_at=storefront.requested_at,
        decided_at=storefront.decided_at,
        justification=_shown(storefront.justification),
    )


def _shown(justification: Justification | None) -> dict[str, str] | None:
    return justification.to_dict() if justification is not None else None


class StandingRuleIn(msgspec.Struct, kw_only=True):
    decision: Decision
    #: The first day (UTC) the rule decides requests.
    valid_from: date
    categories: list[str] = msgspec.field(default_factory=list)
    home_platforms: list[str] = msgspec.field(default_factory=list)
    #: Required to refuse: it becomes the refusal's reason.
    reason: str = ""
    #: Present only on a back-dated version (`hutong.protocol.declared_time`).
    correction: CorrectionIn | None = None
    #: A refusing rule's justification, from the closed set (none to approve).
    justification: JustificationIn | None = None


class SignedStandingRuleIn(msgspec.Struct, kw_only=True):
    context: Context
    message: StandingRuleIn


class StandingRuleOut(msgspec.Struct, kw_only=True):
    host: str
    version: int
    decision: str
    valid_from: date
    categories: list[str]
    home_platforms: list[str]
    reason: str
    #: The version's back-dated correction record, None when declared plainly.
    correction: dict[str, Any] | None = None
    justification: dict[str, str] | None = None


def rule_out(
    host: str, rule: StandingRule, correction: CorrectionRecord | None = None
) -> StandingRuleOut:
    return StandingRuleOut(
        correction=correction_out(correction),
        host=host,
        version=rule.version,
        decision=rule.decision.value,
        valid_from=rule.valid_from,
        categories=sorted(rule.categories),
        home_platforms=sorted(rule.home_platforms),
        reason=rule.reason,
        justification=_shown(rule.justification),
    )


class ProfileIn(msgspec.Struct, kw_only=True):
    home_platform: str
    self_operated: bool = False


class ProfileOut(msgspec.Struct, kw_only=True):
    subscriber_id: str
    home_platform: str
    self_operated: bool
    updated_at: datetime


def profile_out(profile: MerchantProfile) -> ProfileOut:
    return ProfileOut(
        subscriber_id=profile.subscriber_id,
        home_platform=profile.home_platform,
        self_operated=profile.self_operated,
        updated_at=profile.updated_at,
    )
