"""`link_blocking`: links to rivals refused or code-only where own links open.

Per host x surface x source group (the group of the platform the link leads
to), over the window's resolutions::

    open_rate(g) = opened(g) / (opened(g) + code_only(g) + blocked(g))

The baseline is the host's own group on the same surface. A rival (or
allied, reported apart) group is flagged when its open rate is below the
own rate, by a one-sided Fisher exact test (BH-adjusted p <= alpha, n >=
the minimum). A refusal decided by a declared rule counts on its own: it
flags without a test when own links on that surface open more often. With
no own link resolved on the surface, a declared refusal is judged by the
host's declared rules for its own group's other platforms there
(`declared_links`), or, for a host alone in its group, for the allied
platforms: it flags when their links open; with neither, the host's own
store, whose links the switch keeps open whatever the rules. A bare
(undeclared) shortfall with nothing to compare is inconclusive. A declared
refusal no resolution met in the window is judged on the declaration
(`declared_blocks`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from hutong.audit.checks.cells import Cell, rate
from hutong.audit.checks.declared_blocks import declared_blocks
from hutong.audit.checks.declared_links import OwnTreatment, treatment_of
from hutong.audit.checks.declared_rules import OWN_STORE_OPEN, link_sources
from hutong.audit.evidence import Evidence
from hutong.audit.findings import EvidenceRef, Metric
from hutong.audit.parties import Parties, Relation
from hutong.audit.rules import Thresholds
from hutong.audit.stats import Alternative, fisher_exact
from hutong.links.hosts import alias

__all__ = ["link_blocking"]

CHECK = "link_blocking"


@dataclass(slots=True)
class _Tally:
    opened: int = 0
    refused: int = 0
    declared: int = 0
    first_refused: datetime | None = None
    sources: set[str] = field(default_factory=set)
    rules: set[str] = field(default_factory=set)

    @property
    def n(self) -> int:
        return self.opened + self.refused


def link_blocking(evidence: Evidence, parties: Parties, thresholds: Thresholds) -> list[Cell]:
    spec = thresholds[CHECK]
    own: dict[tuple[str, str], _Tally] = defaultdict(_Tally)
    others: dict[tuple[str, str, str, Relation], _Tally] = defaultdict(_Tally)
    for cell in evidence.links:
        host = alias(cell.host)
        relation = parties.relation(host, cell.source)
        if relation is Relation.OWN:
            tally = own[(host, cell.surface)]
        else:
            key = (host, cell.surface, parties.label(alias(cell.source)), relation)
            tally = others[key]
        tally.sources.add(cell.source)
        if cell.outcome == "opened":
            tally.opened += cell.count
            continue
        tally.refused += cell.count
        if cell.rule:
            tally.declared += cell.count
            tally.rules.add(cell.rule)
        if tally.first_refused is None or cell.first < tally.first_refused:
            tally.first_refused = cell.first
    cells: list[Cell] = []
    for (host, surface, group, relation), rival in sorted(others.items()):
        if rival.refused == 0:
            continue
        base = own.get((host, surface))
        rival_rate = rate(rival.opened, rival.n)
        base_rate = rate(base.opened, base.n) if base else None
        exceeds = base_rate is None or rival_rate < base_rate * spec.threshold
        p = (
            fisher_exact(rival.opened, rival.refused, base.opened, base.refused, Alternative.LESS)
            if base is not None and base.n
            else None
        )
        declared = rival.declared > 0 and base_rate is not None and exceeds
        kind = "allied" if relation is Relation.ALLIED else "rival"
        compared = (
            f"own links opened {base.opened} of {base.n} ({base_rate:.0%})"
            if base is not None and base_rate is not None
            else "no own links were resolved there"
        )
        by_rule = (
            _declared_base(evidence, parties, host, surface, relation)
            if base is None and rival.declared
            else None
        )
        if by_rule is not None:
            if not by_rule.open:
                continue  # the same declared refusal for its own group: equal treatment
            declared = True
            compared = f"its declared rules open the links of {', '.join(by_rule.siblings)} there"
        elif base is None and rival.declared:
            declared = True  # alone, with no ally to compare: its own store
            compared = OWN_STORE_OPEN
        rules = (
            f"; decided by declared rule {', '.join(sorted(rival.rules))}" if rival.rules else ""
        )
        cells.append(
            Cell(
                check=CHECK,
                subject=host,
                against=(group,),
                surface=surface,
                metric=Metric(
                    "rival_open_rate",
                    round(rival_rate, 6),
                    None if base_rate is None else round(base_rate, 6),
                    spec.threshold,
                ),
                n=rival.n,
                p_value=p,
                since=rival.first_refused.date() if rival.first_refused else None,
                evidence_count=rival.refused,
                evidence=EvidenceRef(
                    "link_resolutions",
                    {"host": host, "surface": surface, "sources": tuple(sorted(rival.sources))},
                ),
                what=(
                    f"link blocking: on {host}'s {surface} surface, links to {kind} {group} "
                    f"opened {rival.opened} of {rival.n} times ({rival_rate:.0%}) while "
                    f"{compared}{rules}"
                ),
                exceeds=exceeds,
                declared=declared,
                blind=""
                if base is not None or declared
                else "no own links on this surface to compare",
            )
        )
    judged = {(c.subject, c.surface or "", c.against[0]) for c in cells}
    return [*cells, *declared_blocks(evidence, parties, spec, judged)]


def _declared_base(
    evidence: Evidence, parties: Parties, host: str, surface: str, relation: Relation
) -> OwnTreatment | None:
    """The declared treatment of the host's own group's other platforms (allied, if alone)."""
    known = link_sources(evidence)
    siblings = set(parties.siblings(host) & known)
    if not siblings and relation is Relation.RIVAL:
        siblings = {s for s in known if parties.relation(host, s) is Relation.ALLIED}
    return treatment_of(evidence.link_rules, parties, host, surface, siblings)
