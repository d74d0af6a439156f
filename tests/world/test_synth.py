"""The synthetic world generator: seeded, built through the public API, plants only where named."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from hutong.store.tables import merchant_profiles, orders, storefronts
from hutong.world.reference import ReferenceWorld
from hutong.world.synth import CHECKS, Network, PlantError, build, plan, synthesize_locally
from tests.harness.switch import Clock, Switch

ALL_PLANTS = [
    "link_blocking:aurora-mall.example",
    "link_friction:dune-clips.example",
    "storefront_refusal:borealis-shop.example",
    "wallet_exclusion:dune-market.example",
    "carrier_exclusion:aurora-video.example",
    "fee_discrimination:cirrus-live.example",
    "ranking_self_preference:aurora-mall.example",
    "exclusivity_retaliation:dune-market.example",
    "declared_vs_observed:jtexpress.example",
]


def all_plants(seed: int) -> list[str]:
    """One plant of every check; interop_parity's subject is the seed's busy marketplace."""
    world, _ = plan(seed, "small", [])
    return [*ALL_PLANTS, f"interop_parity:{world.busy}"]


def _rows(folder: Path, table: Any) -> int:
    engine = create_engine(f"sqlite:///{folder / 'hutong.db'}")
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)) or 0)


async def test_every_plant_names_a_check_and_a_subject_of_its_kind() -> None:
    world, plants = plan(7, "small", all_plants(7))
    assert sorted(p.check for p in plants) == sorted(CHECKS)
    quiet = next(p for p in world.platforms if p != world.busy)
    with pytest.raises(PlantError, match="busy marketplace"):
        plan(7, "small", [f"interop_parity:{quiet}"])
    with pytest.raises(PlantError, match="whose group has another"):
        plan(7, "small", ["storefront_refusal:cirrus-live.example"])
    with pytest.raises(PlantError, match="needs a carrier"):
        plan(7, "small", ["declared_vs_observed:aurora-mall.example"])
    with pytest.raises(PlantError, match="unknown check"):
        plan(7, "small", ["self_dealing:aurora-mall.example"])


async def test_a_world_on_a_real_switch_gets_no_unexpected_answer(
    switch: Switch, world: tuple[ReferenceWorld, str], clock: Clock
) -> None:
    reference, url = world
    net = Network(switch.url, switch.operator)

    async def keep_time() -> None:
        # The generator signs in real time; a small world takes longer than the switch's
        # allowed skew, so the test's settable clock follows the real one while it builds.
        while True:
            clock.now = datetime.now(UTC).replace(microsecond=0)
            await asyncio.sleep(1)

    ticking = asyncio.create_task(keep_time())
    try:
        manifest = await build(net, reference, url, 11, "small", all_plants(11))
    finally:
        ticking.cancel()
    assert net.tally.unexpected == []
    assert manifest["requests"]["unexpected"] == 0
    assert sum(manifest["requests"]["ok"].values()) > 300
    assert {p["check"] for p in manifest["plants"]} == set(CHECKS)
    assert manifest["counts"]["completed"] > 0


TABLES = (storefronts, orders, merchant_profiles)


@dataclass(frozen=True, slots=True)
class Seed5:
    """Seed 5 at `tiny` size, built once for the module: fair, and the same plant twice."""

    fair: Path
    planted: tuple[Path, Path]
    manifests: dict[Path, dict[str, Any]]


SUBJECT = "borealis-shop.example"


@pytest.fixture(scope="module")
def seed5() -> Iterator[Seed5]:
    # Throwaway worlds: in RAM where there is some, so the switch's fsyncs cost nothing.
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None) as scratch:
        root = Path(scratch)
        plants = [f"storefront_refusal:{SUBJECT}"]

        async def build_all() -> dict[Path, dict[str, Any]]:
            return {
                root / "fair": await synthesize_locally(root / "fair", 5, "tiny", []),
                root / "a": await synthesize_locally(root / "a", 5, "tiny", plants),
                root / "b": await synthesize_locally(root / "b", 5, "tiny", plants),
            }

        manifests = asyncio.run(build_all())
        yield Seed5(root / "fair", (root / "a", root / "b"), manifests)


def test_the_same_seed_builds_the_same_world(seed5: Seed5) -> None:
    a, b = seed5.planted
    first, second = (dict(seed5.manifests[a]), dict(seed5.manifests[b]))
    for manifest in (first, second):
        manifest.pop("today")
        manifest.pop("window")
    assert first == second
    for table in TABLES:
        assert _rows(a, table) == _rows(b, table) > 0


def _rival_refusals(folder: Path, host: str) -> dict[str, tuple[int, int]]:
    """(refused, decided) storefront requests per host, of merchants whose home is a rival's."""
    engine = create_engine(f"sqlite:///{folder / 'hutong.db'}")
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                storefronts.c.host, storefronts.c.status, merchant_profiles.c.home_platform
            ).join(merchant_profiles, merchant_profiles.c.subscriber_id == storefronts.c.merchant)
        ).all()
    world, _ = plan(5, "tiny", [])
    tally: dict[str, tuple[int, int]] = {}
    for h, status, home in rows:
        if world.relation(h, home) != "rival":
            continue
        refused, decided = tally.get(h, (0, 0))
        tally[h] = (refused + (status == "refused"), decided + 1)
    return tally


def test_a_plant_changes_its_subject_and_nothing_else(seed5: Seed5) -> None:
    planted = seed5.planted[0]
    before, after = _rival_refusals(seed5.fair, SUBJECT), _rival_refusals(planted, SUBJECT)
    assert after[SUBJECT][0] > before[SUBJECT][0]
    assert after[SUBJECT][1] == before[SUBJECT][1]
    assert {h: v for h, v in after.items() if h != SUBJECT} == {
        h: v for h, v in before.items() if h != SUBJECT
    }
    assert seed5.manifests[seed5.fair]["requests"]["unexpected"] == 0
    assert seed5.manifests[planted]["requests"]["unexpected"] == 0
