"""Coupon campaigns as pure rules: who may claim, where a coupon counts, what it takes off.

Pure code, no I/O, no clock (``now`` is passed in, UTC). Amounts are integer
fen; shares are basis points (1 bp = 0.01%).

A campaign discounts one merchant's goods. Its issuer (the merchant, its home
platform or a host) declares it; its funders pay the discount in the declared
split (``funding``: {participant: bps}, 10000 in all). Coupons are handed out
by the hosts it names (``hosts``; on the ``surfaces`` it names, none: any) in
``releases`` ((at, quantity): the stock released at each time, so JD Services'
store released at 0, 10, 14 and 20 o'clock); a buyer (the host's pseudonymous
id) may hold ``per_buyer`` of them. A coupon is redeemed in an order of the
merchant taken by a host of ``redeem_hosts`` (none: any), through a storefront
of ``storefronts`` (none: any channel), in a category of ``categories`` (none:
any), between ``valid_from`` and ``valid_until``, when the order's total is at
least ``min_spend``.

The discount of an order of total ``T``::

    fixed    d = min(value, T - 1)
    percent  d = min(T * value // 10000, cap, T - 1)   (cap 0: no cap)

(the buyer's wallet always pays at least a fen: a payment is never 0).

A refund of part of an order gives the coupon back its share cumulatively, so
the parts always add up: after refunds totalling ``R`` of the order's ``T``,
the coupon's part returned is ``D * R // T`` (all of ``D`` once ``R = T``);
each funder's share of any amount is `hutong.ledger.splits.split` of it by
``funding``, the fen left by rounding going to the funders in declared order.

Refusals (`CouponError`, each with its code):

========================== =================================================
coupon_not_released        no release has happened yet (claim)
coupon_exhausted           every coupon released so far is claimed (claim)
coupon_limit_reached       the buyer holds ``per_buyer`` coupons already (claim)
coupon_expired             past ``valid_until`` (claim, redeem)
coupon_not_valid_here      the host, surface, storefront, category or
                           merchant is not one the campaign names
coupon_not_yet_valid       before ``valid_from`` (redeem)
coupon_min_spend_not_met   the order's total is under ``min_spend`` (redeem)
coupon_already_used        the coupon was redeemed in another order (redeem)
coupon_no_discount         the order is too small for the coupon to take anything off
coupon_not_yours           another host's buyer holds the coupon (redeem)
unknown_coupon             no such campaign (named in the path: 404)
no_such_coupon             no such coupon, named in an order (422)
invalid_campaign           a campaign that cannot be declared as given
========================== =================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from hutong.ledger.splits import BPS_WHOLE, Leg, split
from hutong.protocol.errors import Kind, RuleBroken

__all__ = [
    "Campaign",
    "CouponError",
    "Release",
    "ValueKind",
    "Where",
    "check_claim",
    "check_redeem",
    "discount",
    "funder_deltas",
    "funding_shares",
    "released_at",
    "share_returned",
]

#: How many coupons one campaign may release at most, and one buyer hold.
MAX_STOCK = 10_000_000
MAX_PER_BUYER = 100


class CouponError(RuleBroken, ValueError):
    """A coupon refused: a stable ``code`` and a human ``message`` (see the module doc)."""

    kinds: ClassVar[Mapping[str, Kind]] = {
        "unknown_coupon": Kind.NOT_FOUND,
        "coupon_not_valid_here": Kind.FORBIDDEN,
        "coupon_not_yours": Kind.FORBIDDEN,
        "coupon_min_spend_not_met": Kind.INVALID,
        "coupon_no_discount": Kind.INVALID,
        "no_such_coupon": Kind.INVALID,
    }


class ValueKind(StrEnum):
    FIXED = "fixed"
    PERCENT = "percent"


@dataclass(frozen=True, slots=True)
class Release:
    """`quantity` coupons become claimable at `at`."""

    at: datetime
    quantity: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Campaign:
    """A coupon campaign as declared (see the module doc for each field)."""

    id: str
    issuer: str
    merchant: str
    title: str
    funding: Mapping[str, int]
    value_kind: ValueKind
    value: int
    valid_from: datetime
    valid_until: datetime
    releases: tuple[Release, ...]
    cap: int = 0
    min_spend: int = 0
    per_buyer: int = 1
    hosts: tuple[str, ...] = ()
    surfaces: tuple[str, ...] = ()
    redeem_hosts: tuple[str, ...] = ()
    storefronts: tuple[str, ...] = ()
    categories: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        _check(self)

    @property
    def stock(self) -> int:
        """Every coupon the campaign will ever release."""
        return sum(release.quantity for release in self.releases)

    @property
    def parties(self) -> tuple[str, ...]:
        """Who hears of the campaign's declaration: the issuer, the funders and every host,
        each once (a coupon's claim and redemption: `told_of_coupon`)."""
        named = [self.issuer, *self.funding, *self.hosts]
        return tuple(dict.fromkeys(named))

    def told_of_coupon(self, host: str) -> tuple[str, ...]:
        """Who hears of one coupon's claim or redemption: the issuer, the funders and `host`,
        the platform that claimed it; never the campaign's other hosts, its rivals."""
        return tuple(dict.fromkeys([self.issuer, *self.funding, host]))


def _bad(message: str) -> CouponError:
    return CouponError("invalid_campaign", message)


def _is_int(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _check(c: Campaign) -> None:
    if not c.funding or not all(_is_int(bps, 1, BPS_WHOLE) for bps in c.funding.values()):
        raise _bad("funding names each funder's share in basis points, 1 to 10000")
    if sum(c.funding.values()) != BPS_WHOLE:
        raise _bad(f"the funders' shares add up to {sum(c.funding.values())} bp, not 10000")
    if c.value_kind is ValueKind.FIXED and not _is_int(c.value, 1, 2**62):
        raise _bad("a fixed coupon takes off a whole number of fen >= 1")
    if c.value_kind is ValueKind.PERCENT and not _is_int(c.value, 1, BPS_WHOLE):
        raise _bad("a percentage coupon takes off 1 to 10000 bp")
    if not _is_int(c.cap, 0, 2**62) or not _is_int(c.min_spend, 0, 2**62):
        raise _bad("cap and min_spend are whole numbers of fen >= 0")
    if not _is_int(c.per_buyer, 1, MAX_PER_BUYER):
        raise _bad(f"per_buyer is 1 to {MAX_PER_BUYER}")
    if not c.releases or not all(_is_int(r.quantity, 1, MAX_STOCK) for r in c.releases):
        raise _bad("releases are at least one (at, quantity >= 1)")
    if c.stock > MAX_STOCK:
        raise _bad(f"a campaign releases at most {MAX_STOCK} coupons")
    if list(c.releases) != sorted(c.releases, key=lambda r: r.at):
        raise _bad("releases are in time order")
    if c.valid_until <= c.valid_from or c.releases[-1].at >= c.valid_until:
        raise _bad("valid_until comes after valid_from and after the last release")
    if not c.hosts:
        raise _bad("hosts names at least one host that hands the coupons out")


def released_at(campaign: Campaign, now: datetime) -> int:
    """How many coupons are released at `now`: the quantities of every release at or before."""
    return sum(r.quantity for r in campaign.releases if r.at <= now)


def check_claim(
    campaign: Campaign, now: datetime, *, host: str, surface: str, held: int, issued: int
) -> None:
    """Refuse a claim by `host`'s buyer on `surface`, who holds `held`, when `issued` are out.

    In this order: the place (host, surface), the time (not yet released,
    expired), the buyer's limit, then the stock. The write makes the stock
    check again, atomically (`coupon_exhausted` from a conditional update).
    """
    if host not in campaign.hosts:
        raise CouponError("coupon_not_valid_here", f"{host} does not hand out {campaign.id}")
    if campaign.surfaces and surface not in campaign.surfaces:
        raise CouponError(
            "coupon_not_valid_here",
            f"{campaign.id} is handed out on {', '.join(campaign.surfaces)}",
        )
    if now < campaign.releases[0].at:
        raise CouponError(
            "coupon_not_released",
            f"{campaign.id} releases its first coupons at {campaign.releases[0].at}",
        )
    if now >= campaign.valid_until:
        raise CouponError("coupon_expired", f"{campaign.id} ended at {campaign.valid_until}")
    if held >= campaign.per_buyer:
        raise CouponError(
            "coupon_limit_reached", f"a buyer may hold {campaign.per_buyer} of {campaign.id}"
        )
    if issued >= released_at(campaign, now):
        later = [r.at for r in campaign.releases if r.at > now]
        when = f"; the next release is at {later[0]}" if later else ""
        raise CouponError(
            "coupon_exhausted", f"every coupon of {campaign.id} released is claimed{when}"
        )


@dataclass(frozen=True, slots=True)
class Where:
    """The order a coupon would be redeemed in: its host, merchant, storefront and category."""

    host: str
    merchant: str
    storefront_id: str
    category: str


def check_redeem(campaign: Campaign, now: datetime, where: Where, total: int) -> int:
    """The discount on an order of `total` fen at `where`, or the refusal."""
    if where.merchant != campaign.merchant:
        raise CouponError(
            "coupon_not_valid_here", f"{campaign.id} discounts {campaign.merchant}'s goods only"
        )
    if campaign.redeem_hosts and where.host not in campaign.redeem_hosts:
        raise CouponError("coupon_not_valid_here", f"{campaign.id} is not redeemed in {where.host}")
    if campaign.storefronts and where.storefront_id not in campaign.storefronts:
        raise CouponError(
            "coupon_not_valid_here", f"{campaign.id} is redeemed in its storefronts only"
        )
    if campaign.categories and where.category not in campaign.categories:
        raise CouponError(
            "coupon_not_valid_here", f"{campaign.id} does not cover category {where.category}"
        )
    if now < campaign.valid_from:
        raise CouponError(
            "coupon_not_yet_valid", f"{campaign.id} is valid from {campaign.valid_from}"
        )
    if now >= campaign.valid_until:
        raise CouponError("coupon_expired", f"{campaign.id} ended at {campaign.valid_until}")
    if total < campaign.min_spend:
        raise CouponError(
            "coupon_min_spend_not_met",
            f"{campaign.id} needs an order of {campaign.min_spend} fen, not {total}",
        )
    off = discount(campaign, total)
    if off <= 0:
        raise CouponError(
            "coupon_no_discount", f"{campaign.id} takes nothing off an order of {total} fen"
        )
    return off


def discount(campaign: Campaign, total: int) -> int:
    """What the coupon takes off an order of `total` fen (see the module doc): below the total."""
    if campaign.value_kind is ValueKind.FIXED:
        off = campaign.value
    else:
        off = total * campaign.value // BPS_WHOLE
        off = min(off, campaign.cap) if campaign.cap else off
    return max(min(off, total - 1), 0)


def funding_shares(funding: Mapping[str, int], amount: int) -> dict[str, int]:
    """`amount` split between the funders by their basis points, exactly to the fen."""
    return split(amount, [Leg(name, bps) for name, bps in funding.items()])


def share_returned(discount_fen: int, total: int, refunded: int) -> int:
    """The coupon's part of `refunded` fen of an order of `total`: ``D * R // T`` (cumulative)."""
    if total <= 0:
        return 0
    return discount_fen * min(refunded, total) // total


def funder_deltas(
    funding: Mapping[str, int], discount_fen: int, before: int, after: int
) -> dict[str, int]:
    """Each funder's part of the coupon share that moves between two cumulative points.

    The shares of cumulative amounts differ, so the parts of any sequence of
    steps add up to each funder's share of the whole discount. Rounding is not
    monotone (a funder's share of 5 fen can be a fen below its share of 4), so
    a part can be -1 fen: that fen moves the other way (`hutong.commerce.coupons.legs`).
    """
    if not 0 <= before <= after <= discount_fen:
        raise CouponError("invalid_refund", f"cannot move the coupon from {before} to {after}")
    low, high = funding_shares(funding, before), funding_shares(funding, after)
    return {name: high[name] - low[name] for name in funding}
