"""A claim's stock: the campaign's terms from the cache, its counts, and the bounded increment.

A campaign's terms never change once declared (only ``issued`` does), so a
claim finds them in the process's declarations cache (`campaign_terms`). Its
write reads the campaign's count with the buyer's coupons in one statement
(`claim_counts`) and takes stock as a bounded increment of ``issued``
(`take_stock`, `hutong.store.increments.add_within`): the group commit adds
the claims of a batch to the campaign in one UPDATE just before its commit
(``issued = issued + n WHERE issued + n <= released``), so a hot campaign's
row is locked once per batch, for the commit only, and never passes what is
released on SQLite or PostgreSQL (the CHECK ``issued <= stock`` stays); the
per-buyer limit is the unique (campaign, host, buyer, seq) of
`hutong.store.coupon_tables`. Statements are built once and sent with bound
values.
"""

from __future__ import annotations

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.commerce.coupons.rules import Campaign
from hutong.commerce.coupons.store import TERMS, find_campaign
from hutong.store import increments
from hutong.store.cache import declarations_at
from hutong.store.db import Database
from hutong.store.held_inserts import past_held_rows
from hutong.store.tables import coupon_campaigns, coupon_claims

__all__ = ["campaign_terms", "claim_counts", "take_stock"]


async def campaign_terms(db: Database, campaign_id: str) -> Campaign | None:
    """A campaign's terms (never changed once declared), from the process's declarations
    cache (`hutong.store.cache`): a claim reads them from the database once per cache bound,
    not once per claim. Its ``issued`` count is read in the claim's write (`claim_counts`)."""

    async def load() -> Campaign | None:
        async with db.read() as conn:
            found = await find_campaign(conn, campaign_id)
        return None if found is None else found.campaign

    return await declarations_at(db.url).get((TERMS, campaign_id), load)


async def take_stock(conn: AsyncConnection, campaign_id: str, released: int) -> bool:
    """Issue one coupon if fewer than `released` are out (a bounded increment of ``issued``).

    In a group commit's batch it is held and True: the caller decided on
    `claim_counts`, which counts what the batch holds, and the batch adds its
    claims in one conditional UPDATE before its commit (one that would pass
    `released` runs the batch again claim by claim). Otherwise one conditional
    UPDATE now: False if every released coupon is out.
    """
    return await increments.add_within(
        conn, coupon_campaigns, "id", campaign_id, "issued", 1, released
    )


#: The buyer's coupons of the campaign, beside its count. It reads past the
#: claims a batch holds: a twin of the buyer's held in the batch takes the
#: same seq, so the batch's one INSERT of claims fails on the unique key and
#: the batch runs again claim by claim, where this sees the twin.
_CLAIM_COUNTS = past_held_rows(
    select(
        coupon_campaigns.c.issued,
        select(func.count())
        .select_from(coupon_claims)
        .where(
            coupon_claims.c.campaign_id == bindparam("campaign"),
            coupon_claims.c.host == bindparam("host"),
            coupon_claims.c.buyer == bindparam("buyer"),
        )
        .scalar_subquery()
        .label("held"),
    ).where(coupon_campaigns.c.id == bindparam("campaign")),
    coupon_claims,
)


async def claim_counts(
    conn: AsyncConnection, campaign_id: str, host: str, buyer: str
) -> tuple[int, int]:
    """(coupons the campaign issued, counting those its batch holds; coupons `host`'s `buyer`
    claimed of it, redeemed ones too), in one statement."""
    row = (
        await conn.execute(_CLAIM_COUNTS, {"campaign": campaign_id, "host": host, "buyer": buyer})
    ).one()
    issued = row.issued + increments.held_delta(conn, coupon_campaigns, "id", campaign_id, "issued")
    return int(issued), int(row.held)
