"""What an audit run answers: findings, inconclusive cells, and their stable ids.

A finding's id is deterministic: the same check, subject, counterparts,
surface and window give the same id in every run::

    id = "af_" + FROM + "_" + TO + "_" + sha256(check | subject | against | surface)[:16]

(FROM and TO as YYYYMMDD). The window is readable in the id so the records
behind a finding can be read again from the id alone (`GET
/v1/audit/evidence/{id}` re-runs the same deterministic audit).

Every summary is worded as an indicator ("indicator of possible ... under
RULE"), never as a legal finding.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from hutong.protocol.errors import NotFoundError, ValidationError

__all__ = [
    "EvidenceRef",
    "Finding",
    "Inconclusive",
    "Metric",
    "Window",
    "finding_id",
    "window_of_id",
]

_ID = re.compile(r"^af_(\d{8})_(\d{8})_[0-9a-f]{16}$")


@dataclass(frozen=True, slots=True)
class Window:
    """The audited days: [start, end), UTC."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValidationError(
                f"the window's end ({self.end}) must come after its start ({self.start})",
                code="invalid_window",
            )

    def to_dict(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def finding_id(
    check: str, subject: str, against: tuple[str, ...], surface: str | None, window: Window
) -> str:
    key = "|".join([check, subject, ",".join(against), surface or ""])
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"af_{window.start:%Y%m%d}_{window.end:%Y%m%d}_{digest}"


def window_of_id(finding: str) -> Window:
    """The window a finding id was computed over (`unknown_finding` if it is no finding id).

    Whoever asks names the finding as the thing to read (a path, the CLI's
    argument): an id that is no finding id names no finding, as one of no
    run's does (404, `hutong.audit.run.find`).
    """
    match = _ID.match(finding)
    if match is None:
        raise NotFoundError(f"{finding!r} is not a finding id", code="unknown_finding")
    try:
        start, end = (date(int(s[:4]), int(s[4:6]), int(s[6:])) for s in match.groups())
    except ValueError:
        raise NotFoundError(f"{finding!r} is not a finding id", code="unknown_finding") from None
    return Window(start, end)


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    value: float
    baseline: float | None
    threshold: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "baseline": self.baseline,
            "threshold": self.threshold,
        }


@dataclass(frozen=True, slots=True)
class EvidenceRef:
    """Which records stand behind a finding: an evidence kind and its filters (not shown)."""

    kind: str
    filters: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Finding:
    id: str
    check: str
    subject: str
    against: tuple[str, ...]
    surface: str | None
    metric: Metric
    n: int
    p_value: float | None
    since: date | None
    rule: str
    evidence_count: int
    summary: str
    evidence: EvidenceRef
    evidence_sample: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "check": self.check,
            "subject": self.subject,
            "against": list(self.against),
            "surface": self.surface,
            "metric": self.metric.to_dict(),
            "n": self.n,
            "p_value": self.p_value,
            "since": self.since.isoformat() if self.since else None,
            "rule": self.rule,
            "evidence": {"count": self.evidence_count, "sample": list(self.evidence_sample)},
            "summary": self.summary,
        }


@dataclass(frozen=True, slots=True)
class Inconclusive:
    check: str
    subject: str
    against: tuple[str, ...]
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "subject": self.subject,
            "against": list(self.against),
            "reason": self.reason,
        }
