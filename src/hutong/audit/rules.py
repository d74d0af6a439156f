"""The rules the auditor cites, as short texts of our own, and the checks it runs.

Each check has a stable id, the metric it measures, its baseline, a flag
threshold (a configurable default), the minimum sample below which it only
says "inconclusive", and the rule it cites. Thresholds are audit heuristics,
never legal tests: a finding reads "indicator of possible ... under ...",
never "violation".
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType

__all__ = ["CHECKS", "RULES", "CheckSpec", "Thresholds"]

#: The rule texts (paraphrased from the auditor's research notes).
RULES: MappingProxyType[str, str] = MappingProxyType(
    {
        "link_blocking": (
            "MIIT 2021 link-blocking campaign (互联互通); Anti-Unfair Competition Law 2025 "
            "Art. 13 (hindering others' network products by technical means or platform rules)"
        ),
        "link_friction": (
            "MIIT 2021 link standards (open directly, no extra steps); AUCL 2025 Art. 13; "
            "DMA Art. 6(7)/13 by analogy"
        ),
        "storefront_refusal": (
            "Platform anti-monopoly guidelines 2021 (差别待遇, refusal to deal); "
            "E-Commerce Law Art. 35 (no unreasonable restrictions on transactions)"
        ),
        "wallet_exclusion": (
            "Platform responsibility guideline draft 2021 §1(2) (no forced own payment); "
            "DMA Art. 5(7); Anti-Monopoly Law (tying)"
        ),
        "carrier_exclusion": (
            "Online Transaction Supervision Measures 2021 Art. 32(2) (merchants' free choice "
            "of express carriers); EU Amazon commitments 2022"
        ),
        "fee_discrimination": (
            "SAMR platform fee compliance guide 2025 (no price discrimination against equally "
            "situated operators; undisclosed fees); platform anti-monopoly guidelines 2021 "
            "(差别待遇); DMA Art. 5(3) recital 37"
        ),
        "declared_vs_observed": (
            "AUCL 2025 Art. 21 (state and apply fair-competition rules); SAMR platform fee "
            "compliance guide 2025 (published fee rules)"
        ),
        "ranking_self_preference": (
            "Platform responsibility guideline draft 2021 §2 (equal treatment in ranking); "
            "DMA Art. 6(5) (no more favourable ranking of own products); platform "
            "anti-monopoly guidelines 2021 (差别待遇)"
        ),
        "exclusivity_retaliation": (
            "Anti-Monopoly Law Art. 22 (restricting trading partners, 二选一); Alibaba 2021 and "
            "Meituan 2021 decisions; Online Transaction Supervision Measures 2021 Art. 32(1); "
            "E-Commerce Law Art. 35"
        ),
        "interop_parity": (
            "Platform responsibility guideline draft 2021 §3 (open ecosystem); "
            "DMA Art. 6(7) (same access as own services)"
        ),
    }
)


@dataclass(frozen=True, slots=True)
class CheckSpec:
    id: str
    metric: str
    baseline: str
    #: The flag level of the metric (what "threshold" means is per check).
    threshold: float
    #: Fewer observations than this: inconclusive, never a finding.
    min_n: int
    #: The significance level after Benjamini–Hochberg across the run's cells.
    alpha: float = 0.01

    @property
    def rule(self) -> str:
        return RULES[self.id]


#: The checks this auditor runs, in the order it runs them.
CHECKS: MappingProxyType[str, CheckSpec] = MappingProxyType(
    {
        spec.id: spec
        for spec in (
            CheckSpec(
                "link_blocking",
                metric="rival_open_rate",
                baseline="own_open_rate on the same host and surface",
                threshold=1.0,  # strict parity: any shortfall that is significant
                min_n=20,
            ),
            CheckSpec(
                "storefront_refusal",
                metric="rival_approval_rate",
                baseline="own_approval_rate on the same host",
                threshold=1.0,
                min_n=20,
            ),
            CheckSpec(
                "wallet_exclusion",
                metric="refused_checkouts",
                baseline="own wallet accepted by the same platform",
                threshold=0.0,
                min_n=1,
            ),
            CheckSpec(
                "carrier_exclusion",
                metric="carrier_refusals",
                baseline="own carrier accepted by the same host or network",
                threshold=0.0,
                min_n=1,
            ),
            CheckSpec(
                "fee_discrimination",
                metric="rival_take_rate",
                baseline="own-group mean take rate on the same host, category and channel "
                "(else the host's own store)",
                threshold=1.05,
                min_n=20,
            ),
            CheckSpec(
                "declared_vs_observed",
                metric="contradicting_records",
                baseline="the party's own declared policy",
                threshold=0.0,
                min_n=1,
            ),
            CheckSpec(
                "link_friction",
                metric="rival_latency_p95_us",
                baseline="own links' p95 latency on the same host and surface; "
                "extra steps: none for own links",
                threshold=1.5,  # the p95 latency ratio; extra steps for rivals only flag alone
                min_n=200,
            ),
            CheckSpec(
                "interop_parity",
                metric="rival_to_own_ratio",
                baseline="calls on behalf of own-group hosts",
                threshold=1.25,  # refusal-rate ratio; the p95 latency ratio flags above 1.5
                min_n=200,
            ),
            CheckSpec(
                "ranking_self_preference",
                metric="merit_adjusted_exposure_ratio",
                baseline="rival items' exposure per unit of rating on the same host; "
                "dominated-win odds: rival items under a better rival item",
                threshold=1.25,  # the exposure ratio; the dominated-win odds ratio flags above 1.5
                min_n=200,
            ),
            CheckSpec(
                "exclusivity_retaliation",
                metric="difference_in_differences",
                baseline="the platform's merchants that did not multi-home",
                threshold=0.10,  # a 10% worsening; "most worsened within 30 days" flags alone
                min_n=10,
            ),
        )
    }
)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The run's check settings: the defaults, some replaced (`with_threshold`)."""

    checks: MappingProxyType[str, CheckSpec] = field(default_factory=lambda: CHECKS)

    def __getitem__(self, check: str) -> CheckSpec:
        return self.checks[check]

    def with_threshold(
        self, check: str, *, threshold: float | None = None, min_n: int | None = None
    ) -> Thresholds:
        spec = self.checks[check]
        changed = replace(
            spec,
            threshold=spec.threshold if threshold is None else threshold,
            min_n=spec.min_n if min_n is None else min_n,
        )
        return Thresholds(MappingProxyType({**self.checks, check: changed}))
