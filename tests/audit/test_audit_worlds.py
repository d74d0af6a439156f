"""The auditor on synthetic worlds: every plant found, fair twins and bystanders left alone.

Two seeds at `small` size, each world built through the public API as
a fair twin and once with one plant of every check the auditor runs (the
registry, `hutong.audit.checks.IMPLEMENTED`), each plant with its own drawn
subject (`hutong.world.synth.score.score_seed_together`): two worlds per
seed, built once for the module (about a minute each: a small world carries
every check's minimum sample). `bench/audit_worlds.py` builds them over 50
seeds and prints recall and false positives per check.

Every check now gets its minimum sample in a small world (storefront
applicants, a busy marketplace's desk, completed orders judged against the
declared schedule). `UNDERPOWERED` names the one whose test, with that
sample, misses some plants: there a miss is allowed, with the reason; a
miss of any other check is a defect to fix in the check or the generator,
not here.
"""

from __future__ import annotations

import asyncio

import pytest

from hutong.world.synth import plan
from hutong.world.synth.score import (
    WorldScore,
    audited_checks,
    plant_subject,
    score_seed_together,
)

SEEDS = (0, 1)
PLANTED, _ = audited_checks()

#: Checks whose test a small world's sample leaves short of some plants, and why.
UNDERPOWERED = {
    "storefront_refusal": (
        "a host's own-group decisions come from its one sibling platform's ~22 merchants: "
        "a few chance refusals among them (seed 1: 4 of 21) leave 40% against 90% short of "
        "significance after the run's correction"
    ),
}


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> list[WorldScore]:
    root = tmp_path_factory.mktemp("audit-worlds")

    async def all_seeds() -> list[WorldScore]:
        return [
            s for seed in SEEDS for s in await score_seed_together(root, seed, "small", PLANTED)
        ]

    done = asyncio.run(all_seeds())
    assert not [s.describe() for s in done if s.skipped], "a world had unexpected answers"
    return done


@pytest.mark.slow
@pytest.mark.parametrize("check", PLANTED)
def test_every_plant_of_a_check_is_found(worlds: list[WorldScore], check: str) -> None:
    planted = [s for s in worlds if s.check == check]
    assert len(planted) == len(SEEDS)
    missed = [s.describe() for s in planted if not s.hit and s.check not in UNDERPOWERED]
    assert missed == []


@pytest.mark.slow
def test_fair_twins_raise_no_finding(worlds: list[WorldScore]) -> None:
    fair = [s for s in worlds if s.check is None]
    assert len(fair) == len(SEEDS)
    assert [s.describe() for s in fair if s.findings] == []


@pytest.mark.slow
def test_a_plant_raises_no_finding_but_its_own(worlds: list[WorldScore]) -> None:
    assert [s.describe() for s in worlds if s.check and s.false_positives] == []


def test_every_plant_subject_is_drawn_from_the_world_deterministically() -> None:
    world, _ = plan(4, "small", [])
    manifest = {
        "seed": 4,
        "size": "small",
        "participants": {
            "platforms": world.platforms,
            "carriers": world.carriers,
            "wallets": world.wallets,
        },
    }
    for check in PLANTED:
        subject = plant_subject(manifest, check)
        assert subject == plant_subject(manifest, check)
        plan(4, "small", [f"{check}:{subject}"])  # a subject the generator accepts
