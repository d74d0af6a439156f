"""The synthetic world generator: seeded, built through the public API, plants only where named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from hutong.store.tables import merchant_profiles, orders, storefronts
from hutong.world.reference import ReferenceWorld
from hutong.world.synth import CHECKS, Network, PlantError, build, plan, synthesize_locally
from tests.harness.switch import Switch

ALL_PLANTS = [
    "link_blocking:aurora-mall.example",
    "link_friction:dune-clips.example",
    "storefront_refusal:borealis-shop.example",
    "wallet_exclusion:dune-market.example",
    "carrier_exclusion:aurora-video.example",
    "fee_discrimination:cirrus-live.example",
    "ranking_self_preference:aurora-mall.example",
    "exclusivity_retaliation:dune-market.example",
    "interop_parity:aurora-mall.example",
    "declared_vs_observed:jtexpress.example",
]


def _rows(folder: Path, table: Any) -> int:
    engine = create_engine(f"sqlite:///{folder / 'hutong.db'}")
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)) or 0)


async def test_every_plant_names_a_check_and_a_subject_of_its_kind() -> None:
    _, plants = plan(7, "small", ALL_PLANTS)
    assert sorted(p.check for p in plants) == sorted(CHECKS)
    with pytest.raises(PlantError, match="needs a carrier"):
        plan(7, "small", ["declared_vs_observed:aurora-mall.example"])
    with pytest.raises(PlantError, match="unknown check"):
        plan(7, "small", ["self_dealing:aurora-mall.example"])


async def test_a_world_on_a_real_switch_gets_no_unexpected_answer(
    switch: Switch, world: tuple[ReferenceWorld, str]
) -> None:
    reference, url = world
    net = Network(switch.url, switch.operator)
    manifest = await build(net, reference, url, 11, "small", ALL_PLANTS)
    assert net.tally.unexpected == []
    assert manifest["requests"]["unexpected"] == 0
    assert sum(manifest["requests"]["ok"].values()) > 300
    assert {p["check"] for p in manifest["plants"]} == set(CHECKS)
    assert manifest["counts"]["completed"] > 0


TABLES = (storefronts, orders, merchant_profiles)


async def test_the_same_seed_builds_the_same_world(tmp_path: Path) -> None:
    plants = ["storefront_refusal:borealis-shop.example"]
    first = await synthesize_locally(tmp_path / "a", 5, "small", plants)
    second = await synthesize_locally(tmp_path / "b", 5, "small", plants)
    for manifest in (first, second):
        manifest.pop("today")
        manifest.pop("window")
    assert first == second
    for table in TABLES:
        assert _rows(tmp_path / "a", table) == _rows(tmp_path / "b", table)


def _rival_refusals(folder: Path, host: str) -> dict[str, tuple[int, int]]:
    """(refused, decided) storefront requests per host, of merchants whose home is a rival's."""
    engine = create_engine(f"sqlite:///{folder / 'hutong.db'}")
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                storefronts.c.host, storefronts.c.status, merchant_profiles.c.home_platform
            ).join(merchant_profiles, merchant_profiles.c.subscriber_id == storefronts.c.merchant)
        ).all()
    world, _ = plan(5, "small", [])
    tally: dict[str, tuple[int, int]] = {}
    for h, status, home in rows:
        if world.relation(h, home) != "rival":
            continue
        refused, decided = tally.get(h, (0, 0))
        tally[h] = (refused + (status == "refused"), decided + 1)
    return tally


async def test_a_plant_changes_its_subject_and_nothing_else(tmp_path: Path) -> None:
    subject = "borealis-shop.example"
    fair = await synthesize_locally(tmp_path / "fair", 5, "small", [])
    planted = await synthesize_locally(
        tmp_path / "planted", 5, "small", [f"storefront_refusal:{subject}"]
    )
    before, after = (
        _rival_refusals(tmp_path / "fair", subject),
        _rival_refusals(tmp_path / "planted", subject),
    )
    assert after[subject][0] > before[subject][0]
    assert after[subject][1] == before[subject][1]
    assert {h: v for h, v in after.items() if h != subject} == {
        h: v for h, v in before.items() if h != subject
    }
    assert fair["requests"]["unexpected"] == planted["requests"]["unexpected"] == 0
