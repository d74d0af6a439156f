"""The auditor's recall and false positives over seeded synthetic worlds (issue 15).

For each seed (0 .. N-1): the fair twin, then one world per check the
auditor runs that the generator can plant (read from the registry,
`hutong.audit.checks.IMPLEMENTED`, so new checks join by being registered),
its subject drawn from the fair twin's manifest. Every world is built
through the public API on its own SQLite switch (`synthesize_locally`) and
audited in-process for the manifest's window (`hutong.world.synth.score`)::

    recall(check)           = planted worlds of check with a finding of that check
                              and subject / planted worlds of check scored
    false positives(check)  = findings of check other than the plant, in every
                              scored world (fair twins included)
    fair twins flagged      = fair twins with any finding

Worlds whose build had an unexpected answer are skipped and counted.
`--together` builds, per seed, the fair twin and ONE world holding every
plant (`score_seed_together`, what the test suite runs): a finding that is
no plant's is a false positive, counted once per world. The worlds'
databases go to RAM (/dev/shm) when there is one.

Measured on the shared 2-core machine under load: a `small` world takes
40-65 s since it carries the evidence every check's minimum sample needs
(20 storefront applicants per platform, 380 reservations at the busy
marketplace's desk; before, 5-15 s and four checks were inconclusive), so 10
seeds `--together` (20 worlds) take 15-20 minutes; one world per check is
5.5 times as many worlds. `--jobs 2` builds two seeds at once. Seeds 0-9
`--together` (1854 s, loaded): every check recall 1.00 but
storefront_refusal 0.90 (seed 1: the own group's chance refusals) and
ranking_self_preference 0.90 (seed 4, before 500 lists per host: since
found), no false positive, no fair twin flagged.

    .venv/bin/python -m bench.audit_worlds [--seeds 50] [--first 0]
        [--size tiny|small|medium] [--jobs 1] [--check CHECK ...] [--together]

Results go to bench/results/audit_worlds.json, with every miss and false
positive described (seed, check, subject, what was found).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from bench._harness import machine, write_results
from hutong.world.synth import SIZES
from hutong.world.synth.score import (
    WorldScore,
    audited_checks,
    score_seed,
    score_seed_together,
)


def scratch_root() -> str | None:
    """RAM (/dev/shm) when the machine has it: the worlds are throwaway, their fsyncs are not."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def _seed(seed: int, size: str, checks: list[str], together: bool = False) -> list[WorldScore]:
    score = score_seed_together if together else score_seed
    with tempfile.TemporaryDirectory(prefix="hutong-audit-worlds-", dir=scratch_root()) as scratch:
        return asyncio.run(score(Path(scratch), seed, size, checks))


def scores(args: argparse.Namespace, checks: list[str]) -> list[WorldScore]:
    seeds = range(args.first, args.first + args.seeds)
    done: list[WorldScore] = []
    if args.jobs <= 1:
        for seed in seeds:
            done.extend(_report(_seed(seed, args.size, checks, args.together), args.together))
        return done
    n = len(seeds)
    with ProcessPoolExecutor(args.jobs) as pool:
        for result in pool.map(_seed, seeds, [args.size] * n, [checks] * n, [args.together] * n):
            done.extend(_report(result, args.together))
    return done


def false_positives(done: list[WorldScore], together: bool) -> Counter[str]:
    """Per check. Together, a world's scores (one per plant) share its findings: count once."""
    if not together:
        return Counter(f.check for s in done for f in s.false_positives)
    seen = {(s.seed, s.check is None, f.id): f.check for s in done for f in s.false_positives}
    return Counter(seen.values())


def _report(seed_scores: list[WorldScore], together: bool) -> list[WorldScore]:
    for s in seed_scores:
        if s.skipped or (s.check and not s.hit) or s.false_positives:
            print(f"  {s.describe()}", flush=True)
    # Together, the plants' scores share one world (and its seconds): the fair twin's and one.
    worlds = seed_scores[:2] if together else seed_scores
    seconds = sum(s.seconds for s in worlds)
    print(f"seed {seed_scores[0].seed}: {len(worlds)} worlds in {seconds:.0f} s", flush=True)
    return seed_scores


def table(done: list[WorldScore], checks: list[str], together: bool) -> list[dict[str, Any]]:
    scored = [s for s in done if not s.skipped]
    wrong = false_positives(scored, together)
    rows = []
    for check in checks:
        planted = [s for s in scored if s.check == check]
        hits = sum(s.hit for s in planted)
        rows.append(
            {
                "check": check,
                "planted": len(planted),
                "found": hits,
                "recall": round(hits / len(planted), 4) if planted else None,
                "false_positives": wrong[check],
                # Misses the auditor said it could not judge (inconclusive for the subject).
                "inconclusive": sum(1 for s in planted if not s.hit and s.inconclusive),
                "skipped": sum(1 for s in done if s.check == check and s.skipped),
            }
        )
    for check in sorted(set(wrong) - set(checks)):
        rows.append(
            {
                "check": check,
                "planted": 0,
                "found": 0,
                "recall": None,
                "false_positives": wrong[check],
                "inconclusive": 0,
                "skipped": 0,
            }
        )
    return rows


def print_table(rows: list[dict[str, Any]], fair: list[WorldScore]) -> None:
    print(
        f"\n{'check':<26}{'planted':>8}{'found':>7}{'recall':>8}{'false +':>9}"
        f"{'unsure':>8}{'skipped':>9}"
    )
    for r in rows:
        recall = "-" if r["recall"] is None else f"{r['recall']:.2f}"
        print(
            f"{r['check']:<26}{r['planted']:>8}{r['found']:>7}{recall:>8}"
            f"{r['false_positives']:>9}{r['inconclusive']:>8}{r['skipped']:>9}"
        )
    flagged = sum(1 for s in fair if s.false_positives)
    print(f"fair twins with a finding: {flagged} of {len(fair)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--first", type=int, default=0, help="the first seed")
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--jobs", type=int, default=1, help="seeds built at once (processes)")
    parser.add_argument("--check", action="append", help="plant only these checks")
    parser.add_argument(
        "--together",
        action="store_true",
        help="per seed, one world holding every plant (score_seed_together) instead of one each",
    )
    args = parser.parse_args(argv)
    plantable, unplantable = audited_checks()
    checks = args.check or plantable
    print(f"{args.seeds} seeds at {args.size} size; planted checks: {', '.join(checks)}")
    if unplantable:
        print(f"checks the generator cannot plant: {', '.join(unplantable)}")
    started = time.perf_counter()
    done = scores(args, checks)
    seconds = round(time.perf_counter() - started, 1)
    rows = table(done, checks, args.together)
    fair = [s for s in done if s.check is None and not s.skipped]
    print_table(rows, fair)
    built = len({(s.seed, s.check is None) for s in done}) if args.together else len(done)
    print(f"{built} worlds in {seconds} s")
    path = write_results(
        "audit_worlds",
        {
            "benchmark": "audit_worlds",
            "machine": machine(),
            "settings": vars(args),
            "seconds": seconds,
            "worlds": built,
            "skipped_worlds": sum(1 for s in done if s.skipped),
            "fair_twins": len(fair),
            "fair_twins_flagged": sum(1 for s in fair if s.false_positives),
            "checks": rows,
            "unplantable_checks": unplantable,
            "cases": [
                s.describe()
                for s in done
                if s.skipped or (s.check and not s.hit) or s.false_positives
            ],
        },
    )
    print(f"written to {path.relative_to(path.parents[2])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
