"""One audit run: read the window's aggregates, run every check, decide with BH.

Deterministic: the same rows give the same findings in the same order with
the same ids (cells are built from sorted aggregates; the bootstrap, where
used, is seeded). Filters (`subject`, `check`) are applied after the run,
so a finding's p-value is the same whichever filter asked for it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from hutong.audit.checks import IMPLEMENTED, Cell, decide
from hutong.audit.evidence import Evidence, read_evidence
from hutong.audit.findings import Finding, Inconclusive, Window
from hutong.audit.parties import Parties
from hutong.audit.records import read_records
from hutong.audit.rules import Thresholds
from hutong.protocol.errors import NotFoundError, ValidationError
from hutong.store.db import Database

__all__ = ["AuditReport", "audit", "check_filter", "find", "run_checks"]

#: How many evidence ids a finding shows (the rest: GET /v1/audit/evidence/{id}).
SAMPLE = 5


@dataclass(frozen=True, slots=True)
class AuditReport:
    window: Window
    findings: tuple[Finding, ...]
    inconclusive: tuple[Inconclusive, ...]
    checks_run: int

    def to_dict(self) -> dict[str, object]:
        return {
            "window": self.window.to_dict(),
            "findings": [f.to_dict() for f in self.findings],
            "inconclusive": [i.to_dict() for i in self.inconclusive],
            "checks_run": self.checks_run,
        }

    def only(self, *, subject: str | None = None, check: str | None = None) -> AuditReport:
        def keep(item: Finding | Inconclusive) -> bool:
            return (subject is None or item.subject == subject) and (
                check is None or item.check == check
            )

        return AuditReport(
            self.window,
            tuple(f for f in self.findings if keep(f)),
            tuple(i for i in self.inconclusive if keep(i)),
            self.checks_run if check is None else 1,
        )


def run_checks(evidence: Evidence, thresholds: Thresholds | None = None) -> AuditReport:
    """Pure: every implemented check over `evidence`, decided together (BH across all cells)."""
    thresholds = thresholds or Thresholds()
    parties = Parties.of(evidence.groups, evidence.window.end - timedelta(days=1))
    cells: list[Cell] = []
    for check in IMPLEMENTED.values():
        cells.extend(check(evidence, parties, thresholds))
    findings, inconclusive = decide(cells, evidence.window, thresholds)
    return AuditReport(evidence.window, tuple(findings), tuple(inconclusive), len(IMPLEMENTED))


def check_filter(check: str | None) -> str | None:
    if check is not None and check not in IMPLEMENTED:
        raise ValidationError(
            f"unknown check {check!r}; one of {', '.join(IMPLEMENTED)}", code="unknown_check"
        )
    return check


async def audit(
    db: Database,
    window: Window,
    *,
    subject: str | None = None,
    check: str | None = None,
    thresholds: Thresholds | None = None,
) -> AuditReport:
    """Read the window's evidence and run the checks (one read transaction)."""
    check = check_filter(check)
    async with db.read() as conn:
        evidence = await read_evidence(conn, window)
        report = run_checks(evidence, thresholds).only(subject=subject, check=check)
        sampled = []
        for f in report.findings:
            page = await read_records(conn, f.evidence, window, limit=SAMPLE)
            sampled.append(
                replace(f, evidence_sample=tuple(r["evidence_id"] for r in page.records))
            )
    return replace(report, findings=tuple(sampled))


def find(report: AuditReport, finding: str) -> Finding:
    for f in report.findings:
        if f.id == finding:
            return f
    raise NotFoundError(f"no finding {finding!r} in that window", code="unknown_finding")
