"""`exclusivity_retaliation` (二选一): a platform worsening the terms of merchants that multi-home.

Treated: a platform's merchants (its merchant terms) whose first storefront
on a rival-group host was approved at t0 before the window's end. Control:
its merchants with no storefront on a rival host. For each merchant, the
terms in force before (on t0; the control: on the window's first day) and
after (30 days later, or the window's last day if sooner)::

    fee       = bps_after / bps_before - 1
    promotion = eligible_before - eligible_after     (1: dropped from promotions)
    listing   = listed_before - listed_after         (1: delisted)

    DiD = mean(change of treated) - mean(change of control)

One cell per platform x outcome: flagged when DiD >= threshold (a 10%
worsening) by a one-sided Welch test that the treated worsened more
(BH-adjusted p <= alpha); with fewer than two control merchants it cannot
be judged (one merchant has no variance: its one change would stand for
every merchant that stayed).
And one cell per platform without a control: flagged when most treated
merchants (more than half, and a larger share than of the control) had
their fee raised, promotion dropped or listing removed within 30 days
after multi-homing. Both need `min_n` (10) treated merchants.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import fmean, pvariance

from hutong.audit.checks.cells import Cell
from hutong.audit.evidence import Evidence, MultiHoming, TermsVersion
from hutong.audit.findings import EvidenceRef, Metric
from hutong.audit.parties import Parties, Relation
from hutong.audit.rules import Thresholds
from hutong.audit.stats import welch_z

__all__ = ["HORIZON", "exclusivity_retaliation"]

CHECK = "exclusivity_retaliation"
#: How long after multi-homing a change of terms counts as following it.
HORIZON = timedelta(days=30)
OUTCOMES = ("fee", "promotion", "listing")
#: The fewest merchants that did not multi-home a difference in differences rests on.
MIN_CONTROL = 2


@dataclass(frozen=True, slots=True)
class _Change:
    merchant: str
    fee: float
    promotion: float
    listing: float
    since: date

    def of(self, outcome: str) -> float:
        return float(getattr(self, outcome))

    @property
    def worse(self) -> bool:
        return self.fee > 0 or self.promotion > 0 or self.listing > 0


def _in_force(versions: list[TermsVersion], day: date) -> TermsVersion:
    """The version in force on `day` (the first one when none was yet)."""
    current = versions[0]
    for v in versions:
        later = (v.valid_from, v.version) >= (current.valid_from, current.version)
        if v.valid_from <= day and later:
            current = v
    return current


def _change(merchant: str, versions: list[TermsVersion], start: date, last: date) -> _Change:
    before = _in_force(versions, start)
    after = _in_force(versions, min(start + HORIZON, last))
    if before.commission_bps:
        fee = after.commission_bps / before.commission_bps - 1
    else:
        fee = 1.0 if after.commission_bps else 0.0
    return _Change(
        merchant,
        fee,
        float(before.promotion_eligible) - float(after.promotion_eligible),
        float(before.listed) - float(after.listed),
        start,
    )


def exclusivity_retaliation(
    evidence: Evidence, parties: Parties, thresholds: Thresholds
) -> list[Cell]:
    timelines: dict[tuple[str, str], list[TermsVersion]] = defaultdict(list)
    for v in evidence.terms:
        timelines[(v.platform, v.merchant)].append(v)
    first_day, last_day = evidence.window.start, evidence.window.end - timedelta(days=1)
    treated: dict[str, list[_Change]] = defaultdict(list)
    control: dict[str, list[_Change]] = defaultdict(list)
    against: dict[str, set[str]] = defaultdict(set)
    stores: dict[str, list[MultiHoming]] = defaultdict(list)
    for m in evidence.multi_homing:
        stores[m.merchant].append(m)
    for (platform, merchant), versions in sorted(timelines.items()):
        versions.sort(key=lambda v: (v.valid_from, v.version))
        rival = [
            m
            for m in stores.get(merchant, ())
            if parties.relation(platform, m.host) is Relation.RIVAL
        ]
        if rival:
            t0 = min(m.since for m in rival).date()
            against[platform].update(parties.label(m.host) for m in rival)
            treated[platform].append(_change(merchant, versions, t0, last_day))
        else:
            start = max(first_day, versions[0].valid_from)
            control[platform].append(_change(merchant, versions, start, last_day))
    cells: list[Cell] = []
    for platform in sorted(treated):
        t, c = treated[platform], control.get(platform, [])
        groups = tuple(sorted(against[platform]))
        ref = EvidenceRef(
            "merchant_terms", {"platform": platform, "merchants": tuple(x.merchant for x in t)}
        )
        cells.extend(_did(platform, groups, t, c, ref, thresholds))
        cells.append(_pattern(platform, groups, t, c, ref, thresholds))
    return cells


def _did(
    platform: str,
    against: tuple[str, ...],
    treated: list[_Change],
    control: list[_Change],
    ref: EvidenceRef,
    thresholds: Thresholds,
) -> list[Cell]:
    spec = thresholds[CHECK]
    cells = []
    for outcome in OUTCOMES:
        xs = [t.of(outcome) for t in treated]
        ys = [c.of(outcome) for c in control]
        mean_t = fmean(xs)
        mean_c = fmean(ys) if ys else 0.0
        did = mean_t - mean_c
        p = welch_z(mean_t, pvariance(xs), len(xs), mean_c, pvariance(ys), len(ys)) if ys else None
        cells.append(
            Cell(
                check=CHECK,
                subject=platform,
                against=against,
                surface=outcome,
                metric=Metric(f"{outcome}_did", round(did, 6), round(mean_c, 6), spec.threshold),
                n=len(treated),
                p_value=p,
                since=min(t.since for t in treated),
                evidence_count=len(treated),
                evidence=ref,
                what=(
                    f"exclusivity pressure (二选一): the {outcome} terms {platform} applied to "
                    f"{len(treated)} merchants that opened storefronts on rival hosts worsened "
                    f"by {mean_t:.1%} within 30 days, against {mean_c:.1%} for {len(control)} "
                    f"that did not (difference in differences {did:.1%})"
                ),
                exceeds=did >= spec.threshold,
                blind=""
                if len(control) >= MIN_CONTROL
                else f"fewer than {MIN_CONTROL} merchants of {platform} stayed single-homed",
            )
        )
    return cells


def _pattern(
    platform: str,
    against: tuple[str, ...],
    treated: list[_Change],
    control: list[_Change],
    ref: EvidenceRef,
    thresholds: Thresholds,
) -> Cell:
    spec = thresholds[CHECK]
    worse = [t for t in treated if t.worse]
    share = len(worse) / len(treated)
    base = sum(c.worse for c in control) / len(control) if control else 0.0
    enough = len(treated) >= spec.min_n
    return Cell(
        check=CHECK,
        subject=platform,
        against=against,
        surface="after_multi_homing",
        metric=Metric("worsened_share", round(share, 6), round(base, 6), 0.5),
        n=len(treated),
        p_value=None,
        since=min((t.since for t in worse), default=None),
        evidence_count=len(worse),
        evidence=ref,
        what=(
            f"exclusivity pressure (二选一): {platform} raised the fee, dropped promotion or "
            f"delisted {len(worse)} of {len(treated)} merchants within 30 days after they "
            f"opened storefronts on rival hosts ({share:.0%}; {base:.0%} of those that did not)"
        ),
        exceeds=share > 0.5 and share > base,
        declared=enough,
        blind="" if enough else f"n={len(treated)} is below the minimum sample of {spec.min_n}",
    )
