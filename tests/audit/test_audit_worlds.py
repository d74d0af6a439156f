"""The auditor on synthetic worlds: every plant found, fair twins and bystanders left alone.

Three seeded worlds at `small` size, each built through the public API as
a fair twin and once with one plant of every check the auditor runs (the
registry, `hutong.audit.checks.IMPLEMENTED`), each plant with its own drawn
subject (`hutong.world.synth.score.score_seed_together`): two worlds per
seed, built once for the module. `bench/audit_worlds.py` builds one world
per plant over 50 seeds and prints recall and false positives per check.

A small world cannot give some checks the evidence they need
(`SAMPLE_BOUND`: too few observations, or nothing of the subject's own
group to compare): there the plant must be reported inconclusive for its
subject, never missed in silence.

A check or a generator that misses a plant on these seeds is a defect to
fix there, not here.
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

SEEDS = (0, 1, 2)
PLANTED, _ = audited_checks()

#: Checks whose minimum sample a small world does not reach, and why.
SAMPLE_BOUND = {
    "interop_parity": (
        "a small world asks each merchant platform's desk for ~6 reservations (the minimum is "
        "200 calls for rival hosts); the medium size asks 400"
    ),
    "exclusivity_retaliation": (
        "a small world has 2-3 merchants per platform (the minimum is 10 that multi-homed)"
    ),
    "storefront_refusal": (
        "a small world has 1-3 rival storefront decisions per host (the minimum is 20), and a "
        "host alone in its group (cirrus-live) has no own-group decisions to compare"
    ),
    "fee_discrimination": (
        "a small world completes 2 orders per host (the minimum is 20 rival orders per cell)"
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
    missed = [s.describe() for s in planted if not s.hit and not _too_small(s)]
    assert missed == []


def _too_small(score: WorldScore) -> bool:
    """A sample-bound check's plant reported inconclusive for its subject, for its size."""
    return score.check in SAMPLE_BOUND and bool(score.inconclusive)


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
