"""Which offers a host may show, and what a search asks. Pure code.

A host H (its alias h) may show an offer of merchant M, whose home platform
is P (its alias p; M itself when M has no profile), on surface S today:

1. ``storefront``: M has an approved storefront inside H whose catalog lists
   the offer. It is shown at the storefront's price (sold inside H: H's own
   link, always open).
2. ``own``: p == h, a merchant of H itself (H's own link).
3. ``link``: otherwise H's declared link policy decides for source p on S
   today (`hutong.links.policy.PolicyHistory.decide`, the decision the
   resolver serves and the auditor reads); the offer is shown unless the
   treatment is ``blocked``. The result carries the treatment, the basis
   (``rule`` or ``undeclared``: open by default) and the rule (``host#vN``).

Nothing else enters: not who M is, not which group owns P. So searching
"JD" on Taobao finds JD's offers exactly when Taobao's policy lets them show.

A search
--------
``q`` (at most `MAX_QUERY` characters, ``query_too_long``) matches, without
regard to case, a part of the title, of the merchant's id or of its home
platform's id; ``category`` is the exact category; ``min_price`` and
``max_price`` bound the price shown, inclusive (integers >= 0, min <= max:
``invalid_price_range``); ``limit`` is 1 to `MAX_LIMIT` (``invalid_limit``);
``surface`` one of the link surfaces (``invalid_surface``), ``search`` by
default. Results come in (merchant, sku_id) order; ``cursor`` is the opaque
position after the last result of the previous page (``invalid_cursor``).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date

from hutong.links.hosts import alias
from hutong.links.policy import Basis, PolicyHistory, Surface, Treatment
from hutong.protocol.errors import ValidationError

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "MAX_QUERY",
    "Candidate",
    "Search",
    "Shown",
    "decode_cursor",
    "encode_cursor",
    "matches",
    "shown",
]

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_QUERY = 128


@dataclass(frozen=True, slots=True)
class Candidate:
    """An offer as the search reads it, with the host's storefront listing of it if any."""

    merchant: str
    sku_id: str
    title: str
    category: str
    price: int
    #: The merchant's home platform (subscriber id), or "" without a profile.
    home_platform: str
    self_operated: bool
    #: (storefront id, price there) when an approved storefront of the host lists it.
    storefront: tuple[str, int] | None = None


@dataclass(frozen=True, slots=True)
class Shown:
    """One result: the offer, its owner and home, and why the host may show it."""

    candidate: Candidate
    via: str  # storefront, own or link
    price: int
    treatment: Treatment
    basis: Basis
    rule: str = ""

    def to_dict(self) -> dict[str, object]:
        c = self.candidate
        return {
            "merchant": c.merchant,
            "sku_id": c.sku_id,
            "title": c.title,
            "category": c.category,
            "price": self.price,
            "home_platform": c.home_platform or None,
            "via": self.via,
            "storefront_id": c.storefront[0] if c.storefront else None,
            "treatment": self.treatment.value,
            "basis": self.basis.value,
            "rule": self.rule or None,
            # What `POST /v1/impressions` takes for this result, with its position:
            # a search result is organic (neither sponsored nor an ad).
            "impression_item": {
                "merchant": c.merchant,
                "sku_id": c.sku_id,
                "sponsored": False,
                "labelled_ad": False,
            },
        }


def shown(
    candidate: Candidate, host: str, history: PolicyHistory, surface: Surface, day: date
) -> Shown | None:
    """The result for `candidate` in `host` (an alias), or None when its policy blocks it."""
    if candidate.storefront is not None:
        return Shown(
            candidate, "storefront", candidate.storefront[1], Treatment.OPEN, Basis.OWN_LINK
        )
    source = alias(candidate.home_platform or candidate.merchant)
    if source == host:
        return Shown(candidate, "own", candidate.price, Treatment.OPEN, Basis.OWN_LINK)
    decision = history.decide(
        source,
        surface,
        day,
        merchant_is_self_operated=candidate.self_operated,
        merchant_id=candidate.merchant,
    )
    if decision.treatment is Treatment.BLOCKED:
        return None
    rule = f"{decision.rule.host}#v{decision.rule.version}" if decision.rule else ""
    return Shown(candidate, "link", candidate.price, decision.treatment, decision.basis, rule)


@dataclass(frozen=True, slots=True)
class Search:
    """A checked search (see the module's docstring)."""

    q: str = ""
    category: str | None = None
    min_price: int | None = None
    max_price: int | None = None
    surface: Surface = Surface.SEARCH
    limit: int = DEFAULT_LIMIT
    after: tuple[str, str] = ("", "")

    @classmethod
    def checked(
        cls,
        *,
        q: str | None,
        category: str | None,
        min_price: int | None,
        max_price: int | None,
        surface: str | None,
        limit: int | None,
        cursor: str | None,
    ) -> Search:
        text = (q or "").strip()
        if len(text) > MAX_QUERY:
            raise ValidationError(f"q is at most {MAX_QUERY} characters", code="query_too_long")
        low, high = min_price, max_price
        if (
            (low is not None and low < 0)
            or (high is not None and high < 0)
            or (low is not None and high is not None and low > high)
        ):
            raise ValidationError(
                "min_price and max_price are fen, 0 or more, min <= max",
                code="invalid_price_range",
            )
        size = DEFAULT_LIMIT if limit is None else limit
        if not 1 <= size <= MAX_LIMIT:
            raise ValidationError(f"limit is 1 to {MAX_LIMIT}", code="invalid_limit")
        try:
            where = Surface(surface) if surface else Surface.SEARCH
        except ValueError:
            raise ValidationError(f"unknown surface {surface!r}", code="invalid_surface") from None
        return cls(
            q=text.lower(),
            category=category or None,
            min_price=low,
            max_price=high,
            surface=where,
            limit=size,
            after=decode_cursor(cursor) if cursor else ("", ""),
        )

    def price_fits(self, price: int) -> bool:
        return (self.min_price is None or price >= self.min_price) and (
            self.max_price is None or price <= self.max_price
        )


def matches(search: Search, candidate: Candidate) -> bool:
    """The text, category and price of `search` hold for the result `candidate` gives."""
    if search.category is not None and candidate.category != search.category:
        return False
    if search.q and not any(
        search.q in field.lower()
        for field in (candidate.title, candidate.merchant, candidate.home_platform)
    ):
        return False
    price = candidate.storefront[1] if candidate.storefront else candidate.price
    return search.price_fits(price)


def encode_cursor(merchant: str, sku_id: str) -> str:
    raw = json.dumps([merchant, sku_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        merchant, sku_id = json.loads(raw)
        if isinstance(merchant, str) and isinstance(sku_id, str):
            return merchant, sku_id
    except (binascii.Error, ValueError, TypeError):
        pass
    raise ValidationError("cursor is the next_cursor of a previous page", code="invalid_cursor")
