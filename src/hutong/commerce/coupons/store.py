"""Coupon rows: campaigns, claimed coupons, redemptions and refusals. Rows only, no rules.

How a claim takes stock, and finds a campaign's terms, is
`hutong.commerce.coupons.stock`; the per-buyer limit is the unique
(campaign, host, buyer, seq) of `hutong.store.coupon_tables`. Statements on
the claim path are built once and sent with bound values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.commerce.coupons.rules import Campaign, CouponError, Release, ValueKind
from hutong.store.cache import changed
from hutong.store.tables import coupon_campaigns, coupon_claims, coupon_redemptions, coupon_refusals


@dataclass(frozen=True, slots=True)
class CampaignRow:
    """A campaign and how many coupons it issued."""

    campaign: Campaign
    issued: int
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        c = self.campaign
        return {
            "id": c.id,
            "issuer": c.issuer,
            "merchant": c.merchant,
            "title": c.title,
            "funding": dict(c.funding),
            "value_kind": c.value_kind.value,
            "value": c.value,
            "cap": c.cap,
            "min_spend": c.min_spend,
            "per_buyer": c.per_buyer,
            "releases": [{"at": r.at.isoformat(), "quantity": r.quantity} for r in c.releases],
            "hosts": list(c.hosts),
            "surfaces": list(c.surfaces),
            "redeem_hosts": list(c.redeem_hosts),
            "storefronts": list(c.storefronts),
            "categories": list(c.categories),
            "valid_from": c.valid_from.isoformat(),
            "valid_until": c.valid_until.isoformat(),
            "stock": c.stock,
            "issued": self.issued,
        }


@dataclass(frozen=True, slots=True)
class Claim:
    """A coupon a host's buyer holds (claimed) or used (redeemed, in `order_id`)."""

    id: str
    campaign_id: str
    host: str
    buyer: str
    surface: str
    seq: int
    state: str
    order_id: str
    claimed_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "campaign_id": self.campaign_id,
            "host": self.host,
            "buyer": self.buyer,
            "surface": self.surface,
            "state": self.state,
            "order_id": self.order_id or None,
            "claimed_at": self.claimed_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Redemption:
    """What an order redeemed: the discount, its funders, what refunds and funding moved."""

    order_id: str
    claim_id: str
    campaign_id: str
    order_total: int
    discount: int
    funding: dict[str, int]
    returned: int
    funded: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "coupon": self.claim_id,
            "campaign_id": self.campaign_id,
            "discount": self.discount,
            "funding": self.funding,
            "returned": self.returned,
            "funded": self.funded,
        }


def _campaign(row: Row[Any]) -> CampaignRow:
    campaign = Campaign(
        id=row.id,
        issuer=row.issuer,
        merchant=row.merchant,
        title=row.title,
        funding=json.loads(row.funding),
        value_kind=ValueKind(row.value_kind),
        value=row.value,
        cap=row.cap,
        min_spend=row.min_spend,
        per_buyer=row.per_buyer,
        releases=tuple(
            Release(datetime.fromisoformat(at), quantity)
            for at, quantity in json.loads(row.releases)
        ),
        hosts=tuple(json.loads(row.hosts)),
        surfaces=tuple(json.loads(row.surfaces)),
        redeem_hosts=tuple(json.loads(row.redeem_hosts)),
        storefronts=tuple(json.loads(row.storefronts)),
        categories=tuple(json.loads(row.categories)),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
    )
    return CampaignRow(campaign, row.issued, row.created_at)


async def insert_campaign(conn: AsyncConnection, c: Campaign, now: datetime) -> CampaignRow:
    await conn.execute(
        insert(coupon_campaigns),
        {
            "id": c.id,
            "issuer": c.issuer,
            "merchant": c.merchant,
            "title": c.title,
            "funding": json.dumps(dict(c.funding)),
            "value_kind": c.value_kind.value,
            "value": c.value,
            "cap": c.cap,
            "min_spend": c.min_spend,
            "per_buyer": c.per_buyer,
            "releases": json.dumps([[r.at.isoformat(), r.quantity] for r in c.releases]),
            "hosts": json.dumps(list(c.hosts)),
            "surfaces": json.dumps(list(c.surfaces)),
            "redeem_hosts": json.dumps(list(c.redeem_hosts)),
            "storefronts": json.dumps(list(c.storefronts)),
            "categories": json.dumps(list(c.categories)),
            "stock": c.stock,
            "issued": 0,
            "valid_from": c.valid_from,
            "valid_until": c.valid_until,
            "created_at": now,
        },
    )
    changed(conn, (TERMS, c.id))
    return CampaignRow(c, 0, now)


_FIND_CAMPAIGN = select(coupon_campaigns).where(coupon_campaigns.c.id == bindparam("campaign"))
#: The declarations cache's kind for a campaign's terms (`hutong.commerce.coupons.stock`).
TERMS = "coupon_campaign"


async def find_campaign(conn: AsyncConnection, campaign_id: str) -> CampaignRow | None:
    row = (await conn.execute(_FIND_CAMPAIGN, {"campaign": campaign_id})).first()
    return None if row is None else _campaign(row)


async def require_campaign(conn: AsyncConnection, campaign_id: str) -> CampaignRow:
    found = await find_campaign(conn, campaign_id)
    if found is None:
        raise CouponError("unknown_coupon", f"no coupon campaign {campaign_id}")
    return found


async def list_campaigns(
    conn: AsyncConnection, *, merchant: str | None, host: str | None, limit: int
) -> list[CampaignRow]:
    query = select(coupon_campaigns).order_by(coupon_campaigns.c.created_at, coupon_campaigns.c.id)
    if merchant:
        query = query.where(coupon_campaigns.c.merchant == merchant)
    rows = [_campaign(row) for row in (await conn.execute(query)).all()]
    if host:  # the hosts list is JSON: filtered here (campaigns are few)
        rows = [row for row in rows if host in row.campaign.hosts]
    return rows[:limit]


def _claim(row: Row[Any]) -> Claim:
    return Claim(
        id=row.id,
        campaign_id=row.campaign_id,
        host=row.host,
        buyer=row.buyer,
        surface=row.surface,
        seq=row.seq,
        state=row.state,
        order_id=row.order_id or "",
        claimed_at=row.claimed_at,
    )


_INSERT_CLAIM = insert(coupon_claims)
_INSERT_REFUSAL = insert(coupon_refusals)


async def insert_claim(conn: AsyncConnection, claim: Claim) -> None:
    await conn.execute(
        _INSERT_CLAIM,
        {
            "id": claim.id,
            "campaign_id": claim.campaign_id,
            "host": claim.host,
            "buyer": claim.buyer,
            "surface": claim.surface,
            "seq": claim.seq,
            "state": claim.state,
            "order_id": None,
            "claimed_at": claim.claimed_at,
            "redeemed_at": None,
        },
    )


async def find_claim(conn: AsyncConnection, claim_id: str) -> Claim | None:
    row = (await conn.execute(select(coupon_claims).where(coupon_claims.c.id == claim_id))).first()
    return None if row is None else _claim(row)


async def claims_of(conn: AsyncConnection, host: str, buyer: str) -> list[Claim]:
    rows = await conn.execute(
        select(coupon_claims)
        .where(coupon_claims.c.host == host, coupon_claims.c.buyer == buyer)
        .order_by(coupon_claims.c.claimed_at, coupon_claims.c.id)
    )
    return [_claim(row) for row in rows.all()]


async def mark_redeemed(conn: AsyncConnection, claim_id: str, order_id: str, now: datetime) -> bool:
    """Claimed -> redeemed in `order_id`, only if still claimed (one conditional UPDATE)."""
    done = await conn.execute(
        update(coupon_claims)
        .where(coupon_claims.c.id == claim_id, coupon_claims.c.state == "claimed")
        .values(state="redeemed", order_id=order_id, redeemed_at=now)
    )
    return done.rowcount == 1


async def give_back(conn: AsyncConnection, redemption: Redemption) -> None:
    """The order ended before completion with all its money back: the buyer holds the coupon
    again (the redemption goes, so the coupon can be redeemed in another order)."""
    await conn.execute(
        update(coupon_claims)
        .where(coupon_claims.c.id == redemption.claim_id)
        .values(state="claimed", order_id=None, redeemed_at=None)
    )
    await conn.execute(
        delete(coupon_redemptions).where(coupon_redemptions.c.order_id == redemption.order_id)
    )


async def insert_redemption(conn: AsyncConnection, r: Redemption, now: datetime) -> None:
    await conn.execute(
        insert(coupon_redemptions),
        {
            "order_id": r.order_id,
            "claim_id": r.claim_id,
            "campaign_id": r.campaign_id,
            "order_total": r.order_total,
            "discount": r.discount,
            "funding": json.dumps(r.funding),
            "returned": r.returned,
            "funded": r.funded,
            "created_at": now,
            "updated_at": now,
        },
    )


async def find_redemption(conn: AsyncConnection, order_id: str) -> Redemption | None:
    row = (
        await conn.execute(
            select(coupon_redemptions).where(coupon_redemptions.c.order_id == order_id)
        )
    ).first()
    if row is None:
        return None
    return Redemption(
        order_id=row.order_id,
        claim_id=row.claim_id,
        campaign_id=row.campaign_id,
        order_total=row.order_total,
        discount=row.discount,
        funding=json.loads(row.funding),
        returned=row.returned,
        funded=row.funded,
    )


async def save_redemption(
    conn: AsyncConnection, order_id: str, now: datetime, *, returned: int, funded: int
) -> None:
    await conn.execute(
        update(coupon_redemptions)
        .where(coupon_redemptions.c.order_id == order_id)
        .values(returned=returned, funded=funded, updated_at=now)
    )


async def insert_refusal(
    conn: AsyncConnection,
    *,
    campaign_id: str,
    action: str,
    host: str,
    merchant: str,
    code: str,
    order_id: str | None,
    now: datetime,
) -> None:
    await conn.execute(
        _INSERT_REFUSAL,
        {
            "campaign_id": campaign_id[:64],
            "action": action,
            "host": host,
            "merchant": merchant,
            "code": code,
            "order_id": order_id,
            "refused_at": now,
        },
    )


async def refusals(
    conn: AsyncConnection, *, campaign_id: str | None, host: str | None, limit: int
) -> list[dict[str, Any]]:
    """The refusals kept for the auditor, newest first."""
    query = select(coupon_refusals).order_by(coupon_refusals.c.id.desc()).limit(limit)
    if campaign_id:
        query = query.where(coupon_refusals.c.campaign_id == campaign_id)
    if host:
        query = query.where(coupon_refusals.c.host == host)
    rows = (await conn.execute(query)).all()
    return [
        {
            "campaign_id": row.campaign_id,
            "action": row.action,
            "host": row.host,
            "merchant": row.merchant,
            "code": row.code,
            "order_id": row.order_id,
            "refused_at": row.refused_at.isoformat(),
        }
        for row in rows
    ]
