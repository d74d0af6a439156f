"""Ranking impressions: what each host showed for a query, reported in batches.

Each list ranks candidates of every platform by merit (rating, with a
little noise per showing); one slot in five is sponsored and labelled.
Merit is drawn per item once, so the same item is as good everywhere.

A small world's hosts report 500 lists each (a few batched requests): a host
alone in its group with three merchants shows its own items in about one
slot in seven, and needs that many lists for 200 own showings and dominated
pairs.

Plant ``ranking_self_preference``: the subject adds a boost worth about
half a star to its own group's items, so they outrank better rival items.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from hutong.world.synth.cast import Cast
from hutong.world.synth.network import Network
from hutong.world.synth.plants import Plant, planted

BOOST = 0.5
BATCH = 200
ADJECTIVES, NOUNS = ("best", "cheap", "new"), ("gift", "daily", "sale")


def ranked(
    world: Cast,
    plants: list[Plant],
    host: str,
    candidates: list[tuple[str, str, float, int, float]],
) -> list[tuple[str, str, float, int]]:
    """Candidates (merchant, sku, rating, reviews, noise) in the order the host shows them."""
    homes = {m.subscriber_id: m.home for m in world.merchants}
    boosted = planted(plants, "ranking_self_preference", host)

    def score(item: tuple[str, str, float, int, float]) -> float:
        merchant, _, rating, _, noise = item
        own = world.relation(host, homes[merchant]) == "own"
        return rating + noise + (BOOST if boosted and own else 0.0)

    return [(m, s, r, n) for m, s, r, n, _ in sorted(candidates, key=score, reverse=True)]


def showing_times(day: date, now: datetime, count: int) -> list[datetime]:
    """When the host's `count` lists were shown: within the last hour, never before `day`.

    The audit window opens on `day` (the world's first day, today), so a
    world built in the first hour after midnight UTC must not date its lists
    the day before, where the auditor would not see them. One second apart,
    or closer when the day is younger than `count` seconds; never ahead of `now`.
    """
    opened = datetime.combine(day, time(), tzinfo=UTC)
    start = max(now.replace(microsecond=0) - timedelta(hours=1), opened)
    step = min(timedelta(seconds=1), (now - start) / max(count, 1))
    return [start + step * n for n in range(count)]


async def run(net: Network, world: Cast, plants: list[Plant], day: date) -> dict[str, int]:
    rng = random.Random(f"{world.seed}:impressions")
    merit = {
        (m.subscriber_id, sku): (round(rng.uniform(3.5, 5.0), 1), rng.randint(5, 5_000))
        for m in world.merchants
        for sku, _ in m.skus
    }
    items = sorted(merit)
    times = showing_times(day, datetime.now(UTC), world.size.impression_lists_per_host)
    lists = 0
    for host in world.platforms:
        batch: list[dict[str, Any]] = []
        for n in range(world.size.impression_lists_per_host):
            chosen = rng.sample(items, min(world.size.items_per_list, len(items)))
            noise = [rng.gauss(0, 0.25) for _ in chosen]
            candidates = [
                (m, s, *merit[(m, s)], e) for (m, s), e in zip(chosen, noise, strict=True)
            ]
            shown = ranked(world, plants, host, candidates)
            sponsored = rng.randrange(5) == 0
            batch.append(
                {
                    "surface": rng.choice(("search", "product_page")),
                    "query": f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}",
                    "shown_at": times[n].isoformat(),
                    "items": [
                        {
                            "merchant": m,
                            "sku_id": s,
                            "position": k + 1,
                            "sponsored": sponsored and k == 0,
                            "labelled_ad": sponsored and k == 0,
                            "rating": r,
                            "reviews": v,
                        }
                        for k, (m, s, r, v) in enumerate(shown)
                    ],
                }
            )
            if len(batch) == BATCH:
                await net.act(host, "impressions", "/v1/impressions", {"lists": batch})
                lists += len(batch)
                batch = []
        if batch:
            await net.act(host, "impressions", "/v1/impressions", {"lists": batch})
            lists += len(batch)
    return {"impression_lists": lists}
