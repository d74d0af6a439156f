"""`ranking_self_preference`: a host ranking its own group's items above better rival items.

From the unsponsored items of the lists a host reported
(`evidence_market.ExposureCell`, `DominanceCell`), own items (the host's
group) against rival ones; allied items are in neither. Two cells per host:

* exposure, merit-adjusted (Singh–Joachims disparate treatment ratio) with
  DCG position weights::

      w(r) = 1 / log2(1 + r)          Exp(g) = mean w over g's shown items
      U(g) = mean rating of g's shown items
      DTR  = (Exp(own) / U(own)) / (Exp(rival) / U(rival))

  flagged when DTR > threshold (1.25) and the 95% interval of DTR excludes 1.
  The unit of inference is the item (merchant and SKU), not the showing: a
  host shows the same item in list after list, and its showings rise and
  fall together. Since ``Exp(g) / U(g) = sum W_i / sum M_i`` over g's items
  i (W_i the item's summed weights, M_i its summed ratings), each side is a
  ratio estimator over k items, with the cluster-robust (linearised) variance

      var(R_g) = k / (k - 1) * sum_i (W_i - R_g M_i)^2 / (sum_i M_i)^2

  and ``se(log DTR)^2 = var(R_own) / R_own^2 + var(R_rival) / R_rival^2``;
* dominated-item wins: pairs in one list where item b has a higher rating
  and at least as many reviews as item a. The rate at which a dominated own
  item is shown above its rival dominator is compared with the rate at which
  a dominated rival item is shown above a rival dominator, stratum by
  stratum of the rating gap (tenths of a star, 1.0 and more pooled), by the
  Mantel–Haenszel odds ratio; flagged when OR > 1.5 with its one-sided test.

Both need `min_n` (200) own observations (showings, dominated pairs).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from hutong.audit.checks.cells import Cell
from hutong.audit.evidence import Evidence
from hutong.audit.findings import EvidenceRef, Metric
from hutong.audit.parties import Parties, Relation
from hutong.audit.rules import Thresholds
from hutong.audit.stats import mantel_haenszel, normal_sf

__all__ = ["ODDS_RATIO", "dcg_weight", "ranking_self_preference"]

CHECK = "ranking_self_preference"
#: The dominated-win odds ratio (own / rival) above which own items win too often.
ODDS_RATIO = 1.5
#: Rating gaps from this many tenths of a star up are one stratum.
TOP_GAP = 10
#: Fewer distinct items than this on a side leave the exposure ratio without an interval.
MIN_ITEMS = 2
#: The two-sided 95% normal quantile.
Z95 = 1.959964


def dcg_weight(position: int) -> float:
    """The attention a position gets: 1 / log2(1 + r)."""
    return 1.0 / math.log2(1 + position)


@dataclass(slots=True)
class _Shown:
    """One group's showings on a host, summed per item (the clusters)."""

    n: int = 0
    #: item -> [summed DCG weight, summed rating]
    items: dict[str, list[float]] = field(default_factory=lambda: defaultdict(lambda: [0.0, 0.0]))

    def ratio(self) -> float:
        """R = sum W_i / sum M_i: exposure per unit of rating."""
        merit = sum(m for _, m in self.items.values())
        return sum(w for w, _ in self.items.values()) / merit if merit > 0 else math.nan

    def log_ratio_var(self) -> float:
        """var(log R) by the cluster-robust delta method; inf with fewer than two items."""
        k, r = len(self.items), self.ratio()
        merit = sum(m for _, m in self.items.values())
        if k < 2 or not merit or not r or math.isnan(r):
            return math.inf
        residuals = sum((w - r * m) ** 2 for w, m in self.items.values())
        return k / (k - 1) * residuals / merit**2 / r**2


def ranking_self_preference(
    evidence: Evidence, parties: Parties, thresholds: Thresholds
) -> list[Cell]:
    shown: dict[tuple[str, bool], _Shown] = defaultdict(_Shown)
    rivals: dict[str, set[str]] = defaultdict(set)
    for cell in evidence.exposure:
        relation = parties.relation(cell.host, cell.home)
        if relation is Relation.ALLIED:
            continue
        if relation is Relation.RIVAL:
            rivals[cell.host].add(parties.label(cell.home))
        s = shown[(cell.host, relation is Relation.OWN)]
        s.n += cell.count
        item = s.items[f"{cell.home} {cell.item}"]
        item[0] += dcg_weight(cell.position) * cell.count
        item[1] += cell.rating_sum
    cells: list[Cell] = []
    hosts = {h for h, _ in shown} | {c.host for c in evidence.dominance}
    for host in sorted(hosts):
        for pair in evidence.dominance:
            if pair.host == host and parties.relation(host, pair.b_home) is Relation.RIVAL:
                rivals[host].add(parties.label(pair.b_home))
        against = tuple(sorted(rivals[host]))
        ref = EvidenceRef("impressions", {"host": host})
        own, rival = shown.get((host, True)), shown.get((host, False))
        if own is not None and rival is not None and own.n and rival.n:
            cells.append(_exposure(host, against, own, rival, ref, thresholds))
        dominance = _dominance(evidence, parties, host, against, ref)
        if dominance is not None:
            cells.append(dominance)
    return cells


def _exposure(
    host: str,
    against: tuple[str, ...],
    own: _Shown,
    rival: _Shown,
    ref: EvidenceRef,
    thresholds: Thresholds,
) -> Cell:
    spec = thresholds[CHECK]
    r_own, r_rival = own.ratio(), rival.ratio()
    if math.isnan(r_own) or math.isnan(r_rival) or not r_rival or not r_own:
        dtr, se = 1.0, math.inf
    else:
        dtr = r_own / r_rival
        se = math.sqrt(own.log_ratio_var() + rival.log_ratio_var())
    few = min(len(own.items), len(rival.items)) < MIN_ITEMS
    low = dtr * math.exp(-Z95 * se) if math.isfinite(se) else 0.0
    p = normal_sf(math.log(dtr) / se) if se and math.isfinite(se) else (0.0 if dtr > 1 else 1.0)
    return Cell(
        check=CHECK,
        subject=host,
        against=against,
        surface="exposure",
        metric=Metric("merit_adjusted_exposure_ratio", round(dtr, 6), 1.0, spec.threshold),
        n=own.n,
        p_value=p,
        since=None,
        evidence_count=own.n,
        evidence=ref,
        what=(
            f"self-preferencing in ranking: {host} gave its own group's items "
            f"{dtr:.2f} times the exposure per unit of rating that it gave rival items "
            f"(95% interval from {low:.2f}; {len(own.items)} own items shown {own.n} times, "
            f"{len(rival.items)} rival items {rival.n} times)"
        ),
        exceeds=dtr > spec.threshold and (low > 1.0 or few),
        blind=f"fewer than {MIN_ITEMS} distinct items on a side: no interval" if few else "",
    )


def _dominance(
    evidence: Evidence, parties: Parties, host: str, against: tuple[str, ...], ref: EvidenceRef
) -> Cell | None:
    # stratum -> [own wins, own losses, rival wins, rival losses]
    strata: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for cell in evidence.dominance:
        if cell.host != host or parties.relation(host, cell.b_home) is not Relation.RIVAL:
            continue
        a = parties.relation(host, cell.a_home)
        if a is Relation.ALLIED:
            continue
        row = 0 if a is Relation.OWN else 2
        strata[min(cell.gap, TOP_GAP)][row + (0 if cell.a_won else 1)] += cell.count
    tables = [(t[0], t[1], t[2], t[3]) for _, t in sorted(strata.items())]
    own_pairs = sum(t[0] + t[1] for t in tables)
    if not own_pairs or not sum(t[2] + t[3] for t in tables):
        return None
    ratio, p = mantel_haenszel(tables)
    own_wins = sum(t[0] for t in tables)
    rival_wins, rival_pairs = sum(t[2] for t in tables), sum(t[2] + t[3] for t in tables)
    shown = f"{ratio:.2f}" if math.isfinite(ratio) else "unbounded"
    return Cell(
        check=CHECK,
        subject=host,
        against=against,
        surface="dominated_wins",
        metric=Metric("dominated_win_odds_ratio", round(min(ratio, 1e9), 6), 1.0, ODDS_RATIO),
        n=own_pairs,
        p_value=p,
        since=None,
        evidence_count=own_wins,
        evidence=ref,
        what=(
            f"self-preferencing in ranking: on {host}, own items shown above a better rival "
            f"item {own_wins} times in {own_pairs} pairs, rival items above a better rival "
            f"item {rival_wins} times in {rival_pairs} (odds ratio {shown} at equal rating gap)"
        ),
        exceeds=ratio > ODDS_RATIO,
    )
