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
A world takes 4-8 s at `small` size on the shared 2-core machine, so the
default 50 seeds x (1 + 4 checks) = 250 worlds take about 20-30 minutes
(more as checks join); `--jobs 2` builds two seeds at once.

    .venv/bin/python -m bench.audit_worlds [--seeds 50] [--first 0]
        [--size small|medium] [--jobs 1] [--check CHECK ...]

Results go to bench/results/audit_worlds.json, with every miss and false
positive described (seed, check, subject, what was found).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from bench._harness import machine, write_results
from hutong.world.synth import SIZES
from hutong.world.synth.score import WorldScore, audited_checks, score_seed


def _seed(seed: int, size: str, checks: list[str]) -> list[WorldScore]:
    with tempfile.TemporaryDirectory(prefix="hutong-audit-worlds-") as scratch:
        return asyncio.run(score_seed(Path(scratch), seed, size, checks))


def scores(args: argparse.Namespace, checks: list[str]) -> list[WorldScore]:
    seeds = range(args.first, args.first + args.seeds)
    done: list[WorldScore] = []
    if args.jobs <= 1:
        for seed in seeds:
            done.extend(_report(_seed(seed, args.size, checks)))
        return done
    with ProcessPoolExecutor(args.jobs) as pool:
        for result in pool.map(_seed, seeds, [args.size] * len(seeds), [checks] * len(seeds)):
            done.extend(_report(result))
    return done


def _report(seed_scores: list[WorldScore]) -> list[WorldScore]:
    for s in seed_scores:
        if s.skipped or (s.check and not s.hit) or s.false_positives:
            print(f"  {s.describe()}", flush=True)
    seconds = sum(s.seconds for s in seed_scores)
    print(f"seed {seed_scores[0].seed}: {len(seed_scores)} worlds in {seconds:.0f} s", flush=True)
    return seed_scores


def table(done: list[WorldScore], checks: list[str]) -> list[dict[str, Any]]:
    scored = [s for s in done if not s.skipped]
    wrong = Counter(f.check for s in scored for f in s.false_positives)
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
                "skipped": 0,
            }
        )
    return rows


def print_table(rows: list[dict[str, Any]], fair: list[WorldScore]) -> None:
    print(f"\n{'check':<26}{'planted':>8}{'found':>7}{'recall':>8}{'false +':>9}{'skipped':>9}")
    for r in rows:
        recall = "-" if r["recall"] is None else f"{r['recall']:.2f}"
        print(
            f"{r['check']:<26}{r['planted']:>8}{r['found']:>7}{recall:>8}"
            f"{r['false_positives']:>9}{r['skipped']:>9}"
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
    args = parser.parse_args(argv)
    plantable, unplantable = audited_checks()
    checks = args.check or plantable
    print(f"{args.seeds} seeds at {args.size} size; planted checks: {', '.join(checks)}")
    if unplantable:
        print(f"checks the generator cannot plant: {', '.join(unplantable)}")
    started = time.perf_counter()
    done = scores(args, checks)
    seconds = round(time.perf_counter() - started, 1)
    rows = table(done, checks)
    fair = [s for s in done if s.check is None and not s.skipped]
    print_table(rows, fair)
    print(f"{len(done)} worlds in {seconds} s")
    path = write_results(
        "audit_worlds",
        {
            "benchmark": "audit_worlds",
            "machine": machine(),
            "settings": vars(args),
            "seconds": seconds,
            "worlds": len(done),
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
