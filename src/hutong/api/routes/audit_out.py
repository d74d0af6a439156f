"""What the audit API answers, as documented shapes (issue 17 §6), and each route's codes.

`AuditReport.to_dict` and the evidence page (`hutong.audit`) make the
answers; these structs only document them. A record behind a finding is a
row of whichever table its evidence kind reads (an order, an impression, a
policy version, ...): documented as an object with its `evidence_id`
(`<kind>:<row id>`), its other columns free-form.
"""

from __future__ import annotations

from typing import Any

import msgspec

from hutong.api.documented import CODES, RESULT

__all__ = [
    "AUDITOR_EVIDENCE_OPT",
    "AUDITOR_FINDINGS_OPT",
    "EVIDENCE_OPT",
    "FINDINGS_OPT",
    "EvidencePageOut",
    "FindingOut",
]


class AuditWindowOut(msgspec.Struct, kw_only=True, rename={"start": "from", "end": "to"}):
    """The audited days, [from, to) (UTC dates)."""

    start: str
    end: str


class MetricOut(msgspec.Struct, kw_only=True):
    name: str
    value: float
    baseline: float | None
    threshold: float


class EvidenceSummary(msgspec.Struct, kw_only=True):
    """How many records stand behind the finding, and some of their evidence ids."""

    count: int
    sample: list[str]


class FindingOut(msgspec.Struct, kw_only=True):
    """A check's finding about `subject` (against others), with its statistic and rule."""

    id: str
    check: str
    subject: str
    against: list[str]
    surface: str | None
    metric: MetricOut
    n: int
    p_value: float | None
    since: str | None
    rule: str
    evidence: EvidenceSummary
    summary: str


class InconclusiveOut(msgspec.Struct, kw_only=True):
    """A cell a check could not decide (too few records, ...), and why."""

    check: str
    subject: str
    against: list[str]
    reason: str


class AuditReportOut(msgspec.Struct, kw_only=True):
    window: AuditWindowOut
    findings: list[FindingOut]
    inconclusive: list[InconclusiveOut]
    checks_run: int


class EvidencePageOut(msgspec.Struct, kw_only=True):
    """One page of the records behind a finding (`records[i].evidence_id` names each)."""

    finding: FindingOut
    total: int
    offset: int
    #: A row of the evidence kind's table: `evidence_id` and its columns (free-form).
    records: list[dict[str, Any]]


_FINDINGS_CODES = {422: ("invalid_window", "unknown_check")}
#: An id that is no finding id, or names no finding in its window: the path names nothing.
_EVIDENCE_CODES = {404: ("unknown_finding",)}
#: A participant that is not an auditor hears nothing of the audit.
_AUDITORS_ONLY = {403: ("wrong_role",)}

#: `opt` of the operator's reads.
FINDINGS_OPT: dict[str, object] = {RESULT: AuditReportOut, CODES: _FINDINGS_CODES}
EVIDENCE_OPT: dict[str, object] = {RESULT: EvidencePageOut, CODES: _EVIDENCE_CODES}
#: `opt` of an auditor's (signed) reads.
AUDITOR_FINDINGS_OPT: dict[str, object] = {
    RESULT: AuditReportOut,
    CODES: {**_FINDINGS_CODES, **_AUDITORS_ONLY},
}
AUDITOR_EVIDENCE_OPT: dict[str, object] = {
    RESULT: EvidencePageOut,
    CODES: {**_EVIDENCE_CODES, **_AUDITORS_ONLY},
}
