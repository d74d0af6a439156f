"""`wallet_exclusion` and `carrier_exclusion`: a rival refused while the own one is accepted.

wallet_exclusion: a platform's checkout refusals of a wallet (`payment_refusals`,
each from its declared acceptance policy) in the window. Flagged for every
non-own wallet refused while a wallet of the platform's own group exists and
was refused by it not once in the window. A platform with no own-group wallet
that refuses one is inconclusive (nothing of its own to prefer).

carrier_exclusion: the same over `logistics_refusals` of a host's carrier
policy or a pickup network's policy, against the carriers that declare
services; and, without any refusal observed, over the policy in force on
the window's last day itself: a rival carrier it declares refused (or
leaves out of its allowed list) while its own group's carrier is allowed
is flagged on the declaration (merchants who never tried it are still
denied the choice). A pickup point at capacity (`pickup_full`) refuses
every carrier alike and is never counted.

Allied wallets and carriers are flagged like rivals but labelled allied.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from hutong.audit.checks.cells import Cell
from hutong.audit.evidence import Evidence, PolicyVersion
from hutong.audit.findings import EvidenceRef, Metric
from hutong.audit.parties import Parties, Relation
from hutong.audit.rules import Thresholds

__all__ = ["carrier_exclusion", "wallet_exclusion"]

#: Logistics refusals that come from a declared policy (not from capacity).
POLICY_REFUSALS = ("host_carrier", "pickup_point")


@dataclass(frozen=True, slots=True)
class _Refused:
    by: str
    party: str
    count: int
    since: date
    #: Refused by the declared policy in force, whether or not a booking met it.
    declared: bool = False


def _cells(
    check: str,
    what: str,
    refused: Iterable[_Refused],
    everyone: tuple[str, ...],
    parties: Parties,
    thresholds: Thresholds,
    ref_kind: str,
) -> list[Cell]:
    spec = thresholds[check]
    by_party: dict[str, list[_Refused]] = defaultdict(list)
    for r in refused:
        by_party[r.by].append(r)
    cells: list[Cell] = []
    for by, rows in sorted(by_party.items()):
        refused_names = {r.party for r in rows}
        own = sorted(p for p in everyone if parties.relation(by, p) is Relation.OWN)
        own_accepted = [p for p in own if p not in refused_names]
        for r in sorted(rows, key=lambda r: r.party):
            relation = parties.relation(by, r.party)
            if relation is Relation.OWN:
                continue
            kind = "allied" if relation is Relation.ALLIED else "rival"
            cells.append(
                Cell(
                    check=check,
                    subject=by,
                    against=(r.party,),
                    surface=None,
                    metric=Metric(spec.metric, float(r.count), 0.0, spec.threshold),
                    n=r.count,
                    p_value=None,
                    since=r.since,
                    evidence_count=r.count,
                    evidence=EvidenceRef(ref_kind, {"by": by, "party": r.party}),
                    what=(
                        f"{what}: {by} refused the {kind} {r.party} {r.count} times "
                        + ("(its declared policy refuses it) " if r.declared else "")
                        + f"(since {r.since}) while accepting its own group's "
                        f"{', '.join(own_accepted)}"
                    ),
                    exceeds=r.count > spec.threshold or r.declared,
                    declared=bool(own_accepted),
                    blind="" if own_accepted else f"{by} has no accepted own-group one to compare",
                )
            )
    return cells


def wallet_exclusion(evidence: Evidence, parties: Parties, thresholds: Thresholds) -> list[Cell]:
    totals: dict[tuple[str, str], tuple[int, date]] = {}
    for cell in evidence.wallet_refusals:
        count, since = totals.get((cell.by, cell.wallet), (0, cell.since))
        totals[(cell.by, cell.wallet)] = (count + cell.count, min(since, cell.since))
    refused = [_Refused(by, w, n, since) for (by, w), (n, since) in sorted(totals.items())]
    return _cells(
        "wallet_exclusion",
        "payment tying (own wallet preferred)",
        refused,
        evidence.wallets,
        parties,
        thresholds,
        "payment_refusals",
    )


def carrier_exclusion(evidence: Evidence, parties: Parties, thresholds: Thresholds) -> list[Cell]:
    totals: dict[tuple[str, str], tuple[int, date]] = {}
    for cell in evidence.carrier_refusals:
        if cell.kind not in POLICY_REFUSALS:
            continue
        count, since = totals.get((cell.by, cell.carrier), (0, cell.first.date()))
        totals[(cell.by, cell.carrier)] = (count + cell.count, min(since, cell.first.date()))
    declared = _declared_refusals(evidence)
    refused = [
        _Refused(by, c, n, since, (by, c) in declared)
        for (by, c), (n, since) in sorted(totals.items())
    ]
    refused += [
        _Refused(by, c, 0, since, True)
        for (by, c), since in sorted(declared.items())
        if (by, c) not in totals
    ]
    return _cells(
        "carrier_exclusion",
        "restricting the merchant's choice of carrier",
        refused,
        evidence.carriers,
        parties,
        thresholds,
        "logistics_refusals",
    )


def _declared_refusals(evidence: Evidence) -> dict[tuple[str, str], date]:
    """(owner, carrier) -> since: the carriers each policy in force on the last day refuses."""
    last = evidence.window.end - timedelta(days=1)
    latest: dict[str, PolicyVersion] = {}
    for p in evidence.carrier_policies:
        if p.valid_from <= last and (
            p.owner not in latest
            or (p.valid_from, p.version) > (latest[p.owner].valid_from, latest[p.owner].version)
        ):
            latest[p.owner] = p
    refused: dict[tuple[str, str], date] = {}
    for owner, policy in latest.items():
        try:
            rule = json.loads(policy.rule)
            allowed, denied = rule.get("allowed"), set(rule.get("refused") or ())
        except (ValueError, TypeError, AttributeError):
            continue
        for carrier in evidence.carriers:
            if carrier in denied or (allowed is not None and carrier not in allowed):
                refused[(owner, carrier)] = policy.valid_from
    return refused
