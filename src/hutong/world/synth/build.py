"""Build one synthetic world through the switch's public API; its manifest.

`build(net, reference, world_url, seed, size, plant_texts)` registers the
cast, runs every chapter in a fixed order and returns the manifest: the
seed, participants by role, groups, plants (check, subject, against),
counts of what was made, and the tally of answers (ok, expected refusals,
unexpected). Same seed, same plants: same manifest (ids the switch assigns
are not in it).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from hutong.world.reference import ReferenceWorld
from hutong.world.synth import impressions, links, logistics, orders, payments, storefronts, terms
from hutong.world.synth.cast import AUDITOR, GROUPS, SIZES, Cast, cast
from hutong.world.synth.network import Network
from hutong.world.synth.plants import Plant, parse_plant
from hutong.world.synth.registry import declare_groups, merchants_and_offers, register


def plan(seed: int, size: str, plant_texts: list[str]) -> tuple[Cast, list[Plant]]:
    """The world and its plants (PlantError for a plant that does not fit)."""
    world = cast(seed, SIZES[size])
    return world, [parse_plant(text, world) for text in plant_texts]


async def build(
    net: Network,
    reference: ReferenceWorld,
    world_url: str,
    seed: int,
    size: str = "small",
    plant_texts: list[str] | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    world, plants = plan(seed, size, plant_texts or [])
    day = today or datetime.now(UTC).date()
    await register(net, world, reference, world_url)
    await declare_groups(net, world, day)
    await merchants_and_offers(net, world, reference)
    counts: dict[str, int] = {
        "merchants": len(world.merchants),
        "applicants": len(world.applicants),
    }
    counts |= await links.run(net, world, plants, day)
    made = await storefronts.run(net, world, plants, day)
    counts |= {
        "storefront_requests": made.requested,
        "storefront_refusals": made.refused,
        "storefronts_approved": len(made.approved),
    }
    counts |= await payments.run(net, world, plants, day)
    trading = {m.subscriber_id for m in world.merchants}
    sells_on = {
        host: [m.subscriber_id for m in world.merchants_of(host)]
        + sorted(m for m, h in made.approved if h == host and m in trading)
        for host in world.platforms
    }
    counts |= await logistics.run(net, world, plants, day, reference, sells_on)
    allowed = {
        host: [
            c for c in world.carriers if c not in logistics.refused_carriers(world, plants, host)
        ]
        for host in world.platforms
    }
    accepted = {
        host: [w for w in world.wallets if w not in payments.refused_wallets(world, plants, host)]
        for host in world.platforms
    }
    taker = orders.Orders(net, world, plants, reference)
    counts |= await orders.run(taker, day.isoformat(), made.approved, allowed, accepted)
    counts |= await terms.run(net, world, plants, day, made.approved)
    counts |= await impressions.run(net, world, plants, day)
    return manifest(world, plants, day, counts, net)


def manifest(
    world: Cast, plants: list[Plant], day: date, counts: dict[str, int], net: Network
) -> dict[str, Any]:
    return {
        "seed": world.seed,
        "size": world.size.name,
        "today": day.isoformat(),
        # Every declaration is valid from today or later (future-dated terms): no corrections.
        "history": "future-dated",
        "window": {"from": day.isoformat(), "to": (day + timedelta(days=31)).isoformat()},
        "participants": {
            "platforms": world.platforms,
            "wallets": world.wallets,
            "carriers": world.carriers,
            "merchants": [
                {
                    "id": m.subscriber_id,
                    "home": m.home,
                    "category": m.category,
                    "self_operated": m.self_operated,
                }
                for m in world.merchants
            ],
            "applicants": [{"id": m.subscriber_id, "home": m.home} for m in world.applicants],
            "busy": world.busy,
            "auditor": AUDITOR,
        },
        "groups": [
            {
                "name": name,
                "platforms": list(platforms),
                "wallet": wallet or None,
                "carrier": carrier or None,
                "allied": list(allies),
            }
            for name, platforms, wallet, carrier, allies in GROUPS
        ],
        "plants": [
            {"check": p.check, "subject": p.subject, "against": p.against(world)} for p in plants
        ],
        "counts": counts,
        "requests": net.tally.to_dict(),
    }
