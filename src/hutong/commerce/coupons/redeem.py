"""A coupon in an order: the price check knows it, payment funds it, refunds return it.

The order keeps its lines at the prices shown (its total ``T``); the buyer's
wallet pays ``T - D`` and the coupon's funders pay ``D``
(`hutong.commerce.coupons.legs`), so the order's split is made on ``T`` as
for any order. The steps:

- `quote` (before the merchant's platform is asked for stock): the coupon is
  the buyer's, its campaign allows this order here and now
  (`hutong.commerce.coupons.rules.check_redeem`); the discount ``D``.
  A host redeems the coupons it claimed for the same buyer, or, when the
  campaign names it in ``redeem_hosts``, a coupon claimed in another app
  (the Tmall Supermarket mini-program on WeChat handing out coupons used in
  Tmall's own channels).
- `redeem` (in the order's write): the coupon is marked redeemed with one
  conditional UPDATE (None if another order won it since `quote`: the order
  is then refused ``coupon_already_used``).
- `to_fund` / `funding_of` (before the buyer's wallet is asked to pay): the
  legs the funders will pay, which the pay step checks against their net
  debit caps first (`hutong.ledger.liquidity.service.check_before_asking`:
  ``net_debit_cap_exceeded``, nobody asked, nothing held), as Mojaloop
  checks a payer's cap before anyone is asked to pay.
- `fund` (in the write that holds the buyer's money): each funder pays its
  share, so its position carries it from then on (``on_coupon
  coupon_funded`` to the funders and the merchant). Completion asks the
  funders for nothing: no cap can refuse the completion of a paid order.
- `refund_share` / `returned` (a refund): the coupon's part of a refund of
  ``R`` so far is ``D * R // T``; the wallet gives back the rest, each
  funder gets its part back.
- `release` (the order ends before completion with all its money back:
  cancelled, expired unpaid, refunded in full): the funders get back what
  refunds did not return yet and the buyer holds the coupon again. A partial
  refund returns the coupon's share of the money, never the coupon; after
  completion the coupon stays used whatever is refunded.

A refused coupon is recorded in ``coupon_refusals`` (`refused`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.commerce.coupons import store as coupon_store
from hutong.commerce.coupons.legs import funding_legs, release_legs, return_legs
from hutong.commerce.coupons.rules import (
    CouponError,
    Where,
    check_redeem,
    funder_deltas,
    share_returned,
)
from hutong.commerce.coupons.service import tell
from hutong.commerce.coupons.store import Redemption
from hutong.ledger.models import TransferRequest
from hutong.payments.posting import post

__all__ = [
    "Quote",
    "Where",
    "find",
    "fund",
    "funding_of",
    "quote",
    "redeem",
    "refund_share",
    "refused",
    "release",
    "returned",
    "to_fund",
]


@dataclass(frozen=True, slots=True)
class Quote:
    """A coupon checked for an order: the discount and who funds it."""

    claim_id: str
    campaign_id: str
    merchant: str
    discount: int
    funding: dict[str, int]
    parties: tuple[str, ...]


async def quote(
    conn: AsyncConnection, claim_id: str, where: Where, buyer: str, total: int, now: datetime
) -> Quote:
    """The coupon `claim_id` for `where`'s order of `total` fen by `buyer`, or the refusal."""
    found = await coupon_store.find_claim(conn, claim_id)
    if found is None:
        raise CouponError("no_such_coupon", f"no coupon {claim_id}")
    campaign = (await coupon_store.require_campaign(conn, found.campaign_id)).campaign
    if found.host == where.host:
        if found.buyer != buyer:
            raise CouponError("coupon_not_yours", f"coupon {claim_id} is another buyer's")
    elif where.host not in campaign.redeem_hosts:
        raise CouponError("coupon_not_yours", f"coupon {claim_id} was claimed in {found.host}")
    if found.state != "claimed":
        raise CouponError("coupon_already_used", f"coupon {claim_id} was used in an order")
    off = check_redeem(campaign, now, where, total)
    return Quote(
        claim_id,
        campaign.id,
        campaign.merchant,
        off,
        dict(campaign.funding),
        campaign.told_of_coupon(found.host),
    )


async def refused(
    conn: AsyncConnection,
    claim_id: str,
    host: str,
    merchant: str,
    refusal: CouponError,
    order_id: str,
    now: datetime,
) -> None:
    """Keep a refused redemption for the auditor (its campaign, if the coupon is known)."""
    found = await coupon_store.find_claim(conn, claim_id)
    await coupon_store.insert_refusal(
        conn,
        campaign_id=found.campaign_id if found else claim_id,
        action="redeem",
        host=host,
        merchant=merchant,
        code=refusal.code,
        order_id=order_id,
        now=now,
    )


async def redeem(
    conn: AsyncConnection, q: Quote, order_id: str, host: str, total: int, now: datetime
) -> Redemption | None:
    """In the order's write: the coupon is used by `order_id` (None: another order won it)."""
    if not await coupon_store.mark_redeemed(conn, q.claim_id, order_id, now):
        return None
    redemption = Redemption(
        order_id=order_id,
        claim_id=q.claim_id,
        campaign_id=q.campaign_id,
        order_total=total,
        discount=q.discount,
        funding=q.funding,
        returned=0,
        funded=0,
    )
    await coupon_store.insert_redemption(conn, redemption, now)
    await tell(
        conn,
        (*q.parties, host),
        "coupon_redeemed",
        {"order_id": order_id} | redemption.to_dict(),
        now,
        q.campaign_id,
    )
    return redemption


async def find(conn: AsyncConnection, order_id: str) -> Redemption | None:
    return await coupon_store.find_redemption(conn, order_id)


async def to_fund(conn: AsyncConnection, order_id: str) -> Redemption | None:
    """The order's coupon if its funders have not paid it yet (None: none, or paid)."""
    r = await coupon_store.find_redemption(conn, order_id)
    return None if r is None or r.funded else r


def funding_of(r: Redemption, merchant: str) -> list[TransferRequest]:
    """The legs `fund` will post for `r`: what to check against the funders' caps first."""
    return funding_legs(r.order_id, merchant, funder_deltas(r.funding, r.discount, 0, r.discount))


async def fund(conn: AsyncConnection, order_id: str, merchant: str, now: datetime) -> int:
    """In the write that holds the buyer's money: the funders pay the discount; that amount.

    The ledger refuses it (``net_debit_cap_exceeded``, the whole write undone)
    when a funder's position would pass its cap meanwhile.
    """
    r = await coupon_store.find_redemption(conn, order_id)
    if r is None or r.funded:
        return 0
    left = r.discount - r.returned
    parts = funder_deltas(r.funding, r.discount, r.returned, r.discount)
    await post(conn, funding_legs(order_id, merchant, parts), now)
    await coupon_store.save_redemption(conn, order_id, now, returned=r.returned, funded=left)
    await tell(
        conn,
        (*r.funding, merchant),
        "coupon_funded",
        {"order_id": order_id, "campaign_id": r.campaign_id, "funded": parts},
        now,
        r.campaign_id,
    )
    return left


def refund_share(r: Redemption | None, refunded_before: int, refunded_after: int) -> int:
    """The coupon's part of a refund that takes the order's refunds from before to after."""
    if r is None:
        return 0
    return share_returned(r.discount, r.order_total, refunded_after) - share_returned(
        r.discount, r.order_total, refunded_before
    )


async def returned(
    conn: AsyncConnection,
    order_id: str,
    refund_id: str,
    merchant: str,
    refunded_after: int,
    now: datetime,
) -> int:
    """In a refund's write: record the coupon's part returned; after funding, pay funders back."""
    r = await coupon_store.find_redemption(conn, order_id)
    if r is None:
        return 0
    after = share_returned(r.discount, r.order_total, refunded_after)
    if after == r.returned:
        return 0
    if r.funded:
        parts = funder_deltas(r.funding, r.discount, r.returned, after)
        await post(conn, return_legs(order_id, refund_id, merchant, parts), now)
    await coupon_store.save_redemption(conn, order_id, now, returned=after, funded=r.funded)
    return after - r.returned


async def release(conn: AsyncConnection, order_id: str, merchant: str, now: datetime) -> None:
    """The order ended before completion with all its money back: the buyer holds its coupon
    again, and the funders get back what refunds did not return yet."""
    r = await coupon_store.find_redemption(conn, order_id)
    if r is None:
        return
    if r.funded and r.returned < r.discount:
        parts = funder_deltas(r.funding, r.discount, r.returned, r.discount)
        await post(conn, release_legs(order_id, merchant, parts), now)
    await coupon_store.give_back(conn, r)
