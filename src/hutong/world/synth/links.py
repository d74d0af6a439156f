"""Links: hosts declare link rules, place offers of other platforms' merchants, buyers open them.

Fair world: links open everywhere, except one host (drawn from the seed)
that shows a warning page before every external link on one surface, its
own group's links included (a difference applied equally, not a finding).

Plants (rules declared from today, against every rival-group source):

* ``link_blocking``: the subject blocks rival links in live and video carts.
* ``link_friction``: the subject opens rival links only after copy-to-browser.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from hutong.world.synth.cast import Cast
from hutong.world.synth.network import Network
from hutong.world.synth.plants import Plant, planted

SURFACES = ("live_cart", "video_cart", "chat", "search", "product_page")
BLOCKED_SURFACES = ("live_cart", "video_cart")


def short(subscriber_id: str) -> str:
    return subscriber_id.split(".", 1)[0]


def rules(
    world: Cast, plants: list[Plant], today: date, rng: random.Random
) -> list[tuple[str, dict[str, Any]]]:
    """(host, rule body) to declare, in order."""
    declared: list[tuple[str, dict[str, Any]]] = []
    cautious = rng.choice(world.platforms)
    surface = rng.choice(("chat", "search"))
    for source in world.platforms:
        if source != cautious:
            declared.append(
                (
                    cautious,
                    _rule(
                        source,
                        [surface],
                        "open",
                        ["warning_page"],
                        today,
                        "every external link behind a warning page",
                    ),
                )
            )
    for host in world.platforms:
        rivals = [s for s in world.platforms if world.relation(host, s) == "rival"]
        for source in rivals:
            if planted(plants, "link_blocking", host):
                declared.append(
                    (
                        host,
                        _rule(
                            source,
                            list(BLOCKED_SURFACES),
                            "blocked",
                            [],
                            today,
                            "rival links not carried in carts",
                        ),
                    )
                )
            if planted(plants, "link_friction", host):
                declared.append(
                    (
                        host,
                        _rule(
                            source,
                            None,
                            "open",
                            ["copy_to_browser"],
                            today,
                            "rival links open in a browser",
                        ),
                    )
                )
    return declared


def _rule(
    source: str,
    surfaces: list[str] | None,
    treatment: str,
    steps: list[str],
    today: date,
    note: str,
) -> dict[str, Any]:
    return {
        "source": short(source),
        "surfaces": surfaces,
        "treatment": treatment,
        "extra_steps": steps,
        "valid_from": today.isoformat(),
        "note": note,
    }


async def run(net: Network, world: Cast, plants: list[Plant], today: date) -> dict[str, int]:
    """Offers placed first, then the hosts' rules, then the buyers' visits.

    A host may not place a link its own rules block (`blocked_by_host_policy`),
    so, as in the real history, the links are out there before a host starts
    blocking them, and the visits meet the rules.
    """
    rng = random.Random(f"{world.seed}:links")
    declared = rules(world, plants, today, rng)
    placed: list[tuple[str, str, str, int]] = []
    for merchant in world.merchants:
        for _ in range(world.size.placements_per_merchant):
            host = rng.choice(world.platforms)
            surface = rng.choice(SURFACES)
            sku = rng.choice(merchant.skus)[0]
            count = max(1, world.size.visits_per_placement + rng.randint(-1, 2))
            answer = await net.act(
                host,
                "placement",
                "/v1/placements",
                {
                    "host": host,
                    "surface": surface,
                    "merchant": merchant.subscriber_id,
                    "sku_id": sku,
                },
            )
            if answer is not None:
                placed.append((host, surface, answer["message"]["placement"]["code"], count))
    for host, body in declared:
        await net.act(host, "link_policy", "/v1/link-policies", body)
    visits = 0
    for host, surface, code, count in placed:
        for _ in range(count):
            await net.visit("link_visit", f"/l/{code}", {"host": short(host), "surface": surface})
            visits += 1
    return {"placements": len(placed), "link_visits": visits}
