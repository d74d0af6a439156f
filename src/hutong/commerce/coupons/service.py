"""Coupon campaigns: declaring one, claiming its coupons, reading them and their refusals.

Declaring: the issuer is the sender, which must be the merchant, the
merchant's home platform or one of the hosts that hand the coupons out; every
funder is a participant. Claiming: a host claims a coupon for its buyer on
one of its surfaces; the rules (`hutong.commerce.coupons.rules`) decide, and
the write reads the campaign's count and the buyer's coupons in one statement
(its terms, which never change, come from the declarations cache), takes the
stock as a bounded increment (one conditional UPDATE per campaign per group
commit, `hutong.commerce.coupons.stock.take_stock`) and the buyer's n-th
coupon under a unique key, so concurrent claims never issue more than is
released nor more than a buyer may hold. A refused claim is the message's
answer and a row of ``coupon_refusals`` (for the auditor); nothing is held.
Each declaration is an ``on_coupon`` event to the issuer, the funders and
every host; each claim (and redemption) only to the issuer, the funders and
the host that claimed the coupon (and the one that redeems it): a campaign's
other hosts are that host's rivals, and its claims are its business.
Redeeming is part of taking an order (`hutong.commerce.coupons.redeem`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.commerce.coupons import stock as coupon_stock
from hutong.commerce.coupons import store as coupon_store
from hutong.commerce.coupons.legs import funder_accounts
from hutong.commerce.coupons.rules import (
    Campaign,
    CouponError,
    Release,
    ValueKind,
    check_claim,
    released_at,
)
from hutong.commerce.coupons.store import CampaignRow, Claim, Redemption
from hutong.commerce.orders import store as order_store
from hutong.events.outbox import enqueue
from hutong.payments.checkout import store as payment_store
from hutong.payments.posting import ensure_accounts
from hutong.protocol.errors import ForbiddenError, HutongError, NotFoundError, ValidationError
from hutong.protocol.ids import new_id
from hutong.registry.models import Role
from hutong.registry.service import get_participant, require_participant, require_role
from hutong.runtime.exactly_once import Refused, Write
from hutong.runtime.services import Services

__all__ = [
    "NewCampaign",
    "buyer_coupons",
    "claim",
    "declare",
    "list_campaigns",
    "order_coupon",
    "readable_campaign",
    "refusals",
    "tell",
]

MAX_BUYER_ID = 128
MAX_TITLE = 200
MAX_SURFACE = 32


@dataclass(frozen=True, slots=True, kw_only=True)
class NewCampaign:
    """What an issuer declares (see the API's schema and the rules' module doc)."""

    merchant: str
    title: str
    funding: dict[str, int]
    value_kind: str
    value: int
    releases: list[tuple[datetime, int]]
    valid_from: datetime
    valid_until: datetime
    cap: int = 0
    min_spend: int = 0
    per_buyer: int = 1
    hosts: list[str]
    surfaces: list[str]
    redeem_hosts: list[str]
    storefronts: list[str]
    categories: list[str]


async def tell(
    conn: AsyncConnection,
    recipients: tuple[str, ...],
    event: str,
    message: dict[str, Any],
    now: datetime,
    transaction_id: str,
) -> None:
    """``on_coupon {event, ...}`` to each recipient once."""
    for recipient in dict.fromkeys(recipients):
        await enqueue(
            conn,
            recipient=recipient,
            action="on_coupon",
            message={"event": event} | message,
            now=now,
            transaction_id=transaction_id,
        )


async def _require_parties(conn: AsyncConnection, campaign: Campaign) -> None:
    """Every funder a registered participant, every host a registered platform, or 422
    ``invalid_campaign``: the campaign's body names them (404 is for what a path names)."""
    hosts = (*campaign.hosts, *campaign.redeem_hosts)
    for party in (*campaign.funding, *hosts):
        found = await get_participant(conn, party)
        if found is None:
            raise CouponError("invalid_campaign", f"{party} is not a registered participant")
        if party in hosts and not found.has_role(Role.PLATFORM):
            raise CouponError("invalid_campaign", f"{party} is not a platform that hosts buyers")


async def declare(services: Services, sender: str, spec: NewCampaign) -> Write[CampaignRow]:
    """Declare a campaign issued by `sender`, after checking who it names."""
    if not 1 <= len(spec.title) <= MAX_TITLE:
        raise ValidationError(f"a title is 1 to {MAX_TITLE} characters", code="invalid_campaign")
    try:
        kind = ValueKind(spec.value_kind)
    except ValueError:
        raise CouponError("invalid_campaign", "value_kind is fixed or percent") from None
    campaign = Campaign(
        id=new_id("cpg"),
        issuer=sender,
        merchant=spec.merchant,
        title=spec.title,
        funding=dict(spec.funding),
        value_kind=kind,
        value=spec.value,
        cap=spec.cap,
        min_spend=spec.min_spend,
        per_buyer=spec.per_buyer,
        releases=tuple(Release(at, quantity) for at, quantity in spec.releases),
        valid_from=spec.valid_from,
        valid_until=spec.valid_until,
        hosts=tuple(spec.hosts),
        surfaces=tuple(spec.surfaces),
        redeem_hosts=tuple(spec.redeem_hosts),
        storefronts=tuple(spec.storefronts),
        categories=tuple(spec.categories),
    )
    async with services.db.read() as conn:
        home = await payment_store.named_merchant_home(conn, spec.merchant)
        await _require_parties(conn, campaign)
    if sender not in (spec.merchant, home, *campaign.hosts):
        raise ForbiddenError(
            f"a campaign for {spec.merchant} is issued by it, by {home} or by a host it names",
            code="not_the_issuer",
        )
    await ensure_accounts(services.db, funder_accounts(list(campaign.funding)), services.clock())

    async def write(conn: AsyncConnection) -> CampaignRow:
        now = services.clock()
        row = await coupon_store.insert_campaign(conn, campaign, now)
        await tell(
            conn,
            campaign.parties,
            "campaign_declared",
            {"campaign": row.to_dict()},
            now,
            campaign.id,
        )
        return row

    return write


async def claim(
    services: Services, sender: str, campaign_id: str, buyer: str, surface: str
) -> Write[Claim | Refused]:
    """Host `sender` claims one coupon of the campaign for its `buyer`, on `surface`."""
    await require_role(services.db, sender, Role.PLATFORM)
    if not isinstance(buyer, str) or not 1 <= len(buyer) <= MAX_BUYER_ID:
        raise ValidationError(
            f"buyer is the host's pseudonymous id, 1 to {MAX_BUYER_ID} characters",
            code="invalid_buyer",
        )
    if not 1 <= len(surface) <= MAX_SURFACE:
        raise ValidationError(
            f"surface is where the buyer took it, 1 to {MAX_SURFACE} characters",
            code="invalid_surface",
        )
    campaign = await coupon_stock.campaign_terms(services.db, campaign_id)
    if campaign is None:
        return _refused(
            services,
            campaign_id,
            "",
            sender,
            CouponError("unknown_coupon", f"no campaign {campaign_id}"),
        )
    claim_id = new_id("cpn")

    async def write(conn: AsyncConnection) -> Claim | Refused:
        now = services.clock()
        issued, held = await coupon_stock.claim_counts(conn, campaign.id, sender, buyer)
        try:
            check_claim(campaign, now, host=sender, surface=surface, held=held, issued=issued)
            if not await coupon_stock.take_stock(conn, campaign.id, released_at(campaign, now)):
                raise CouponError(
                    "coupon_exhausted", f"every released coupon of {campaign.id} is claimed"
                )
        except CouponError as refusal:
            await _record(conn, campaign.id, campaign.merchant, sender, refusal, now)
            return Refused(refusal)
        coupon = Claim(
            id=claim_id,
            campaign_id=campaign.id,
            host=sender,
            buyer=buyer,
            surface=surface,
            seq=held + 1,
            state="claimed",
            order_id="",
            claimed_at=now,
        )
        # A concurrent claim of the same buyer takes the same seq: the unique key
        # refuses one of them, whose write runs again and meets the other.
        await coupon_store.insert_claim(conn, coupon)
        public = coupon.to_dict() | {"buyer": None}
        told = campaign.told_of_coupon(sender)
        await tell(conn, told, "coupon_claimed", {"coupon": public}, now, campaign.id)
        return coupon

    return write


async def _record(
    conn: AsyncConnection,
    campaign_id: str,
    merchant: str,
    host: str,
    refusal: HutongError,
    now: datetime,
    *,
    action: str = "claim",
    order_id: str | None = None,
) -> None:
    await coupon_store.insert_refusal(
        conn,
        campaign_id=campaign_id,
        action=action,
        host=host,
        merchant=merchant,
        code=refusal.code,
        order_id=order_id,
        now=now,
    )


def _refused(
    services: Services, campaign_id: str, merchant: str, host: str, refusal: CouponError
) -> Write[Claim | Refused]:
    async def write(conn: AsyncConnection) -> Claim | Refused:
        await _record(conn, campaign_id, merchant, host, refusal, services.clock())
        return Refused(refusal)

    return write


# -- reading ----------------------------------------------------------------------------------


async def readable_campaign(services: Services, campaign_id: str) -> CampaignRow:
    """A campaign (public to every participant: the terms a buyer is shown)."""
    async with services.db.read() as conn:
        return await coupon_store.require_campaign(conn, campaign_id)


async def list_campaigns(
    services: Services, *, merchant: str | None, host: str | None, limit: int
) -> list[CampaignRow]:
    async with services.db.read() as conn:
        return await coupon_store.list_campaigns(conn, merchant=merchant, host=host, limit=limit)


async def buyer_coupons(services: Services, host: str, buyer: str) -> list[Claim]:
    """The coupons `host`'s buyer holds or used (only the host reads its buyers')."""
    async with services.db.read() as conn:
        return await coupon_store.claims_of(conn, host, buyer)


async def refusals(
    services: Services, reader: str, *, campaign_id: str | None, limit: int
) -> list[dict[str, Any]]:
    """Refusals: all for an auditor; a campaign's for its issuer and funders; else a host's own."""
    async with services.db.read() as conn:
        participant = await require_participant(conn, reader)
        if participant.has_role(Role.AUDITOR):
            return await coupon_store.refusals(
                conn, campaign_id=campaign_id, host=None, limit=limit
            )
        if campaign_id:
            found = await coupon_store.require_campaign(conn, campaign_id)
            if reader in (found.campaign.issuer, *found.campaign.funding):
                return await coupon_store.refusals(
                    conn, campaign_id=campaign_id, host=None, limit=limit
                )
        return await coupon_store.refusals(conn, campaign_id=campaign_id, host=reader, limit=limit)


async def order_coupon(services: Services, reader: str, order_id: str) -> Redemption:
    """The coupon `order_id` redeemed, for the order's parties and auditors."""
    async with services.db.read() as conn:
        row = await order_store.require_order(conn, order_id)
        participant = await require_participant(conn, reader)
        found = await coupon_store.find_redemption(conn, order_id)
    if not (row.involves(reader) or participant.has_role(Role.AUDITOR)):
        raise ForbiddenError(f"{reader} is not a party of order {order_id}", code="not_a_party")
    if found is None:
        raise NotFoundError(f"order {order_id} redeemed no coupon", code="no_coupon")
    return found
