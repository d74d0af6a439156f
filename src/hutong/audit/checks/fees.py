"""`fee_discrimination`: rival merchants' orders taxed at a higher take rate than own ones.

Per host x category x channel x home group of the merchant, over the
completed orders of the window, the mean effective take rate per order::

    t = host_commission / paid          mean(t), var(t) from the SQL moments

The baseline is what the host's own merchants pay in the same category: its
own group's orders in its own store (Douyin's 20% on external links against
5% in its own store is a ratio of 4.0, whoever else pays the 20%: merchants
of the host's sibling platforms placing links are no excuse). With no such
order in the window, the baseline is the own-store rate the host's schedule
in force declares for the category (a declared rate: no variance, n = its
rival orders). Orders of the host's own group on other channels are the
group's own business and judged against nothing. Flagged when
``mean(t_rival) > threshold * mean(t_own)`` by a one-sided Welch test of
exactly that (BH-adjusted p <= alpha, n >= minimum). A category dearer for
everyone is compared within itself, so it never flags.

Without a test: any commission taken on orders that no declared schedule
covers (no version in force, or a version the host never declared) is a
fee not in a declared schedule; it names the groups of the merchants that
paid it other than the host's own (its own group's merchants paying it is
no discrimination against them, only an undisclosed fee).

On the declaration alone: a host whose schedule declares a dearer rate on
the channels other platforms' merchants use than in its own store
(`declared_fees`), unless the window's orders of other groups' merchants on
that channel are enough to judge (`min_n`): then the orders decide.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from hutong.audit.checks.cells import Cell
from hutong.audit.checks.declared_fees import declared_fees
from hutong.audit.evidence import Evidence, FeeCell
from hutong.audit.findings import EvidenceRef, Metric
from hutong.audit.parties import Parties, Relation
from hutong.audit.rules import Thresholds
from hutong.audit.stats import welch_z

__all__ = ["OWN_STORE", "Moments", "fee_discrimination"]

CHECK = "fee_discrimination"
#: The host's own store channel (`hutong.commerce.commissions.Channel.OWN_STORE`).
OWN_STORE = "own_store"


@dataclass(slots=True)
class Moments:
    """Pooled per-order take rates: n, sums, fees and GMV, the platforms seen."""

    n: int = 0
    rate_sum: float = 0.0
    rate_squares: float = 0.0
    fees: int = 0
    gmv: int = 0
    first: datetime | None = None
    platforms: set[str] = field(default_factory=set)
    #: A rate the host's schedule declares, not orders seen.
    declared: bool = False

    def add(self, cell: FeeCell) -> None:
        self.n += cell.count
        self.rate_sum += cell.rate_sum
        self.rate_squares += cell.rate_squares
        self.fees += cell.fees
        self.gmv += cell.gmv
        self.platforms.add(cell.merchant_platform)
        if self.first is None or cell.first < self.first:
            self.first = cell.first

    @property
    def mean(self) -> float:
        return self.rate_sum / self.n if self.n else 0.0

    @property
    def variance(self) -> float:
        if self.n < 2:
            return 0.0
        return max(0.0, (self.rate_squares - self.n * self.mean**2) / (self.n - 1))


def orders_ref(host: str, category: str, channel: str, platforms: set[str]) -> EvidenceRef:
    return EvidenceRef(
        "orders",
        {
            "host": host,
            "category": category,
            "channel": channel,
            "platforms": tuple(sorted(platforms)),
        },
    )


def fee_discrimination(evidence: Evidence, parties: Parties, thresholds: Thresholds) -> list[Cell]:
    spec = thresholds[CHECK]
    own: dict[tuple[str, str, str], Moments] = defaultdict(Moments)
    others: dict[tuple[str, str, str, str, Relation], Moments] = defaultdict(Moments)
    for cell in evidence.fees:
        relation = parties.relation(cell.host, cell.merchant_platform)
        if relation is Relation.OWN:
            own[(cell.host, cell.category, cell.channel)].add(cell)
        else:
            group = parties.label(cell.merchant_platform)
            others[(cell.host, cell.category, cell.channel, group, relation)].add(cell)
    cells: list[Cell] = []
    for (host, category, channel, group, relation), rival in sorted(others.items()):
        base = own.get((host, category, OWN_STORE)) or _declared_base(evidence, host, category)
        kind = "allied" if relation is Relation.ALLIED else "rival"
        where = f"{host}'s {category} orders by {channel}"
        ref = orders_ref(host, category, channel, rival.platforms)
        since = rival.first.date() if rival.first else None
        if base is None or base.n == 0:
            cells.append(
                Cell(
                    check=CHECK,
                    subject=host,
                    against=(group,),
                    surface=f"{category}/{channel}",
                    metric=Metric("rival_take_rate", round(rival.mean, 6), None, spec.threshold),
                    n=rival.n,
                    p_value=None,
                    since=since,
                    evidence_count=rival.n,
                    evidence=ref,
                    what=f"fee discrimination: {where} from {kind} {group} merchants",
                    exceeds=rival.mean > 0,
                    blind=f"no own-group {category} orders on {host} to compare",
                )
            )
            continue
        ratio = rival.mean / base.mean if base.mean else float("inf")
        p = welch_z(
            rival.mean,
            rival.variance,
            rival.n,
            spec.threshold * base.mean,
            spec.threshold**2 * base.variance,
            base.n,
        )
        shown_ratio = f"{ratio:.2f}" if base.mean else "unbounded (own orders pay nothing)"
        cells.append(
            Cell(
                check=CHECK,
                subject=host,
                against=(group,),
                surface=f"{category}/{channel}",
                metric=Metric(
                    "rival_take_rate", round(rival.mean, 6), round(base.mean, 6), spec.threshold
                ),
                n=rival.n,
                p_value=p,
                since=since,
                evidence_count=rival.n,
                evidence=ref,
                what=(
                    f"fee discrimination: {where} from {kind} {group} merchants paid a mean "
                    f"take rate of {rival.mean:.2%} over {rival.n} orders against "
                    + (
                        f"the {base.mean:.2%} its schedule declares for its own store "
                        if base.declared
                        else f"{base.mean:.2%} over {base.n} orders of its own group's merchants "
                    )
                    + f"(ratio {shown_ratio})"
                ),
                exceeds=rival.mean > spec.threshold * base.mean,
            )
        )
    cells.extend(_undeclared(evidence, parties))
    seen: dict[tuple[str, str], int] = defaultdict(int)
    for (host, _, channel, _, _), rival in others.items():
        seen[(host, channel)] += rival.n
    judged = {key for key, n in seen.items() if n >= spec.min_n}
    cells.extend(declared_fees(evidence, parties, spec, judged))
    return cells


def _declared_base(evidence: Evidence, host: str, category: str) -> Moments | None:
    """The own-store rate the host's latest declared schedule sets for `category`."""
    declared = [s for s in evidence.schedules if s.owner == host]
    if not declared:
        return None
    latest = max(declared, key=lambda s: (s.valid_from, s.version))
    try:
        rule = json.loads(latest.rule)
        rates = {(r["category"], r["channel"]): r["bps"] for r in rule.get("take_rates", ())}
        bps = rates.get(
            (category, OWN_STORE),
            rule.get("channel_rates", {}).get(OWN_STORE, rule.get("default_take_bps")),
        )
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    if not isinstance(bps, int) or bps <= 0:
        return None
    rate = bps / 10_000
    # One pseudo-order at the declared rate with no spread: Welch's test then rests on
    # the rival orders' variance alone.
    return Moments(n=1, rate_sum=rate, rate_squares=rate * rate, declared=True)


def _undeclared(evidence: Evidence, parties: Parties) -> list[Cell]:
    declared = {(s.owner, s.version) for s in evidence.schedules}
    taken: dict[tuple[str, str, str], Moments] = defaultdict(Moments)
    for cell in evidence.fees:
        if cell.fees <= 0:
            continue
        if cell.schedule_version is not None and (cell.host, cell.schedule_version) in declared:
            continue
        taken[(cell.host, cell.category, cell.channel)].add(cell)
    cells: list[Cell] = []
    for (host, category, channel), found in sorted(taken.items()):
        groups = tuple(
            sorted(
                parties.label(p)
                for p in found.platforms
                if parties.relation(host, p) is not Relation.OWN
            )
        )
        groups = tuple(dict.fromkeys(groups))
        cells.append(
            Cell(
                check=CHECK,
                subject=host,
                against=groups,
                surface=f"{category}/{channel}/undeclared",
                metric=Metric("undeclared_fees", float(found.fees), 0.0, 0.0),
                n=found.n,
                p_value=None,
                since=found.first.date() if found.first else None,
                evidence_count=found.n,
                evidence=orders_ref(host, category, channel, found.platforms),
                what=(
                    f"an undisclosed fee: {host} took {found.fees} fen of commission on "
                    f"{found.n} {category} orders by {channel} under no schedule it declared"
                ),
                exceeds=True,
                declared=True,
            )
        )
    return cells
