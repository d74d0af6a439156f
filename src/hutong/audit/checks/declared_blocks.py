"""`link_blocking` on declarations alone: a declared block needs no sample of resolutions.

A host's declared rule is its policy for every link it covers, resolved or
not: a refusal it declares is a block whether or not a buyer met it in the
window. For each declared rule that refuses (not clickable: blocked or share
code only) the links of another group's platform, for every link (scope
``all``), and decides on some day of the window::

    day(rule)     = max(rule.valid_from, window.start)     (in force that day)
    decides       = the rule is the winner for (host, source, surface) on day(rule)
    own_open      = the host's declared rules open its own group's other platforms
                    there on that day; alone in its group, its allies (rivals only);
                    with neither, its own store (the switch opens those links always)

a cell per host x surface x source group flags, declared, when own links
open there; the same refusal declared for its own group is equal treatment.
A rule for every surface is one cell with no surface. Cells the window's
resolutions already judge (`links.link_blocking`) are not repeated here.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from hutong.audit.checks.cells import Cell
from hutong.audit.checks.declared_links import treatment_of, winner
from hutong.audit.evidence import Evidence
from hutong.audit.findings import EvidenceRef, Metric
from hutong.audit.parties import Parties, Relation
from hutong.audit.rules import CheckSpec
from hutong.links.hosts import alias
from hutong.links.policy.rules import LinkRule, ScopeKind, Surface

__all__ = ["OWN_STORE_OPEN", "declared_blocks", "link_sources"]

CHECK = "link_blocking"
#: The baseline of a host alone in its group, with no ally to compare.
OWN_STORE_OPEN = "its own store's links open there (the switch opens them whatever the rules)"


@dataclass(slots=True)
class _Declared:
    host: str
    relation: Relation
    since: date
    compared: str
    treatments: set[str] = field(default_factory=set)
    rules: list[LinkRule] = field(default_factory=list)


def link_sources(evidence: Evidence) -> set[str]:
    """Every platform (by alias) whose links the window or the declared rules know."""
    return {alias(c.source) for c in evidence.links} | {
        alias(r.source) for r in evidence.link_rules
    }


def declared_blocks(
    evidence: Evidence,
    parties: Parties,
    spec: CheckSpec,
    judged: Collection[tuple[str, str, str]],
) -> list[Cell]:
    """Declared cells; `judged`: (host, surface, group) the resolutions already judge."""
    start, end = evidence.window.start, evidence.window.end
    known = link_sources(evidence)
    found: dict[tuple[str, str | None, str], _Declared] = {}
    for rule in evidence.link_rules:
        if rule.treatment.clickable or rule.scope.kind is not ScopeKind.ALL:
            continue
        host, source = alias(rule.host), alias(rule.source)
        relation = parties.relation(host, source)
        day = max(rule.valid_from, start)
        if relation is Relation.OWN or day >= end or not rule.in_force(day):
            continue
        group = parties.label(source)
        surfaces = sorted(rule.surfaces) if rule.surfaces is not None else list(Surface)
        deciding = [
            s for s in surfaces if winner(evidence.link_rules, host, source, s, day) is rule
        ]
        compared = _own_open(evidence, parties, known, host, relation, deciding, day)
        if compared is None:
            continue
        seen = {(h, s, g) for h, s, g in judged if (h, g) == (host, group)}
        if rule.surfaces is None and seen:
            continue  # the resolutions judge this block where they met it
        for surface in [None] if rule.surfaces is None else deciding:
            if surface is not None and (host, surface.value, group) in seen:
                continue
            key = (host, None if surface is None else surface.value, group)
            entry = found.setdefault(key, _Declared(host, relation, day, compared))
            entry.since = min(entry.since, day)
            entry.treatments.add(rule.treatment.value)
            entry.rules.append(rule)
    return [_cell(key, entry, spec) for key, entry in sorted(found.items(), key=_order)]


def _order(item: tuple[tuple[str, str | None, str], _Declared]) -> tuple[str, str, str]:
    (host, surface, group), _ = item
    return (host, surface or "", group)


def _own_open(
    evidence: Evidence,
    parties: Parties,
    known: set[str],
    host: str,
    relation: Relation,
    surfaces: list[Surface],
    day: date,
) -> str | None:
    """How own links are treated where the rule decides (None: refused alike, or no surface)."""
    if not surfaces:
        return None
    siblings = parties.siblings(host) & known
    if not siblings and relation is Relation.RIVAL:
        siblings = frozenset(s for s in known if parties.relation(host, s) is Relation.ALLIED)
    if not siblings:
        return OWN_STORE_OPEN
    treated = [
        treatment_of(evidence.link_rules, parties, host, s.value, siblings, day) for s in surfaces
    ]
    opened = [t for t in treated if t is not None and t.open]
    if not opened:
        return None
    return f"its declared rules open the links of {', '.join(opened[0].siblings)} there"


def _cell(key: tuple[str, str | None, str], entry: _Declared, spec: CheckSpec) -> Cell:
    host, surface, group = key
    versions = tuple(sorted({str(r.version) for r in entry.rules}, key=int))
    kind = "allied" if entry.relation is Relation.ALLIED else "rival"
    where = f"its {surface} surface" if surface else "every surface"
    ids = ", ".join(f"{host}#v{v}" for v in versions)
    return Cell(
        check=CHECK,
        subject=host,
        against=(group,),
        surface=surface,
        metric=Metric("rival_open_rate", 0.0, 1.0, spec.threshold),
        n=0,
        p_value=None,
        since=entry.since,
        evidence_count=len(versions),
        evidence=EvidenceRef("link_rules", {"host": entry.rules[0].host, "versions": versions}),
        what=(
            f"link blocking: {host} declares links to {kind} {group} on {where} "
            f"{' or '.join(sorted(entry.treatments))} from {entry.since} while "
            f"{entry.compared}; decided by declared rule {ids}"
        ),
        exceeds=True,
        declared=True,
    )
