"""`interop_parity`: a participant answering calls made for rival hosts worse than for its own.

Per callee (a stock desk, wallet or carrier the switch calls), the calls
made on behalf of rival-group platforms pooled (allied ones apart), over
the window's decision calls (`evidence_market.CallCell`), against the calls
it answered on behalf of its own group's platforms::

    refusal(g) = unjustified refusals / calls       p95(g) = 95th percentile latency (ms)

Two cells each, both with at least `min_n` (200) rival calls:

* refusals: flagged when ``refusal(rival) > threshold * refusal(own)``
  (1.25), by a one-sided Welch test of exactly that. A refusal carrying a
  justification (fraud, safety, ...) is not counted: a justified reason is
  judged by whether it is applied to own hosts too, which the rates show;
* latency: flagged when ``p95(rival) > 1.5 * p95(own)``, by an exact
  binomial test that more than 5% of rival calls took longer than that.

Failed calls (timeouts, bad signatures) are the network's, not a refusal,
and count in neither rate. Allied hosts are reported apart, never as own.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from hutong.audit.checks.cells import Cell, rate
from hutong.audit.evidence import Evidence
from hutong.audit.findings import EvidenceRef, Metric
from hutong.audit.parties import Parties, Relation
from hutong.audit.rules import Thresholds
from hutong.audit.stats import binomial_sf, welch_z

__all__ = ["LATENCY_RATIO", "interop_parity"]

CHECK = "interop_parity"
#: The p95 latency ratio (rival / own) above which calls are slower for rivals.
LATENCY_RATIO = 1.5
#: The quantile compared (p95): under parity at most this share is slower.
TAIL = 0.05


@dataclass(slots=True)
class _Tally:
    n: int = 0
    refused: int = 0
    latencies: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    hosts: set[str] = field(default_factory=set)
    groups: set[str] = field(default_factory=set)

    def p95_ms(self) -> int:
        seen = 0
        for ms in sorted(self.latencies):
            seen += self.latencies[ms]
            if seen >= (1 - TAIL) * self.n:
                return ms
        return 0

    def slower_than(self, limit_ms: float) -> int:
        return sum(n for ms, n in self.latencies.items() if ms > limit_ms)


def interop_parity(evidence: Evidence, parties: Parties, thresholds: Thresholds) -> list[Cell]:
    own: dict[str, _Tally] = defaultdict(_Tally)
    others: dict[tuple[str, Relation], _Tally] = defaultdict(_Tally)
    for cell in evidence.calls:
        if cell.outcome == "failed" or not parties.group(cell.callee):
            continue
        relation = parties.relation(cell.callee, cell.on_behalf_of)
        if relation is Relation.OWN:
            tally = own[cell.callee]
        else:
            tally = others[(cell.callee, relation)]
            tally.groups.add(parties.label(cell.on_behalf_of))
        tally.n += cell.count
        tally.refused += cell.count if cell.outcome == "refused" else 0
        tally.latencies[cell.latency_ms] += cell.count
        tally.hosts.add(cell.on_behalf_of)
    cells: list[Cell] = []
    for (callee, relation), rival in sorted(others.items()):
        base = own.get(callee)
        group = ",".join(sorted(rival.groups))
        kind = "allied" if relation is Relation.ALLIED else "rival"
        ref = EvidenceRef("decision_calls", {"callee": callee, "hosts": tuple(sorted(rival.hosts))})
        if base is None or base.n == 0:
            continue  # no call made for its own group: nothing to compare with
        cells.append(_refusals(callee, group, kind, rival, base, ref, thresholds))
        cells.append(_latency(callee, group, kind, rival, base, ref))
    return cells


def _refusals(
    callee: str,
    group: str,
    kind: str,
    rival: _Tally,
    base: _Tally,
    ref: EvidenceRef,
    thresholds: Thresholds,
) -> Cell:
    spec = thresholds[CHECK]
    r, o = rate(rival.refused, rival.n), rate(base.refused, base.n)
    p = welch_z(
        r, r * (1 - r), rival.n, spec.threshold * o, spec.threshold**2 * o * (1 - o), base.n
    )
    return Cell(
        check=CHECK,
        subject=callee,
        against=tuple(group.split(",")),
        surface="refusals",
        metric=Metric("rival_refusal_rate", round(r, 6), round(o, 6), spec.threshold),
        n=rival.n,
        p_value=p,
        since=None,
        evidence_count=rival.refused,
        evidence=ref,
        what=(
            f"unequal interoperation: {callee} refused {rival.refused} of {rival.n} calls "
            f"made for {kind} {group} platforms ({r:.1%}) against {base.refused} of "
            f"{base.n} for its own group ({o:.1%})"
        ),
        exceeds=r > spec.threshold * o,
    )


def _latency(
    callee: str, group: str, kind: str, rival: _Tally, base: _Tally, ref: EvidenceRef
) -> Cell:
    own_p95, rival_p95 = base.p95_ms(), rival.p95_ms()
    limit = LATENCY_RATIO * own_p95
    slower = rival.slower_than(limit)
    return Cell(
        check=CHECK,
        subject=callee,
        against=tuple(group.split(",")),
        surface="latency",
        metric=Metric("rival_latency_p95_ms", float(rival_p95), float(own_p95), LATENCY_RATIO),
        n=rival.n,
        p_value=binomial_sf(slower, rival.n, TAIL),
        since=None,
        evidence_count=slower,
        evidence=ref,
        what=(
            f"unequal interoperation: {callee} answered calls made for {kind} {group} "
            f"platforms with a p95 latency of {rival_p95} ms against {own_p95} ms for its "
            f"own group ({slower} of {rival.n} slower than {limit:.0f} ms)"
        ),
        exceeds=rival_p95 > limit,
    )
