"""A run's report as JSON and back, whole: what a stored run keeps (`hutong.audit.stored`).

The API's `AuditReport.to_dict` leaves out what a finding's records are read
by (its `EvidenceRef`: kind and filters); the stored form keeps it, so a
stored finding's evidence page reads the same records as a fresh run's::

    decode_report(encode_report(report)) == report

(tuples come back as tuples, dates as dates; floats through JSON's repr are
exact).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from hutong.audit.findings import EvidenceRef, Finding, Inconclusive, Metric, Window
from hutong.audit.run import AuditReport

__all__ = ["decode_report", "encode_report"]


def _finding(f: Finding) -> dict[str, Any]:
    filters = {k: v if isinstance(v, str) else list(v) for k, v in f.evidence.filters.items()}
    return f.to_dict() | {
        "evidence": {"count": f.evidence_count, "sample": list(f.evidence_sample)},
        "evidence_ref": {"kind": f.evidence.kind, "filters": filters},
    }


def encode_report(report: AuditReport) -> str:
    return json.dumps(
        {
            "window": report.window.to_dict(),
            "findings": [_finding(f) for f in report.findings],
            "inconclusive": [i.to_dict() for i in report.inconclusive],
            "checks_run": report.checks_run,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _filters(stored: Mapping[str, Any]) -> dict[str, str | tuple[str, ...]]:
    return {k: v if isinstance(v, str) else tuple(v) for k, v in stored.items()}


def _decode_finding(d: Mapping[str, Any]) -> Finding:
    ref = d["evidence_ref"]
    return Finding(
        id=d["id"],
        check=d["check"],
        subject=d["subject"],
        against=tuple(d["against"]),
        surface=d["surface"],
        metric=Metric(**d["metric"]),
        n=d["n"],
        p_value=d["p_value"],
        since=date.fromisoformat(d["since"]) if d["since"] else None,
        rule=d["rule"],
        evidence_count=d["evidence"]["count"],
        summary=d["summary"],
        evidence=EvidenceRef(ref["kind"], _filters(ref["filters"])),
        evidence_sample=tuple(d["evidence"]["sample"]),
    )


def decode_report(text: str) -> AuditReport:
    d = json.loads(text)
    window = Window(date.fromisoformat(d["window"]["from"]), date.fromisoformat(d["window"]["to"]))
    return AuditReport(
        window,
        tuple(_decode_finding(f) for f in d["findings"]),
        tuple(
            Inconclusive(i["check"], i["subject"], tuple(i["against"]), i["reason"])
            for i in d["inconclusive"]
        ),
        d["checks_run"],
    )
