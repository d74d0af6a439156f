"""`link_friction` on declarations alone: declared extra steps need no sample of resolutions.

Each declared rule that opens another group's links only behind extra steps
(a warning page, copy-to-browser...) and decides in the window
(`declared_rules`) flags, declared, when the host's declared rules give its
own group's other platforms there no steps (alone in its group: its allies).
A host with neither cannot be judged on steps (inconclusive): its own store's
links are no baseline, the switch opens them whatever the rules. The same
steps declared for its own group too are equal treatment.
"""

from __future__ import annotations

from collections.abc import Collection

from hutong.audit.checks.cells import Cell
from hutong.audit.checks.declared_rules import Declared, Key, RuleKind, declared_rules
from hutong.audit.evidence import Evidence
from hutong.audit.findings import Metric
from hutong.audit.parties import Parties

__all__ = ["STEPPED", "declared_friction"]

CHECK = "link_friction"
STEPPED = RuleKind(
    selects=lambda rule: rule.treatment.clickable and bool(rule.extra_steps),
    better=lambda own: own.open and own.steps == 0,
    own_store=False,
)


def declared_friction(evidence: Evidence, parties: Parties, judged: Collection[Key]) -> list[Cell]:
    """Declared cells; `judged`: (host, surface, group) the resolutions already judge."""
    return [_cell(key, entry) for key, entry in declared_rules(evidence, parties, STEPPED, judged)]


def _cell(key: Key, entry: Declared) -> Cell:
    host, surface, group = key
    kind = entry.relation_word
    steps = sorted({s.value for r in entry.rules for s in r.extra_steps})
    most = max(len(r.extra_steps) for r in entry.rules)
    ids = entry.rule_ids(host)
    return Cell(
        check=CHECK,
        subject=host,
        against=(group,),
        surface=f"{surface or '*'}/steps",
        metric=Metric("rival_extra_steps", float(most), 0.0, 0.0),
        n=0,
        p_value=None,
        since=entry.since,
        evidence_count=len(entry.versions),
        evidence=entry.evidence,
        what=(
            f"link friction: {host} declares links to {kind} {group} on "
            f"{f'its {surface} surface' if surface else 'every surface'} open only after "
            f"{', '.join(steps)} from {entry.since} while {entry.compared or 'nothing compares'}; "
            f"decided by declared rule {ids}"
        ),
        exceeds=True,
        declared=bool(entry.compared),
        blind="" if entry.compared else "no other own-group platform's links to compare",
    )
