"""A check's cell before the run decides on it, and the run's decision.

Each check turns aggregates into cells (one subject x counterpart x surface);
the run adjusts every tested cell's p-value with Benjamini–Hochberg across
the whole run (`hutong.audit.stats.benjamini_hochberg`; the family is the
tested cells that may become findings: declared ones, and those with their
check's minimum sample that are not blind; the others can only be
inconclusive) and then decides:

    not exceeding the threshold (or the wrong direction)  -> nothing
    declared (a policy or record that flags on its own)    -> finding
    n below the check's minimum                            -> inconclusive
    BH-adjusted p <= alpha                                 -> finding (p_value = adjusted p)
    otherwise                                              -> nothing
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from hutong.audit.findings import EvidenceRef, Finding, Inconclusive, Metric, Window, finding_id
from hutong.audit.rules import Thresholds
from hutong.audit.stats import benjamini_hochberg

__all__ = ["Cell", "decide", "rate"]


def rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


@dataclass(frozen=True, slots=True)
class Cell:
    check: str
    subject: str
    against: tuple[str, ...]
    surface: str | None
    metric: Metric
    n: int
    p_value: float | None
    since: date | None
    evidence_count: int
    evidence: EvidenceRef
    #: The sentence after "Indicator of possible ...", with the numbers.
    what: str
    #: The effect passes the threshold in the suspicious direction.
    exceeds: bool
    #: Flags without a test: a declared policy, or a record that is itself the breach.
    declared: bool = False
    #: Why the cell cannot be judged even if large enough ("" when it can).
    blind: str = ""


def judgeable(cell: Cell, thresholds: Thresholds) -> bool:
    """A cell that may become a finding: declared, or seeing with its check's minimum sample."""
    return cell.declared or (not cell.blind and cell.n >= thresholds[cell.check].min_n)


def decide(
    cells: Sequence[Cell], window: Window, thresholds: Thresholds
) -> tuple[list[Finding], list[Inconclusive]]:
    # The family BH adjusts over: the tested cells that could become findings. A cell below
    # its minimum sample (or blind) is inconclusive whatever its p-value, whichever way it
    # points; chosen by sample size, never by outcome, it is no hypothesis of the run.
    tested = [i for i, c in enumerate(cells) if c.p_value is not None and judgeable(c, thresholds)]
    adjusted = dict(
        zip(tested, benjamini_hochberg([cells[i].p_value or 0.0 for i in tested]), strict=True)
    )
    findings: list[Finding] = []
    inconclusive: list[Inconclusive] = []
    for i, cell in enumerate(cells):
        if not cell.exceeds:
            continue
        spec = thresholds[cell.check]
        q = adjusted.get(i)
        if not cell.declared:
            if cell.blind:
                inconclusive.append(
                    Inconclusive(cell.check, cell.subject, cell.against, cell.blind)
                )
                continue
            if cell.n < spec.min_n:
                inconclusive.append(
                    Inconclusive(
                        cell.check,
                        cell.subject,
                        cell.against,
                        f"n={cell.n} is below the minimum sample of {spec.min_n}",
                    )
                )
                continue
            if q is None or q > spec.alpha:
                continue
        findings.append(
            Finding(
                id=finding_id(cell.check, cell.subject, cell.against, cell.surface, window),
                check=cell.check,
                subject=cell.subject,
                against=cell.against,
                surface=cell.surface,
                metric=cell.metric,
                n=cell.n,
                p_value=q,
                since=cell.since,
                rule=spec.rule,
                evidence_count=cell.evidence_count,
                summary=f"Indicator of possible {cell.what} under {spec.rule}. "
                "An audit heuristic, not a legal finding.",
                evidence=cell.evidence,
            )
        )
    return findings, inconclusive
