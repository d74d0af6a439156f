"""Coupon claims through the switch's own exactly-once write, without HTTP.

`claim_desk` opens one or more switches (`Services`: each its own pools and
group commit, as two `hutong serve` workers are) on one database, registers
a host platform and declares a campaign it hands out; `Desk.claim` runs a
claim as the claims route does (`hutong.commerce.coupons.service.claim`
under `run_once`) and `Desk.outcome` reads back what the campaign issued.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from hutong.commerce.coupons import Campaign, Release, ValueKind
from hutong.commerce.coupons import service as coupons
from hutong.commerce.coupons import store as coupon_store
from hutong.config import Settings
from hutong.protocol.errors import HutongError
from hutong.protocol.ids import new_id
from hutong.protocol.signing import new_key_pair
from hutong.registry.service import NewKey, add_participant, get_participant
from hutong.runtime.exactly_once import Answer, MessageKey, Refused, run_once
from hutong.runtime.services import Services
from hutong.store.db import Database
from hutong.store.tables import coupon_claims
from tests.harness.switch import Clock

__all__ = ["HOST", "MERCHANT", "Desk", "Outcome", "claim_desk"]

HOST = "claims-host.example"
MERCHANT = "m.example"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a campaign issued, read back: the counter, the claims per buyer, the refusals."""

    issued: int
    per_buyer: Counter[str]
    refusals: Counter[str]

    @property
    def rows(self) -> int:
        return sum(self.per_buyer.values())


@dataclass(slots=True)
class Desk:
    switches: list[Services]
    campaign: Campaign

    async def claim(self, buyer: str, message_id: str, *, switch: int = 0) -> Answer:
        """One claim for `buyer` under `message_id`, by the switch numbered `switch`."""
        services = self.switches[switch]
        write = await coupons.claim(services, HOST, self.campaign.id, buyer, "search")
        # The campaign's in the key: a database may serve many desks (hypothesis's examples).
        sent = f"{self.campaign.id}-{message_id}"
        key = MessageKey(HOST, sent, f"digest-{sent}", "POST", "/claims")
        return await run_once(
            services,
            key,
            write,
            lambda claim: (409, {}) if isinstance(claim, Refused) else (201, {"id": claim.id}),
            lambda error: (409, {"code": error.code}),
        )

    async def outcome(self) -> Outcome:
        async with self.switches[0].db.read() as conn:
            issued = (await coupon_store.require_campaign(conn, self.campaign.id)).issued
            buyers = (
                await conn.execute(
                    select(coupon_claims.c.buyer).where(
                        coupon_claims.c.campaign_id == self.campaign.id
                    )
                )
            ).all()
            refused = await coupon_store.refusals(
                conn, campaign_id=self.campaign.id, host=None, limit=10_000
            )
        return Outcome(
            issued=issued,
            per_buyer=Counter(row.buyer for row in buyers),
            refusals=Counter(r["code"] for r in refused),
        )


async def _host(services: Services) -> None:
    async with services.db.transaction() as conn:
        if await get_participant(conn, HOST) is None:
            await add_participant(
                conn,
                subscriber_id=HOST,
                roles=["platform"],
                callback_url="http://127.0.0.1:9/unused",
                key=NewKey("k1", new_key_pair().public_key),
                now=services.clock(),
            )


@contextlib.asynccontextmanager
async def claim_desk(
    url: str,
    *,
    released: int,
    later: int = 0,
    per_buyer: int = 1,
    switches: int = 1,
    clock: Clock | None = None,
) -> AsyncIterator[Desk]:
    """A campaign of `released` coupons now (and `later` more tomorrow) on the database at `url`.

    A `HutongError` raised inside is shown with its code.
    """
    clock = clock or Clock()
    opened = [
        Services(settings=Settings(database_url=url), db=Database(url), clock=clock)
        for _ in range(switches)
    ]
    try:
        await _host(opened[0])
        now = clock.now
        releases = [Release(now, released)]
        if later:
            releases.append(Release(now + timedelta(days=1), later))
        campaign = Campaign(
            id=new_id("cpg"),
            issuer=HOST,
            merchant=MERCHANT,
            title="race",
            funding={HOST: 10_000},
            value_kind=ValueKind.FIXED,
            value=100,
            per_buyer=per_buyer,
            releases=tuple(releases),
            valid_from=now,
            valid_until=now + timedelta(days=7),
            hosts=(HOST,),
        )
        async with opened[0].db.transaction() as conn:
            await coupon_store.insert_campaign(conn, campaign, now)
        yield Desk(opened, campaign)
    except HutongError as error:  # pragma: no cover - shown with its code
        raise AssertionError(f"{error.code}: {error.message}") from error
    finally:
        for services in opened:
            await services.db.dispose()
