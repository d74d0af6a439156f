"""The rules of storefronts (入驻): pure code, no I/O.

A merchant requests a storefront on a host with a subset of its catalog, the
prices there and the commission it offers (basis points). The host approves
or refuses it, a refusal always with a reason:

    requested -> approved
    requested -> refused

and nothing else: a decided request is never decided again (409
`storefront_decided`); after a refusal the merchant may ask again, which is
a new request with its own record.

Standing policies
-----------------
A host may declare standing rules that decide requests when they arrive
instead of a person: "approve every storefront selling only beauty",
"refuse merchants whose home platform is taobao". Each declaration is one
`StandingRule`, stored as a new version (1, 2, ...) of the host's policy and
never edited. A rule is in force from its `valid_from` day (inclusive, a
calendar day as the switch's UTC clock reads it). A later version with the
same match (same categories and same home platforms) replaces an earlier one
from its own valid_from: that is how a host changes its mind about a match.

Matching. A rule names categories, home platforms or both (both: both must
hold). Home platforms match when the merchant's declared home platform is
one of them (a merchant without a profile matches no home-platform rule).
Categories are asymmetric, on purpose: an *approve* rule matches only when
*every* category of the requested catalog is among its categories (an
approval must cover everything that would be sold), while a *refuse* rule
matches when *any* category of the catalog is among them (the host does not
host that category at all).

Precedence. When rules of both decisions match, refuse wins; among rules of
the same decision the latest version wins (it is the one reported). Refusing
is the conservative choice: an auto-approval opens a live storefront with
placements and links that would have to be unwound, while a refusal is
recorded with its reason and the merchant can ask again once the host
changes its policy. A host that wants an exception to a broad refusal
declares the refusal narrower.

The decision is recorded with `decided_by` = "policy:<host>#v<version>".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from hutong.commerce.offers import MAX_AMOUNT, is_integer
from hutong.protocol.errors import ConflictError, ValidationError
from hutong.protocol.justifications import Justification, parse_justification

MAX_CATALOG = 1000
MAX_BPS = 10_000
MAX_REASON = 2000
#: The width of storefronts.decided_by.
MAX_DECIDED_BY = 64


class StorefrontStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"


class Decision(StrEnum):
    APPROVE = "approve"
    REFUSE = "refuse"

    @property
    def outcome(self) -> StorefrontStatus:
        return StorefrontStatus.APPROVED if self is Decision.APPROVE else StorefrontStatus.REFUSED


TRANSITIONS: Mapping[StorefrontStatus, frozenset[StorefrontStatus]] = {
    StorefrontStatus.REQUESTED: frozenset({StorefrontStatus.APPROVED, StorefrontStatus.REFUSED}),
    StorefrontStatus.APPROVED: frozenset(),
    StorefrontStatus.REFUSED: frozenset(),
}


def decide(current: StorefrontStatus, decision: Decision) -> StorefrontStatus:
    """The status after `decision`; 409 when the request was already decided."""
    wanted = decision.outcome
    if wanted not in TRANSITIONS[current]:
        raise ConflictError(
            f"this storefront request was already {current.value}; a decision is final",
            code="storefront_decided",
        )
    return wanted


def check_justification(decision: Decision, justification: Justification | None) -> None:
    """Only a refusal is justified: an approval with a justification is refused."""
    if justification is not None and decision is not Decision.REFUSE:
        raise ValidationError(
            "a justification explains a refusal; an approval carries none",
            code="invalid_justification",
        )


def check_reason(decision: Decision, reason: str) -> str:
    """A refusal needs a reason; an approval may carry one."""
    reason = reason.strip()
    if decision is Decision.REFUSE and not reason:
        raise ValidationError("a refusal needs a non-empty reason", code="reason_required")
    if len(reason) > MAX_REASON:
        raise ValidationError(
            f"a reason is at most {MAX_REASON} characters", code="reason_too_long"
        )
    return reason


@dataclass(frozen=True, slots=True)
class CatalogItem:
    sku_id: str
    price: int  # fen, the price inside the host


def check_catalog(items: Sequence[CatalogItem], commission_bps: int) -> None:
    """The shape of a request: a non-empty subset of distinct SKUs with prices."""
    if not items:
        raise ValidationError("a storefront needs at least one SKU", code="empty_catalog")
    if len(items) > MAX_CATALOG:
        raise ValidationError(
            f"a storefront lists at most {MAX_CATALOG} SKUs", code="catalog_too_large"
        )
    seen: set[str] = set()
    for item in items:
        if item.sku_id in seen:
            raise ValidationError(f"{item.sku_id} is listed twice", code="duplicate_sku")
        seen.add(item.sku_id)
        if not is_integer(item.price) or not 0 < item.price <= MAX_AMOUNT:
            raise ValidationError(
                f"{item.sku_id}: the price must be an integer number of fen above 0",
                code="invalid_price",
            )
    if not is_integer(commission_bps) or not 0 <= commission_bps <= MAX_BPS:
        raise ValidationError(
            "commission_bps must be an integer from 0 to 10000 (basis points)",
            code="invalid_commission",
        )


@dataclass(frozen=True, slots=True)
class Storefront:
    id: str
    merchant: str
    host: str
    status: StorefrontStatus
    catalog: tuple[CatalogItem, ...]
    commission_bps: int
    reason: str
    decided_by: str
    requested_at: datetime
    decided_at: datetime | None
    #: Why a refusal is justified (fraud, safety, ...), when the host says so.
    justification: Justification | None = None

    def to_dict(self) -> dict[str, Any]:
        """The storefront as events show it (`justification` only when there is one)."""
        shown: dict[str, Any] = {
            "id": self.id,
            "merchant": self.merchant,
            "host": self.host,
            "status": self.status.value,
            "catalog": [{"sku_id": i.sku_id, "price": i.price} for i in self.catalog],
            "commission_bps": self.commission_bps,
            "reason": self.reason,
            "decided_by": self.decided_by,
            "requested_at": self.requested_at.isoformat(),
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
        }
        if self.justification is not None:
            shown["justification"] = self.justification.to_dict()
        return shown


def _names(values: Iterable[str], what: str) -> frozenset[str]:
    found = frozenset(values)
    if any(not isinstance(v, str) or not v.strip() for v in found):
        raise ValidationError(f"{what} must be non-blank strings", code="invalid_policy")
    return found


@dataclass(frozen=True, slots=True)
class StandingRule:
    """One declared rule of a host; `version` is 0 until it is stored."""

    decision: Decision
    valid_from: date
    categories: frozenset[str] = field(default_factory=frozenset)
    home_platforms: frozenset[str] = field(default_factory=frozenset)
    reason: str = ""
    version: int = 0
    #: A refusing rule's justification (fraud, safety, legal, quality, capacity).
    justification: Justification | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.decision, Decision):
            raise ValidationError("decision is approve or refuse", code="invalid_policy")
        # datetime is a date subclass that does not compare with date.
        if not isinstance(self.valid_from, date) or isinstance(self.valid_from, datetime):
            raise ValidationError("valid_from must be a calendar day", code="invalid_policy")
        _names(self.categories, "categories")
        _names(self.home_platforms, "home_platforms")
        if not self.categories and not self.home_platforms:
            raise ValidationError(
                "a standing rule names categories, home platforms or both", code="invalid_policy"
            )
        check_reason(self.decision, self.reason)
        check_justification(self.decision, self.justification)

    @property
    def match(self) -> tuple[frozenset[str], frozenset[str]]:
        return self.categories, self.home_platforms

    def in_force(self, day: date) -> bool:
        return self.valid_from <= day

    def matches(self, home_platform: str | None, categories: frozenset[str]) -> bool:
        if self.home_platforms and home_platform not in self.home_platforms:
            return False
        if self.categories:
            if self.decision is Decision.APPROVE:
                return bool(categories) and categories <= self.categories
            return bool(categories & self.categories)
        return True

    def to_dict(self) -> dict[str, Any]:
        """The stored JSON (valid_from and version have columns of their own)."""
        stored: dict[str, Any] = {
            "decision": self.decision.value,
            "categories": sorted(self.categories),
            "home_platforms": sorted(self.home_platforms),
            "reason": self.reason,
        }
        if self.justification is not None:
            stored["justification"] = self.justification.to_dict()
        return stored

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], valid_from: date, version: int) -> StandingRule:
        return cls(
            decision=Decision(data["decision"]),
            valid_from=valid_from,
            categories=frozenset(data.get("categories", ())),
            home_platforms=frozenset(data.get("home_platforms", ())),
            reason=data.get("reason", ""),
            version=version,
            justification=parse_justification(data.get("justification")),
        )


def rules_in_force(rules: Iterable[StandingRule], day: date) -> list[StandingRule]:
    """The rules that speak on `day`: for each match, its latest version in force."""
    latest: dict[tuple[frozenset[str], frozenset[str]], StandingRule] = {}
    for rule in rules:
        if not rule.in_force(day):
            continue
        current = latest.get(rule.match)
        if current is None or rule.version > current.version:
            latest[rule.match] = rule
    return sorted(latest.values(), key=lambda r: r.version)


def standing_decision(
    rules_in_force_on_day: Iterable[StandingRule],
    merchant_home_platform: str | None,
    categories: Iterable[str],
) -> tuple[Decision, StandingRule] | None:
    """What the host's standing rules decide for a request; None leaves it to the host.

    Refuse beats approve; within one decision the latest version wins.
    """
    wanted = frozenset(categories)
    matching = [r for r in rules_in_force_on_day if r.matches(merchant_home_platform, wanted)]
    if not matching:
        return None
    best = max(matching, key=lambda r: (r.decision is Decision.REFUSE, r.version))
    return best.decision, best


def policy_ref(host: str, version: int) -> str:
    """`decided_by` of a standing decision; the host is left out if it does not fit.

    (The storefront's own `host` column names the host in any case.)
    """
    full = f"policy:{host}#v{version}"
    return full if len(full) <= MAX_DECIDED_BY else f"policy:#v{version}"
