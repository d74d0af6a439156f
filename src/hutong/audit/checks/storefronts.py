"""`storefront_refusal`: a host approving rival merchants' storefronts less often.

Per host, the merchants of rival groups pooled (allied ones apart, never
as own), over the storefront requests decided in the window::

    approval_rate(g) = approved(g) / (approved(g) + refused(g))

against the host's own group (its sibling platforms' merchants). Pooled as
`interop_parity` pools rival hosts: a host's own group is one or two
platforms' merchants, and each rival group alone would rarely give the test
the sample it needs; the finding names every rival group in the pool.
Justified refusals (fraud, safety, legal, quality, capacity) are left out as
far as the host applies their code equally: all of the own group's, and of
the rivals' as many as the own group's rate of that code gives
(``round(own_c / own_n * rival_n)``); the rivals' excess stays in as
refusals, and the code is shown (a host citing ``quality`` for one own
merchant cannot so excuse refusing rivals for quality at ten times the
rate). A code applied to rivals only stays in whole. Flagged when the rival rate
is lower by a one-sided Fisher exact test (BH-adjusted p <= alpha, n >=
minimum), or, without a test, when a standing policy in force refuses
merchants by a rival home platform and names none of the host's own."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from hutong.audit.checks.cells import Cell, rate
from hutong.audit.evidence import Evidence, StandingPolicy
from hutong.audit.findings import EvidenceRef, Metric
from hutong.audit.parties import Parties, Relation
from hutong.audit.rules import Thresholds
from hutong.audit.stats import Alternative, fisher_exact

__all__ = ["storefront_refusal"]

CHECK = "storefront_refusal"


@dataclass(slots=True)
class _Tally:
    approved: int = 0
    refused: int = 0
    first_refused: datetime | None = None
    homes: set[str] = field(default_factory=set)
    groups: set[str] = field(default_factory=set)
    #: Refusals by justification code ("" for bare refusals).
    by_code: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def n(self) -> int:
        return self.approved + self.refused


def _tallies(
    evidence: Evidence, parties: Parties
) -> tuple[dict[str, _Tally], dict[tuple[str, Relation], _Tally]]:
    own: dict[str, _Tally] = defaultdict(_Tally)
    others: dict[tuple[str, Relation], _Tally] = defaultdict(_Tally)
    for cell in evidence.storefronts:
        if cell.status not in ("approved", "refused"):
            continue
        relation = parties.relation(cell.host, cell.home)
        tally = own[cell.host] if relation is Relation.OWN else others[(cell.host, relation)]
        tally.homes.add(cell.home)
        tally.groups.add(parties.label(cell.home))
        if cell.status == "approved":
            tally.approved += cell.count
            continue
        tally.refused += cell.count
        tally.by_code[cell.justification or ""] += cell.count
        if tally.first_refused is None or cell.first < tally.first_refused:
            tally.first_refused = cell.first
    return own, others


def _without_shared_justifications(rival: _Tally, base: _Tally) -> tuple[_Tally, _Tally, list[str]]:
    """Both tallies without the justified refusals applied equally; the codes left in."""
    shared = {c for c in rival.by_code if c and base.by_code.get(c)}
    equal = {c: min(rival.by_code[c], round(base.by_code[c] / base.n * rival.n)) for c in shared}
    kept = sorted(c for c in rival.by_code if c and rival.by_code[c] > equal.get(c, 0))
    own_left = sum(n for c, n in base.by_code.items() if c in shared)
    rival_left = sum(equal.values())
    return (
        _Tally(
            rival.approved,
            rival.refused - rival_left,
            rival.first_refused,
            rival.homes,
            rival.groups,
        ),
        _Tally(base.approved, base.refused - own_left, base.first_refused, base.homes, base.groups),
        kept,
    )


def storefront_refusal(evidence: Evidence, parties: Parties, thresholds: Thresholds) -> list[Cell]:
    spec = thresholds[CHECK]
    own, others = _tallies(evidence, parties)
    cells: list[Cell] = []
    for (host, relation), rival_all in sorted(others.items()):
        if rival_all.refused == 0:
            continue
        against = tuple(sorted(rival_all.groups))
        group = ", ".join(against)
        base_all = own.get(host)
        kind = "allied" if relation is Relation.ALLIED else "rival"
        if base_all is None or base_all.n == 0:
            cells.append(_blind(host, against, kind, rival_all, spec.threshold))
            continue
        rival, base, rival_only = _without_shared_justifications(rival_all, base_all)
        if rival.refused == 0:
            continue
        rival_rate, base_rate = rate(rival.approved, rival.n), rate(base.approved, base.n)
        shown = f" (justified to rivals beyond own: {', '.join(rival_only)})" if rival_only else ""
        cells.append(
            Cell(
                check=CHECK,
                subject=host,
                against=against,
                surface=None,
                metric=Metric(
                    "rival_approval_rate",
                    round(rival_rate, 6),
                    round(base_rate, 6),
                    spec.threshold,
                ),
                n=rival.n,
                p_value=fisher_exact(
                    rival.approved, rival.refused, base.approved, base.refused, Alternative.LESS
                ),
                since=rival.first_refused.date() if rival.first_refused else None,
                evidence_count=rival.refused,
                evidence=_ref(host, rival_all),
                what=(
                    f"discriminatory refusal to deal: {host} approved {rival.approved} of "
                    f"{rival.n} storefront requests from {kind} {group} merchants "
                    f"({rival_rate:.0%}) against {base.approved} of {base.n} from its own "
                    f"group ({base_rate:.0%}){shown}"
                ),
                exceeds=rival_rate < base_rate * spec.threshold,
            )
        )
    cells.extend(_standing(evidence, parties, thresholds))
    return cells


def _ref(host: str, tally: _Tally) -> EvidenceRef:
    return EvidenceRef("storefronts", {"host": host, "homes": tuple(sorted(tally.homes))})


def _blind(host: str, against: tuple[str, ...], kind: str, rival: _Tally, threshold: float) -> Cell:
    rival_rate = rate(rival.approved, rival.n)
    group = ", ".join(against)
    return Cell(
        check=CHECK,
        subject=host,
        against=against,
        surface=None,
        metric=Metric("rival_approval_rate", round(rival_rate, 6), None, threshold),
        n=rival.n,
        p_value=None,
        since=rival.first_refused.date() if rival.first_refused else None,
        evidence_count=rival.refused,
        evidence=_ref(host, rival),
        what=f"refusal to deal: {host} refused {rival.refused} {kind} {group} storefronts",
        exceeds=True,
        blind="no own-group storefront decisions to compare",
    )


def _in_force(
    policies: tuple[StandingPolicy, ...],
) -> list[tuple[StandingPolicy, dict[str, object]]]:
    """Per host and match (categories, home platforms), the latest version (it replaces earlier)."""
    latest: dict[tuple[str, str, str], tuple[StandingPolicy, dict[str, object]]] = {}
    for policy in sorted(policies, key=lambda p: (p.host, p.valid_from, p.version)):
        rule = json.loads(policy.rule)
        match = (
            policy.host,
            json.dumps(sorted(rule.get("categories", []))),
            json.dumps(sorted(rule.get("home_platforms", []))),
        )
        latest[match] = (policy, rule)
    return [latest[k] for k in sorted(latest)]


def _standing(evidence: Evidence, parties: Parties, thresholds: Thresholds) -> list[Cell]:
    spec = thresholds[CHECK]
    cells: list[Cell] = []
    for policy, rule in _in_force(evidence.standing_policies):
        homes = [str(h) for h in rule.get("home_platforms", [])]  # type: ignore[attr-defined]
        if rule.get("decision") != "refuse" or not homes:
            continue
        if any(parties.relation(policy.host, h) is Relation.OWN for h in homes):
            continue  # applied to its own group too: not self-preferencing
        justification = rule.get("justification")
        shown = (
            f" (justification: {justification['code']})" if isinstance(justification, dict) else ""
        )
        since: date = policy.valid_from
        for group in sorted({parties.label(h) for h in homes}):
            cells.append(
                Cell(
                    check=CHECK,
                    subject=policy.host,
                    against=(group,),
                    surface="standing_policy",
                    metric=Metric("standing_refusal", 1.0, 0.0, spec.threshold),
                    n=1,
                    p_value=None,
                    since=since,
                    evidence_count=1,
                    evidence=EvidenceRef(
                        "storefront_policies",
                        {"host": policy.host, "version": str(policy.version)},
                    ),
                    what=(
                        f"refusal to deal: {policy.host}'s standing policy v{policy.version} "
                        f"refuses every storefront of merchants whose home platform is "
                        f"{', '.join(sorted(homes))} (group {group}) since {since}{shown}"
                    ),
                    exceeds=True,
                    declared=True,
                )
            )
    return cells
