"""`link_blocking` on declarations alone: a declared block needs no sample of resolutions.

A host's declared rule is its policy for every link it covers, resolved or
not: a refusal it declares is a block whether or not a buyer met it in the
window. Each declared refusal (blocked, share code only) of another group's
links that decides in the window (`declared_rules`) flags, declared, when
own links open there: the host's own group's other platforms under its
declared rules; alone in its group, its allies; with neither, its own store
(whose links the switch always opens). The same refusal declared for its own
group is equal treatment. A rule for every surface is one cell with no
surface.
"""

from __future__ import annotations

from collections.abc import Collection

from hutong.audit.checks.cells import Cell
from hutong.audit.checks.declared_rules import Declared, Key, RuleKind, declared_rules
from hutong.audit.evidence import Evidence
from hutong.audit.findings import Metric
from hutong.audit.parties import Parties
from hutong.audit.rules import CheckSpec

__all__ = ["REFUSALS", "declared_blocks"]

CHECK = "link_blocking"
REFUSALS = RuleKind(
    selects=lambda rule: not rule.treatment.clickable,
    better=lambda own: own.open,
    own_store=True,
)


def declared_blocks(
    evidence: Evidence, parties: Parties, spec: CheckSpec, judged: Collection[Key]
) -> list[Cell]:
    """Declared cells; `judged`: (host, surface, group) the resolutions already judge."""
    return [
        _cell(key, entry, spec)
        for key, entry in declared_rules(evidence, parties, REFUSALS, judged)
    ]


def _cell(key: Key, entry: Declared, spec: CheckSpec) -> Cell:
    host, surface, group = key
    kind = entry.relation_word
    where = f"its {surface} surface" if surface else "every surface"
    ids = entry.rule_ids(host)
    return Cell(
        check=CHECK,
        subject=host,
        against=(group,),
        surface=surface,
        metric=Metric("rival_open_rate", 0.0, 1.0, spec.threshold),
        n=0,
        p_value=None,
        since=entry.since,
        evidence_count=len(entry.versions),
        evidence=entry.evidence,
        what=(
            f"link blocking: {host} declares links to {kind} {group} on {where} "
            f"{' or '.join(sorted(entry.treatments))} from {entry.since} while "
            f"{entry.compared}; decided by declared rule {ids}"
        ),
        exceeds=True,
        declared=True,
    )
