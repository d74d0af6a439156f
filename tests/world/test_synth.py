"""The synthetic world generator: seeded, built through the public API, plants only where named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from hutong.store.tables import merchant_profiles, orders, storefronts
from hutong.world.synth import CHECKS, PlantError, Network, build, plan, synthesize_locally
from hutong.world.reference import ReferenceWorld
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
