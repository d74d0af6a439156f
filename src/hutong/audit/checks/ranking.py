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
  The interval is the delta method on log DTR (each term's variance
  ``var / (n mean^2)``, their covariances left out, which only widens it);
* dominated-item wins: pairs in one list where item b has a higher rating
  and at least as many reviews as item a. The rate at which a dominated own
  item is shown above its rival dominator is compared with the rate at which
  a dominated rival item is shown above a rival dominator, stratum by
  stratum of the rating gap (tenths of a star, 1.0 and more pooled), by the
  Mantel–Haenszel odds ratio; flagged when OR > 1.5 with its one-sided test.

Both need `min_n` (200) own observations (shown items, dominated pairs).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

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
#: The two-sided 95% normal quantile.
Z95 = 1.959964


def dcg_weight(position: int) -> float:
    """The attention a position gets: 1 / log2(1 + r)."""
    return 1.0 / math.log2(1 + position)


@dataclass(slots=True)
class _Shown:
    n: int = 0
    w: float = 0.0
    w2: float = 0.0
    r: float = 0.0
    r2: float = 0.0

    def log_mean_var(self, total: float, squares: float) -> float:
        """var(log mean) by the delta method: var / (n mean^2)."""
        mean = total / self.n
        var = max(0.0, squares / self.n - mean**2)
        return var / (self.n * mean**2) if mean else math.inf


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
        s, w = shown[(cell.host, relation is Relation.OWN)], dcg_weight(cell.position)
        s.n += cell.count
        s.w += w * cell.count
        s.w2 += w * w * cell.count
        s.r += cell.rating_sum
        s.r2 += cell.rating_squares
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
    exp_own, exp_rival = own.w / own.n, rival.w / rival.n
    merit_own, merit_rival = own.r / own.n, rival.r / rival.n
    if min(merit_own, merit_rival) <= 0:
        dtr, se = 1.0, math.inf
    else:
        dtr = (exp_own / merit_own) / (exp_rival / merit_rival)
        se = math.sqrt(
            own.log_mean_var(own.w, own.w2)
            + own.log_mean_var(own.r, own.r2)
            + rival.log_mean_var(rival.w, rival.w2)
            + rival.log_mean_var(rival.r, rival.r2)
        )
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
            f"(95% interval from {low:.2f}; {own.n} own and {rival.n} rival items shown)"
        ),
        exceeds=dtr > spec.threshold and low > 1.0,
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
