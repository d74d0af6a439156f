"""Merchant terms: what each platform applies to its own merchants, and when it changes.

Every platform declares terms for each of its merchants from today (its
rate, promotion eligibility, listing). About one merchant in seven gets a
routine review later in the month (rate up or down by up to 10%), whether
it multi-homes or not.

Plant ``exclusivity_retaliation`` (二选一): the subject raises the rate by
40% and drops from promotions each of its merchants that opened a
storefront on a rival-group host, 3 to 25 days after today. These versions
are declared today, valid from a later day (future-dated, no correction):
the world's history runs forward from the day it is built.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from hutong.world.synth.cast import Cast
from hutong.world.synth.network import Network
from hutong.world.synth.plants import Plant, planted

REVIEW_SHARE = 1 / 7
RETALIATION_RAISE = 1.4


def multi_homers(world: Cast, approved: dict[tuple[str, str], str]) -> set[str]:
    """Merchants with an approved storefront on a host of a rival group of their home."""
    homes = {m.subscriber_id: m.home for m in (*world.merchants, *world.applicants)}
    return {m for m, host in approved if world.relation(homes[m], host) == "rival"}


async def run(
    net: Network,
    world: Cast,
    plants: list[Plant],
    today: date,
    approved: dict[tuple[str, str], str],
) -> dict[str, int]:
    rng = random.Random(f"{world.seed}:terms")
    multi = multi_homers(world, approved)
    declared = retaliations = 0
    for platform in world.platforms:
        base = rng.choice((300, 500, 600, 800))
        for merchant in (*world.merchants_of(platform), *world.applicants_of(platform)):
            review, change, delay = rng.random(), rng.uniform(-0.1, 0.1), rng.randint(3, 25)
            who = merchant.subscriber_id
            versions = [(today, base, True, "standard terms", None)]
            if planted(plants, "exclusivity_retaliation", platform) and who in multi:
                later = today + timedelta(days=delay)
                versions.append((later, int(base * RETALIATION_RAISE), False, "terms review", None))
                retaliations += 1
            elif review < REVIEW_SHARE:
                later = today + timedelta(days=delay)
                versions.append((later, int(base * (1 + change)), True, "annual review", None))
            for valid_from, bps, promoted, reason, _ in versions:
                await net.act(
                    platform,
                    "merchant_terms",
                    "/v1/merchant-terms",
                    {
                        "merchant": who,
                        "commission_bps": bps,
                        "promotion_eligible": promoted,
                        "listed": True,
                        "valid_from": valid_from.isoformat(),
                        "reason": reason,
                    },
                )
                declared += 1
    return {"merchant_terms": declared, "multi_homers": len(multi), "retaliations": retaliations}
