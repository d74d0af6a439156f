"""`link_friction`: rival links opening behind extra steps, or slower, than own links.

Per host x surface x source group, over the links that opened in the window
(`evidence.FrictionCell`)::

    steps(g)     = mean extra steps forced before the link opened
    copy(g)      = share of links that had to be copied into a browser
    p95(g)       = the 95th percentile resolution latency (from 100 us buckets)

against the host's own group on the same surface. Two cells each:

* steps: flagged without a test when rival links carry extra steps (or a
  copy-to-browser step) and links to the host's own group's OTHER platforms
  on that surface carry none (a step applied to own links too is equal
  treatment). The host's own store links are no baseline for steps: the
  switch keeps them always open, whatever the host's rules. With no sibling
  link resolved there, the host's declared rules for its siblings decide
  (`declared_links`); a host whose group has no other platform is judged
  against its allies (rival sources only: its declared rules for them);
  with neither it cannot be judged on steps
  (inconclusive). Declared steps no resolution met are judged on the
  declaration (`declared_friction`);
* latency: flagged when ``p95(rival) > threshold * p95(own)`` (1.5), by an
  exact binomial test that more than 5% of rival links took longer than
  that (BH-adjusted p <= alpha, n >= minimum).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from hutong.audit.checks.cells import Cell, rate
from hutong.audit.checks.declared_friction import declared_friction
from hutong.audit.checks.declared_links import own_treatment, treatment_of
from hutong.audit.checks.declared_rules import link_sources
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
    siblings: dict[tuple[str, str], _Tally] = defaultdict(_Tally)
    others: dict[tuple[str, str, str, Relation], _Tally] = defaultdict(_Tally)
    for cell in evidence.friction:
        host = alias(cell.host)
        relation = parties.relation(host, cell.source)
        tallies = []
        if relation is Relation.OWN:
            tallies.append(own[(host, cell.surface)])
            if alias(cell.source) != host:
                tallies.append(siblings[(host, cell.surface)])
        else:
            tallies.append(
                others[(host, cell.surface, parties.label(alias(cell.source)), relation)]
            )
        for tally in tallies:
            tally.n += cell.count
            tally.steps += cell.steps * cell.count
            tally.stepped += cell.count if cell.steps else 0
            tally.copied += cell.count if cell.copy_to_browser else 0
            tally.buckets[cell.bucket] += cell.count
            tally.sources.add(cell.source)
    cells: list[Cell] = []
    for (host, surface, group, relation), rival in sorted(others.items()):
        kind = "allied" if relation is Relation.ALLIED else "rival"
        ref = EvidenceRef(
            "link_friction",
            {"host": host, "surface": surface, "sources": tuple(sorted(rival.sources))},
        )
        cells.extend(
            _steps(
                host,
                surface,
                group,
                kind,
                rival,
                _steps_base(
                    evidence, parties, host, surface, siblings.get((host, surface)), relation
                ),
                ref,
            )
        )
        base = own.get((host, surface))
        if base is not None and base.n:  # nothing of its own opened there: no latency to compare
            cells.append(_latency(host, surface, group, kind, rival, base, ref, thresholds))
    judged = {(host, surface, group) for host, surface, group, _ in others}
    return [*cells, *declared_friction(evidence, parties, judged)]


def _steps_base(
    evidence: Evidence,
    parties: Parties,
    host: str,
    surface: str,
    seen: _Tally | None,
    relation: Relation,
) -> str | None:
    """How own-group links fare on the surface, in words, when they carry no steps.

    "" when they carry steps (equal treatment); None when unknown. A host alone
    in its group is judged against its allies (rival sources only), as its
    declared rules treat them.
    """
    if seen is not None and seen.n:
        return "" if seen.stepped else f"none of {seen.n} links to its own group's platforms"
    sources = link_sources(evidence)
    declared = own_treatment(evidence.link_rules, parties, host, surface, sources)
    whose = "its own group's"
    if declared is None and relation is Relation.RIVAL:
        allies = {s for s in sources if parties.relation(host, s) is Relation.ALLIED}
        declared = treatment_of(evidence.link_rules, parties, host, surface, allies)
        whose = "its allies'"
    if declared is None:
        return None
    if declared.steps or not declared.open:
        return ""
    return f"its declared rules give {whose} {', '.join(declared.siblings)} none"


def _steps(
    host: str,
    surface: str,
    group: str,
    kind: str,
    rival: _Tally,
    base: str | None,
    ref: EvidenceRef,
) -> list[Cell]:
    if rival.stepped == 0 or base == "":
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
                f"{base or 'no link to its own group was resolved there'}"
            ),
            exceeds=True,
            declared=base is not None,
            blind="" if base is not None else "no other own-group platform's links to compare",
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
