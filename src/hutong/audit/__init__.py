"""The openness and fairness auditor (issue 15): pure checks over aggregated evidence.

`evidence` reads the window's aggregates in SQL; `checks` turns them into
cells; `run` decides them together (Benjamini–Hochberg across the run) into
`findings`; `records` reads the rows behind one finding. No HTTP here: the
API and the CLI call `audit` and `evidence_of`; `stored` keeps runs per
window for the dashboard (`current_run`, `run_evidence`, `refresh`,
`prune_runs`).
"""

from hutong.audit.findings import Finding, Inconclusive, Metric, Window, window_of_id
from hutong.audit.rules import CHECKS, RULES, CheckSpec, Thresholds
from hutong.audit.run import AuditReport, audit, check_filter, find, run_checks
from hutong.audit.service import EvidencePage, evidence_of
from hutong.audit.stored import (
    StoredRun,
    compute_run,
    current_run,
    prune_runs,
    refresh,
    run_evidence,
    staleness,
)

__all__ = [
    "CHECKS",
    "RULES",
    "AuditReport",
    "CheckSpec",
    "EvidencePage",
    "Finding",
    "Inconclusive",
    "Metric",
    "StoredRun",
    "Thresholds",
    "Window",
    "audit",
    "check_filter",
    "compute_run",
    "current_run",
    "evidence_of",
    "find",
    "prune_runs",
    "refresh",
    "run_checks",
    "run_evidence",
    "staleness",
    "window_of_id",
]
