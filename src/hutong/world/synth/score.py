"""Score the auditor on synthetic worlds: recall of plants and false positives.

For one seed: build the fair twin, then, for every check the auditor runs
(`hutong.audit.checks.IMPLEMENTED`, so new checks join by being registered)
that the generator can plant, the same world with one plant of that check.
The plant's subject is drawn from the fair twin's manifest, seeded by
``"{seed}:{check}"``, among the participants the generator accepts as that
check's subject. Each world is audited in-process over its own database for
the manifest's window. Then::

    hit             = a finding whose check and subject (by alias) are the plant's
    false positive  = any other finding of a planted world; any finding of a fair twin

`score_seed_together` is the quick form the test suite runs: the fair twin,
then ONE world holding every check's plant at once (each with the subject
drawn as above). A plant is hit as above; a false positive is a finding
that is no plant's. Two worlds per seed instead of one per check: the plants
touch different chapters, so they do not hide one another, and a finding
one plant causes for another check is a false positive all the same.

A world whose build had an unexpected answer (`manifest["requests"]`) is
skipped, and counted as skipped: its traffic is not the world it meant to be.
"""

from __future__ import annotations

import random
import shutil
import time
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from hutong.audit import AuditReport, Finding, Window, audit
from hutong.audit.checks import IMPLEMENTED
from hutong.config import sqlite_url
from hutong.links.hosts import alias
from hutong.store.db import Database
from hutong.world.synth.build import plan
from hutong.world.synth.plants import CHECKS, PlantError
from hutong.world.synth.serve import synthesize_locally

__all__ = [
    "WorldScore",
    "audit_world",
    "audited_checks",
    "plant_subject",
    "score_seed",
    "score_seed_together",
]


def audited_checks() -> tuple[list[str], list[str]]:
    """(checks the auditor runs that the generator can plant, those it cannot)."""
    plantable = [c for c in IMPLEMENTED if c in CHECKS]
    return plantable, [c for c in IMPLEMENTED if c not in CHECKS]


def plant_subject(manifest: dict[str, Any], check: str) -> str:
    """The subject of `check`'s plant in the world of `manifest` (deterministic per seed)."""
    seed, size = int(manifest["seed"]), str(manifest["size"])
    people = manifest["participants"]
    pool = []
    for candidate in [*people["platforms"], *people["carriers"], *people["wallets"]]:
        try:
            plan(seed, size, [f"{check}:{candidate}"])
        except PlantError:
            continue
        pool.append(candidate)
    if not pool:
        raise PlantError(f"no participant of seed {seed} can be the subject of {check}")
    subject: str = random.Random(f"{seed}:{check}").choice(sorted(pool))
    return subject


@dataclass(frozen=True, slots=True)
class WorldScore:
    """One audited world: the fair twin (check None) or one plant."""

    seed: int
    check: str | None
    subject: str | None
    #: Why the world was not scored ("" when it was).
    skipped: str = ""
    hit: bool = False
    false_positives: tuple[Finding, ...] = ()
    #: Inconclusive cells of the plant's own check and subject (why a miss was missed).
    inconclusive: tuple[str, ...] = ()
    seconds: float = 0.0
    findings: int = field(default=0)

    def describe(self) -> str:
        """One line for a report: what was planted, what was found."""
        planted = f"{self.check}:{self.subject}" if self.check else "fair twin"
        if self.skipped:
            return f"seed {self.seed} {planted}: skipped ({self.skipped})"
        parts = [f"seed {self.seed} {planted}:"]
        if self.check:
            parts.append("found" if self.hit else "MISSED")
            parts.extend(f"(inconclusive: {reason})" for reason in self.inconclusive)
        parts.extend(
            f"false positive {f.check}:{f.subject} against {','.join(f.against)}"
            f"{' on ' + f.surface if f.surface else ''} ({f.metric.name}={f.metric.value})"
            for f in self.false_positives
        )
        return " ".join(parts)


async def audit_world(folder: Path, manifest: dict[str, Any]) -> AuditReport:
    """The auditor's run over the world's SQLite database, for the manifest's window."""
    window = Window(
        date.fromisoformat(manifest["window"]["from"]), date.fromisoformat(manifest["window"]["to"])
    )
    db = Database(sqlite_url(folder))
    try:
        return await audit(db, window)
    finally:
        await db.dispose()


def _score(
    seed: int,
    check: str | None,
    subject: str | None,
    manifest: dict[str, Any],
    r: AuditReport,
    others: tuple[tuple[str, str], ...] = (),
) -> WorldScore:
    def is_plant(f: Finding) -> bool:
        return (
            check is not None
            and subject is not None
            and (f.check == check and alias(f.subject) == alias(subject))
        )

    def is_other_plant(f: Finding) -> bool:
        return any(f.check == c and alias(f.subject) == alias(s) for c, s in others)

    return WorldScore(
        seed=seed,
        check=check,
        subject=subject,
        hit=any(is_plant(f) for f in r.findings),
        false_positives=tuple(f for f in r.findings if not is_plant(f) and not is_other_plant(f)),
        inconclusive=tuple(
            f"{i.subject} against {','.join(i.against)}: {i.reason}"
            for i in r.inconclusive
            if subject is not None and i.check == check and alias(i.subject) == alias(subject)
        ),
        findings=len(r.findings),
    )


async def _world(
    root: Path, seed: int, size: str, plants: list[tuple[str, str]]
) -> tuple[dict[str, Any], list[WorldScore]]:
    """Build one world with `plants` (check, subject); one score per plant (the fair twin's)."""
    folder = root / f"seed{seed}-{'-'.join(c for c, _ in plants) or 'fair'}"[:200]
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    wanted: list[tuple[str | None, str | None]] = list(plants) or [(None, None)]
    try:
        manifest = await synthesize_locally(folder, seed, size, [f"{c}:{s}" for c, s in plants])
        if manifest["requests"]["unexpected"]:
            why = f"{manifest['requests']['unexpected']} unexpected"
            scores = [WorldScore(seed, c, s, skipped=why) for c, s in wanted]
        else:
            report = await audit_world(folder, manifest)
            scores = [
                _score(seed, c, s, manifest, report, tuple(p for p in plants if p != (c, s)))
                for c, s in wanted
            ]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    seconds = round(time.perf_counter() - started, 2)
    return manifest, [replace(score, seconds=seconds) for score in scores]


async def _one(
    root: Path, seed: int, size: str, check: str | None, subject: str | None
) -> tuple[dict[str, Any], WorldScore]:
    plants = [(check, subject)] if check and subject else []
    manifest, scores = await _world(root, seed, size, plants)
    return manifest, scores[0]


async def score_seed(
    root: Path, seed: int, size: str = "small", checks: list[str] | None = None
) -> list[WorldScore]:
    """The fair twin of `seed`, then one world per check planted; each scored."""
    plantable = audited_checks()[0] if checks is None else checks
    manifest, fair = await _one(root, seed, size, None, None)
    scores = [fair]
    for check in plantable:
        _, score = await _one(root, seed, size, check, plant_subject(manifest, check))
        scores.append(score)
    return scores


async def score_seed_together(
    root: Path, seed: int, size: str = "small", checks: list[str] | None = None
) -> list[WorldScore]:
    """The fair twin of `seed`, then one world with every check's plant; a score per plant."""
    plantable = audited_checks()[0] if checks is None else checks
    manifest, fair = await _one(root, seed, size, None, None)
    plants = [(check, plant_subject(manifest, check)) for check in plantable]
    _, scores = await _world(root, seed, size, plants)
    return [fair, *scores]
