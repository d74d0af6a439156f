"""Logistics: hosts declare which carriers their orders may ship with; merchants book.

Fair world: every host lets every carrier ship its orders; merchants pick a
carrier freely (a skew to their platform's own carrier), and every carrier
books what it declares it serves.

Plants:

* ``carrier_exclusion``: the subject host refuses rival groups' carriers
  (its own stays allowed); bookings with them are refused and recorded.
* ``declared_vs_observed``: the subject carrier declares it serves every
  route, then refuses (``not_serviceable``) the first booking that reaches
  it and one in six after, on routes it declared: its behaviour contradicts
  its own declaration, in every world where anyone books it.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

from hutong.world.reference import ReferenceWorld
from hutong.world.synth.cast import Cast
from hutong.world.synth.network import Network
from hutong.world.synth.plants import Plant, planted

AREAS = ("330106", "110105", "310104", "440305", "510107", "420111")
REFUSALS = frozenset(
    {"host_carrier_refused", "carrier_refused", "not_serviceable", "carrier_not_allowed", "refused"}
)
LIES_EVERY = 6
#: The service each carrier declares (its plugin's).
SERVICE = {"cainiao.example": "economy"}


def refused_carriers(world: Cast, plants: list[Plant], host: str) -> list[str]:
    if not planted(plants, "carrier_exclusion", host):
        return []
    return [c for c in world.carriers if world.relation(host, c) == "rival"]


async def run(
    net: Network,
    world: Cast,
    plants: list[Plant],
    today: date,
    reference: ReferenceWorld,
    sells_on: dict[str, list[str]],
) -> dict[str, int]:
    """`sells_on[host]`: merchants that may book with `host` as the shipment's host."""
    rng = random.Random(f"{world.seed}:logistics")
    for host in world.platforms:
        rule: dict[str, object] = {
            "valid_from": today.isoformat(),
            "allowed": None,
            "reason": "any carrier the merchant chooses",
        }
        refused = refused_carriers(world, plants, host)
        if refused:
            rule |= {"refused": refused, "reason": "only carriers we integrate with"}
        await net.act(host, "carrier_policy", "/v1/carrier-policies", rule)
    booked = refusals = 0
    asked: Counter[str] = Counter()
    for host in world.platforms:
        own = world.own_carrier.get(host, "")
        for _ in range(world.size.bookings_per_host):
            merchant = rng.choice(sells_on[host])
            carrier = own if own and rng.random() < 0.3 else rng.choice(world.carriers)
            origin, destination = rng.sample(AREAS, 2)
            weight = rng.randint(200, 5_000)
            rng.random()  # drawn as before the plant lied by count: the worlds stay the same
            reaches = carrier not in refused_carriers(world, plants, host)
            if reaches:
                asked[carrier] += 1
            # The first booking that reaches it, then one in LIES_EVERY: never none.
            lies = (
                reaches
                and planted(plants, "declared_vs_observed", carrier)
                and asked[carrier] % LIES_EVERY == 1
            )
            reference.carriers[carrier].mode = "refuse" if lies else "ok"
            answer = await net.act(
                merchant,
                "booking",
                "/v1/shipments",
                {
                    "carrier": carrier,
                    "service": SERVICE.get(carrier, "standard"),
                    "origin": origin,
                    "destination": destination,
                    "weight_g": weight,
                    "host": host,
                    "address": {"name": "synthetic buyer"},
                },
                refusals=REFUSALS,
            )
            reference.carriers[carrier].mode = "ok"
            if answer is None:
                refusals += 1
            else:
                booked += 1
    return {"bookings": booked, "booking_refusals": refusals}
