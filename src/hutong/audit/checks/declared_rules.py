"""The link rules a host declared that treat other groups' links worse, decided in the window.

Shared by `link_blocking` (refusals: blocked, share code only) and
`link_friction` (clickable with extra steps), which judge a declared rule on
the declaration when no resolution met it. For each declared rule the
`RuleKind` selects, for another group's platform and every link (scope
``all``), that decides on some day of the window::

    day(rule)  = max(rule.valid_from, window.start)        (in force that day)
    decides    = the rule wins for (host, source, surface) on day(rule)
    baseline   = the host's declared rules for its own group's other platforms
                 there on that day; alone in its group, for its allies (rival
                 sources only); with neither, its own store if the kind allows
                 (the switch opens the host's own store links whatever the rules)

a rule is equal treatment (dropped) when the baseline fares no better, and
blind (inconclusive) when there is no baseline. Entries are grouped per
host x surface (None: a rule for every surface) x source group; those the
window's resolutions already judge are left to them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date

from hutong.audit.checks.declared_links import OwnTreatment, treatment_of, winner
from hutong.audit.evidence import Evidence
from hutong.audit.findings import EvidenceRef
from hutong.audit.parties import Parties, Relation
from hutong.links.hosts import alias
from hutong.links.policy.rules import LinkRule, ScopeKind, Surface

__all__ = ["OWN_STORE_OPEN", "Declared", "RuleKind", "declared_rules", "link_sources"]

#: The baseline of a host alone in its group, with no ally to compare.
OWN_STORE_OPEN = "its own store's links open there (the switch opens them whatever the rules)"

Key = tuple[str, str | None, str]


@dataclass(frozen=True, slots=True)
class RuleKind:
    #: The rules of this kind (refusals, or clickable with steps).
    selects: Callable[[LinkRule], bool]
    #: The baseline treats own links better than the rule treats the rival's.
    better: Callable[[OwnTreatment], bool]
    #: A host with neither siblings nor allies is compared with its own store.
    own_store: bool


@dataclass(slots=True)
class Declared:
    host: str
    relation: Relation
    since: date
    #: How own links fare, in words ("" when nothing compares: blind).
    compared: str
    treatments: set[str] = field(default_factory=set)
    rules: list[LinkRule] = field(default_factory=list)

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(sorted({str(r.version) for r in self.rules}, key=int))

    @property
    def relation_word(self) -> str:
        return "allied" if self.relation is Relation.ALLIED else "rival"

    @property
    def evidence(self) -> EvidenceRef:
        """The declared rule versions a finding on this entry stands on."""
        return EvidenceRef("link_rules", {"host": self.rules[0].host, "versions": self.versions})

    def rule_ids(self, host: str) -> str:
        """The rule versions as the finding's text names them: `host#v3, host#v4`."""
        return ", ".join(f"{host}#v{v}" for v in self.versions)


def link_sources(evidence: Evidence) -> set[str]:
    """Every platform (by alias) whose links the window or the declared rules know."""
    return (
        {alias(c.source) for c in evidence.links}
        | {alias(c.source) for c in evidence.friction}
        | {alias(r.source) for r in evidence.link_rules}
    )


def declared_rules(
    evidence: Evidence, parties: Parties, kind: RuleKind, judged: Collection[Key]
) -> list[tuple[Key, Declared]]:
    """The entries, sorted; `judged`: (host, surface, group) the resolutions already judge."""
    start, end = evidence.window.start, evidence.window.end
    known = link_sources(evidence)
    found: dict[Key, Declared] = {}
    for rule in evidence.link_rules:
        if not kind.selects(rule) or rule.scope.kind is not ScopeKind.ALL:
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
        compared = _baseline(evidence, parties, kind, known, host, relation, deciding, day)
        if compared is None:
            continue
        seen = {(h, s, g) for h, s, g in judged if (h, g) == (host, group)}
        if rule.surfaces is None and seen:
            continue  # the resolutions judge this rule where they met it
        for surface in [None] if rule.surfaces is None else deciding:
            if surface is not None and (host, surface.value, group) in seen:
                continue
            key = (host, None if surface is None else surface.value, group)
            entry = found.setdefault(key, Declared(host, relation, day, compared))
            entry.since = min(entry.since, day)
            entry.treatments.add(rule.treatment.value)
            entry.rules.append(rule)
    return sorted(found.items(), key=lambda item: (item[0][0], item[0][1] or "", item[0][2]))


def _baseline(
    evidence: Evidence,
    parties: Parties,
    kind: RuleKind,
    known: set[str],
    host: str,
    relation: Relation,
    surfaces: list[Surface],
    day: date,
) -> str | None:
    """Own links' treatment where the rule decides (None: no better, or nowhere; "": blind)."""
    if not surfaces:
        return None
    siblings = parties.siblings(host) & known
    whose = "its own group's"
    if not siblings and relation is Relation.RIVAL:
        siblings = frozenset(s for s in known if parties.relation(host, s) is Relation.ALLIED)
        whose = "its allies'"
    if not siblings:
        return OWN_STORE_OPEN if kind.own_store else ""
    treated = [
        treatment_of(evidence.link_rules, parties, host, s.value, siblings, day) for s in surfaces
    ]
    better = [t for t in treated if t is not None and kind.better(t)]
    if not better:
        return None
    return f"its declared rules give {whose} {', '.join(better[0].siblings)} better there"
