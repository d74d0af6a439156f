"""Storefronts: merchants ask other platforms for a storefront; hosts decide.

Every merchant asks each other host with the size's `storefront_share`; an
applicant (`cast`) asks its own group's other platforms always (merchants
grow inside their group first) and other hosts with `APPLICANT_SHARE`.
Every host approves about 9 in 10
requests; refusals carry a reason, half of them justified as ``quality``.
One host (drawn from the seed) declares a standing rule refusing
``supplements`` storefronts for everyone, justified as ``safety``: equal
treatment, not a finding.

Plant ``storefront_refusal``: the subject approves rival-group merchants'
requests 4 times in 10. The same random draw decides each request in the
fair twin and the planted world, so only the subject's rival decisions move.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from hutong.world.synth.cast import Cast
from hutong.world.synth.network import Network
from hutong.world.synth.plants import Plant, planted

FAIR_APPROVAL = 0.9
PLANTED_APPROVAL = 0.4
REFUSED_CATEGORY = "supplements"
APPLICANT_SHARE = 0.5
#: An applicant asks its own group's other platforms first: always.
SIBLING_SHARE = 1.0


@dataclass(slots=True)
class Storefronts:
    #: (merchant, host) -> storefront id, approved ones only
    approved: dict[tuple[str, str], str] = field(default_factory=dict)
    requested: int = 0
    refused: int = 0


def approval_rate(world: Cast, plants: list[Plant], host: str, merchant_home: str) -> float:
    rival = world.relation(host, merchant_home) == "rival"
    if rival and planted(plants, "storefront_refusal", host):
        return PLANTED_APPROVAL
    return FAIR_APPROVAL


async def run(net: Network, world: Cast, plants: list[Plant], today: date) -> Storefronts:
    rng = random.Random(f"{world.seed}:storefronts")
    strict = rng.choice(world.platforms)
    await net.act(
        strict,
        "storefront_policy",
        "/v1/storefront-policies",
        {
            "decision": "refuse",
            "valid_from": today.isoformat(),
            "categories": [REFUSED_CATEGORY],
            "reason": "supplements need a licence we cannot check",
            "justification": {"code": "safety", "reference": "food-safety-law-art-74"},
        },
    )
    made = Storefronts()
    applicants = {m.subscriber_id for m in world.applicants}
    for merchant in (*world.merchants, *world.applicants):
        share = (
            APPLICANT_SHARE if merchant.subscriber_id in applicants else world.size.storefront_share
        )
        for host in world.platforms:
            if host == merchant.home:
                continue
            asks, draw, justified = rng.random(), rng.random(), rng.random()
            sibling = world.relation(merchant.home, host) == "own"
            if asks >= (SIBLING_SHARE if sibling and share == APPLICANT_SHARE else share):
                continue
            catalog = [{"sku_id": sku, "price": price} for sku, price in merchant.skus]
            answer = await net.act(
                merchant.subscriber_id,
                "storefront_request",
                "/v1/storefronts",
                {"host": host, "catalog": catalog, "commission_bps": 500},
            )
            if answer is None:
                continue
            made.requested += 1
            storefront = answer.get("message", answer).get("storefront", answer)
            if storefront["status"] == "refused":  # the standing rule decided
                made.refused += 1
                continue
            if draw < approval_rate(world, plants, host, merchant.home):
                await net.act(
                    host, "storefront_decision", f"/v1/storefronts/{storefront['id']}/approve", {}
                )
                made.approved[(merchant.subscriber_id, host)] = storefront["id"]
                continue
            decision: dict[str, object] = {"reason": "catalog does not meet our listing rules"}
            if justified < 0.5:
                decision["justification"] = {"code": "quality", "reference": "listing-rules-3.2"}
            await net.act(
                host, "storefront_decision", f"/v1/storefronts/{storefront['id']}/refuse", decision
            )
            made.refused += 1
    return made
