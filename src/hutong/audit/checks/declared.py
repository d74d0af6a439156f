"""`declared_vs_observed`: behaviour contradicting the party's own declared policy.

Two contradictions, each a finding on its own (no test: the records are the
breach), shown with the declaration and the records:

* a commission schedule declared but another rate taken: the orders that
  applied schedule version v in a category and channel, whose declared take
  rate is b bps, took between min(t) and max(t) of what was paid. A
  commission is rounded down to the fen, so an order of g fen honours b when
  ``b/10000 - 1/g < t <= b/10000``; any order outside that band contradicts v;
* a wallet refused at checkout under an acceptance policy version that, as
  declared, accepts it (it neither names the wallet among those refused nor
  accepts only a set without it), or under a version never declared;
* a participant refusing a call its own declaration covers: the switch asks
  a carrier to book only a route its declared service prices (the switch
  refuses the others itself), so a carrier answering ``not_serviceable`` to
  a booking contradicts its declared coverage. Justified refusals (e.g.
  ``safety``) are not counted.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from hutong.audit.checks.cells import Cell
from hutong.audit.checks.declared_fees import declared_take_bps
from hutong.audit.checks.fees import orders_ref
from hutong.audit.evidence import Evidence, FeeCell, PolicyVersion, ServiceRefusalCell
from hutong.audit.findings import EvidenceRef, Metric
from hutong.audit.parties import Parties
from hutong.audit.rules import Thresholds

__all__ = ["declared_take_bps", "declared_vs_observed"]

CHECK = "declared_vs_observed"
#: Float slack when comparing a rate computed in SQL with a declared one.
EPSILON = 1e-9


def _honours(cell: FeeCell, bps: int) -> bool:
    declared = bps / 10_000
    lowest = declared - 1 / cell.min_gmv
    return cell.max_rate <= declared + EPSILON and cell.min_rate > lowest - EPSILON


def declared_vs_observed(
    evidence: Evidence, parties: Parties, thresholds: Thresholds
) -> list[Cell]:
    return [
        *_schedules(evidence, parties, thresholds),
        *_wallets(evidence, thresholds),
        *_services(evidence, parties, thresholds),
    ]


def _services(evidence: Evidence, parties: Parties, thresholds: Thresholds) -> list[Cell]:
    spec = thresholds[CHECK]
    grouped: dict[tuple[str, str, str], list[ServiceRefusalCell]] = defaultdict(list)
    for r in evidence.service_refusals:
        grouped[(r.callee, r.action, r.code)].append(r)
    cells: list[Cell] = []
    for (callee, action, code), rows in sorted(grouped.items()):
        count = sum(r.count for r in rows)
        hosts = tuple(sorted({r.on_behalf_of for r in rows}))
        cells.append(
            Cell(
                check=CHECK,
                subject=callee,
                against=tuple(sorted({parties.label(h) for h in hosts})),
                surface=f"{action}/{code}",
                metric=Metric("contradicting_refusals", float(count), 0.0, spec.threshold),
                n=count,
                p_value=None,
                since=min(r.first for r in rows).date(),
                evidence_count=count,
                evidence=EvidenceRef(
                    "decision_calls", {"callee": callee, "hosts": hosts, "code": code}
                ),
                what=(
                    f"a practice contradicting the declared policy: {callee} refused {count} "
                    f"'{action}' calls as {code} although the switch only sends those its "
                    f"declared services cover"
                ),
                exceeds=count > spec.threshold,
                declared=True,
            )
        )
    return cells


def _versions(policies: tuple[PolicyVersion, ...]) -> dict[tuple[str, int], dict[str, Any]]:
    return {(p.owner, p.version): json.loads(p.rule) for p in policies}


def _schedules(evidence: Evidence, parties: Parties, thresholds: Thresholds) -> list[Cell]:
    spec = thresholds[CHECK]
    schedules = _versions(evidence.schedules)
    broken: dict[tuple[str, int, str, str], list[FeeCell]] = defaultdict(list)
    for cell in evidence.fees:
        if cell.schedule_version is None:
            continue
        rule = schedules.get((cell.host, cell.schedule_version))
        if rule is None:
            continue  # a fee under no declared schedule: fee_discrimination's
        bps = declared_take_bps(rule, cell.category, cell.channel)
        if not _honours(cell, bps):
            broken[(cell.host, cell.schedule_version, cell.category, cell.channel)].append(cell)
    cells: list[Cell] = []
    for (host, version, category, channel), found in sorted(broken.items()):
        rule = schedules[(host, version)]
        bps = declared_take_bps(rule, category, channel)
        n = sum(c.count for c in found)
        low, high = min(c.min_rate for c in found), max(c.max_rate for c in found)
        platforms = {c.merchant_platform for c in found}
        ref = orders_ref(host, category, channel, platforms)
        cells.append(
            Cell(
                check=CHECK,
                subject=host,
                against=tuple(sorted({parties.label(p) for p in platforms})),
                surface=f"commission_schedule v{version} {category}/{channel}",
                metric=Metric("observed_take_rate", round(high, 6), bps / 10_000, spec.threshold),
                n=n,
                p_value=None,
                since=min(c.first for c in found).date(),
                evidence_count=n,
                evidence=EvidenceRef(ref.kind, {**ref.filters, "versions": (str(version),)}),
                what=(
                    f"a practice contradicting the declared policy: {host}'s commission "
                    f"schedule v{version} declares {bps} bps on {category} orders by {channel}, "
                    f"yet {n} such orders were charged between {low:.2%} and {high:.2%}"
                ),
                exceeds=True,
                declared=True,
            )
        )
    return cells


def _accepts(rule: dict[str, Any], wallet: str) -> bool:
    if wallet in rule.get("refused", {}):
        return False
    accepts = rule.get("accepts")
    return accepts is None or wallet in accepts


def _wallets(evidence: Evidence, thresholds: Thresholds) -> list[Cell]:
    spec = thresholds[CHECK]
    policies = _versions(evidence.acceptance_policies)
    cells: list[Cell] = []
    for refused in sorted(
        evidence.wallet_refusals, key=lambda r: (r.by, r.wallet, r.policy_version)
    ):
        rule = policies.get((refused.by, refused.policy_version))
        if rule is not None and not _accepts(rule, refused.wallet):
            continue
        stance = "accepts it" if rule is not None else "was never declared"
        cells.append(
            Cell(
                check=CHECK,
                subject=refused.by,
                against=(refused.wallet,),
                surface=f"acceptance_policy v{refused.policy_version}",
                metric=Metric("contradicting_refusals", float(refused.count), 0.0, spec.threshold),
                n=refused.count,
                p_value=None,
                since=refused.since,
                evidence_count=refused.count,
                evidence=EvidenceRef(
                    "payment_refusals",
                    {
                        "by": refused.by,
                        "party": refused.wallet,
                        "version": str(refused.policy_version),
                    },
                ),
                what=(
                    f"a practice contradicting the declared policy: {refused.by} refused "
                    f"{refused.wallet} at checkout {refused.count} times under its acceptance "
                    f"policy v{refused.policy_version}, which {stance}"
                ),
                exceeds=refused.count > spec.threshold,
                declared=True,
            )
        )
    return cells
