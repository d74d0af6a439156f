"""`link_friction`: rival links opening behind extra steps, or slower, than own links.

Per host x surface x source group, over the links that opened in the window
(`evidence.FrictionCell`)::

    steps(g)     = mean extra steps forced before the link opened
    copy(g)      = share of links that had to be copied into a browser
    p95(g)       = the 95th percentile resolution latency (from 100 us buckets)

against the host's own group on the same surface. Two cells each:

* steps: flagged without a test when rival links carry extra steps (or a
  copy-to-browser step) and own links on that surface carry none (a step
  applied to own links too is equal treatment);
* latency: flagged when ``p95(rival) > threshold * p95(own)`` (1.5), by an
  exact binomial test that more than 5% of rival links took longer than
  that (BH-adjusted p <= alpha, n >= minimum).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from hutong.audit.checks.cells import Cell, rate
from hutong.audit.evidence import LATENCY_BUCKET_US, Evidence
from hutong.audit.findings import EvidenceRef, Metric
from hutong.audit.parties import Parties, Relation
from hutong.audit.rules import Thresholds
from hutong.audit.stats import binomial_sf
from hutong.links.hosts import alias

__all__ = ["link_friction"]

CHECK = "link_friction"
#: The quantile compared (p95): under parity at most this share is slower.
TAIL = 0.05


@dataclass(slots=True)
class _Tally:
    n: int = 0
    steps: int = 0
    stepped: int = 0
    copied: int = 0
    buckets: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    sources: set[str] = field(default_factory=set)

    def p95_us(self) -> int:
        """The upper edge of the bucket holding the 95th percentile."""
        seen = 0
        for bucket in sorted(self.buckets):
            seen += self.buckets[bucket]
            if seen >= (1 - TAIL) * self.n:
                return (bucket + 1) * LATENCY_BUCKET_US
        return 0

    def slower_than(self, limit_us: float) -> int:
        """Links whose whole bucket lies above `limit_us`."""
        return sum(n for b, n in self.buckets.items() if b * LATENCY_BUCKET_US >= limit_us)


def link_friction(evidence: Evidence, parties: Parties, thresholds: Thresholds) -> list[Cell]:
    own: dict[tuple[str, str], _Tally] = defaultdict(_Tally)
    others: dict[tuple[str, str, str, Relation], _Tally] = defaultdict(_Tally)
    for cell in evidence.friction:
        host = alias(cell.host)
        relation = parties.relation(host, cell.source)
        if relation is Relation.OWN:
            tally = own[(host, cell.surface)]
        else:
            tally = others[(host, cell.surface, parties.label(alias(cell.source)), relation)]
        tally.n += cell.count
        tally.steps += cell.steps * cell.count
        tally.stepped += cell.count if cell.steps else 0
        tally.copied += cell.count if cell.copy_to_browser else 0
        tally.buckets[cell.bucket] += cell.count
        tally.sources.add(cell.source)
    cells: list[Cell] = []
    for (host, surface, group, relation), rival in sorted(others.items()):
        base = own.get((host, surface))
        if base is None or base.n == 0:
            continue  # nothing of its own opened there: link_blocking says the rest
        kind = "allied" if relation is Relation.ALLIED else "rival"
        ref = EvidenceRef(
            "link_friction",
            {"host": host, "surface": surface, "sources": tuple(sorted(rival.sources))},
        )
        cells.extend(_steps(host, surface, group, kind, rival, base, ref, thresholds))
        cells.append(_latency(host, surface, group, kind, rival, base, ref, thresholds))
    return cells


def _steps(
    host: str,
    surface: str,
    group: str,
    kind: str,
    rival: _Tally,
    base: _Tally,
    ref: EvidenceRef,
    thresholds: Thresholds,
) -> list[Cell]:
    if rival.stepped == 0 or base.stepped > 0:
        return []  # no steps for rivals, or steps for own links too: equal treatment
    mean = rate(rival.steps, rival.n)
    return [
        Cell(
            check=CHECK,
            subject=host,
            against=(group,),
            surface=f"{surface}/steps",
            metric=Metric("rival_extra_steps", round(mean, 6), 0.0, 0.0),
            n=rival.n,
            p_value=None,
            since=None,
            evidence_count=rival.stepped,
            evidence=ref,
            what=(
                f"link friction: on {host}'s {surface} surface, {rival.stepped} of {rival.n} "
                f"links to {kind} {group} opened only after extra steps ({mean:.2f} on "
                f"average; {rate(rival.copied, rival.n):.0%} copied into a browser) while "
                f"none of {base.n} own links needed any"
            ),
            exceeds=True,
            declared=True,
        )
    ]


def _latency(
    host: str,
    surface: str,
    group: str,
    kind: str,
    rival: _Tally,
    base: _Tally,
    ref: EvidenceRef,
    thresholds: Thresholds,
) -> Cell:
    spec = thresholds[CHECK]
    own_p95, rival_p95 = base.p95_us(), rival.p95_us()
    limit = spec.threshold * own_p95
    slower = rival.slower_than(limit)
    return Cell(
        check=CHECK,
        subject=host,
        against=(group,),
        surface=f"{surface}/latency",
        metric=Metric("rival_latency_p95_us", float(rival_p95), float(own_p95), spec.threshold),
        n=rival.n,
        p_value=binomial_sf(slower, rival.n, TAIL),
        since=None,
        evidence_count=slower,
        evidence=ref,
        what=(
            f"link friction: on {host}'s {surface} surface, links to {kind} {group} resolved "
            f"with a p95 latency of {rival_p95} us against {own_p95} us for own links "
            f"({slower} of {rival.n} slower than {limit:.0f} us)"
        ),
        exceeds=rival_p95 > limit,
    )
